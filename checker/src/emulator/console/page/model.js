// The page's state, built from the feed's events alone: connections,
// each message's (or lifecycle's, or replay's) sequence, invocations.

import { nameFromQuery, nickname } from "./names.js";

// What the page keeps: enough for a long session, bounded so that a busy
// stack cannot make the tab grow without end.
export const KEEP_REQUESTS = 3000;
const KEEP_LOGS = 200;
const KEEP_CONNECTIONS = 3000;

export const state = {
  stack: null,
  routes: new Map(), // route key -> { key, function, twoWay }
  events: 0,
  lastSeq: 0,
  skipped: 0,
  order: 0, // grows with each new sequence: their place in the list
  connections: new Map(), // connection id -> connection
  requests: new Map(), // request id -> message / lifecycle / replay sequence
  invocations: new Map(), // request id -> invocation
  dirty: new Set(),
  connectionsDirty: false,
  newRequests: [], // sequences created since the last render
};

// Forgets the run: a new feed sends its whole history again.
export function reset(stack) {
  state.stack = stack;
  state.routes = new Map(stack.routes.map((route) => [route.key, route]));
  state.events = 0;
  state.lastSeq = 0;
  state.skipped = 0;
  state.connections.clear();
  state.requests.clear();
  state.invocations.clear();
  state.dirty.clear();
  state.newRequests = [];
  state.connectionsDirty = true;
}

export function nameOf(connectionId) {
  const connection = state.connections.get(connectionId);
  return connection ? connection.name : connectionId ? nickname(connectionId) : "?";
}

// The connection's name: the one it asked for (`bob`, or `bob 2` while
// another open connection has it), else its nickname.
function nameFor(connectionId, query) {
  const asked = nameFromQuery(query);
  if (!asked) return { name: nickname(connectionId), asked: null };
  let open = 0;
  for (const connection of state.connections.values()) {
    if (connection.asked === asked && connection.state === "open") open += 1;
  }
  return { name: open ? `${asked} ${open + 1}` : asked, asked };
}

function request(id, fields) {
  let entry = state.requests.get(id);
  if (!entry) {
    entry = { id, order: ++state.order, calls: [], framesOut: [], writes: [], warnings: [], ...fields };
    state.requests.set(id, entry);
    state.newRequests.push(entry);
    if (state.requests.size > KEEP_REQUESTS) {
      const oldest = state.requests.keys().next().value;
      state.requests.delete(oldest);
      state.invocations.delete(oldest);
    }
  }
  state.dirty.add(id);
  return entry;
}

// Adds `event` to `state` (the page renders what changed once per frame).
export function apply(event) {
  state.events += 1;
  state.lastSeq = event.seq;
  const handle = HANDLERS[event.type];
  if (handle) handle(event);
}

function attach(event, list) {
  const entry = event.request_id && state.requests.get(event.request_id);
  if (entry) {
    entry[list].push(event);
    state.dirty.add(entry.id);
  }
}

const HANDLERS = {
  connected: connection,
  connect_rejected: connection,
  disconnected(event) {
    const connection = state.connections.get(event.connection_id);
    if (connection) {
      connection.state = "closed";
      connection.detail = `${event.status_code}${event.reason ? " " + event.reason : ""}`;
      state.connectionsDirty = true;
    }
  },
  frame_in(event) {
    request(event.request_id, { kind: "message", connectionId: event.connection_id, text: event.text, at: event.at });
  },
  routed(event) {
    request(event.request_id, { kind: "message", connectionId: event.connection_id, at: event.at }).routed = event;
  },
  invocation_started: invocationStarted,
  invocation_finished(event) {
    const invocation = state.invocations.get(event.request_id);
    if (invocation) {
      invocation.finishedAt = event.at;
      invocation.outcome = event.outcome;
      // An authorizer's invocation is a leg of its handshake's card.
      if (invocation.authorizes) state.dirty.add(invocation.authorizes);
    }
    state.dirty.add(event.request_id);
  },
  log(event) {
    const invocation = event.request_id && state.invocations.get(event.request_id);
    if (invocation) {
      invocation.logs.push(event.line);
      if (invocation.logs.length > KEEP_LOGS) {
        invocation.logs.shift();
        invocation.logsCut = (invocation.logsCut || 0) + 1;
      }
      state.dirty.add(event.request_id);
    }
  },
  management: (event) => attach(event, "calls"),
  frame_out: (event) => attach(event, "framesOut"),
  table_write: (event) => attach(event, "writes"),
  frame_dropped: (event) => attach(event, "warnings"),
  reply_dropped: (event) => attach(event, "warnings"),
  route_case_mismatch: (event) => attach(event, "warnings"),
  access_denied: (event) => attach(event, "warnings"),
  after_return: (event) => attach(event, "warnings"),
  regional_endpoint: (event) => attach(event, "warnings"),
  dynamodb_refused: (event) => attach(event, "warnings"),
  authorizer_refused: (event) => attach(event, "warnings"),
};

function connection(event) {
  const { name, asked } = nameFor(event.connection_id, event.query);
  state.connections.set(event.connection_id, {
    id: event.connection_id,
    at: event.at,
    name,
    asked,
    state: event.type === "connected" ? "open" : "rejected",
    detail: event.type === "connected" ? "" : `rejected by $connect: ${event.status}`,
  });
  if (state.connections.size > KEEP_CONNECTIONS) {
    const oldest = [...state.connections.values()].find((c) => c.state !== "open");
    if (oldest) state.connections.delete(oldest.id);
  }
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
}

function invocationStarted(event) {
  if (event.authorizes) {
    // The $connect authorizer: a leg of the handshake's card, before $connect's own.
    const entry = request(event.authorizes, { kind: "connect", connectionId: event.connection_id, at: event.at });
    entry.authorizer = event.request_id;
    state.invocations.set(event.request_id, { ...invocationOf(event), replayOf: null, authorizes: event.authorizes });
    return;
  }
  let inner = null;
  try {
    inner = JSON.parse(event.payload).requestContext.requestId;
  } catch {}
  const replayOf = inner && inner !== event.request_id ? inner : null;
  const kind = replayOf ? "replay" : event.route_key.startsWith("$connect") ? "connect" : event.route_key === "$disconnect" ? "disconnect" : "message";
  const entry = request(event.request_id, { kind, connectionId: event.connection_id, at: event.at, replayOf });
  entry.invocation = event.request_id;
  const original = replayOf && state.invocations.get(replayOf);
  state.invocations.set(event.request_id, {
    ...invocationOf(event),
    replayOf,
    edited: Boolean(original && original.payload !== event.payload),
  });
}

// What every invocation holds from the event that started it.
function invocationOf(event) {
  return {
    id: event.request_id,
    function: event.function,
    routeKey: event.route_key,
    connectionId: event.connection_id,
    payload: event.payload,
    startedAt: event.at,
    logs: [],
  };
}

// The route a sequence went to (for filters): the routed one, or its invocation's.
export function routeOf(entry) {
  if (entry.routed) return entry.routed.route_key ?? "";
  const invocation = entry.invocation && state.invocations.get(entry.invocation);
  return invocation ? invocation.routeKey : "";
}

export function functionOf(entry) {
  const invocation = entry.invocation && state.invocations.get(entry.invocation);
  return invocation ? invocation.function : "";
}
