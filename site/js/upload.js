// Upload: reserve (POST /uploads), send the file with the presigned POST, then follow its status.
import { api, config, explain } from "/js/api.js";
import { clearErrors, h, say, showProblem, values } from "/js/ui.js";

// Mirrors the server's rules (API.md): these types, 1 byte up to the configured maximum.
export const TYPES = ["image/jpeg", "image/png", "image/webp", "image/heic"];
export const MAX_BYTES = Number(config.maxUploadBytes) || 15 * 1024 * 1024;
const EXTENSIONS = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp", heic: "image/heic", heif: "image/heic" };

const STATUS_WORDS = {
  awaiting_upload: "Waiting for your photo to arrive…",
  processing: "Your photo has arrived. We are checking it and preparing it for the web…",
  pending_moderation: "Done: your photo is waiting for moderation. An organiser will look at it soon, and it will appear in Latest Photos once approved.",
  approved: "Approved: your photo is in Latest Photos.",
  rejected: "Your photo was not published.",
  failed: "We could not use this photo.",
};
const FINAL = new Set(["pending_moderation", "approved", "rejected", "failed"]);

/** The content type the server expects for this file, or null if it is not one we accept. */
export function contentTypeOf(file) {
  if (TYPES.includes(file.type)) return file.type;
  if (file.type === "image/heif") return "image/heic";
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return !file.type || file.type === "application/octet-stream" ? EXTENSIONS[ext] || null : null;
}

/** Client-side checks; the server checks again. Returns a message or "". */
export function checkFile(file) {
  if (!file) return "Choose a photo to upload.";
  if (!contentTypeOf(file)) return "This file is not a photo we can take. Please choose a JPEG, PNG, WebP or HEIC photo.";
  if (file.size < 1) return "This file is empty. Please choose another photo.";
  if (file.size > MAX_BYTES) {
    return `This photo is ${(file.size / 1048576).toFixed(1)} MB; the limit is ${Math.floor(MAX_BYTES / 1048576)} MB. Please choose a smaller photo or take it at a lower resolution.`;
  }
  return "";
}

const form = document.getElementById("upload-form");
const status = document.getElementById("upload-status");
const section = document.getElementById("progress-section");
const progress = document.getElementById("progress");
const fileInput = document.getElementById("file");
document.getElementById("max-size").textContent = `${Math.floor(MAX_BYTES / 1048576)} MB`;

function fileError(message) {
  const existing = document.getElementById("file-error");
  existing?.remove();
  fileInput.removeAttribute("aria-invalid");
  fileInput.removeAttribute("aria-describedby");
  if (!message) return;
  fileInput.setAttribute("aria-invalid", "true");
  fileInput.setAttribute("aria-describedby", "file-error");
  fileInput.closest(".field").append(h("p", { class: "error-text", id: "file-error" }, message));
}

fileInput.addEventListener("change", () => fileError(checkFile(fileInput.files[0])));

function send(upload, file, contentType) {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    for (const [k, v] of Object.entries(upload.fields)) body.append(k, v);
    if (!Object.keys(upload.fields).some((k) => k.toLowerCase() === "content-type")) body.append("Content-Type", contentType);
    body.append("file", file); // last, as S3 requires
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) {
        progress.value = Math.round((100 * e.loaded) / e.total);
        progress.textContent = `${progress.value}%`;
      }
    });
    xhr.addEventListener("load", () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`storage answered ${xhr.status}`))));
    xhr.addEventListener("error", () => reject(new Error("network")));
    xhr.send(body);
  });
}

async function follow(photoId) {
  const deadline = Date.now() + 10 * 60 * 1000;
  let last = "";
  while (Date.now() < deadline) {
    let data;
    try {
      ({ data } = await api(`/uploads/${encodeURIComponent(photoId)}`));
    } catch (error) {
      if (error.status && error.status < 500) return say(status, explain(error), "bad");
      data = { status: last }; // a blip: keep asking
    }
    if (data.status && data.status !== last) {
      last = data.status;
      const words = [STATUS_WORDS[data.status] || data.status];
      if (data.reason) words.push(h("br"), `Reason: ${data.reason}`);
      const kind = data.status === "failed" || data.status === "rejected" ? "bad" : FINAL.has(data.status) ? "ok" : "";
      say(status, words, kind);
      status.dataset.state = data.status;
    }
    if (FINAL.has(data.status)) {
      if (data.status !== "pending_moderation" && data.status !== "approved") form.querySelector("button").disabled = false;
      else status.append(h("p", {}, h("a", { href: "/upload.html" }, "Share another photo")));
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  say(status, "This is taking longer than usual. Your photo is safe with us; check back later.", "");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const file = fileInput.files[0];
  const problem = checkFile(file);
  fileError(problem);
  if (problem) return fileInput.focus();
  if (!form.reportValidity()) return;
  const button = form.querySelector("button");
  button.disabled = true;
  const contentType = contentTypeOf(file);
  let reservation;
  try {
    say(status, "Getting ready to upload…");
    ({ data: reservation } = await api("/uploads", {
      method: "POST",
      body: { ...values(form), content_type: contentType, size_bytes: file.size },
    }));
  } catch (error) {
    button.disabled = false;
    return showProblem(form, status, error);
  }
  section.hidden = false;
  progress.value = 0;
  say(status, "Uploading your photo…");
  try {
    await send(reservation.upload, file, contentType);
  } catch {
    button.disabled = false;
    return say(status, "The upload did not finish. Check your connection and press Upload photo again.", "bad");
  }
  progress.value = 100;
  progress.textContent = "100%";
  status.focus();
  await follow(reservation.photo_id);
});
