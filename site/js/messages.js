// Messages to government: the form and the published wall.
import { api, explain } from "/js/api.js";
import { clearErrors, h, ROLES, say, showProblem, values, when } from "/js/ui.js";

const form = document.getElementById("message-form");
const status = document.getElementById("message-status");
const wall = document.getElementById("wall");
const more = document.getElementById("more");
const counter = document.getElementById("message-count");
let cursor = null;

form.elements.message.addEventListener("input", () => {
  const left = 500 - form.elements.message.value.length;
  counter.textContent = `${left} characters left.`;
});

function entry(m) {
  const who = [m.name, ROLES[m.role] || m.role].filter(Boolean).join(", ");
  return h("li", {}, h("p", {}, m.message),
    h("span", { class: "meta" }, [who || "Anonymous", when(m.created_at || m.approved_at || m.at)].filter(Boolean).join(" · ")));
}

async function loadWall() {
  try {
    const { data } = await api("/messages", { query: { limit: 20, cursor } });
    wall.append(...data.items.map(entry));
    cursor = data.next_cursor;
    more.hidden = !cursor;
    if (!wall.children.length) wall.append(h("li", {}, "No messages published yet."));
  } catch (error) {
    wall.append(h("li", { class: "error-text" }, explain(error)));
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  if (!form.reportValidity()) return;
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    await api("/messages", { method: "POST", body: values(form) });
    say(status, "Thank you. Your message will appear here once an organiser has read it.", "ok");
    form.reset();
    counter.textContent = "Up to 500 characters.";
    status.focus();
  } catch (error) {
    showProblem(form, status, error);
  }
  button.disabled = false;
});

more.addEventListener("click", loadWall);
loadWall();
