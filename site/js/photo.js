// One photo, and "report this photo".
import { api, explain } from "/js/api.js";
import { clearErrors, h, say, showProblem, values, when } from "/js/ui.js";

const id = new URLSearchParams(location.search).get("id");
const status = document.getElementById("photo-status");

async function show() {
  if (!id) return say(status, "No photo was chosen. Go back to Latest Photos.", "bad");
  try {
    const { data: photo } = await api(`/photos/${encodeURIComponent(id)}`);
    const img = document.getElementById("photo-image");
    Object.assign(img, { src: photo.image_url, alt: photo.caption, width: photo.width, height: photo.height });
    document.getElementById("photo-caption").textContent = photo.caption;
    document.getElementById("photo-who").textContent =
      `${photo.display_name}, ${photo.school} · ${when(photo.uploaded_at)}`;
    document.title = `${photo.caption} · #TECHOGNITION`;
    // The share page: its link previews the photo (Open Graph tags) wherever it is posted
    img.closest("figure").after(h("p", { class: "share" },
      h("a", { href: `/p/${encodeURIComponent(photo.photo_id)}` }, "Share this photo")));
    document.getElementById("photo").hidden = false;
  } catch (error) {
    say(status, error.status === 404 ? "This photo is not available. It may have been removed." : explain(error), "bad");
  }
}

const form = document.getElementById("report-form");
const reportStatus = document.getElementById("report-status");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  if (!form.reportValidity()) return;
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    await api(`/photos/${encodeURIComponent(id)}/reports`, { method: "POST", body: values(form) });
    say(reportStatus, "Thank you. The photo is hidden until an organiser has looked at your report.", "ok");
    form.elements.reason.disabled = true;
    reportStatus.focus();
  } catch (error) {
    showProblem(form, reportStatus, error);
    button.disabled = false;
  }
});

show();
