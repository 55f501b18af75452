// The checker's live console. Fed by /@console/feed (the emulator's event
// stream: its history, then each event as it happens); everything shown is
// built from those events. No framework, no build step, nothing fetched
// from anywhere but this page's own origin.
"use strict";

// What the page keeps: enough for a long session, bounded so that a busy
// stack cannot make the tab grow without end.
const KEEP_REQUESTS = 3000;
const SHOW_SEQUENCES = 200;
const SHOW_INVOCATIONS = 200;
const KEEP_LOGS = 200;
const KEEP_RECEIVED = 200;

const state = {
  stack: null,
  events: 0,
  lastSeq: 0,
  skipped: 0,
  connections: new Map(), // connection id -> connection
  requests: new Map(), // request id -> message / lifecycle / replay sequence
  invocations: new Map(), // request id -> invocation
  clients: new Map(), // name -> page client
  dirty: new Set(),
  connectionsDirty: false,
  markers: [],
};

const $ = (selector, root = document) => root.querySelector(selector);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const short = (id) => (id ? id.slice(0, 8) + "…" : "?");
const ms = (micros) => (micros / 1000).toFixed(micros < 10000 ? 2 : 1) + " ms";
const clock = (micros) => {
  const date = new Date(micros / 1000);
  return date.toLocaleTimeString([], { hour12: false }) + "." + String(date.getMilliseconds()).padStart(3, "0");
};
const pretty = (text) => {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
};

function nameOf(connectionId) {
  const connection = state.connections.get(connectionId);
  return connection && connection.name ? connection.name : short(connectionId);
}

// ---- The feed -------------------------------------------------------------

function connectFeed() {
  const feed = new WebSocket(`ws://${location.host}/@console/feed`);
  const status = $("#feed-status");
  feed.onopen = () => {
    status.textContent = "live";
    status.className = "badge live";
  };
  feed.onmessage = (message) => {
    const frame = JSON.parse(message.data);
    if (frame.kind === "hello") hello(frame);
    else if (frame.kind === "events") frame.events.forEach(apply);
    else if (frame.kind === "skipped") skipped(frame.count);
    schedule();
  };
  feed.onclose = () => {
    status.textContent = "disconnected: retrying";
    status.className = "badge down";
    setTimeout(connectFeed, 2000);
  };
}

function hello(frame) {
  // A new feed sends the whole history again: start from nothing.
  state.connections.clear();
  state.requests.clear();
  state.invocations.clear();
  state.markers = [];
  state.events = 0;
  state.skipped = 0;
  $("#sequences").replaceChildren();
  $("#invocations").replaceChildren();
  state.stack = frame.stack;
  $("#service").textContent = frame.stack.service;
  $("#stage").textContent = frame.stack.stage;
  $("#ws-url").textContent = wsUrl();
  renderStack();
  refreshTables();
  if (frame.evicted > 0) {
    marker(`${frame.evicted} older events are no longer kept (the history holds the newest ${frame.history.events})`);
  }
}

function skipped(count) {
  state.skipped += count;
  const status = $("#feed-status");
  status.textContent = `live, ${state.skipped} skipped`;
  status.className = "badge lagging";
  marker(`${count} events skipped: this page fell behind`);
}

function marker(text) {
  $("#sequences").prepend(el("div", { class: "marker" }, text));
}

function wsUrl() {
  return `ws://${location.host}/${state.stack ? state.stack.stage : ""}`;
}

// ---- Events -> state --------------------------------------------------------

function request(id, fields) {
  let entry = state.requests.get(id);
  if (!entry) {
    entry = { id, calls: [], framesOut: [], writes: [], warnings: [], ...fields };
    state.requests.set(id, entry);
    if (state.requests.size > KEEP_REQUESTS) {
      const oldest = state.requests.keys().next().value;
      state.requests.delete(oldest);
      state.invocations.delete(oldest);
    }
  }
  state.dirty.add(id);
  return entry;
}

