// The checker's live console. Fed by /@console/feed (the emulator's event
// stream: its history, then each event as it happens); everything shown is
// built from those events. No framework, no build step, nothing fetched
// from anywhere but this page's own origin.

import { $ } from "./dom.js";
import { state, reset, apply } from "./model.js";
import { initMessages, resetMessages, renderMessages, skippedMarker, fillOptions } from "./messages.js";
import { resetInvocations, renderInvocations } from "./invocations.js";
import { renderConnections, refreshTables, renderStack, initTabs } from "./panels.js";
import { initClients } from "./clients.js";

// For the benchmark, and for anyone curious in the browser's devtools.
window.checkerConsole = { state };

// "live" waits for the frame that draws what the history built: it never
// stands above rows of a run that has ended (rendering waits for the next
// animation frame, the status would not).
let liveStatus = null;

function setStatus(text, kind) {
  const status = $("#feed-status");
  status.textContent = text;
  status.className = `badge ${kind}`;
}

function connectFeed() {
  const feed = new WebSocket(`ws://${location.host}/@console/feed`);
  feed.onopen = () => setStatus("loading the run's history", "");
  feed.onmessage = (message) => {
    const frame = JSON.parse(message.data);
    if (frame.kind === "hello") hello(frame);
    else if (frame.kind === "events") {
      for (const event of frame.events) apply(event);
      if (frame.events.some((event) => event.type === "table_write")) refreshTables();
    } else if (frame.kind === "live") {
      liveStatus = state.skipped ? [`live, ${state.skipped} skipped`, "lagging"] : ["live", "live"];
    } else if (frame.kind === "skipped") skipped(frame.count);
    schedule();
  };
  feed.onclose = () => {
    liveStatus = null;
    setStatus("disconnected: retrying", "down");
    setTimeout(connectFeed, 2000);
  };
}

function hello(frame) {
  // A new feed (a reconnect, or `serve` restarted) sends the whole history
  // again: start from nothing.
  reset(frame.stack);
  resetInvocations();
  $("#service").textContent = frame.stack.service;
  $("#stage").textContent = frame.stack.stage;
  $("#ws-url").textContent = wsUrl();
  $("#wscat-hint").textContent = `wscat -c '${wsUrl()}?name=bob'`;
  renderStack();
  refreshTables();
  resetMessages(frame.evicted, frame.history.events);
}

function skipped(count) {
  state.skipped += count;
  liveStatus = null;
  setStatus(`live, ${state.skipped} skipped`, "lagging");
  skippedMarker(count);
}

function wsUrl() {
  return `ws://${location.host}/${state.stack ? state.stack.stage : ""}`;
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
  if (state.connectionsDirty) {
    renderConnections();
    fillOptions();
  }
  renderMessages();
  renderInvocations();
  state.dirty.clear();
  if (liveStatus) {
    setStatus(...liveStatus);
    liveStatus = null;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  initTabs();
  initClients(wsUrl);
  initMessages();
  connectFeed();
});
