// Sign up, and the confirm / unsubscribe pages. Those POST their token only on a button press,
// never on page load, so a mail scanner that opens the link changes nothing.
import { api, explain } from "/js/api.js";
import { say, submitForm } from "/js/ui.js";

const signup = document.getElementById("signup-form");
if (signup) {
  submitForm(signup, document.getElementById("signup-status"),
    (body) => api("/signups", { method: "POST", body }),
    "Nearly done: we have sent you an email. Open the link in it to confirm your sign-up.");
}

const tokenForm = document.getElementById("token-form");
if (tokenForm) {
  const status = document.getElementById("token-status");
  const action = tokenForm.dataset.action; // "confirm" | "unsubscribe"
  const token = new URLSearchParams(location.search).get("token");
  const button = tokenForm.querySelector("button");
  if (!token) {
    button.disabled = true;
    say(status, "This link is incomplete. Please open the link from your email again.", "bad");
  }
  const done = {
    confirm: "Thank you: your sign-up is confirmed. You can unsubscribe from any email we send.",
    unsubscribe: "You are unsubscribed. We will not email you again.",
  };
  const bad = {
    confirm: "This confirmation link has expired or was already used. Please sign up again to get a new one.",
    unsubscribe: "This unsubscribe link is not valid. Please use the link from your most recent email.",
  };
  tokenForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      await api(`/signups/${action}`, { method: "POST", body: { token } });
      say(status, done[action], "ok");
    } catch (error) {
      say(status, error.status === 400 || error.status === 422 ? bad[action] : explain(error), "bad");
      if (!(error.status === 400 || error.status === 422)) button.disabled = false;
    }
    status.focus();
  });
}
