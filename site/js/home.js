// The home page's live numbers ("312 photos from 140 schools, 1,204 pledges"), from GET /stats:
// one read of the current edition's counters, cached briefly by the CDN.
import { api } from "/js/api.js";

const box = document.getElementById("live-numbers");
const count = new Intl.NumberFormat("en-GB");

function plural(n, one, many) {
  return `${count.format(n)} ${n === 1 ? one : many}`;
}

async function show() {
  try {
    const { data } = await api("/stats");
    box.textContent = `${plural(data.photos, "photo", "photos")} from ${plural(data.schools, "school", "schools")}, `
      + `${plural(data.pledges, "pledge", "pledges")} and ${plural(data.messages, "message", "messages")} to government so far this year.`;
    box.hidden = false;
    box.dataset.loaded = "true";
  } catch {
    box.hidden = true; // the numbers are a bonus: the page works without them
  }
}

show();
