// The console's free event packs and the message to government: a section of the Export panel
// (admin.html loads this module beside admin.js). Requests newest first with "mark dispatched",
// the dispatch CSV for a mail merge or courier upload, and the published messages as CSV.
import { API, api, explain } from "/js/api.js";
import { session } from "/js/auth.js";
import { h, say, when } from "/js/ui.js";

const panel = document.getElementById("panel-export");
const status = h("div", { id: "packs-status", class: "status", role: "status", "aria-live": "polite", tabindex: -1 });
const list = h("ul", { class: "wall packs", id: "packs", "aria-labelledby": "packs-heading" });
const more = h("button", { type: "button", class: "secondary", hidden: true }, "More requests");
const csvStatus = h("div", { id: "packs-export-status", class: "status", role: "status", "aria-live": "polite" });
const today = new Date().toISOString().slice(0, 10);
let cursor = null;

async function download(path, name, what) {
  try {
    const response = await fetch(`${API}${path}`, { headers: { Authorization: `Bearer ${session()?.token}`, Accept: "text/csv" } });
    if (!response.ok) throw new Error(response.status === 401 ? "Your session has ended. Please sign in again." : `The server answered ${response.status}.`);
    const csv = await response.text();
    const link = h("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: `${name}-${today}.csv` }, `${name}-${today}.csv`);
    say(csvStatus, [`${what}: `, link], "ok");
    link.click();
  } catch (error) {
    say(csvStatus, error.message || "The export failed.", "bad");
  }
}

function address(p) {
  return [p.address_line1, p.address_line2, p.town, p.postcode].filter(Boolean).join(", ");
}

function packItem(p) {
  const state = h("p", { class: "meta" }, p.dispatched_at ? `Dispatched ${when(p.dispatched_at)}` : "Not dispatched yet");
  const button = h("button", { type: "button", class: "secondary" }, `Mark ${p.school} dispatched`);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const { data } = await api(`/admin/packs/${encodeURIComponent(p.pack_id)}/dispatched`, { method: "POST", token: session()?.token });
      state.textContent = `Dispatched ${when(data.dispatched_at)}`;
      button.remove(); // the CSS shows buttons whatever their hidden attribute says
      say(status, `${p.school}: marked dispatched.`, "ok");
    } catch (error) {
      button.disabled = false;
      say(status, explain(error), "bad");
    }
  });
  return h("li", { "data-pack-id": p.pack_id },
    h("div", {}, h("h3", {}, p.school),
      h("p", {}, `${p.contact_name} · ${p.email}`),
      h("p", {}, address(p)),
      h("p", { class: "meta" }, `Requested ${when(p.requested_at)}`), state,
      p.dispatched_at ? null : h("p", { class: "actions" }, button)));
}

async function load(reset = true) {
  if (panel?.hidden || !session()) return;
  try {
    if (reset) cursor = null;
    const { data } = await api("/admin/packs", { query: { limit: 50, cursor }, token: session()?.token });
    if (reset) list.replaceChildren();
    list.append(...data.items.map(packItem));
    cursor = data.next_cursor;
    more.hidden = !cursor;
    say(status, list.children.length ? "" : "No school has requested a pack yet.");
  } catch (error) {
    say(status, explain(error), "bad");
  }
  list.dataset.loaded = "";
}

const packsCsv = h("button", { type: "button" }, "Download the dispatch list (CSV)");
packsCsv.addEventListener("click", () => download("/admin/packs/export", "packs", "Pack requests"));
const messagesCsv = h("button", { type: "button" }, "Download messages to government (CSV)");
messagesCsv.addEventListener("click", () => download("/admin/messages/export", "messages-to-government", "Published messages"));
more.addEventListener("click", () => load(false));

if (panel) {
  panel.append(
    h("section", { id: "messages-export-section", "aria-labelledby": "messages-export-heading" },
      h("h2", { id: "messages-export-heading" }, "The message to government"),
      h("p", {}, "Every published message, to hand over or attach to a letter: as a CSV file, or ",
        h("a", { href: "/messages-print.html" }, "as a page to print"), "."),
      h("p", { class: "actions" }, messagesCsv)),
    h("section", { id: "packs-section", "aria-labelledby": "packs-heading" },
      h("h2", { id: "packs-heading" }, "Free event packs"),
      h("p", {}, "Schools' requests, newest first. The CSV (oldest first) suits a mail merge or a courier's upload; it holds names and addresses: keep it safe and delete it when done."),
      h("p", { class: "actions" }, packsCsv), csvStatus, status, list, h("p", { class: "actions" }, more)));
  new MutationObserver(() => load()).observe(panel, { attributes: true, attributeFilter: ["hidden"] });
  load();
}
