// Connections, the tables, the stack and the tabs.

import { $, el, clock } from "./dom.js";
import { state } from "./model.js";

const SHOW_CONNECTIONS = 300;

export function renderConnections() {
  state.connectionsDirty = false;
  const rows = [...state.connections.values()].reverse().slice(0, SHOW_CONNECTIONS).map((connection) =>
    el("tr", { "data-connection-id": connection.id },
      el("td", { class: connection.asked ? "name" : "name nickname", title: connection.asked ? "the name it asked for" : "a nickname: it connected without ?name=" }, connection.name),
      el("td", { class: "mono id" }, connection.id),
      el("td", { class: "mono" }, clock(connection.at)),
      el("td", { class: `state-${connection.state}` }, connection.state, connection.detail ? ` (${connection.detail})` : ""),
    ));
  $("#connections tbody").replaceChildren(...rows);
  let open = 0;
  for (const connection of state.connections.values()) if (connection.state === "open") open += 1;
  $("#connection-count").textContent = `${open} open`;
}

let tablesTimer = null;
export function refreshTables() {
  // At most a few times a second, however fast the writes come.
  if (tablesTimer) return;
  tablesTimer = setTimeout(async () => {
    tablesTimer = null;
    try {
      const response = await fetch("api/tables");
      renderTables(await response.json());
    } catch {}
  }, 200);
}

function attributeText(value) {
  if (value && typeof value === "object") {
    const [type, inner] = Object.entries(value)[0] || [];
    if (type === "S" || type === "N") return inner;
  }
  return JSON.stringify(value);
}

function renderTables(tables) {
  const blocks = tables.map((table) => {
    const names = [...new Set(table.items.flatMap((item) => Object.keys(item)))];
    const rows = table.items.map((item) =>
      el("tr", {}, names.map((name) => el("td", { class: "mono" }, name in item ? attributeText(item[name]) : ""))));
    return el("div", { class: "table-block", "data-table": table.name },
      el("h3", {}, table.name, el("span", { class: "muted" }, ` · ${table.count} item${table.count === 1 ? "" : "s"}${table.count > table.items.length ? `, first ${table.items.length} shown` : ""}`)),
      names.length
        ? el("div", { class: "scroll-x" }, el("table", {}, el("thead", {}, el("tr", {}, names.map((name) => el("th", {}, name)))), el("tbody", {}, rows)))
        : el("div", { class: "muted" }, "(empty)"));
  });
  $("#tables").replaceChildren(...(blocks.length ? blocks : [el("div", { class: "muted" }, "This stack has no tables.")]));
}

export function renderStack() {
  const stack = state.stack;
  $("#stack").replaceChildren(
    el("div", {}, `${stack.service} · stage ${stack.stage} · ${stack.region}`),
    el("div", {}, "route selection expression ", el("code", {}, stack.routeSelectionExpression)),
    el("h3", {}, "Routes"),
    el("table", {}, el("tbody", {}, stack.routes.map((route) =>
      el("tr", {}, el("td", { class: "mono" }, route.key), el("td", {}, "→ ", route.function), el("td", { class: "muted" }, route.twoWay ? "two-way" : "one-way"))))),
    el("h3", {}, "Functions"),
    el("table", {}, el("tbody", {}, stack.functions.map((fn) =>
      el("tr", {}, el("td", {}, fn.name), el("td", { class: "mono" }, fn.binary), el("td", { class: "muted" }, `${fn.timeout} s, ${fn.memorySize} MB`))))),
    el("h3", {}, "Tables"),
    stack.tables.length
      ? el("table", {}, el("tbody", {}, stack.tables.map((table) =>
        el("tr", {}, el("td", {}, table.name), el("td", { class: "mono" }, table.keySchema.map((key) => `${key.AttributeName} (${key.KeyType})`).join(", ")),
          el("td", { class: "muted" }, table.globalSecondaryIndexes.map((index) => index.IndexName).join(", "))))))
      : el("div", { class: "muted" }, "none"));
}

export function showTab(name) {
  for (const button of document.querySelectorAll("#tabs button")) {
    const active = button.dataset.tab === name;
    button.classList.toggle("active", active);
    button.setAttribute("aria-pressed", String(active));
  }
  for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("hidden", tab.id !== `tab-${name}`);
}

export function initTabs() {
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
}
