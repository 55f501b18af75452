// The class view: the board from /api/board, asked again as soon as it
// answers (the server holds the request until something changes), so a
// learner's check shows within moments. Every name and step goes into the
// page as text (textContent), never as markup.
"use strict";

const key = new URLSearchParams(location.hash.slice(1)).get("key") || "";
let board = null;
// When the board arrived, on this page's clock: "for N min" counts on from it.
let boardArrived = 0;

const $ = (id) => document.getElementById(id);

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function minutesSince(sinceMs) {
  const now = board.now_ms + (Date.now() - boardArrived);
  const minutes = Math.floor(Math.max(0, now - sinceMs) / 60000);
  return minutes < 1 ? "<1 min" : `${minutes} min`;
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function setStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.className = `badge ${kind}`;
}

function renderColumns() {
  const row = $("columns");
  row.replaceChildren(element("th", "learner"));
  for (const exercise of board.exercises) {
    const th = element("th", exercise.name);
    th.title = exercise.title;
    th.append(element("small", `${exercise.done} done, ${exercise.failing} failing`));
    row.append(th);
  }
}

function cell(exercise, state) {
  const td = element("td");
  td.dataset.state = state.state;
  td.dataset.exercise = exercise.name;
  if (state.state === "done") {
    td.append(element("span", "✓ done"));
  } else if (state.state === "failing") {
    td.dataset.step = state.step;
    td.append(element("span", state.step, "step"));
    const detail = [
      `${minutesSince(state.since_ms)} on this step`,
      `${minutesSince(state.started_ms)} in all`,
      `${plural(state.hints_seen, "hint")} seen`,
    ];
    td.append(element("span", detail.join(" · "), "detail"));
  } else {
    td.append(element("span", "not started"));
  }
  return td;
}

function renderLearners() {
  const rows = board.learners.map((learner) => {
    const tr = element("tr");
    tr.dataset.name = learner.name;
    tr.append(element("td", learner.name, "learner"));
    learner.cells.forEach((state, index) => tr.append(cell(board.exercises[index], state)));
    return tr;
  });
  $("learners").replaceChildren(...rows);
  $("empty").hidden = board.learners.length > 0;
  const done = board.learners.filter((learner) =>
    learner.cells.length > 0 && learner.cells.every((state) => state.state === "done")).length;
  $("summary").textContent = `${board.learners.length} learners, ${done} done with every exercise`;
}

function renderPanels() {
  const total = board.learners.length;
  $("most-failed").replaceChildren(...board.most_failed.map((entry) => {
    const li = element("li");
    li.dataset.exercise = entry.exercise;
    li.dataset.step = entry.step;
    li.append(element("strong", entry.step, "step"));
    li.append(element("span", ` in ${entry.exercise}: `));
    li.append(element("span", `${entry.learners} of ${total}`, "count"));
    return li;
  }));
  $("none-failing").hidden = board.most_failed.length > 0;
  $("stuck").replaceChildren(...board.stuck.map((entry) => {
    const li = element("li");
    li.dataset.name = entry.name;
    li.append(element("strong", entry.name));
    li.append(element("span", ` on ${entry.exercise}, `));
    li.append(element("span", entry.step, "step"));
    li.append(element("span", `, for ${minutesSince(entry.since_ms)}`));
    return li;
  }));
  $("none-stuck").hidden = board.stuck.length > 0;
}

function render() {
  if (!board) return;
  renderColumns();
  renderLearners();
  renderPanels();
  // For the page's tests: which board is shown, and since when.
  document.body.dataset.version = String(board.version);
  document.body.dataset.renderedAt = String(Date.now());
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function follow() {
  let version = null;
  for (;;) {
    try {
      const query = version === null ? "" : `?after=${version}`;
      const response = await fetch(`api/board${query}`, {
        headers: { Authorization: `Bearer ${key}` },
        cache: "no-store",
      });
      if (response.status === 401) {
        setStatus("no key: open the address `checker class` printed", "bad");
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      board = await response.json();
      boardArrived = Date.now();
      version = board.version;
      render();
      setStatus("live", "ok");
    } catch (error) {
      setStatus("reconnecting", "bad");
      await sleep(1000);
    }
  }
}

$("csv").href = `class.csv?key=${encodeURIComponent(key)}`;
// The minutes go on between changes.
setInterval(render, 30000);
follow();
