// Every published message on one printable page, oldest first, for organisers to hand over or
// attach to a letter. Only the public list is read: nothing here needs signing in.
import { api, explain } from "/js/api.js";
import { h, ROLES, say } from "/js/ui.js";

const list = document.getElementById("print-list");
const summary = document.getElementById("print-summary");
const status = document.getElementById("print-status");
const print = document.getElementById("print");
const MAX_PAGES = 200; // 10,000 messages: far more than a week collects

async function everyMessage() {
  const all = [];
  let cursor = null;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const { data } = await api("/messages", { query: { limit: 50, cursor } });
    all.push(...data.items);
    cursor = data.next_cursor;
    if (!cursor) break;
  }
  return all.reverse(); // the API lists newest first
}

function day(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleDateString("en-GB", { dateStyle: "long" });
}

function entry(m) {
  const who = [m.name || "Anonymous", ROLES[m.role] || m.role].filter(Boolean).join(", ");
  return h("li", {}, h("blockquote", {}, m.message),
    h("span", { class: "meta" }, `${who} · ${day(m.created_at)}`));
}

async function load() {
  say(status, "Loading the published messages…");
  try {
    const messages = await everyMessage();
    list.replaceChildren(...messages.map(entry));
    const count = messages.length;
    summary.textContent = `${count.toLocaleString("en-GB")} ${count === 1 ? "message" : "messages"}, as published on ${day(new Date().toISOString())}.`;
    if (count) status.replaceChildren();
    else say(status, "No messages have been published yet.");
    print.disabled = count === 0;
  } catch (error) {
    say(status, explain(error), "bad");
  }
  list.dataset.loaded = "";
}

print.addEventListener("click", () => window.print());
load();
