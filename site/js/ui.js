// Shared page furniture: header, footer, statuses, form helpers, paged lists. No frameworks.
import { api, explain, fieldErrors } from "/js/api.js";

const NAV = [
  ["/upload.html", "Upload"],
  ["/photos.html", "Latest Photos"],
  ["/pledge.html", "Pledge"],
  ["/signup.html", "Sign up"],
  ["/messages.html", "Messages"],
  ["/draws.html", "Prize draw"],
  ["/about.html", "About"],
];

// The campaign's pages, in every page's footer (the header stays short enough for a phone).
const FOOTER = [
  ["/about.html", "About the week"],
  ["/press.html", "Press"],
  ["/sponsors.html", "Sponsors"],
  ["/resources.html", "Posters and leaflets"],
];

/** Small element builder: h("a", {href: "/"}, "Home"). Text is always text, never HTML. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function chrome() {
  const here = location.pathname.replace(/\/$/, "/index.html");
  const header = document.querySelector(".site-header");
  if (header && !header.hasChildNodes()) {
    header.append(h("div", { class: "inner" },
      h("a", { class: "brand", href: "/" }, "#TECHOGNITION"),
      h("nav", { "aria-label": "Main" }, h("ul", {}, NAV.map(([href, label]) =>
        h("li", {}, h("a", { href, "aria-current": here === href ? "page" : null }, label)))))));
  }
  const footer = document.querySelector(".site-footer");
  if (footer && !footer.hasChildNodes()) {
    footer.append(
      h("nav", { "aria-label": "About the campaign" }, h("ul", { class: "footer-links" }, FOOTER.map(([href, label]) =>
        h("li", {}, h("a", { href }, label))))),
      h("p", {},
        "#TECHOGNITION celebrates the UK's school science technicians. ",
        h("a", { href: "/admin.html" }, "Organiser console")));
  }
}

/** Writes a message into an aria-live status region. kind: "ok" | "bad" | "" */
export function say(region, message, kind = "") {
  region.className = `status ${kind}`.trim();
  region.replaceChildren(...(Array.isArray(message) ? message : [message]));
}

/** Shows an API failure: the summary in `region`, field messages beside their inputs. */
export function showProblem(form, region, error) {
  clearErrors(form);
  const fields = fieldErrors(error);
  let first = null;
  for (const [name, msg] of Object.entries(fields)) {
    const input = form.elements[name];
    if (!input || !input.id) continue;
    input.setAttribute("aria-invalid", "true");
    const note = h("p", { class: "error-text", id: `${input.id}-error` }, plainField(msg));
    input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), note.id].filter(Boolean).join(" "));
    input.closest(".field, .check")?.append(note);
    first ??= input;
  }
  say(region, explain(error), "bad");
  (first || region).focus?.();
}

export function clearErrors(form) {
  for (const note of form.querySelectorAll(".error-text")) {
    const input = form.querySelector(`[aria-describedby~="${note.id}"]`);
    if (input) {
      input.removeAttribute("aria-invalid");
      const rest = input.getAttribute("aria-describedby").split(" ").filter((id) => id !== note.id);
      if (rest.length) input.setAttribute("aria-describedby", rest.join(" "));
      else input.removeAttribute("aria-describedby");
    }
    note.remove();
  }
}

function plainField(msg) {
  return String(msg || "Please check this.").replace(/^Value error, /, "");
}

// A wrapping text box for a one-line field (data-single-line): the API refuses line breaks there,
// so a press of Enter becomes a space rather than a 422.
function oneLine(el) {
  const text = el.value.trim();
  return "singleLine" in el.dataset ? text.replace(/\s*[\r\n]+\s*/g, " ") : text;
}

/** The form's values as an object; checkboxes become booleans, empty optional text is dropped. */
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "file") continue;
    else if (el.value.trim() !== "" || el.required) out[el.name] = oneLine(el);
  }
  return out;
}

/** Runs `handler()` when the form is submitted and its fields check out (earlier errors cleared). */
export function onValidSubmit(form, handler) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors(form);
    if (form.reportValidity()) handler();
  });
}

/**
 * A form that sends its values: its fields checked first, its button disabled while it waits, a
 * failure shown beside the fields. After a success: `thanks` in `status`, the form reset (unless
 * `reset` is false), `then()`, focus on `status`; `once` keeps the button disabled.
 */
export function submitForm(form, status, send, thanks, { reset = true, once = false, then } = {}) {
  const button = form.querySelector("button");
  onValidSubmit(form, async () => {
    button.disabled = true;
    try {
      await send(values(form));
      say(status, thanks, "ok");
      if (reset) form.reset();
      then?.();
      status.focus();
      button.disabled = once;
    } catch (error) {
      showProblem(form, status, error);
      button.disabled = false;
    }
  });
}

/** A list the API pages through (`{items, next_cursor}`, 20 at a time): `item` makes each entry,
 * `more` (a button) loads the next page and hides once there is none. Loads the first page. */
export function pagedList(list, more, path, item, empty) {
  let cursor = null;
  async function load() {
    try {
      const { data } = await api(path, { query: { limit: 20, cursor } });
      list.append(...data.items.map(item));
      cursor = data.next_cursor;
      more.hidden = !cursor;
      if (!list.children.length) list.append(h("li", {}, empty));
    } catch (error) {
      list.append(h("li", { class: "error-text" }, explain(error)));
    }
  }
  more.addEventListener("click", () => load());
  load();
}

export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}

export const ROLES = { teacher: "Teacher", school_leader: "School leader", technician: "Technician", other: "Other" };

chrome();
