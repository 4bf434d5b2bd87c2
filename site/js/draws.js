// The prize draw: every day, its commitment, its winners, a link to verify it.
import { api, explain } from "/js/api.js";
import { chosenEdition, yearSwitcher } from "/js/editions.js";
import { h, say } from "/js/ui.js";

const status = document.getElementById("draws-status");
const box = document.getElementById("draws");

function dayName(day) {
  const d = new Date(`${day}T12:00:00Z`);
  return d.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

// The day's prize as the organisers named it (frozen once the day is drawn).
function prize(p) {
  return h("div", { class: "prize" },
    h("p", {}, h("strong", {}, "Prize: "), p.title, p.sponsor ? `, given by ${p.sponsor}` : ""),
    p.description ? h("p", { class: "hint" }, p.description) : null);
}

async function show(edition) {
  box.replaceChildren();
  say(status, "");
  try {
    const { data } = await api("/draws", { query: { edition } });
    if (!data.items.length) {
      return say(status, edition ? `No draws were recorded in ${edition}.` : "The event's days have not been announced yet.");
    }
    box.append(h("ul", { class: "wall" }, data.items.map((d) => h("li", {},
      h("h2", {}, dayName(d.day)),
      d.prize ? prize(d.prize) : null,
      d.status === "drawn"
        ? (d.winners.length
          ? h("ol", {}, d.winners.map((w) => h("li", {},
            // A winner whose data was erased keeps the win, not the name (null fields).
            w.display_name === null ? "A winner who asked for their details to be removed" :
              [h("strong", {}, w.display_name), `, ${w.school} `],
            w.photo_id ? h("a", { href: `/photo.html?id=${encodeURIComponent(w.photo_id)}` }, "(see the photo)") : null)))
          : h("p", {}, "Drawn: there were no entries this day."))
        : h("p", {}, "Not drawn yet."),
      h("p", { class: "hint" }, "Commitment: ", h("span", { class: "mono" }, d.commitment || "not yet published")),
      d.status === "drawn" ? h("p", {}, h("a", { href: `/verify.html?day=${d.day}` }, `Verify the draw of ${d.day}`)) : null))));
  } catch (error) {
    say(status, explain(error), "bad");
  }
}

show(chosenEdition());
yearSwitcher(document.getElementById("edition"), show);
