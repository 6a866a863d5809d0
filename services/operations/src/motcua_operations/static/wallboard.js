// The wallboard: polls /api/wallboard every few seconds with the filters of the page (kept in
// its URL, so a screen can be bookmarked per agency), redraws the figures in place and feeds
// the charts (Chart.js, shipped in static/vendor). Every figure is the server's; the page
// computes nothing. A tile whose threshold is crossed turns red and its alarm is listed; a
// click on a tile, a bar or a procedure opens the dossiers behind it, each linking to its
// timeline and trace.
"use strict";

const POLL_MS = 3000;
const LIST_ROWS = 14;
const STATUS_CODES = {1: "Mới nộp", 2: "Đã tiếp nhận", 3: "Từ chối", 4: "Đang xử lý",
  5: "Chờ bổ sung", 6: "Chờ nộp phí", 7: "Xin rút", 8: "Dừng xử lý", 9: "Đã có kết quả",
  10: "Đã trả kết quả"};
const FIGURE_TITLES = {open: "Hồ sơ đang giải quyết", overdue: "Hồ sơ quá hạn",
  due_soon: "Hồ sơ sắp đến hạn", submitted: "Hồ sơ tiếp nhận", delivered: "Hồ sơ đã trả kết quả",
  late: "Hồ sơ trả kết quả trễ hạn", rated: "Hồ sơ được đánh giá",
  // The dossiers this month's service index counts (its cells open them).
  "index:received": "Chỉ số 766: hồ sơ tiếp nhận trong tháng",
  "index:resolved": "Chỉ số 766: hồ sơ có kết quả trong tháng",
  "index:delivered": "Chỉ số 766: hồ sơ trả kết quả trong tháng"};
const PERIOD_NAMES = {today: "hôm nay", month: "tháng này", year: "năm nay"};

Chart.defaults.color = "#e8edf5";
Chart.defaults.borderColor = "#26344d";
Chart.defaults.font.size = 14;
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

const charts = {};
let lastBody = null;

function number(n) {
  return n === null || n === undefined ? "–" : Number(n).toLocaleString("vi-VN");
}

function percent100(value) {
  return value === null || value === undefined ? "–"
    : value.toFixed(1).replace(".", ",") + "\u00a0%";
}

function decimal(value, digits) {
  return value === null || value === undefined ? "–" : value.toFixed(digits).replace(".", ",");
}

// The page's filters as a query; `period` overrides the chosen one (a tile of "today").
function filters(period) {
  const form = new FormData(document.getElementById("filters"));
  const query = new URLSearchParams();
  for (const [name, value] of form.entries()) if (value) query.set(name, value);
  if (period) query.set("period", period);
  return query;
}

const SHORT_TIME = new Intl.DateTimeFormat("vi-VN", {
  timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", hour: "2-digit",
  minute: "2-digit"});

function short(iso) {
  return iso ? SHORT_TIME.format(new Date(iso)) : "–";
}

function setText(id, text) {
  const node = document.getElementById(id);
  if (node.textContent !== text) node.textContent = text;
}

function chart(id, config) {
  if (!charts[id]) {
    charts[id] = new Chart(document.getElementById(id), config);
  } else {
    charts[id].data.labels = config.data.labels;
    config.data.datasets.forEach((set, i) => {
      Object.assign(charts[id].data.datasets[i], {data: set.data});
    });
    charts[id].update("none");
  }
  return charts[id];
}

const VN_HOUR = new Intl.DateTimeFormat("en-GB", {timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit",
                                                  hourCycle: "h23"});

