// The Messages list: one card per message (and per $connect, $disconnect
// and replay), newest first; filters, search, pause, a "new messages" mark
// while scrolled away from the top, large fan-outs summed up in a line.
// Cards are built only for what is shown, and only when their sequence
// changed: a busy room costs the page what is on screen, not what happened.

import { $, el, linkButton, short, ms, clock, plural } from "./dom.js";
import { state, nameOf, routeOf, functionOf } from "./model.js";
import { failed, explainSilence, nearRoute, isErrorFrame, isExplainedError } from "./silence.js";
import { reveal } from "./invocations.js";

const SHOW = 200; // cards in the list at most
const FANOUT = 6; // @connections calls and frames a card lists one by one
const MAX_TEXT = 400; // characters of a message or frame a leg shows
const MAX_MARKERS = 20;

const view = {
  list: null,
  shown: new Map(), // request id -> card
  expanded: new Set(), // request ids whose fan-out is listed in full
  filter: { text: "", client: "", route: "", fn: "", failures: false },
  paused: false,
  pausedNew: 0,
  unseen: 0,
  history: null, // the "older events are no longer kept" marker
  markers: [], // skipped-events markers: { order, text }
};

const NO_ROUTE = "\u0000none";

export function initMessages() {
  view.list = $("#sequences");
  const filters = { "#filter-text": "text", "#filter-client": "client", "#filter-route": "route", "#filter-function": "fn" };
  for (const [selector, key] of Object.entries(filters)) {
    const apply = (event) => {
      const value = key === "text" ? event.target.value.trim().toLowerCase() : event.target.value;
      if (value === view.filter[key]) return;
      view.filter[key] = value;
      rebuild();
    };
    $(selector).addEventListener("input", apply);
    $(selector).addEventListener("change", apply);
  }
  $("#filter-failures").addEventListener("change", (change) => {
    view.filter.failures = change.target.checked;
    rebuild();
  });
  $("#message-tools").addEventListener("submit", (submit) => submit.preventDefault());
  $("#pause").addEventListener("click", () => setPaused(!view.paused));
  $("#new-messages").addEventListener("click", () => {
    view.list.scrollTo({ top: 0 });
    seen();
  });
  view.list.addEventListener("scroll", () => {
    if (view.list.scrollTop < 4) seen();
  }, { passive: true });
}

// A new feed: the history again, from nothing.
export function resetMessages(evicted, kept) {
  view.expanded.clear();
  view.markers = [];
  view.history = evicted > 0
    ? el("div", { class: "marker history", "data-order": 0 }, `${evicted} older events are no longer kept (the history holds the newest ${kept})`)
    : null;
  view.pausedNew = 0;
  fillOptions();
  rebuild();
}

export function skippedMarker(count) {
  const marker = { order: state.order + 0.5, text: `${count} events skipped: this page fell behind` };
  view.markers.push(marker);
  if (view.markers.length > MAX_MARKERS) {
    const dropped = view.markers.shift();
    const node = view.list.querySelector(`.marker[data-order="${dropped.order}"]:not(.history)`);
    if (node) node.remove();
  }
  if (!view.paused) insert(markerNode(marker), marker.order);
}

const markerNode = (marker) => el("div", { class: "marker", "data-order": marker.order }, marker.text);

function setPaused(paused) {
  view.paused = paused;
  const button = $("#pause");
  button.setAttribute("aria-pressed", String(paused));
  if (!paused) {
    view.pausedNew = 0;
    rebuild();
  }
  status();
}

function seen() {
  view.unseen = 0;
  $("#new-messages").classList.add("hidden");
}

function status() {
  const button = $("#pause");
  button.textContent = view.paused ? `Resume${view.pausedNew ? ` (${view.pausedNew} new)` : ""}` : "Pause";
  const filtered = Object.values(view.filter).some(Boolean);
  const parts = [];
  if (view.paused) parts.push(`paused: ${plural(view.pausedNew, "new message")} meanwhile`);
  if (filtered) parts.push(`filtered: ${view.shown.size} shown`);
  $("#list-status").textContent = parts.join(" · ");
}

// The filters' choices: the clients seen, the stack's routes and functions.
// A choice that is gone (a restart's new run has other connections) is
// dropped from the filter too.
export function fillOptions() {
  const clients = [...state.connections.values()].sort((a, b) => a.name.localeCompare(b.name));
  let dropped = refill($("#filter-client"), "client", "every client", clients.map((c) => [c.id, `${c.name}${c.state === "open" ? "" : ` (${c.state})`}`]));
  if (state.stack) {
    dropped = refill($("#filter-route"), "route", "every route", [...state.stack.routes.map((r) => [r.key, r.key]), [NO_ROUTE, "no route (Forbidden)"]]) || dropped;
    dropped = refill($("#filter-function"), "fn", "every function", state.stack.functions.map((f) => [f.name, f.name])) || dropped;
  }
  if (dropped) rebuild();
}

