// Sharing without third-party code: plain intent links (no network's script, nothing that
// tracks a reader) and a "copy link" button. The photo share pages (/p/<id>, rendered by the
// API: functions/upload/share.py builds the same links) load this module for their button; the
// pledge confirmation page builds its links with shareList().
import { h, say } from "/js/ui.js";

export const HASHTAG = "#TECHOGNITION";

/** [label, href] of each way to share `url`; encodeURIComponent gives mailto: its %20s. */
export function shareLinks(url, text, subject) {
  const q = (params) => Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
  return [
    ["Share on X", `https://x.com/intent/tweet?${q({ text, url })}`],
    ["Share on Facebook", `https://www.facebook.com/sharer/sharer.php?${q({ u: url })}`],
    ["Share on LinkedIn", `https://www.linkedin.com/sharing/share-offsite/?${q({ url })}`],
    ["Share on WhatsApp", `https://wa.me/?${q({ text: `${text} ${url}` })}`],
    ["Share by email", `mailto:?${q({ subject, body: `${text}\n${url}` })}`],
  ];
}

/** The list of share links and a copy button, as the share pages have it. */
export function shareList(url, text, subject) {
  return [
    h("ul", { class: "share-links" },
      shareLinks(url, text, subject).map(([label, href]) => h("li", {}, h("a", { href }, label))),
      h("li", {}, h("button", { type: "button", class: "secondary", "data-copy": url }, "Copy link"))),
    h("p", { class: "status", role: "status", "aria-live": "polite", "data-copy-status": "" }),
  ];
}

async function copy(button) {
  const region = button.closest("section, div, main")?.querySelector("[data-copy-status]");
  const url = button.dataset.copy;
  try {
    await navigator.clipboard.writeText(url);
    if (region) say(region, "Link copied. Paste it wherever you like.", "ok");
  } catch {
    // No clipboard (an old browser, or permission refused): show the link to copy by hand.
    if (region) say(region, `Copy this link: ${url}`);
  }
}

// Buttons rendered by the server start hidden, so that nothing dead shows without this module.
for (const button of document.querySelectorAll("button[data-copy][hidden]")) button.hidden = false;
document.addEventListener("click", (event) => {
  const button = event.target.closest?.("button[data-copy]");
  if (button) copy(button);
});
