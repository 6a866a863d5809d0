// The operations dashboard: polls /api/overview (public counts) every two seconds and, for a
// signed-in officer, /api/overview/dossiers (the lists), and redraws in place.
"use strict";

const POLL_MS = 2000;

function setText(id, value) {
  document.getElementById(id).textContent = value;
}

function dossierRows(table, dossiers, empty) {
  const head = h("tr", {}, h("th", {}, "Mã hồ sơ"), h("th", {}, "Cơ quan"),
                 h("th", {}, "Đang ở"), h("th", {}, "Hạn trả"), h("th", {}, "Hạn bước"));
  const rows = dossiers.map(d => h("tr", {class: d.status_code >= 9 ? "done" : null},
    h("td", {}, h("a", {href: `/dossiers/${d.dossier_id}`, class: "dossier-link"}, d.code)),
    h("td", {}, d.agency),
    h("td", {title: d.status}, `${d.holder ? stageName(d.holder) : d.status} · ${d.status_code}`),
    h("td", {}, when(d.due_at)),
    h("td", {}, when(d.step_due))));
  if (!rows.length) rows.push(h("tr", {}, h("td", {colspan: 5, class: "empty"}, empty)));
  table.replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
}

function render(data) {
  const t = data.totals;
  setText("open", t.open);
  setText("overdue", t.overdue);
  setText("due-soon", t.due_soon);
  setText("submitted-today", t.submitted_today);
  setText("delivered-today", t.delivered_today);
  setText("on-time-today", percent(data.on_time.today.share));
  setText("on-time-month", percent(data.on_time.month.share));
  setText("dead-letters", data.dead_letters);
  setText("parked-dossiers", data.parked_dossiers);
  setText("portal-failing", data.portal_failing);
  setText("updated", when(data.generated_at));

  bars(document.getElementById("by-stage"),
       data.by_stage.map(x => ({label: stageName(x.stage), value: x.count})));
  columns(document.getElementById("throughput"), data.throughput.minutes, [
    {name: "tiếp nhận", values: data.throughput.submitted, tone: "submitted"},
    {name: "trả kết quả", values: data.throughput.delivered, tone: "delivered"}]);
  bars(document.getElementById("lag"), data.services.map(x => ({
    label: x.name, value: x.lag, tone: x.up ? (x.lag > 100 ? "bad" : "bar") : "down",
    title: x.up ? Object.entries(x.lag_by_partition).map(([k, v]) => `${k}: ${v}`).join("\n")
                : x.error})));
  bars(document.getElementById("backlog"), data.services.map(x => ({
    label: x.name, value: x.outbox_backlog, tone: x.outbox_oldest_seconds > 30 ? "bad" : "bar",
    title: `${x.outbox_backlog} chưa gửi, cũ nhất ${Math.round(x.outbox_oldest_seconds)} s`})));

  document.querySelector("#agencies tbody").replaceChildren(...data.by_agency.map(a =>
    h("tr", {class: a.overdue ? "behind" : null},
      h("td", {title: a.name}, `${a.agency} – ${a.name}`), h("td", {}, a.open),
      h("td", {}, a.overdue), h("td", {}, a.due_soon), h("td", {}, a.delivered_month),
      h("td", {}, percent(a.on_time_share_month)))));
  document.querySelector("#services tbody").replaceChildren(...data.services.map(x =>
    h("tr", {class: x.up ? null : "behind"},
      h("td", {}, x.name), h("td", {title: x.error || ""}, x.up ? "hoạt động" : "không phản hồi"),
      h("td", {}, x.assigned_partitions), h("td", {}, x.lag), h("td", {}, x.outbox_backlog),
      h("td", {}, Math.round(x.outbox_oldest_seconds)), h("td", {}, x.handled),
      h("td", {}, x.dead_letters), h("td", {class: x.parked_dossiers ? "behind" : null},
                                     x.parked_dossiers), h("td", {}, x.batch_retries),
      h("td", {}, `${x.open_work} / ${x.overdue_work}`))));
}

function renderLists(lists) {
  document.getElementById("lists").hidden = !lists;
  document.getElementById("lists-locked").hidden = !!lists;
  if (!lists) return;
  dossierRows(document.getElementById("overdue-list"), lists.overdue, "Không có hồ sơ quá hạn");
  dossierRows(document.getElementById("due-soon-list"), lists.due_soon, "Không có");
  dossierRows(document.getElementById("recent-list"), lists.recent, "Chưa có hồ sơ");
}

async function loadLists() {
  const response = await officerFetch("/api/overview/dossiers");
  if (response === null || response.status === 401) {
    redrawSignIn();
    return renderLists(null);
  }
  if (!response.ok) throw new Error((await response.json()).detail || response.status);
  renderLists(await response.json());
}

const redrawSignIn = signInBox(document.getElementById("signin"), () => loadLists());

async function poll() {
  try {
    const response = await fetch("/api/overview", {cache: "no-store"});
    if (!response.ok) throw new Error((await response.json()).message || response.status);
    render(await response.json());
    await loadLists();
    setText("connection", "");
  } catch (error) {
    setText("connection", `· mất kết nối: ${error.message}`);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

poll();
