// Pledge: the form (confirmed by an emailed link), the live count and the wall.
import { api, explain } from "/js/api.js";
import { clearErrors, h, ROLES, say, showProblem, values, when } from "/js/ui.js";

const count = document.getElementById("pledge-count");
const byRole = document.getElementById("by-role");
const wall = document.getElementById("wall");
const more = document.getElementById("more");
const form = document.getElementById("pledge-form");
const status = document.getElementById("pledge-status");
let cursor = null;

async function refreshCount() {
  try {
    const { data } = await api("/pledges/summary");
    count.textContent = data.count.toLocaleString("en-GB");
    byRole.textContent = Object.entries(data.by_role || {})
      .filter(([, n]) => n > 0)
      .map(([role, n]) => `${ROLES[role] || role}: ${n}`)
      .join(" · ");
  } catch {
    /* the count is a nicety: the form still works */
  }
}

function entry(p) {
  return h("li", {}, h("strong", {}, p.name),
    h("span", { class: "meta" }, ` · ${ROLES[p.role] || p.role}, ${p.organisation} · ${when(p.created_at)}`));
}

async function loadWall(reset = false) {
  if (reset) {
    cursor = null;
    wall.replaceChildren();
  }
  try {
    const { data } = await api("/pledges", { query: { limit: 20, cursor } });
    wall.append(...data.items.map(entry));
    cursor = data.next_cursor;
    more.hidden = !cursor;
    if (!wall.children.length) wall.append(h("li", {}, "No pledges on the wall yet."));
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
    // The same answer for everyone (nobody learns whether an address has pledged): the email
    // link confirms it, and only then does it count.
    await api("/pledges", { method: "POST", body: values(form) });
    say(status, "Nearly done: we have sent you an email. Open the link in it and press the button to confirm your pledge. It counts once confirmed.", "ok");
    form.reset();
    status.focus();
  } catch (error) {
    showProblem(form, status, error);
  }
  button.disabled = false;
});

more.addEventListener("click", () => loadWall());
refreshCount();
loadWall();
setInterval(() => document.visibilityState === "visible" && refreshCount(), 15000);