const VN_CLOCK = new Intl.DateTimeFormat("vi-VN", {
  timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit", second: "2-digit"});

function hourLabel(iso) {
  return VN_HOUR.format(new Date(iso)) + "h";
}

function dayLabel(isoDate) {
  const [, month, day] = isoDate.split("-");
  return `${day}/${month}`;
}

function drawTiles(body) {
  setText("t-open", number(body.totals.open));
  setText("t-overdue", number(body.totals.overdue));
  setText("t-due-soon", number(body.totals.due_soon));
  setText("t-submitted", number(body.totals.submitted_today));
  setText("t-delivered", number(body.totals.delivered_today));
  setText("t-on-time-today", percent(body.on_time.today.share));
  setText("t-on-time-month", percent(body.on_time.month.share));
  setText("t-on-time-year", percent(body.on_time.year.share));
  setText("t-satisfaction", body.satisfaction.average_score === null ? "–"
    : decimal(body.satisfaction.average_score, 1));
  setText("t-ratings", number(body.satisfaction.ratings));
  setText("t-dead-letters", number(body.dead_letters));
  const red = new Set(body.alarms.map(alarm => alarm.tile));
  document.querySelectorAll("[data-tile]").forEach(tile => {
    tile.classList.toggle("alarm", red.has(tile.dataset.tile));
  });
  document.getElementById("p-services").classList.toggle(
    "alarm", body.alarms.some(alarm => alarm.tile.startsWith("service:")));
}

function drawAlarms(body) {
  setText("alarm-count", String(body.alarms.length));
  const list = document.getElementById("alarms");
  list.replaceChildren(...(body.alarms.length ? body.alarms.map(alarm =>
    h("li", {"data-tile": alarm.tile, title: alarm.message}, alarm.message))
    : [h("li", {class: "none"}, "Không có cảnh báo: mọi chỉ tiêu trong ngưỡng.")]));
}

// The open dossiers by national status code, each opening its dossiers (figure status:<code>).
function drawStatuses(body) {
  document.getElementById("statuses").replaceChildren(...body.by_status.map(row =>
    h("li", {}, h("button", {type: "button", "data-figure": `status:${row.code}`,
                             title: `${row.code}. ${row.name}`},
                  `${STATUS_CODES[row.code] || row.name} `, h("b", {}, number(row.count))))));
}

function drawCharts(body) {
  drawStatuses(body);
  const stages = body.by_stage;
  chart("c-stages", {
    type: "bar",
    data: {labels: stages.map(row => stageName(row.stage)),
           datasets: [{label: "Hồ sơ", data: stages.map(row => row.count),
                       backgroundColor: "#2a9d8f"}]},
    options: {indexAxis: "y", plugins: {legend: {display: false}},
              scales: {x: {beginAtZero: true, ticks: {precision: 0}}},
              onClick: (_event, items) => {
                if (items.length) {
                  const stage = lastBody.by_stage[items[0].index].stage;
                  drill(`stage:${stage}`, `Hồ sơ đang ở bước ${stageName(stage)}`);
                }
              }},
  });
  chart("c-throughput", {
    type: "bar",
    data: {labels: body.throughput.hours.map(hourLabel),
           datasets: [{label: "Tiếp nhận", data: body.throughput.submitted, backgroundColor: "#4ea8de"},
                      {label: "Trả kết quả", data: body.throughput.delivered, backgroundColor: "#ffd166"}]},
    options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}},
                       x: {ticks: {maxRotation: 0, autoSkip: true, maxTicksLimit: 12}}},
              plugins: {legend: {position: "bottom"}}},
  });
  chart("c-trends", {
    type: "line",
    data: {labels: body.trends.days.map(dayLabel),
           datasets: [{label: "Tiếp nhận", data: body.trends.submitted, borderColor: "#4ea8de",
                       backgroundColor: "#4ea8de", yAxisID: "y", tension: .2},
                      {label: "Trả kết quả", data: body.trends.delivered, borderColor: "#ffd166",
                       backgroundColor: "#ffd166", yAxisID: "y", tension: .2},
                      {label: "Đúng hạn (%)", data: body.trends.on_time_share.map(
                         share => share === null ? null : Math.round(share * 1000) / 10),
                       borderColor: "#80ed99", backgroundColor: "#80ed99", yAxisID: "share",
                       spanGaps: true, borderDash: [6, 4]}]},
    options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}},
                       share: {position: "right", min: 0, max: 100, grid: {drawOnChartArea: false}},
                       x: {ticks: {maxRotation: 0, autoSkip: true, maxTicksLimit: 10}}},
              plugins: {legend: {position: "bottom"}}},
  });
  const services = body.services;
  chart("c-services", {
    type: "bar",
    data: {labels: services.map(s => stageName(s.name.split(".")[0]) +
                                      (s.name.includes(".") ? ` ${s.name.split(".")[1]}` : "")),
           datasets: [{label: "Độ trễ xử lý (sự kiện)", data: services.map(s => s.lag),
                       backgroundColor: "#4ea8de"},
                      {label: "Chờ gửi (outbox)", data: services.map(s => s.outbox_backlog),
                       backgroundColor: "#f4a261"}]},
    options: {indexAxis: "y", scales: {x: {beginAtZero: true, ticks: {precision: 0}}},
              plugins: {legend: {position: "bottom"}}},
  });
  const down = services.filter(s => !s.up).map(s => s.name);
  setText("services-down", down.length ? `Không phản hồi: ${down.join(", ")}` : "");
}