function apply(event) {
  state.events += 1;
  state.lastSeq = event.seq;
  switch (event.type) {
    case "connected":
    case "connect_rejected": {
      const name = new URLSearchParams(event.query).get("console-client");
      state.connections.set(event.connection_id, {
        id: event.connection_id,
        at: event.at,
        name,
        state: event.type === "connected" ? "open" : "rejected",
        detail: event.type === "connected" ? "" : `rejected by $connect: ${event.status}`,
      });
      state.connectionsDirty = true;
      if (event.type === "connect_rejected") {
        // The handshake's answer belongs to the $connect sequence.
        const connect = [...state.requests.values()].reverse()
          .find((entry) => entry.kind === "connect" && entry.connectionId === event.connection_id);
        if (connect) {
          connect.rejected = { status: event.status, at: event.at };
          state.dirty.add(connect.id);
        }
      }
      break;
    }
    case "disconnected": {
      const connection = state.connections.get(event.connection_id);
      if (connection) {
        connection.state = "closed";
        connection.detail = `${event.status_code}${event.reason ? " " + event.reason : ""}`;
        state.connectionsDirty = true;
      }
      break;
    }
    case "frame_in":
      request(event.request_id, { kind: "message", connectionId: event.connection_id, text: event.text, at: event.at });
      break;
    case "routed":
      request(event.request_id, { kind: "message", connectionId: event.connection_id, at: event.at }).routed = event;
      break;
    case "invocation_started": {
      let inner = null;
      try {
        inner = JSON.parse(event.payload).requestContext.requestId;
      } catch {}
      const replayOf = inner && inner !== event.request_id ? inner : null;
      const kind = replayOf ? "replay" : event.route_key.startsWith("$connect") ? "connect" : event.route_key === "$disconnect" ? "disconnect" : "message";
      const entry = request(event.request_id, { kind, connectionId: event.connection_id, at: event.at, replayOf });
      entry.invocation = event.request_id;
      state.invocations.set(event.request_id, {
        id: event.request_id,
        function: event.function,
        routeKey: event.route_key,
        connectionId: event.connection_id,
        payload: event.payload,
        startedAt: event.at,
        logs: [],
        replayOf,
      });
      break;
    }
    case "invocation_finished": {
      const invocation = state.invocations.get(event.request_id);
      if (invocation) {
        invocation.finishedAt = event.at;
        invocation.outcome = event.outcome;
      }
      state.dirty.add(event.request_id);
      break;
    }
    case "log": {
      const invocation = event.request_id && state.invocations.get(event.request_id);
      if (invocation) {
        invocation.logs.push(event.line);
        if (invocation.logs.length > KEEP_LOGS) invocation.logs.shift();
        state.dirty.add(event.request_id);
      }
      break;
    }
    case "management": {
      const entry = event.request_id && state.requests.get(event.request_id);
      if (entry) {
        entry.calls.push(event);
        state.dirty.add(entry.id);
      }
      break;
    }
    case "frame_out": {
      const entry = event.request_id && state.requests.get(event.request_id);
      if (entry) {
        entry.framesOut.push(event);
        state.dirty.add(entry.id);
      }
      break;
    }
    case "table_write": {
      const entry = event.request_id && state.requests.get(event.request_id);
      if (entry) {
        entry.writes.push(event);
        state.dirty.add(entry.id);
      }
      refreshTables();
      break;
    }
    case "access_denied":
    case "after_return":
    case "regional_endpoint":
    case "dynamodb_refused":
      if (!event.request_id) break;
    // falls through: shown in the sequence of the invocation that made the call
    case "reply_dropped":
    case "frame_dropped":
    case "route_case_mismatch": {
      const entry = request(event.request_id, { kind: "message", connectionId: event.connection_id, at: event.at });
      entry.warnings.push(event);
      break;
    }
    case "skipped":
      skipped(event.count);
      break;
  }
}

// ---- Rendering, once per frame ----------------------------------------------

let scheduled = false;
function schedule() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    render();
  });
}

function render() {
  $("#event-count").textContent = `${state.events} events`;
  if (state.connectionsDirty) renderConnections();
  for (const id of state.dirty) {
    const entry = state.requests.get(id);
    if (entry) renderSequence(entry);
    const invocation = state.invocations.get(id);
    if (invocation) renderInvocation(invocation);
  }
  state.dirty.clear();
  trim($("#sequences"), SHOW_SEQUENCES);
  trim($("#invocations"), SHOW_INVOCATIONS);
}

