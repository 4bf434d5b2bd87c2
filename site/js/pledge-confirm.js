// The page a pledge confirmation email links to. It POSTs the token only on a button press,
// never on page load, so a mail scanner that opens the link confirms nothing.
import { api, explain } from "/js/api.js";
import { HASHTAG, shareList } from "/js/share.js";
import { say } from "/js/ui.js";

const PLEDGE_TEXT = `I've pledged my support for school science technicians ${HASHTAG}`;

const form = document.getElementById("confirm-form");
const status = document.getElementById("confirm-status");
const button = form.querySelector("button");
const share = document.getElementById("share");
const shareLink = document.getElementById("share-link");
const token = new URLSearchParams(location.search).get("token");

if (!token) {
  button.disabled = true;
  say(status, "This link is incomplete. Please open the link from your email again.", "bad");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  button.disabled = true;
  try {
    await api("/pledges/confirm", { method: "POST", body: { token } });
    say(status, "Thank you: your pledge is confirmed and counted.", "ok");
    const page = new URL("/pledge.html", location.href).href;
    shareLink.href = page;
    shareLink.textContent = page;
    document.getElementById("share-links").replaceChildren(
      ...shareList(page, `${PLEDGE_TEXT}: pledge yours too`, `${HASHTAG}: pledge your support`));
    share.hidden = false;
  } catch (error) {
    const expired = error.status === 400 || error.status === 422;
    say(status, expired ? "This confirmation link has expired. Please pledge again to get a new one." : explain(error), "bad");
    if (!expired) button.disabled = false;
  }
  status.focus();
});