function drawProcedures(body) {
  const rows = body.procedures.slice(0, LIST_ROWS).map(p => {
    const row = h("tr", {class: p.late + p.overdue > 0 ? "late" : null,
                         "data-procedure": p.procedure_code},
      h("td", {title: `${p.name} (${p.procedure_code})`},
        h("a", {href: "#", "data-figure": `procedure:${p.procedure_code}`}, p.name)),
      h("td", {}, number(p.delivered)), h("td", {}, number(p.late)),
      h("td", {}, number(p.overdue)), h("td", {}, percent(p.on_time_share)));
    return row;
  });
  document.getElementById("procedures").replaceChildren(...rows);
}

function drawAgencies(body) {
  document.getElementById("agencies").replaceChildren(...body.by_agency.slice(0, 9).map(a =>
    h("tr", {class: a.overdue > 0 ? "late" : null},
      h("td", {title: a.name}, h("a", {href: `/?agency=${encodeURIComponent(a.agency)}`,
                                       "data-agency": a.agency}, a.name)),
      // Each count opens the agency's dossiers behind it, whatever agency the wall shows.
      h("td", {}, agencyFigure(a, "open", number(a.open))),
      h("td", {}, agencyFigure(a, "overdue", number(a.overdue))),
      h("td", {}, agencyFigure(a, "due_soon", number(a.due_soon))),
      h("td", {}, agencyFigure(a, "delivered", percent(a.on_time_share_month), "month")))));
  const index = body.index.province;
  setText("index-label", body.index.label);
  // Each cell opens the dossiers it is counted over: the resolved (progress, on time, average
  // time), the received (online, digitised), the delivered (electronic results).
  const cells = [["Điểm tiến độ", `${decimal(index.progress_points, 2)}/20`, "resolved"],
                 ["Đúng hạn", percent100(index.on_time_share), "resolved"],
                 ["Xử lý TB (ngày)", decimal(index.average_processing_days, 2), "resolved"],
                 ["Trực tuyến", percent100(index.online_share), "received"],
                 ["Kết quả điện tử", percent100(index.electronic_result_share), "delivered"],
                 ["Số hóa", percent100(index.digitised_share), "received"]];
  document.getElementById("index").replaceChildren(...cells.map(([term, value, base]) =>
    h("div", {}, h("dt", {}, term),
      h("dd", {}, h("a", {href: "#", "data-figure": `index:${base}`,
                          title: `${FIGURE_TITLES[`index:${base}`]}: ${number(index[base])}`},
                    value)))));
}

function agencyFigure(agency, figure, text, period) {
  return h("a", {href: "#", "data-figure": figure, "data-for-agency": agency.agency,
                 "data-agency-name": agency.name, "data-period": period || null}, text);
}

function dossierLine(d) {
  return h("li", {title: `${d.code} · ${d.procedure_code} · hẹn ${when(d.due_at)}`},
    h("a", {href: `/dossiers/${d.dossier_id}`, class: "dossier-link"}, d.code),
    ` ${d.agency} · hẹn ${short(d.due_at)}`);
}