function trim(container, keep) {
  while (container.children.length > keep) container.lastElementChild.remove();
}

function renderConnections() {
  state.connectionsDirty = false;
  const rows = [...state.connections.values()].reverse().slice(0, 300).map((connection) =>
    el("tr", { "data-connection-id": connection.id },
      el("td", {}, connection.name || ""),
      el("td", { class: "mono", title: connection.id }, connection.id),
      el("td", { class: "mono" }, clock(connection.at)),
      el("td", { class: `state-${connection.state}` }, connection.state, connection.detail ? ` (${connection.detail})` : ""),
    ));
  $("#connections tbody").replaceChildren(...rows);
  const open = [...state.connections.values()].filter((c) => c.state === "open").length;
  $("#connection-count").textContent = `${open} open`;
}

function leg(arrow, what, time, kind) {
  return el("div", { class: `leg${kind ? " " + kind : ""}` },
    el("span", { class: "arrow" }, arrow),
    el("span", { class: "what" }, what),
    time === undefined ? null : el("span", { class: "time" }, time));
}

function renderSequence(entry) {
  const invocation = entry.invocation && state.invocations.get(entry.invocation);
  const since = (at) => "+" + ms(at - entry.at);
  const legs = [];
  let failed = false;
  const who = nameOf(entry.connectionId);
  if (entry.kind === "message") {
    legs.push(leg("●", el("span", { class: "head" }, who, " sent ", el("code", {}, entry.text ?? "…")), clock(entry.at)));
    if (entry.routed) {
      const selected = `${state.stack ? state.stack.routeSelectionExpression : "selection"} = "${entry.routed.selection}"`;
      if (entry.routed.route_key === null) {
        failed = true;
        legs.push(leg("→", `${selected}: no route and no $default: Forbidden`, since(entry.routed.at), "bad"));
      } else {
        legs.push(leg("→", `${selected} → route ${entry.routed.route_key}`, since(entry.routed.at)));
      }
    }
  } else if (entry.kind === "replay") {
    legs.push(leg("↻", el("span", { class: "head" }, `replay of ${short(entry.replayOf)} (${who})`), clock(entry.at)));
  } else {
    legs.push(leg("●", el("span", { class: "head" }, `${who} ${entry.kind === "connect" ? "connects" : "disconnects"}`), clock(entry.at)));
  }
  if (invocation) {
    const link = el("a", { class: "link", onclick: () => reveal(invocation.id) }, `λ ${invocation.function}`);
    if (!invocation.outcome) {
      legs.push(leg("→", el("span", {}, link, " running…"), since(invocation.startedAt)));
    } else if (invocation.outcome.error !== undefined) {
      failed = true;
      legs.push(leg("→", el("span", {}, link, ` failed: ${invocation.outcome.error}`), ms(invocation.finishedAt - invocation.startedAt), "bad"));
    } else {
      legs.push(leg("→", el("span", {}, link, ` ${statusOf(invocation.outcome.response)}`), ms(invocation.finishedAt - invocation.startedAt)));
    }
  }
  // What the invocation did, in the order it happened: writes, posts and
  // the frames the clients received.
  const after = [];
  for (const write of entry.writes) {
    after.push([write.at, leg("⛁", `${write.operation} ${write.table} ${write.key}`, since(write.at))]);
  }
  for (const call of entry.calls) {
    const kind = call.status >= 400 ? (call.status === 410 ? "warn" : "bad") : "";
    if (kind === "bad") failed = true;
    const status = `${call.status}${call.status === 410 ? " Gone" : call.status === 403 ? " Forbidden" : ""}`;
    after.push([call.at, leg("⇢", `@connections ${call.method} ${nameOf(call.connection_id)}: ${status}`, since(call.at), kind)]);
  }
  for (const frame of entry.framesOut) {
    const error = /^\{"message": "(Forbidden|Internal server error)"/.test(frame.text);
    if (error) failed = true;
    after.push([frame.at, leg("⇒", el("span", {}, `${nameOf(frame.connection_id)} received `, el("code", {}, frame.text)), since(frame.at), error ? "bad" : "")]);
  }
  for (const warning of entry.warnings) {
    if (warning.explained && ["access_denied", "after_return", "regional_endpoint", "dynamodb_refused"].includes(warning.type)) {
      failed = true;
      after.push([warning.at, leg("✗", warning.explained, since(warning.at), "bad")]);
      continue;
    }
    const text = warning.type === "reply_dropped"
      ? `${warning.function} returned a body, but ${warning.route_key} is a one-way route: API Gateway drops it (post it with PostToConnection)`
      : warning.type === "frame_dropped"
        ? `the frame for ${nameOf(warning.connection_id)} was dropped: ${warning.reason}`
        : `"${warning.selected}" matches the route ${warning.route} only in case: route keys match exactly`;
    after.push([warning.at, leg("!", text, since(warning.at), "warn")]);
  }
  if (entry.rejected) {
    failed = true;
    after.push([entry.rejected.at, leg("✗", `handshake answered ${entry.rejected.status}: the client is not connected`, since(entry.rejected.at), "bad")]);
  }
  after.sort((a, b) => a[0] - b[0]);
  legs.push(...after.map(([, node]) => node));
  const card = el("div", { class: `sequence${failed ? " error" : ""}`, "data-request-id": entry.id }, legs);
  const old = $(`.sequence[data-request-id="${CSS.escape(entry.id)}"]`);
  if (old) old.replaceWith(card);
  else $("#sequences").prepend(card);
}

function statusOf(response) {
  try {
    const value = JSON.parse(response);
    if (value && typeof value === "object" && "statusCode" in value) return `→ ${value.statusCode}`;
  } catch {}
  return "→ ok";
}

function renderInvocation(invocation) {
  const selector = `.invocation[data-request-id="${CSS.escape(invocation.id)}"]`;
  const old = $(selector);
  const failed = invocation.outcome && invocation.outcome.error !== undefined;
  const result = !invocation.outcome ? "running…" : failed ? "error" : ms(invocation.finishedAt - invocation.startedAt);
  const body = el("div", { class: "body" },
    el("div", { class: "muted" }, `request ${invocation.id} · ${nameOf(invocation.connectionId)} · ${clock(invocation.startedAt)}`,
      invocation.replayOf ? ` · replay of ${invocation.replayOf}` : ""),
    el("h3", {}, "Event"),
    el("pre", { class: "event" }, pretty(invocation.payload)),
    el("h3", {}, failed ? "Error" : "Response"),
    el("pre", { class: failed ? "error-text" : "response" },
      !invocation.outcome ? "(running)" : failed ? invocation.outcome.error : pretty(invocation.outcome.response)),
    el("h3", {}, "Logs"),
    el("pre", { class: "logs" }, invocation.logs.length ? invocation.logs.join("\n") : "(none)"),
    el("button", { class: "replay secondary", onclick: () => replay(invocation.id, card) }, "Replay"),
    el("div", { class: "replay-result" }));
  const open = old ? old.open : false;
  const card = el("details", { class: `invocation${failed ? " error" : ""}`, "data-request-id": invocation.id, open },
    el("summary", {},
      el("span", { class: "fn" }, invocation.function),
      el("span", { class: "route" }, invocation.routeKey),
      el("span", { class: "muted" }, nameOf(invocation.connectionId)),
      el("span", { class: "result" }, result)),
    body);
  if (old) {
    // Keep a replay's answer shown in the card.
    const answer = $(".replay-result", old);
    if (answer) $(".replay-result", card).replaceWith(answer);
    old.replaceWith(card);
  } else {
    $("#invocations").prepend(card);
  }
}

function reveal(requestId) {
  showTab("invocations");
  const card = $(`.invocation[data-request-id="${CSS.escape(requestId)}"]`);
  if (!card) return;
  card.open = true;
  card.classList.add("highlight");
  card.scrollIntoView({ block: "nearest" });
  setTimeout(() => card.classList.remove("highlight"), 1500);
}

async function replay(requestId, card) {
  const answer = $(".replay-result", card);
  answer.textContent = "replaying…";
  try {
    const response = await fetch("api/replay", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ request_id: requestId }),
    });
    const result = await response.json();
    if (!response.ok) {
      answer.replaceChildren(el("pre", { class: "error-text" }, result.message));
      return;
    }
    const outcome = result.outcome.error !== undefined ? `error: ${result.outcome.error}` : pretty(result.outcome.response);
    answer.replaceChildren(
      el("div", { class: "muted" }, "replayed as ", el("a", { class: "link", onclick: () => reveal(result.request_id) }, result.request_id), ` in ${result.duration_ms.toFixed(1)} ms`),
      el("pre", { class: "replay-outcome", "data-replay-id": result.request_id }, outcome));
  } catch (error) {
    answer.textContent = `replay failed: ${error}`;
  }
}

