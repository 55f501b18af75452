// What a sequence means, read from the events it holds: whether it failed,
// and, for a message that got nothing back, why. "Why did nothing come
// back?" is the commonest question a learner asks; the answer is in what
// the emulator saw: which route took the message, what the function
// returned and which @connections calls it made.

import { state, nameOf } from "./model.js";

const ERROR_FRAME = /^\{"message": "(Forbidden|Internal server error)"/;
const EXPLAINED_ERRORS = ["access_denied", "after_return", "regional_endpoint", "dynamodb_refused", "authorizer_refused"];

export const isErrorFrame = (text) => ERROR_FRAME.test(text);
export const isExplainedError = (warning) => Boolean(warning.explained) && EXPLAINED_ERRORS.includes(warning.type);

// Whether the sequence shows an error: the card turns red and "failures
// only" keeps it.
export function failed(entry, invocation) {
  if (entry.routed && entry.routed.route_key === null) return true;
  if (entry.rejected) return true;
  if (invocation && invocation.outcome && invocation.outcome.error !== undefined) return true;
  if (entry.calls.some((call) => call.status >= 400 && call.status !== 410)) return true;
  if (entry.framesOut.some((frame) => isErrorFrame(frame.text))) return true;
  return entry.warnings.some(isExplainedError);
}

// For a message that fell to `$default` (or to Forbidden): a custom route
// whose name is close to what the message selected, if there is one.
export function nearRoute(entry) {
  const routed = entry.routed;
  if (!routed || !routed.selection || (routed.route_key !== "$default" && routed.route_key !== null)) return null;
  // A difference of case only has a warning of its own, from the emulator.
  if (entry.warnings.some((warning) => warning.type === "route_case_mismatch")) return null;
  const wanted = normalize(routed.selection);
  if (!wanted) return null;
  let best = null;
  for (const key of state.routes.keys()) {
    if (key.startsWith("$")) continue;
    const candidate = normalize(key);
    if (!candidate) continue;
    const distance = editDistance(wanted, candidate);
    const allowed = Math.max(1, Math.floor(Math.min(wanted.length, candidate.length) / 4));
    const contained = Math.min(wanted.length, candidate.length) >= 3 && (candidate.includes(wanted) || wanted.includes(candidate));
    if ((distance <= allowed || contained) && (!best || distance < best.distance)) best = { key, distance };
  }
  return best && best.key;
}

const normalize = (text) => text.toLowerCase().replace(/[^a-z0-9]/g, "");

function editDistance(a, b) {
  if (Math.abs(a.length - b.length) > 8) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

// What a two-way route sends back from this response, as the emulator
// reads it (a proxy response's `body`, or a bare value); null for nothing,
// undefined when the response is not JSON (API Gateway then answers
// Internal server error).
function twoWayReply(response) {
  let value;
  try {
    value = JSON.parse(response);
  } catch {
    return undefined;
  }
  if (value && typeof value === "object" && !Array.isArray(value) && ("statusCode" in value || "body" in value)) {
    if (value.body === undefined || value.body === null) return null;
    return typeof value.body === "string" ? value.body : JSON.stringify(value.body);
  }
  if (value === null) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}

// Why a message got no frame back from the app (an error frame of API
// Gateway's does not count), from what the emulator saw; null when
// something came back, or may still (the function is running, a post or a
// two-way reply is on its way).
export function explainSilence(entry, invocation) {
  if (entry.kind !== "message" || !entry.routed) return null;
  const delivered = entry.framesOut.some((frame) => !isErrorFrame(frame.text));
  const posted = entry.calls.some((call) => call.method === "POST" && call.status < 300);
  if (delivered || posted) return null;
  const { selection, route_key: routeKey } = entry.routed;
  if (routeKey === null) {
    const near = nearRoute(entry);
    return `No route matches "${selection}"${near ? ` (the route ${near} has a similar name; route keys match exactly)` : ""} and the API has no $default route, so API Gateway invoked no function and answered Forbidden.`;
  }
  if (!invocation || !invocation.outcome) return null;
  const fn = invocation.function;
  const outcome = invocation.outcome;
  const gone = entry.calls.filter((call) => call.status === 410);
  if (gone.length) {
    const who = [...new Set(gone.map((call) => nameOf(call.connection_id)))].join(", ");
    const then = outcome.error !== undefined ? ` Then ${fn} failed: ${outcome.error}.` : "";
    return `${fn} posted to ${who}, a connection that is gone (410 Gone): that client had disconnected by then.${then}`;
  }
  const refused = entry.calls.find((call) => call.status >= 400);
  const refusal = refused ? `${fn}'s @connections ${refused.method} was answered ${refused.status}, so nothing was delivered (see the ✗ above)` : "";
  if (outcome.error !== undefined) {
    if (refused) return `${refusal}; then ${fn} failed, so API Gateway answered Internal server error instead.`;
    if (/^Task timed out/.test(outcome.error)) {
      return `${fn} timed out (${outcome.error.replace(/^Task timed out /, "")}, its timeout in serverless.yml), so API Gateway answered Internal server error instead.`;
    }
    return `${fn} failed, so API Gateway answered Internal server error instead; its error and logs are in the invocation.`;
  }
  const route = state.routes.get(routeKey);
  const reply = twoWayReply(outcome.response);
  if (reply === undefined) {
    return `${fn} returned a response that is not JSON, so API Gateway answered Internal server error instead.`;
  }
  const dropped = entry.warnings.find((warning) => warning.type === "frame_dropped");
  if (dropped) return `The reply to ${nameOf(dropped.connection_id)} was dropped: ${dropped.reason}.`;
  if (route && route.twoWay && reply !== null) return null; // the reply is on its way
  if (refused) return `${refusal}.`;
  const late = entry.warnings.find((warning) => warning.type === "after_return");
  if (late) return `${fn}'s call ran after its handler had returned, when Lambda freezes the process: on AWS it runs late or never.`;
  const explained = entry.warnings.find(isExplainedError);
  if (explained) return `${fn}'s call was refused (see the ✗ above), so nothing was delivered.`;
  if (entry.warnings.some((warning) => warning.type === "reply_dropped")) {
    return `${fn} returned a body, but ${routeKey} is a one-way route: API Gateway drops it, and ${fn} made no @connections call.`;
  }
  if (entry.calls.length === 0) {
    return route && route.twoWay
      ? `${fn} returned no body and made no @connections call.`
      : `${fn} made no @connections call, and ${routeKey} is a one-way route: its response is not sent to the client.`;
  }
  return `${fn}'s @connections calls delivered nothing.`;
}
