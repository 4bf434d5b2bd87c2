// "Verify this draw": fetch the public record and recompute it here (see drawcheck.js).
import { api, explain } from "/js/api.js";
import { verify } from "/js/drawcheck.js";
import { h, say } from "/js/ui.js";

const form = document.getElementById("verify-form");
const status = document.getElementById("verify-status");
const out = document.getElementById("verify-steps");
const day = new URLSearchParams(location.search).get("day");
if (day) form.elements.day.value = day;

async function run(dayValue) {
  out.replaceChildren();
  say(status, `Fetching the record of ${dayValue} and recomputing…`);
  let record, entrants, commitment = null;
  try {
    [{ data: record }, { data: { entrants } }] = await Promise.all([
      api(`/draws/${encodeURIComponent(dayValue)}`),
      api(`/draws/${encodeURIComponent(dayValue)}/entrants`),
    ]);
    const { data: list } = await api("/draws");
    commitment = list.items.find((d) => d.day === dayValue)?.commitment ?? null;
  } catch (error) {
    return say(status, error.status === 404 ? `There is no draw for ${dayValue}.` : explain(error), "bad");
  }
  const result = await verify(record, entrants, commitment);
  status.dataset.result = result.ok ? "match" : result.drawn ? "mismatch" : "not-drawn";
  say(status, result.ok
    ? h("span", { class: "match" }, `Verified: the draw of ${dayValue} matches the public record.`)
    : result.drawn
      ? h("span", { class: "mismatch" }, `Mismatch: the draw of ${dayValue} does not match the public record.`)
      : `The draw of ${dayValue} has not happened yet. Its commitment is published; come back after the draw.`,
  result.ok ? "ok" : result.drawn ? "bad" : "");
  out.append(
    h("h2", {}, "Checks"),
    h("ul", {}, result.checks.map((c) => h("li", {},
      h("span", { class: c.ok ? "match" : "mismatch" }, c.ok ? "✓ " : "✗ "), c.label,
      c.detail ? h("div", { class: "mono hint" }, c.detail) : null))),
    h("h2", {}, "Record"),
    h("dl", {},
      h("dt", {}, "Seed"), h("dd", { class: "mono" }, record.seed || "(not revealed yet)"),
      h("dt", {}, "Commitment"), h("dd", { class: "mono" }, record.commitment),
      h("dt", {}, "Entrants hash"), h("dd", { class: "mono" }, record.entrants_hash || ""),
      h("dt", {}, "Entrants"), h("dd", {}, String(record.entrant_count ?? entrants.length))),
  );
  if (result.steps.length) {
    out.append(h("h2", {}, "Picks"), h("table", {},
      h("thead", {}, h("tr", {}, ["Position", "k", "Remaining", "Index", "Entrant"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, result.steps.map((s) => h("tr", {},
        h("td", {}, s.position), h("td", {}, s.k), h("td", {}, s.remaining), h("td", {}, s.index), h("td", { class: "mono" }, s.chosen))))));
  }
  status.focus();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!form.reportValidity()) return;
  history.replaceState(null, "", `?day=${form.elements.day.value}`);
  run(form.elements.day.value);
});

// Arriving from a "Verify it" link: recompute at once (it only reads the public record).
if (day) run(day);
