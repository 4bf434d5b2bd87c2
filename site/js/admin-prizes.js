// The console's daily prizes: each event day with its prize and state, editable until drawn.
// A module of its own (admin.html loads it beside admin.js): it builds its section in the Draws
// panel and loads whenever that panel is shown or a draw's result appears.
import { api, ApiError, explain } from "/js/api.js";
import { session } from "/js/auth.js";
import { h, onValidSubmit, say, showProblem, values } from "/js/ui.js";

const panel = document.getElementById("panel-draws");
const drawStatus = document.getElementById("draw-status");
const listStatus = h("div", { id: "prizes-status", class: "status", role: "status", "aria-live": "polite" });
const list = h("ul", { class: "prizes", id: "prizes" });
panel?.append(h("section", { id: "prizes-section", "aria-labelledby": "prizes-heading" },
  h("h2", { id: "prizes-heading" }, "Daily prizes"),
  h("p", {}, "Name each day's prize and its sponsor before that day is drawn. The draw page and the winner's email show it; once the day is drawn it cannot change."),
  listStatus, list));

function dayName(day) {
  return new Date(`${day}T12:00:00Z`).toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
}

function prizeText(prize) {
  return prize ? `${prize.title}${prize.sponsor ? `, given by ${prize.sponsor}` : ""}` : "No prize named.";
}

function field(day, name, label, prize, attrs) {
  const id = `prize-${name}-${day}`;
  const tag = name === "description" ? "textarea" : "input";
  return h("div", { class: "field" }, h("label", { for: id }, label),
    h(tag, { id, name, ...(tag === "input" ? { type: "text", value: prize?.[name] || "" } : { rows: 2 }), ...attrs }, tag === "textarea" ? prize?.[name] || "" : null));
}

function dayItem(d) {
  const heading = `prize-day-${d.day}`;
  if (d.status === "drawn") {
    return h("li", { "data-day": d.day },
      h("h3", { id: heading }, `${dayName(d.day)} · drawn`),
      h("p", {}, prizeText(d.prize), " (final: the day is drawn)"));
  }
  const status = h("div", { class: "status", role: "status", "aria-live": "polite", id: `prize-status-${d.day}`, tabindex: -1 });
  const form = h("form", { "aria-labelledby": heading, novalidate: true, "data-day": d.day },
    field(d.day, "title", "Prize", d.prize, { required: true, maxlength: 120, "data-single-line": "" }),
    field(d.day, "sponsor", "Sponsor (optional)", d.prize, { maxlength: 80, "data-single-line": "" }),
    field(d.day, "description", "Description (optional)", d.prize, { maxlength: 500 }),
    h("p", { class: "actions" }, h("button", { type: "submit" }, d.prize ? "Save the prize" : "Name the prize")),
    status);
  onValidSubmit(form, async () => {
    try {
      const { data } = await api(`/admin/draws/${encodeURIComponent(d.day)}/prize`,
        { method: "PUT", body: values(form), token: session()?.token });
      say(status, `Saved: ${prizeText(data)}.`, "ok");
    } catch (error) {
      showProblem(form, status, error);
      if (error instanceof ApiError && error.status === 409) load(); // drawn meanwhile
    }
    status.focus();
  });
  return h("li", { "data-day": d.day }, h("h3", { id: heading }, `${dayName(d.day)} · open`), form);
}

let loading = false;
async function load() {
  if (loading || panel?.hidden) return;
  loading = true;
  try {
    const { data } = await api("/draws");
    list.replaceChildren(...data.items.map(dayItem));
    say(listStatus, data.items.length ? "" : "The event's days are not configured.");
  } catch (error) {
    say(listStatus, explain(error), "bad");
  } finally {
    loading = false;
  }
}

// Shown: load. A draw or redraw answered (admin.js writes its result): a day may be frozen now.
if (panel) {
  new MutationObserver(() => load()).observe(panel, { attributes: true, attributeFilter: ["hidden"] });
  if (drawStatus) new MutationObserver(() => load()).observe(drawStatus, { childList: true });
  load();
}
