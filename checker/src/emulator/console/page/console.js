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

function connectFeed() {
  const feed = new WebSocket(`ws://${location.host}/@console/feed`);
  const status = $("#feed-status");
  feed.onopen = () => setStatus("loading the run's history", "");
  feed.onmessage = (message) => {
    const frame = JSON.parse(message.data);
    if (frame.kind === "hello") hello(frame);
    else if (frame.kind === "events") {
      for (const event of frame.events) apply(event);
      if (frame.events.some((event) => event.type === "table_write")) refreshTables();
    } else if (frame.kind === "live") {
      setStatus(state.skipped ? `live, ${state.skipped} skipped` : "live", state.skipped ? "lagging" : "live");
    } else if (frame.kind === "skipped") skipped(frame.count);
    schedule();
  };
  feed.onclose = () => {
    setStatus("disconnected: retrying", "down");
    setTimeout(connectFeed, 2000);
  };
  function setStatus(text, kind) {
    status.textContent = text;
    status.className = `badge ${kind}`;
  }
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
  const status = $("#feed-status");
  status.textContent = `live, ${state.skipped} skipped`;
  status.className = "badge lagging";
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
}

document.addEventListener("DOMContentLoaded", () => {
  initTabs();
  initClients(wsUrl);
  initMessages();
  connectFeed();
});
