// Latest Photos: the gallery with "see more" (cursor pagination). Also the home page preview.
import { api, explain } from "/js/api.js";
import { chosenEdition, yearSwitcher } from "/js/editions.js";
import { h, say } from "/js/ui.js";

const list = document.getElementById("gallery");
const status = document.getElementById("gallery-status");
const more = document.getElementById("more");
const limit = Number(list.dataset.limit || 12);
const years = document.getElementById("edition");
let cursor = null;
let edition = years ? chosenEdition() : null; // the home page shows the current year only

export function card(photo) {
  return h("li", {},
    h("a", { href: `/photo.html?id=${encodeURIComponent(photo.photo_id)}` },
      h("img", { src: photo.thumbnail_url, alt: photo.caption, loading: "lazy", width: 320, height: 320 }),
      h("span", { class: "caption" }, photo.caption),
      h("span", { class: "who" }, `${photo.display_name}, ${photo.school}`)),
    // its share page (/p/<id>): the address whose link previews the photo where it is posted
    h("a", { href: `/p/${encodeURIComponent(photo.photo_id)}`, class: "share",
             "aria-label": `Share: ${photo.caption}` }, "Share"));
}

async function load() {
  if (more) more.disabled = true;
  try {
    const { data } = await api("/photos", { query: { limit, cursor, edition } });
    const first = list.children.length;
    list.append(...data.items.map(card));
    cursor = data.next_cursor;
    list.dataset.loaded = "true";
    if (more) {
      more.hidden = !cursor;
      more.disabled = false;
    }
    if (!list.children.length) say(status, "No photos yet. Be the first to share one!");
    else if (first) {
      say(status, `${data.items.length} more photos shown.`);
      list.children[first]?.querySelector("a")?.focus();
    }
  } catch (error) {
    say(status, explain(error), "bad");
    if (more) more.disabled = false;
  }
}

more?.addEventListener("click", load);
load();
if (years) {
  yearSwitcher(years, (year) => {
    edition = year;
    cursor = null;
    list.replaceChildren();
    say(status, "");
    load();
  });
}
