// The free event pack order form: shows whether packs are available, then orders one.
import { api, explain } from "/js/api.js";
import { onValidSubmit, say, showProblem, values } from "/js/ui.js";

const form = document.getElementById("pack-form");
const status = document.getElementById("pack-status");
const availability = document.getElementById("availability");
const button = form.querySelector("button");

function closed(message) {
  say(availability, message, "bad");
  button.disabled = true;
}

async function checkAvailability() {
  try {
    const { data } = await api("/packs/availability");
    if (data.open) {
      say(availability, `Packs are available: ${data.remaining.toLocaleString("en-GB")} left.`, "ok");
      button.disabled = false;
    } else if (data.remaining === 0) {
      closed("All the free packs have been ordered. Thank you for your interest.");
    } else {
      closed("Pack orders are closed at the moment.");
    }
  } catch (error) {
    say(availability, explain(error), "bad");
  }
  form.dataset.ready = "";
}

onValidSubmit(form, async () => {
  button.disabled = true;
  try {
    const { status: code } = await api("/packs", { method: "POST", body: values(form) });
    if (code === 202) {
      say(status, "Thank you: your pack is ordered. We have sent you an email, and the pack will arrive at school before the week.", "ok");
      form.reset();
    } else {
      say(status, "Your school has already ordered a pack (one per school): it is on our list.", "ok");
    }
    status.focus();
    await checkAvailability();
  } catch (error) {
    showProblem(form, status, error);
    if (error.status === 409) await checkAvailability();
    else button.disabled = false;
  }
});

checkAvailability();
