// Building the page's elements and formatting what they show. Text always
// goes in as text nodes: nothing a client or a Lambda sends becomes markup.

export const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A button that looks like a link: an action, reachable by keyboard.
export const linkButton = (text, onclick, attributes = {}) =>
  el("button", { type: "button", class: "link", onclick, ...attributes }, text);

export const short = (id) => (id ? id.slice(0, 8) + "…" : "?");
export const ms = (micros) => (micros / 1000).toFixed(micros < 10000 ? 2 : 1) + " ms";
export const clock = (micros) => {
  const date = new Date(micros / 1000);
  return date.toLocaleTimeString([], { hour12: false }) + "." + String(date.getMilliseconds()).padStart(3, "0");
};
export const pretty = (text) => {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
};
export const plural = (count, one, many = one + "s") => `${count} ${count === 1 ? one : many}`;

// A "Copy" button for what `text()` returns when pressed; it says whether
// the copy worked, and how to copy by hand when the browser refuses.
export function copyButton(what, text) {
  const button = el("button", { type: "button", class: "copy secondary small", "aria-label": `copy the ${what}` }, "Copy");
  button.addEventListener("click", async () => {
    const value = text();
    let copied = false;
    try {
      await navigator.clipboard.writeText(value);
      copied = true;
    } catch {
      copied = copyBySelection(value);
    }
    button.textContent = copied ? "Copied" : "Select and press Ctrl+C";
    setTimeout(() => (button.textContent = "Copy"), 1500);
  });
  return button;
}

function copyBySelection(value) {
  const area = el("textarea", { class: "offscreen", "aria-hidden": "true" });
  area.value = value;
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {}
  area.remove();
  return copied;
}
