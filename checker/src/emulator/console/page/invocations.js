// The Invocations tab: each invocation's event exactly as the Lambda
// received it, its response, its logs; copy buttons; Replay, which re-sends
// the event (or the event as edited here) to the function, after saying
// what that does.

import { $, el, linkButton, ms, clock, pretty, copyButton } from "./dom.js";
import { state, nameOf } from "./model.js";
import { showTab } from "./panels.js";

const SHOW = 200;
const cards = new Map(); // request id -> { card, summary, details, replay }

export function resetInvocations() {
  cards.clear();
  $("#invocations").replaceChildren();
}

export function renderInvocations() {
  for (const id of state.dirty) {
    const invocation = state.invocations.get(id);
    if (invocation) renderInvocation(invocation);
  }
  const list = $("#invocations");
  while (cards.size > SHOW && list.lastElementChild) {
    cards.delete(list.lastElementChild.dataset.requestId);
    list.lastElementChild.remove();
  }
}

const failedOf = (invocation) => Boolean(invocation.outcome && invocation.outcome.error !== undefined);

function renderInvocation(invocation) {
  let parts = cards.get(invocation.id);
  if (!parts) {
    parts = build(invocation);
    cards.set(invocation.id, parts);
    $("#invocations").prepend(parts.card);
  }
  const failed = failedOf(invocation);
  parts.card.classList.toggle("error", failed);
  const result = !invocation.outcome ? "running…" : failed ? "error" : ms(invocation.finishedAt - invocation.startedAt);
  const line = [
    el("span", { class: "fn" }, invocation.function),
    el("span", { class: "route" }, invocation.routeKey),
    el("span", { class: "muted who" }, nameOf(invocation.connectionId)),
  ];
  if (invocation.replayOf) line.push(el("span", { class: "muted" }, invocation.edited ? "edited replay" : "replay"));
  parts.summary.replaceChildren(...line, el("span", { class: "result" }, result));
  // The body is built when the card is open: a closed card costs one line.
  if (parts.card.open) fillDetails(invocation, parts);
}

function build(invocation) {
  const summary = el("summary", {});
  const details = el("div", { class: "details" });
  const replay = el("div", { class: "replay-box" });
  const card = el("details", { class: "invocation", "data-request-id": invocation.id }, summary, el("div", { class: "body" }, details, replay));
  const parts = { card, summary, details, replay };
  card.addEventListener("toggle", () => {
    const current = state.invocations.get(invocation.id);
    if (card.open && current) {
      fillDetails(current, parts);
      if (!replay.firstChild) replay.append(replayStart(current.id, replay));
    }
  });
  return parts;
}

function fillDetails(invocation, parts) {
  const failed = failedOf(invocation);
  const response = !invocation.outcome ? "(running)" : failed ? invocation.outcome.error : pretty(invocation.outcome.response);
  const logs = (invocation.logsCut ? `(${invocation.logsCut} earlier lines not kept)\n` : "") + (invocation.logs.length ? invocation.logs.join("\n") : "(none)");
  const event = pretty(invocation.payload);
  parts.details.replaceChildren(
    el("div", { class: "muted" }, `request ${invocation.id} · ${nameOf(invocation.connectionId)} · ${clock(invocation.startedAt)}`,
      invocation.replayOf ? ` · ${invocation.edited ? "edited " : ""}replay of ${invocation.replayOf}` : ""),
    heading("Event", copyButton("event", () => invocation.payload)),
    el("pre", { class: "event", tabindex: "0" }, event),
    heading(failed ? "Error" : "Response", copyButton(failed ? "error" : "response", () => response)),
    el("pre", { class: failed ? "error-text" : "response", tabindex: "0" }, response),
    heading("Logs", copyButton("logs", () => logs)),
    el("pre", { class: "logs", tabindex: "0" }, logs));
}

const heading = (text, button) => el("h3", {}, el("span", {}, text), button);

export function reveal(requestId) {
  showTab("invocations");
  // One trimmed from the list comes back, on top.
  const invocation = state.invocations.get(requestId);
  if (!cards.has(requestId) && invocation) renderInvocation(invocation);
  const parts = cards.get(requestId);
  if (!parts) return;
  parts.card.open = true;
  parts.card.classList.add("highlight");
  parts.card.scrollIntoView({ block: "nearest" });
  parts.summary.focus();
  setTimeout(() => parts.card.classList.remove("highlight"), 1500);
}

// ---- Replay -----------------------------------------------------------------

function replayStart(requestId, box) {
  return el("button", {
    type: "button",
    class: "replay secondary",
    onclick: () => box.replaceChildren(editor(requestId, box)),
  }, "Replay…");
}

// Says what a replay does, shows the event to edit, and sends it only when asked.
function editor(requestId, box) {
  const invocation = state.invocations.get(requestId);
  const original = pretty(invocation.payload);
  const area = el("textarea", { class: "replay-event", rows: "12", spellcheck: "false", "aria-label": "the event to send" });
  area.value = original;
  const problem = el("div", { class: "replay-problem", role: "alert" });
  const answer = el("div", { class: "replay-result", role: "status" });
  const send = el("button", { type: "button", class: "replay-confirm" }, `Send to ${invocation.function}`);
  const cancel = el("button", { type: "button", class: "replay-cancel secondary" }, "Cancel");
  cancel.addEventListener("click", () => {
    box.replaceChildren(replayStart(requestId, box));
    $(".replay", box).focus();
  });
  send.addEventListener("click", async () => {
    let event = null;
    if (area.value !== original) {
      try {
        event = JSON.parse(area.value);
      } catch (error) {
        problem.textContent = `The event is not JSON: ${error.message}`;
        return;
      }
    }
    problem.textContent = "";
    await replay(requestId, event, answer);
  });
  const form = el("div", { class: "replay-editor" },
    el("p", { class: "warn-text" },
      `A replay runs ${invocation.function} for real: whatever it posts reaches the clients connected now, and what it writes changes the tables. `,
      "Its response comes back here, not to a client. Edit the event below to send something else."),
    area, problem, el("div", { class: "buttons" }, send, cancel), answer);
  setTimeout(() => area.focus());
  return form;
}

async function replay(requestId, event, answer) {
  answer.textContent = "replaying…";
  try {
    const request = { request_id: requestId };
    if (event !== null) request.event = event;
    const response = await fetch("api/replay", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(request),
    });
    const result = await response.json();
    if (!response.ok) {
      answer.replaceChildren(el("pre", { class: "error-text" }, result.message));
      return;
    }
    const outcome = result.outcome.error !== undefined ? `error: ${result.outcome.error}` : pretty(result.outcome.response);
    answer.replaceChildren(
      el("div", { class: "muted" }, `${result.edited ? "edited event sent" : "replayed"} as `,
        linkButton(result.request_id, () => reveal(result.request_id)), ` in ${result.duration_ms.toFixed(1)} ms`),
      el("pre", { class: "replay-outcome", "data-replay-id": result.request_id }, outcome));
  } catch (error) {
    answer.textContent = `replay failed: ${error}`;
  }
}