// ---- Tables and stack ---------------------------------------------------------

let tablesTimer = null;
function refreshTables() {
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
        ? el("table", {}, el("thead", {}, el("tr", {}, names.map((name) => el("th", {}, name)))), el("tbody", {}, rows))
        : el("div", { class: "muted" }, "(empty)"));
  });
  $("#tables").replaceChildren(...(blocks.length ? blocks : [el("div", { class: "muted" }, "This stack has no tables.")]));
}

function renderStack() {
  const stack = state.stack;
  $("#stack").replaceChildren(
    el("div", {}, `${stack.service} · stage ${stack.stage} · ${stack.region}`),
    el("div", {}, "route selection expression ", el("code", {}, stack.routeSelectionExpression)),
    el("h3", {}, "Routes"),
    el("table", {}, el("tbody", {}, stack.routes.map((route) =>
      el("tr", {}, el("td", { class: "mono" }, route.key), el("td", {}, "→ ", route.function), el("td", { class: "muted" }, route.twoWay ? "two-way" : ""))))),
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

function showTab(name) {
  for (const button of document.querySelectorAll("#tabs button")) button.classList.toggle("active", button.dataset.tab === name);
  for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("hidden", tab.id !== `tab-${name}`);
}

// ---- The page's own clients ---------------------------------------------------

function openClient(name) {
  if (state.clients.has(name)) return;
  const previous = $(`.client[data-name="${CSS.escape(name)}"]`);
  if (previous) previous.remove();
  // The name travels as a query parameter, so the feed can tell this
  // client's connection; `$connect` sees it in queryStringParameters.
  const socket = new WebSocket(`${wsUrl()}?console-client=${encodeURIComponent(name)}`);
  const received = el("ul", { class: "received" });
  const status = el("span", { class: "status" }, "connecting…");
  const input = el("input", { class: "send-text", placeholder: `message from ${name}` });
  const form = el("form", { class: "send" }, input, el("button", { class: "send-button", type: "submit" }, "Send"));
  const card = el("div", { class: "client", "data-name": name },
    el("div", { class: "title" }, el("strong", {}, name), status,
      el("button", { class: "close secondary", type: "button", onclick: () => socket.close(1000, "closed in the console") }, "Close")),
    form, received);
  const note = (text, kind) => {
    received.prepend(el("li", { class: kind }, text));
    while (received.children.length > KEEP_RECEIVED) received.lastElementChild.remove();
  };
  form.addEventListener("submit", (submit) => {
    submit.preventDefault();
    if (socket.readyState !== WebSocket.OPEN || input.value === "") return;
    socket.send(input.value);
    note(`↑ ${input.value}`, "sent");
    input.value = "";
  });
  socket.onopen = () => {
    status.textContent = "open";
    status.className = "status state-open";
  };
  socket.onmessage = (message) => note(message.data, "frame");
  socket.onclose = (close) => {
    status.textContent = close.code === 1006 && status.textContent === "connecting…" ? "rejected (see Connections)" : `closed ${close.code}${close.reason ? " " + close.reason : ""}`;
    status.className = "status state-closed";
    state.clients.delete(name);
  };
  state.clients.set(name, socket);
  $("#clients").prepend(card);
}

document.addEventListener("DOMContentLoaded", () => {
  $("#new-client").addEventListener("submit", (submit) => {
    submit.preventDefault();
    const name = $("#client-name").value.trim();
    if (name) openClient(name);
    $("#client-name").value = "";
  });
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  connectFeed();
});