function refill(select, key, every, options) {
  select.replaceChildren(el("option", { value: "" }, every), ...options.map(([value, label]) => el("option", { value }, label)));
  const kept = options.some(([value]) => value === view.filter[key]);
  select.value = kept ? view.filter[key] : "";
  if (kept || !view.filter[key]) return false;
  view.filter[key] = "";
  return true;
}

function matches(entry) {
  const { filter } = view;
  if (filter.client && entry.connectionId !== filter.client) return false;
  if (filter.route) {
    const route = routeOf(entry);
    if (filter.route === NO_ROUTE ? route !== "" || !entry.routed : route !== filter.route) return false;
  }
  if (filter.fn && functionOf(entry) !== filter.fn) return false;
  const invocation = entry.invocation && state.invocations.get(entry.invocation);
  if (filter.failures && !failed(entry, invocation)) return false;
  if (filter.text && !searchText(entry, invocation).includes(filter.text)) return false;
  return true;
}

function searchText(entry, invocation) {
  const parts = [nameOf(entry.connectionId), entry.text, routeOf(entry), functionOf(entry), explainSilence(entry, invocation)];
  if (invocation && invocation.outcome) parts.push(invocation.outcome.error, invocation.outcome.response);
  for (const frame of entry.framesOut.slice(0, 20)) parts.push(nameOf(frame.connection_id), frame.text);
  return parts.filter(Boolean).join("\n").toLowerCase();
}

// Shows what changed since the last frame.
export function renderMessages() {
  const fresh = state.newRequests;
  state.newRequests = [];
  if (view.paused) {
    view.pausedNew += fresh.filter((entry) => entry.kind === "message" && matches(entry)).length;
    status();
    return;
  }
  if (state.dirty.size > SHOW) {
    rebuild(); // the history, or a page that stalled: the newest only
    return;
  }
  let above = 0;
  const scrolled = view.list.scrollTop > 4;
  for (const id of state.dirty) {
    const entry = state.requests.get(id);
    if (!entry) continue;
    const old = view.shown.get(id);
    if (!matches(entry)) {
      if (old) {
        old.remove();
        view.shown.delete(id);
      }
      continue;
    }
    if (!old && view.shown.size >= SHOW && entry.order < oldestShown()) continue;
    const card = renderSequence(entry);
    if (old) {
      replace(old, card);
    } else {
      insert(card, entry.order);
      above += 1;
    }
    view.shown.set(id, card);
  }
  trim();
  if (scrolled && above > 0) {
    view.unseen += above;
    const mark = $("#new-messages");
    mark.textContent = `↑ ${plural(view.unseen, "new message")}`;
    mark.classList.remove("hidden");
  }
  if (Object.values(view.filter).some(Boolean)) status();
}

function oldestShown() {
  let oldest = Infinity;
  for (const card of view.shown.values()) oldest = Math.min(oldest, Number(card.dataset.order));
  return oldest;
}

// Keeps the keyboard's place when a card it is in is redrawn.
function replace(old, card) {
  const focused = old.contains(document.activeElement) ? document.activeElement.dataset.focus : null;
  old.replaceWith(card);
  if (focused) {
    const again = card.querySelector(`[data-focus="${focused}"]`);
    if (again) again.focus();
  }
}

// Cards stay in order, newest first: a new one goes on top; one a filter
// lets in late goes where it belongs.
function insert(node, order) {
  for (let child = view.list.firstElementChild; child; child = child.nextElementSibling) {
    if (Number(child.dataset.order) < order) {
      view.list.insertBefore(node, child);
      return;
    }
  }
  if (view.history && view.history.parentNode === view.list) view.list.insertBefore(node, view.history);
  else view.list.append(node);
}

// Drops the oldest cards past SHOW; markers stay.
function trim() {
  while (view.shown.size > SHOW) {
    let card = view.list.lastElementChild;
    while (card && !card.classList.contains("sequence")) card = card.previousElementSibling;
    if (!card) return;
    view.shown.delete(card.dataset.requestId);
    card.remove();
  }
}

// Draws the list anew from the state.
export function rebuild() {
  if (!view.list) return;
  view.shown.clear();
  const cards = [];
  const entries = [...state.requests.values()];
  for (let i = entries.length - 1; i >= 0 && cards.length < SHOW; i--) {
    const entry = entries[i];
    if (!matches(entry)) continue;
    const card = renderSequence(entry);
    view.shown.set(entry.id, card);
    cards.push(card);
  }
  const oldest = cards.length === SHOW ? Number(cards[cards.length - 1].dataset.order) : -Infinity;
  const markers = view.markers.filter((marker) => marker.order > oldest).map(markerNode);
  const nodes = [...cards, ...markers].sort((a, b) => Number(b.dataset.order) - Number(a.dataset.order));
  if (view.history) nodes.push(view.history);
  view.list.replaceChildren(...nodes);
  seen();
  status();
}