async function drawLists() {
  for (const [figure, listId, countId] of [["overdue", "overdue-list", "overdue-count"],
                                           ["due_soon", "soon-list", "soon-count"]]) {
    const response = await fetch(`/api/wallboard/dossiers?figure=${figure}&${filters()}`,
                                 {cache: "no-store"});
    if (!response.ok) continue;
    const body = await response.json();
    setText(countId, number(body.total));
    const items = body.dossiers.slice(0, LIST_ROWS).map(dossierLine);
    if (body.total > LIST_ROWS) {
      const more = h("li", {class: "more"}, h("a", {href: "#", "data-figure": figure},
        `và ${number(body.total - LIST_ROWS)} hồ sơ khác…`));
      items.push(more);
    }
    document.getElementById(listId).replaceChildren(...items);
  }
}

async function drill(figure, title, period, agency) {
  const dialog = document.getElementById("drill");
  setText("drill-title", title);
  setText("drill-total", "Đang tải…");
  document.getElementById("drill-rows").replaceChildren();
  if (!dialog.open) dialog.showModal();
  const query = filters(period);
  if (agency) query.set("agency", agency);
  const response = await fetch(`/api/wallboard/dossiers?figure=${encodeURIComponent(figure)}&${query}`,
                               {cache: "no-store"});
  const body = await response.json();
  if (!response.ok) {
    setText("drill-total", body.detail?.message || `Lỗi ${response.status}`);
    return;
  }
  setText("drill-total", `${number(body.total)} hồ sơ` +
    (body.total > body.dossiers.length ? ` (hiện ${body.dossiers.length} hồ sơ đầu)` : ""));
  document.getElementById("drill-rows").replaceChildren(...body.dossiers.map(d =>
    h("tr", {},
      h("td", {}, h("a", {href: `/dossiers/${d.dossier_id}`, class: "dossier-link"}, d.code)),
      h("td", {}, d.procedure_code), h("td", {}, d.agency),
      h("td", {}, STATUS_CODES[d.status_code] || d.status),
      h("td", {}, short(d.due_at)),
      h("td", {}, d.on_time === null ? "–" : (d.on_time ? "đúng hạn" : "trễ hạn")),
      h("td", {}, h("a", {href: `/dossiers/${d.dossier_id}#trace`}, "Vết xử lý")))));
}

async function refresh() {
  let response;
  try {
    response = await fetch(`/api/wallboard?${filters()}`, {cache: "no-store"});
  } catch (error) {
    setText("updated", "Mất kết nối, đang thử lại…");
    return;
  }
  if (response.status === 401) {
    location.assign(`/dang-nhap?tiep=${encodeURIComponent(location.pathname + location.search)}`);
    return;
  }
  const body = await response.json();
  if (!response.ok) {
    setText("updated", body.detail?.message || `Lỗi ${response.status}`);
    return;
  }
  lastBody = body;
  drawTiles(body);
  drawAlarms(body);
  drawCharts(body);
  drawProcedures(body);
  drawAgencies(body);
  await drawLists();
  document.getElementById("csrf").value = body.staff.csrf_token;
  document.getElementById("sign-out-button").title = `Đang đăng nhập: ${body.staff.name}`;
  document.getElementById("open-thresholds").hidden = !body.staff.admin;
  setText("updated", `Cập nhật ${VN_CLOCK.format(new Date(body.generated_at))}`);
  document.body.dataset.generatedAt = body.generated_at;
}

async function loadFilters() {
  const response = await fetch("/api/filters", {cache: "no-store"});
  const body = await response.json();
  const fill = (id, options) => document.getElementById(id).append(
    ...options.map(([value, label]) => h("option", {value}, label)));
  fill("f-agency", body.agencies.map(a => [a.code, a.name]));
  fill("f-field", body.fields.map(f => [f, f]));
  fill("f-procedure", body.procedures.map(p => [p.code, `${p.name} (${p.code})`]));
  fill("f-receiving_unit", body.units.map(u => [u.code, u.name]));
  const query = new URLSearchParams(location.search);
  for (const name of ["agency", "field", "procedure", "receiving_unit", "period"]) {
    if (query.get(name)) document.getElementById(`f-${name}`).value = query.get(name);
  }
}

