// A dossier's page: where it is, its timeline, and its trace across services.
"use strict";

const dossierId = decodeURIComponent(location.pathname.split("/").pop());

function fact(list, term, value) {
  list.append(h("dt", {}, term), h("dd", {}, value));
}

// Everything on this page is about one dossier: only for a signed-in officer.
const LOCKED = "Đăng nhập bằng tài khoản cán bộ để xem hồ sơ (sign in to see this dossier).";

async function loadDossier() {
  const response = await officerFetch(`/api/dossiers/${encodeURIComponent(dossierId)}`);
  if (response === null || response.status === 401) {
    redrawSignIn();
    document.getElementById("summary").textContent = LOCKED;
    return;
  }
  const body = await response.json();
  if (!response.ok) {
    document.getElementById("summary").textContent =
      body.detail || body.message || `lỗi ${response.status}`;
    return;
  }
  if (!officerToken()) {
    // Opened with the wallboard's session: no token to paste, the way back instead.
    document.getElementById("signin").replaceChildren(
      h("a", {href: "/", id: "signed-in"}, "Đã đăng nhập (trung tâm điều hành) · về bảng theo dõi"));
  }
  document.getElementById("code").textContent = body.code;
  document.title = `${body.code} – trung tâm điều hành`;
  document.getElementById("summary").textContent =
    `${body.status} (${body.status_code})` + (body.holder ? ` · ${stageName(body.holder)}` : "");
  const facts = document.getElementById("facts");
  facts.replaceChildren();
  fact(facts, "Cơ quan giải quyết", body.agency);
  fact(facts, "Thủ tục", body.procedure_code);
  fact(facts, "Nộp lúc", when(body.submitted_at));
  fact(facts, "Hẹn trả", when(body.due_at));
  fact(facts, "Hạn bước hiện tại", when(body.step_due));
  fact(facts, "Kết thúc", when(body.ended_at));
  fact(facts, "Đúng hạn", body.on_time === null ? "–" : (body.on_time ? "có" : "không"));
  document.querySelector("#timeline tbody").replaceChildren(...body.timeline.map(e =>
    h("tr", {"data-type": e.type},
      h("td", {}, when(e.at)), h("td", {}, e.name || e.type, " ", h("small", {}, e.type)), h("td", {}, stageName(e.service)),
      h("td", {}, e.agency), h("td", {}, e.actor), h("td", {}, e.status_code),
      h("td", {}, e.note || ""))));
}

// The trace: spans of the dossier's journey, as the telemetry store returns them.
async function loadTrace() {
  const target = document.getElementById("trace");
  const response = await officerFetch(`/api/dossiers/${encodeURIComponent(dossierId)}/trace`);
  if (response === null || response.status === 401) {
    target.textContent = LOCKED;
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    target.textContent = `Chưa có vết xử lý (${body.message || response.status}).`;
    return;
  }
  // A waterfall: each span indented under its parent, with a bar on the journey's time axis.
  const spans = body.spans || [];
  const total = body.total_ms || 1;
  target.replaceChildren(h("p", {}, `Trace ${body.trace_ids.join(", ")}`),
    h("table", {class: "waterfall"},
    h("thead", {}, h("tr", {}, h("th", {}, "Dịch vụ"), h("th", {}, "Thao tác"),
                    h("th", {}, "Bắt đầu (ms)"), h("th", {}, "ms"), h("th", {}, ""),
                    h("th", {}, "Kết quả"))),
    h("tbody", {}, ...spans.map(span => h("tr", {class: span.status === "error" ? "error" : ""},
      h("td", {}, span.service),
      h("td", {style: `padding-left: ${0.3 + span.depth}em`}, span.name),
      h("td", {}, span.offset_ms), h("td", {}, span.duration_ms),
      h("td", {class: "lane"}, h("span", {class: "span-bar", style:
        `margin-left: ${100 * span.offset_ms / total}%; ` +
        `width: ${Math.max(0.5, 100 * span.duration_ms / total)}%`})),
      h("td", {}, span.error || span.status || ""))))));
}

function load() {
  loadDossier();
  loadTrace();
}

const redrawSignIn = signInBox(document.getElementById("signin"), load);
load();