// ---- One card -------------------------------------------------------------

function leg(arrow, what, time, kind, attributes = {}) {
  return el("div", { class: `leg${kind ? " " + kind : ""}`, ...attributes },
    el("span", { class: "arrow", "aria-hidden": "true" }, arrow),
    el("span", { class: "what" }, what),
    time === undefined ? null : el("span", { class: "time" }, time));
}

const clip = (text) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length} characters; the whole text is in the invocation's event)` : text);

function statusOf(response) {
  try {
    const value = JSON.parse(response);
    if (value && typeof value === "object" && "statusCode" in value) return `→ ${value.statusCode}`;
  } catch {}
  return "→ ok";
}

const callStatus = (status) => `${status}${status === 410 ? " Gone" : status === 403 ? " Forbidden" : ""}`;

function renderSequence(entry) {
  const invocation = entry.invocation && state.invocations.get(entry.invocation);
  const since = (at) => "+" + ms(at - entry.at);
  const who = nameOf(entry.connectionId);
  const legs = [];
  if (entry.kind === "message") {
    legs.push(leg("●", el("span", { class: "head" }, who, " sent ", el("code", {}, clip(entry.text ?? "…"))), clock(entry.at)));
    if (entry.routed) {
      const selected = `${state.stack ? state.stack.routeSelectionExpression : "selection"} = "${entry.routed.selection}"`;
      if (entry.routed.route_key === null) {
        legs.push(leg("→", `${selected}: no route and no $default: Forbidden`, since(entry.routed.at), "bad"));
      } else {
        legs.push(leg("→", `${selected} → route ${entry.routed.route_key}`, since(entry.routed.at)));
      }
      const near = nearRoute(entry);
      if (near && entry.routed.route_key === "$default") {
        legs.push(leg("!", `"${entry.routed.selection}" is not a route, so the message went to $default; the route ${near} has a similar name (route keys match exactly)`, undefined, "warn near"));
      }
    }
  } else if (entry.kind === "replay") {
    const edited = invocation && invocation.edited ? ", edited" : "";
    legs.push(leg("↻", el("span", { class: "head" }, `replay of ${short(entry.replayOf)} (${who}${edited})`), clock(entry.at)));
  } else {
    legs.push(leg("●", el("span", { class: "head" }, `${who} ${entry.kind === "connect" ? "connects" : "disconnects"}`), clock(entry.at)));
  }
  const authorizer = entry.authorizer && state.invocations.get(entry.authorizer);
  if (authorizer) legs.push(invocationLeg(authorizer, since, "authorizer "));
  if (invocation) legs.push(invocationLeg(invocation, since, ""));
  const fanout = entry.calls.length + entry.framesOut.length;
  const collapsed = fanout > FANOUT && !view.expanded.has(entry.id);
  const after = collapsed ? summedUp(entry, since) : oneByOne(entry, since);
  for (const warning of entry.warnings) after.push([warning.at, warningLeg(warning, since)]);
  if (entry.rejected) {
    after.push([entry.rejected.at, leg("✗", `handshake answered ${entry.rejected.status}: the client is not connected`, since(entry.rejected.at), "bad")]);
  }
  after.sort((a, b) => a[0] - b[0]);
  legs.push(...after.map(([, node]) => node));
  if (fanout > FANOUT) {
    const toggle = el("button", { type: "button", class: "link expand", "aria-expanded": String(!collapsed), "data-focus": "expand" },
      collapsed ? `show all ${fanout} calls and frames` : "sum them up");
    toggle.addEventListener("click", () => {
      if (view.expanded.has(entry.id)) view.expanded.delete(entry.id);
      else view.expanded.add(entry.id);
      replace(view.shown.get(entry.id) || toggle.closest(".sequence"), remember(entry, renderSequence(entry)));
    });
    legs.push(el("div", { class: "leg toggle" }, el("span", { class: "arrow" }), toggle));
  }
  const silence = explainSilence(entry, invocation);
  if (silence) legs.push(leg("∅", `Nothing came back: ${silence}`, undefined, "silence"));
  const card = el("div", {
    class: `sequence${failed(entry, invocation) ? " error" : ""}`,
    "data-request-id": entry.id,
    "data-order": entry.order,
  }, legs);
  return card;
}

function remember(entry, card) {
  view.shown.set(entry.id, card);
  return card;
}

