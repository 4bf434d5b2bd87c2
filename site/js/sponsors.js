// Sponsors and associates, one section per edition (newest first), from /data/sponsors.json:
// {"2019": [{"name", "url", "logo", "about"}]}. Next year's list is an edit of that file and a
// logo in /img/sponsors/, no code.
import { h, say } from "/js/ui.js";

const root = document.getElementById("sponsors");
const status = document.getElementById("sponsors-status");

// The file is edited by hand: accept only the site's own logo files and https links, so a typo
// can neither load something from elsewhere nor make a javascript: link.
export function logoPath(path) {
  return /^\/img\/sponsors\/[\w.-]+\.svg$/.test(path || "") ? path : null;
}

export function webLink(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

export function partner({ name, url, logo, about }) {
  const src = logoPath(logo);
  const href = webLink(url);
  // The wordmark carries the name (its alt text); without one the name is the text.
  const mark = src ? h("img", { src, alt: name, width: 240, height: 80, loading: "lazy" }) : h("strong", {}, name);
  return h("li", {},
    href ? h("a", { href, rel: "noopener" }, mark) : mark,
    about ? h("p", {}, about) : null);
}

export function edition(year, partners) {
  const id = `edition-${year}`;
  return h("section", { "aria-labelledby": id },
    h("h2", { id }, `${year} sponsors and associates`),
    partners.length
      ? h("ul", { class: "partners" }, partners.filter((p) => p && p.name).map(partner))
      : h("p", {}, "To be announced."));
}

async function load() {
  try {
    const response = await fetch("/data/sponsors.json", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = await response.json();
    const years = Object.keys(data).filter((y) => /^\d{4}$/.test(y) && Array.isArray(data[y]))
      .sort().reverse();
    root.replaceChildren(...years.map((year) => edition(year, data[year])));
    if (!years.length) say(status, "Sponsors will be announced soon.");
    root.dataset.loaded = "true";
  } catch {
    say(status, "We could not load the list of sponsors. Please reload the page to try again.", "bad");
  }
}

load();
