// The page's own WebSocket clients: the wscat of the browser. Each sends
// its name as `?name=`, as the docs suggest for wscat, so the feed (and
// `$connect`, in queryStringParameters) knows it.

import { $, el } from "./dom.js";

const KEEP_RECEIVED = 200;
const clients = new Map(); // name -> socket

export function initClients(wsUrl) {
  $("#new-client").addEventListener("submit", (submit) => {
    submit.preventDefault();
    const name = $("#client-name").value.trim();
    if (name) openClient(name, wsUrl());
    $("#client-name").value = "";
  });
}

function openClient(name, url) {
  if (clients.has(name)) return;
  const previous = $(`.client[data-name="${CSS.escape(name)}"]`);
  if (previous) previous.remove();
  const socket = new WebSocket(`${url}?name=${encodeURIComponent(name)}`);
  const received = el("ul", { class: "received", "aria-label": `what ${name} sent and received` });
  const status = el("span", { class: "status", role: "status" }, "connecting…");
  const input = el("input", { class: "send-text", placeholder: `message from ${name}`, "aria-label": `message from ${name}` });
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
    clients.delete(name);
  };
  clients.set(name, socket);
  $("#clients").prepend(card);
}