// What the invocation did, in the order it happened: writes, posts and the
// frames the clients received.
function oneByOne(entry, since) {
  const after = [];
  for (const write of entry.writes) {
    after.push([write.at, leg("⛁", `${write.operation} ${write.table} ${write.key}`, since(write.at))]);
  }
  for (const call of entry.calls) {
    const kind = call.status >= 400 ? (call.status === 410 ? "warn" : "bad") : "";
    after.push([call.at, leg("⇢", `@connections ${call.method} ${nameOf(call.connection_id)}: ${callStatus(call.status)}`, since(call.at), kind)]);
  }
  for (const frame of entry.framesOut) {
    after.push([frame.at, leg("⇒", el("span", {}, `${nameOf(frame.connection_id)} received `, el("code", {}, clip(frame.text))), since(frame.at), isErrorFrame(frame.text) ? "bad" : "")]);
  }
  return after;
}

// A fan-out in three lines: the writes, the calls by status, the frames by text.
function summedUp(entry, since) {
  const after = [];
  const last = (list) => list[list.length - 1].at;
  if (entry.writes.length > 3) {
    const kinds = count(entry.writes, (write) => `${write.operation} ${write.table}`);
    after.push([last(entry.writes), leg("⛁", `${plural(entry.writes.length, "write")}: ${kinds.map(([k, n]) => `${n} × ${k}`).join(", ")}`, since(last(entry.writes)))]);
  } else {
    for (const write of entry.writes) after.push([write.at, leg("⛁", `${write.operation} ${write.table} ${write.key}`, since(write.at))]);
  }
  if (entry.calls.length) {
    const statuses = count(entry.calls, (call) => `${call.method} ${call.status}`);
    const text = statuses.map(([key, n]) => {
      const [method, status] = key.split(" ");
      const who = Number(status) >= 300 ? ` (${names(entry.calls.filter((c) => `${c.method} ${c.status}` === key))})` : "";
      return `${n} × ${method} ${callStatus(Number(status))}${who}`;
    }).join(", ");
    const worst = Math.max(...entry.calls.map((call) => call.status));
    const kind = entry.calls.some((call) => call.status >= 400 && call.status !== 410) ? "bad" : worst === 410 ? "warn" : "";
    after.push([last(entry.calls), leg("⇢", `@connections to ${plural(new Set(entry.calls.map((c) => c.connection_id)).size, "connection")}: ${text}`, since(last(entry.calls)), kind)]);
  }
  if (entry.framesOut.length) {
    const texts = count(entry.framesOut, (frame) => frame.text);
    const clients = new Set(entry.framesOut.map((frame) => frame.connection_id)).size;
    const bad = entry.framesOut.some((frame) => isErrorFrame(frame.text));
    const what = texts.length === 1
      ? el("span", {}, `${plural(clients, "client")} received `, el("code", {}, clip(texts[0][0])))
      : el("span", {}, `${plural(clients, "client")} received ${entry.framesOut.length} frames, ${texts.length} different; the most common: `, el("code", {}, clip(texts[0][0])));
    after.push([last(entry.framesOut), leg("⇒", what, since(last(entry.framesOut)), bad ? "bad" : "", { title: names(entry.framesOut, 30) })]);
  }
  return after;
}

function count(list, key) {
  const counts = new Map();
  for (const item of list) counts.set(key(item), (counts.get(key(item)) || 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

function names(list, most = 3) {
  const all = [...new Set(list.map((item) => nameOf(item.connection_id)))];
  return all.length > most ? `${all.slice(0, most).join(", ")} and ${all.length - most} more` : all.join(", ");
}

// A Lambda's leg of a card: its link, then running, failed or its answer.
function invocationLeg(invocation, since, role) {
  const link = linkButton(`λ ${role}${invocation.function}`, () => reveal(invocation.id), { "data-focus": "lambda", title: "open the invocation: its event, response and logs" });
  if (!invocation.outcome) return leg("→", el("span", {}, link, " running…"), since(invocation.startedAt));
  const took = ms(invocation.finishedAt - invocation.startedAt);
  if (invocation.outcome.error !== undefined) return leg("→", el("span", {}, link, ` failed: ${invocation.outcome.error}`), took, "bad");
  // An authorizer answers a policy, not a status code.
  const answer = invocation.authorizes ? "→ answered" : statusOf(invocation.outcome.response);
  return leg("→", el("span", {}, link, ` ${answer}`), took);
}

function warningLeg(warning, since) {
  if (isExplainedError(warning)) return leg("✗", warning.explained, since(warning.at), "bad");
  const text = warning.type === "reply_dropped"
    ? `${warning.function} returned a body, but ${warning.route_key} is a one-way route: API Gateway drops it (post it with PostToConnection)`
    : warning.type === "frame_dropped"
      ? `the frame for ${nameOf(warning.connection_id)} was dropped: ${warning.reason}`
      : `"${warning.selected}" matches the route ${warning.route} only in case: route keys match exactly`;
  return leg("!", text, since(warning.at), "warn");
}
