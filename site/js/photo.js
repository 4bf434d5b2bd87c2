// One photo, and "report this photo".
import { api, explain } from "/js/api.js";
import { h, say, submitForm, when } from "/js/ui.js";

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
submitForm(form, document.getElementById("report-status"),
  (body) => api(`/photos/${encodeURIComponent(id)}/reports`, { method: "POST", body }),
  "Thank you. The photo is hidden until an organiser has looked at your report.",
  { reset: false, once: true, then: () => { form.elements.reason.disabled = true; } });

show();