function scopeName() {
  const parts = ["agency", "field", "procedure", "receiving_unit"]
    .map(name => document.getElementById(`f-${name}`))
    .filter(select => select.value).map(select => select.id === "f-receiving_unit"
      ? `tiếp nhận tại ${select.selectedOptions[0].textContent}`
      : select.selectedOptions[0].textContent);
  return parts.length ? parts.join(" · ") : "toàn tỉnh";
}

async function openThresholds() {
  const response = await fetch("/api/thresholds", {cache: "no-store"});
  const body = await response.json();
  document.getElementById("threshold-fields").replaceChildren(...Object.entries(body).flatMap(
    ([name, t]) => [h("label", {for: `th-${name}`}, t.label),
                    h("input", {id: `th-${name}`, name, type: "number", step: "any", min: "0",
                                value: String(t.value)})]));
  setText("threshold-problem", "");
  document.getElementById("thresholds").showModal();
}

async function saveThresholds(event) {
  event.preventDefault();
  const values = {};
  for (const input of document.querySelectorAll("#threshold-fields input")) {
    values[input.name] = Number(input.value);
  }
  const response = await fetch("/api/thresholds", {
    method: "PUT", body: JSON.stringify(values),
    headers: {"Content-Type": "application/json", "X-CSRF-Token": lastBody.staff.csrf_token}});
  if (!response.ok) {
    const body = await response.json();
    setText("threshold-problem", body.detail?.message || `Lỗi ${response.status}`);
    return;
  }
  document.getElementById("thresholds").close();
  await refresh();
}

// The header's name of the scope, and the links that follow the filters.
function scopeChanged() {
  // The index's period is a month or a quarter (this month by default), not the wallboard's.
  const scope = filters();
  scope.delete("period");
  document.getElementById("index-csv").href = `/api/index?format=csv&${scope}`;
  // Form II.06a of this month for the same filters, from the view (the page /bao-cao).
  document.getElementById("report-06a").href = `/bao-cao?${scope}`;
  setText("scope-name", scopeName());
}

async function start() {
  await loadFilters();
  scopeChanged();
  document.getElementById("filters").addEventListener("change", () => {
    history.replaceState(null, "", `/?${filters()}`);
    scopeChanged();
    refresh();
  });
  document.addEventListener("click", event => {
    // An agency's row narrows the whole wall to that agency (its filter, kept in the address).
    const agency = event.target.closest("[data-agency]");
    if (agency) {
      event.preventDefault();
      document.getElementById("f-agency").value = agency.dataset.agency;
      document.getElementById("filters").dispatchEvent(new Event("change"));
      return;
    }
    const target = event.target.closest("[data-figure]");
    if (!target || target.closest("#drill")) return;
    event.preventDefault();
    const figure = target.dataset.figure;
    const period = target.dataset.period || document.getElementById("f-period").value;
    const title = figure.startsWith("procedure:")
      ? `Hồ sơ trễ hạn, quá hạn: ${target.textContent}`
      : figure.startsWith("status:") ? `Hồ sơ ở trạng thái ${target.title}`
      : (FIGURE_TITLES[figure] || figure) +
        (["submitted", "delivered", "late", "rated"].includes(figure) ? ` ${PERIOD_NAMES[period]}` : "");
    const agencyName = target.dataset.agencyName ? ` · ${target.dataset.agencyName}` : "";
    drill(figure, title + agencyName, target.dataset.period, target.dataset.forAgency);
  });
  document.getElementById("open-thresholds").addEventListener("click", openThresholds);
  document.getElementById("close-thresholds").addEventListener(
    "click", () => document.getElementById("thresholds").close());
  document.getElementById("threshold-form").addEventListener("submit", saveThresholds);
  await refresh();
  setInterval(refresh, POLL_MS);
}

start();
