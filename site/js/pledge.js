// Pledge: the form (confirmed by an emailed link), the live count and the wall.
import { api } from "/js/api.js";
import { h, pagedList, ROLES, submitForm, when } from "/js/ui.js";

const count = document.getElementById("pledge-count");
const byRole = document.getElementById("by-role");

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

// The same answer for everyone (nobody learns whether an address has pledged): the email link
// confirms it, and only then does it count.
submitForm(document.getElementById("pledge-form"), document.getElementById("pledge-status"),
  (body) => api("/pledges", { method: "POST", body }),
  "Nearly done: we have sent you an email. Open the link in it and press the button to confirm your pledge. It counts once confirmed.");

refreshCount();
pagedList(document.getElementById("wall"), document.getElementById("more"), "/pledges", entry,
  "No pledges on the wall yet.");
setInterval(() => document.visibilityState === "visible" && refreshCount(), 15000);
