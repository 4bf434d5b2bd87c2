// Messages to government: the form and the published wall.
import { api } from "/js/api.js";
import { h, pagedList, ROLES, submitForm, when } from "/js/ui.js";

const form = document.getElementById("message-form");
const counter = document.getElementById("message-count");

form.elements.message.addEventListener("input", () => {
  const left = 500 - form.elements.message.value.length;
  counter.textContent = `${left} characters left.`;
});

function entry(m) {
  const who = [m.name, ROLES[m.role] || m.role].filter(Boolean).join(", ");
  return h("li", {}, h("p", {}, m.message),
    h("span", { class: "meta" }, [who || "Anonymous", when(m.created_at || m.approved_at || m.at)].filter(Boolean).join(" · ")));
}

submitForm(form, document.getElementById("message-status"),
  (body) => api("/messages", { method: "POST", body }),
  "Thank you. Your message will appear here once an organiser has read it.",
  { then: () => { counter.textContent = "Up to 500 characters."; } });

pagedList(document.getElementById("wall"), document.getElementById("more"), "/messages", entry,
  "No messages published yet.");
