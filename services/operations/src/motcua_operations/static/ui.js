// Small helpers both pages share: building DOM safely (text is never parsed as HTML), times in
// Vietnam's zone, and two inline SVG charts. No library, nothing fetched from elsewhere.
"use strict";

const SVG = "http://www.w3.org/2000/svg";

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function s(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

const VN_TIME = new Intl.DateTimeFormat("vi-VN", {
  timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric",
  hour: "2-digit", minute: "2-digit", second: "2-digit",
});

function when(iso) {
  return iso ? VN_TIME.format(new Date(iso)) : "–";
}

function percent(share) {
  // Vietnamese writes 97,5 %; the no-break space keeps the sign on the figure's line.
  return share === null || share === undefined ? "–"
    : (share * 100).toFixed(1).replace(".", ",") + "\u00a0%";
}

const STAGE_NAMES = {
  intake: "Tiếp nhận", appraisal: "Thẩm định", approval: "Phê duyệt", signing: "Ký số",
  delivery: "Trả kết quả", applicant: "Chờ công dân", operations: "Điều hành", audit: "Lưu trữ",
};

function stageName(stage) {
  return stage ? (STAGE_NAMES[stage] || stage) : "–";
}

// Horizontal bars: items [{label, value, title, tone}], one row each, scaled to the largest.
function bars(container, items) {
  const rowHeight = 24, labelWidth = 150, width = 460;
  const max = Math.max(1, ...items.map(item => item.value));
  const svg = s("svg", {viewBox: `0 0 ${width} ${rowHeight * items.length + 4}`,
                        role: "img", class: "bars"});
  items.forEach((item, i) => {
    const y = i * rowHeight + 2;
    const length = (width - labelWidth - 60) * item.value / max;
    const row = s("g", {"data-label": item.label});
    row.append(s("title", {}, item.title || `${item.label}: ${item.value}`));
    row.append(s("text", {x: labelWidth - 8, y: y + 16, "text-anchor": "end"}, item.label));
    row.append(s("rect", {x: labelWidth, y: y + 3, width: Math.max(length, 1), height: 16,
                          class: item.tone || "bar"}));
    row.append(s("text", {x: labelWidth + length + 6, y: y + 16, class: "value"},
                 String(Math.round(item.value * 100) / 100)));
    svg.append(row);
  });
  container.replaceChildren(svg);
}

// Side-by-side columns per minute for several series: {labels, series: [{name, values, tone}]}.
function columns(container, labels, series) {
  const width = 460, height = 160, bottom = 20, left = 28;
  const max = Math.max(1, ...series.flatMap(one => one.values));
  const slot = (width - left) / labels.length;
  const svg = s("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", class: "columns"});
  svg.append(s("text", {x: left - 4, y: 12, "text-anchor": "end", class: "axis"}, String(max)));
  svg.append(s("line", {x1: left, y1: height - bottom, x2: width, y2: height - bottom,
                        class: "axis"}));
  labels.forEach((label, i) => {
    series.forEach((one, j) => {
      const value = one.values[i];
      if (!value) return;
      const barHeight = (height - bottom - 8) * value / max;
      const rect = s("rect", {x: left + i * slot + j * slot / series.length,
                              y: height - bottom - barHeight,
                              width: Math.max(slot / series.length - 0.5, 0.5),
                              height: barHeight, class: one.tone});
      rect.append(s("title", {}, `${when(label)} ${one.name}: ${value}`));
      svg.append(rect);
    });
    if (i % 10 === 0) {
      const clock = new Date(label).toLocaleTimeString("vi-VN", {
        timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit"});
      svg.append(s("text", {x: left + i * slot, y: height - 4, class: "axis"}, clock));
    }
  });
  container.replaceChildren(svg);
}

// Signing in: an officer pastes the bearer token `motcua tokens officer` (or the province's
// identity provider) issued. It is kept in sessionStorage, so it ends with the browser tab and
// is never sent to any other host; the public figures need none.
const TOKEN_KEY = "motcua.officer-token";

function officerToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// With a token pasted on the page, or else with the wallboard's sign-in (its session cookie
// goes along by itself); null when neither opens the answer.
async function officerFetch(url) {
  const token = officerToken();
  const headers = token ? {Authorization: `Bearer ${token}`} : {};
  const response = await fetch(url, {cache: "no-store", headers});
  if (response.status === 401) {
    if (token) signOut();
    return null;
  }
  return response;
}

// The sign-in box of a page: a token field, or who is signed in and a sign-out button.
// Drawing again only when the token changed: the pages ask for a redraw on every poll, and a
// form drawn anew would empty the field an officer is typing or pasting into.
function signInBox(container, onChange) {
  let drawnFor;
  function draw() {
    const token = officerToken();
    if (drawnFor === token) return;
    drawnFor = token;
    if (token) {
      let who = "cán bộ";
      try {
        const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
        who = `${claims.sub} (${claims.agency}, ${claims.role})`;
      } catch (error) { /* shown as a plain officer */ }
      const out = h("button", {type: "button", id: "sign-out"}, "Đăng xuất");
      out.addEventListener("click", () => { signOut(); draw(); onChange(); });
      container.replaceChildren(h("span", {id: "signed-in"}, `Đã đăng nhập: ${who} `), out);
      return;
    }
    const input = h("input", {id: "token", type: "password", autocomplete: "off",
                              placeholder: "mã đăng nhập của cán bộ (token)"});
    const form = h("form", {id: "sign-in"}, input,
                   h("button", {type: "submit"}, "Đăng nhập"));
    form.addEventListener("submit", event => {
      event.preventDefault();
      if (input.value.trim()) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      draw();
      onChange();
    });
    container.replaceChildren(form);
  }
  draw();
  return draw;
}
