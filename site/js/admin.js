// The organiser console: sign in, moderate photos with the keyboard, messages, draws, erasure,
// export. Every call carries the Cognito IdToken; a 401 sends the organiser back to sign in.
import { api, API, ApiError, explain } from "/js/api.js";
import {
  answerChallenge, finishAuthenticatorSetup, PASSWORD_POLICY, passwordProblems, session, signIn, signOut,
  startAuthenticatorSetup,
} from "/js/auth.js";
import { clearErrors, h, onValidSubmit, say, showProblem, values, when } from "/js/ui.js";

const $ = (id) => document.getElementById(id);
const status = $("console-status");

// Preset reasons: the backend turns each code into a kind sentence for the uploader.
export const PHOTO_REASONS = [
  { code: "pupil_without_consent", label: "A pupil can be identified, without consent" },
  { code: "not_technician_work", label: "It is not about technicians' work" },
  { code: "inappropriate", label: "It is inappropriate or shows unsafe practice" },
  { code: "poor_quality", label: "It is blurred, too dark or too small" },
  { code: "duplicate", label: "It is a duplicate" },
];
export const MESSAGE_REASONS = [
  "It is abusive or offensive",
  "It is not a message to government",
  "It contains personal information",
  "It is spam or a duplicate",
].map((label) => ({ code: null, label }));

// -- session ---------------------------------------------------------------------------------
function token() {
  return session()?.token;
}

async function call(path, options = {}) {
  try {
    return await api(path, { ...options, token: token() });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      signOut();
      showSignIn("Your session has ended. Please sign in again.");
    }
    throw error;
  }
}

function showSignIn(message = "", focus = true) {
  closeChallenge();
  $("console").hidden = true;
  $("signin").hidden = false;
  if (message) say(status, message, "bad");
  if (focus) $("username").focus(); // not on page load: the skip link comes first
}

function showConsole() {
  const s = session();
  closeChallenge();
  $("who").textContent = s.username;
  $("signin").hidden = true;
  $("console").hidden = false;
  loadQueue(true);
}

// -- sign-in steps (Cognito challenges) ------------------------------------------------------
let challenge = null; // the step Cognito asked for: { name, session, username, supported }

function closeChallenge() {
  challenge = null;
  $("challenge").replaceChildren();
  $("signin-step").hidden = false;
}

/** A message beside a field, in the same shape as ui.js's showProblem (clearErrors removes it). */
function fieldError(input, message) {
  const note = h("p", { class: "error-text", id: `${input.id}-error` }, message);
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), note.id].filter(Boolean).join(" "));
  input.closest(".field")?.append(note);
}

/** Acts on what Cognito answered: signed in, or the next step it asks for. */
function proceed(step) {
  if (step.signedIn) {
    say(status, "Signed in.", "ok");
    showConsole();
    return;
  }
  const asked = step.challenge;
  if (!asked.supported) {
    showSignIn(`This account needs a step the console can't do yet (Cognito asks for ${asked.name}): ask ops.`);
    return;
  }
  challenge = asked;
  const templates = { NEW_PASSWORD_REQUIRED: "tpl-new-password", MFA_SETUP: "tpl-mfa-setup" };
  const form = $(templates[asked.name] || "tpl-mfa").content.firstElementChild.cloneNode(true);
  $("signin-step").hidden = true;
  $("challenge").replaceChildren(form);
  form.querySelector("[data-restart]").addEventListener("click", () => {
    showSignIn();
    say(status, "Start again with your username and password.");
  });
  if (asked.name === "NEW_PASSWORD_REQUIRED") {
    $("new-password-policy").textContent = PASSWORD_POLICY;
    form.addEventListener("submit", submitNewPassword);
    say(status, "Your temporary password worked. Now choose your own password.");
  } else if (asked.name === "MFA_SETUP") {
    form.addEventListener("submit", submitSetupCode);
    showSetupKey(form, asked);
    return; // focus moves once the key is there
  } else {
    form.addEventListener("submit", submitCode);
    say(status, "One more step: the code from your authenticator app.");
  }
  form.elements[0].focus();
}

/** Asks Cognito for the new authenticator's key and shows it, with its otpauth:// link. */
async function showSetupKey(form, asked) {
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  say(status, "Your account needs an authenticator app. Getting your setup key…");
  try {
    const { secret, uri } = await startAuthenticatorSetup(asked);
    if (challenge !== asked) return; // started again meanwhile
    $("mfa-secret").textContent = secret.match(/.{1,4}/g).join(" "); // easier to copy by hand
    $("mfa-uri").textContent = uri;
    submit.disabled = false;
    say(status, "Add the key to your authenticator app, then type the code it shows.");
    $("mfa-setup-code").focus();
  } catch (error) {
    if (challenge !== asked) return;
    showSignIn(error.message);
  }
}

/** Sends a challenge answer; a failure either keeps the form (try again) or starts over. */
async function answer(form, responses, retryField) {
  const buttons = [...form.querySelectorAll("button")];
  for (const b of buttons) b.disabled = true;
  say(status, "Checking…");
  try {
    const step = typeof responses === "function" ? responses() : answerChallenge(challenge, responses);
    proceed(await step);
  } catch (error) {
    if (error.restart) {
      showSignIn(error.message);
    } else {
      say(status, error.message, "bad");
      fieldError(retryField, error.message);
      retryField.select?.();
      retryField.focus();
    }
  }
  for (const b of buttons) b.disabled = false;
}

function submitNewPassword(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const fresh = form.elements.new_password;
  const again = form.elements.new_password_again;
  const missing = passwordProblems(fresh.value);
  if (missing.length) {
    fieldError(fresh, `Your new password needs ${missing.join(", ")}.`);
  }
  if (again.value !== fresh.value) {
    fieldError(again, "The two passwords are not the same. Type the new password again.");
  }
  const wrong = form.querySelector("[aria-invalid='true']");
  if (wrong) {
    say(status, "Please check your new password.", "bad");
    wrong.focus();
    return;
  }
  answer(form, { NEW_PASSWORD: fresh.value }, fresh);
}

/** The form's 6-digit code (spaces as apps group it are fine), or null after saying why not. */
function codeOf(form) {
  clearErrors(form);
  const field = form.elements.code;
  const code = field.value.replace(/\s+/g, "");
  if (!/^[0-9]{6}$/.test(code)) {
    fieldError(field, "Type the 6 digits your authenticator app shows.");
    say(status, "Please check the code.", "bad");
    field.focus();
    return null;
  }
  return code;
}

function submitCode(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const code = codeOf(form);
  if (code) answer(form, { SOFTWARE_TOKEN_MFA_CODE: code }, form.elements.code);
}

function submitSetupCode(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const code = codeOf(form);
  if (code) answer(form, () => finishAuthenticatorSetup(challenge, code), form.elements.code);
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  if (!form.reportValidity()) return;
  const button = form.querySelector("button");
  button.disabled = true;
  say(status, "Signing in…");
  try {
    const step = await signIn(form.elements.username.value.trim(), form.elements.password.value);
    form.reset();
    proceed(step);
  } catch (error) {
    say(status, error.message, "bad");
    form.elements.password.focus();
  }
  button.disabled = false;
});

$("signout").addEventListener("click", () => {
  signOut();
  showSignIn();
  say(status, "Signed out.");
});

// -- tabs (WAI-ARIA tabs: arrow keys move between them) ----------------------------------------
const tabs = [...document.querySelectorAll('[role="tab"]')];
const loaders = { "panel-queue": () => loadQueue(true), "panel-messages": loadMessages };
function select(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  tab.focus();
  loaders[tab.getAttribute("aria-controls")]?.();
}
for (const tab of tabs) {
  tab.addEventListener("click", () => select(tab));
  tab.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(tab);
    if (e.key === "ArrowRight") select(tabs[(i + 1) % tabs.length]);
    if (e.key === "ArrowLeft") select(tabs[(i - 1 + tabs.length) % tabs.length]);
  });
}

// -- the reason picker -------------------------------------------------------------------------
const dialog = $("reason-dialog");
/** Opens the preset reasons; resolves with the chosen reason, or null if cancelled. */
function pickReason(reasons) {
  const options = $("reason-options");
  options.replaceChildren(...reasons.map((reason, i) => h("label", { class: "check", for: `reason-${i}` },
    h("input", { type: "radio", name: "reason", id: `reason-${i}`, value: String(i), required: true, checked: i === 0 }),
    h("span", {}, `${i + 1}. ${reason.label}`))));
  return new Promise((resolve) => {
    const onKey = (e) => {
      const n = Number(e.key);
      if (n >= 1 && n <= reasons.length) {
        e.preventDefault();
        $(`reason-${n - 1}`).checked = true;
        dialog.close("reject");
      }
    };
    dialog.addEventListener("keydown", onKey);
    dialog.addEventListener("close", () => {
      dialog.removeEventListener("keydown", onKey);
      const chosen = dialog.returnValue === "reject" ? options.querySelector("input:checked")?.value : null;
      resolve(chosen === null || chosen === undefined ? null : reasons[Number(chosen)]);
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    options.querySelector("input:checked")?.focus();
  });
}

// -- moderation queue --------------------------------------------------------------------------
const queue = $("queue");
const more = $("queue-more");
let items = [];
let current = 0;
let cursor = null;

function flagsOf(item) {
  const pre = item.prescreen;
  if (!pre) return [];
  const out = [...(pre.flags || [])];
  for (const label of pre.labels || []) out.push(`${label.name} (${Math.round(label.confidence)}%)`);
  if (pre.faces_under_18) out.push(`${pre.faces_under_18} face${pre.faces_under_18 === 1 ? "" : "s"} that may be under 18`);
  if (pre.status === "unavailable") out.push("Prescreen unavailable: check by eye");
  return out;
}

// A photo an organiser restored after a report stays public when reported again: say so here.
function reportFlag(item) {
  const n = item.flagged_reports || 0;
  return n ? h("p", { class: "flags", role: "status" },
    `Reported again ${n} time${n === 1 ? "" : "s"} since it was restored: still public. Look again.`) : null;
}

function photoRow(item, index) {
  const thumb = item.thumbnail_url || item.thumb_url || item.preview_url || item.image_url;
  const reports = item.reports || [];
  const flags = flagsOf(item);
  return h("li", { id: `item-${index}`, tabindex: -1, "data-photo-id": item.photo_id, "aria-current": index === current ? "true" : null },
    thumb ? h("img", { src: thumb, alt: `Photo: ${item.caption}`, width: 144, height: 144 }) : h("span", {}, "(no preview)"),
    h("div", {},
      h("h3", {}, item.caption),
      h("p", { class: "meta" }, `${item.display_name}, ${item.school}`, item.email ? ` · ${item.email}` : "",
        item.uploaded_at ? ` · ${when(item.uploaded_at)}` : "", item.day ? ` · day ${item.day}` : ""),
      flags.length ? h("ul", { class: "flags", "aria-label": "Prescreen flags" }, flags.map((f) => h("li", {}, f))) : h("p", { class: "hint" }, "No prescreen flags."),
      reportFlag(item),
      reports.length ? h("div", {}, h("strong", {}, `Reports (${reports.length}):`),
        h("ul", {}, reports.map((r) => h("li", {}, typeof r === "string" ? r : `${r.reason}${r.at ? ` (${when(r.at)})` : ""}`)))) : null,
      item.reason ? h("p", {}, `Reason: ${item.reason}`) : null,
      h("p", { class: "actions" },
        item.status !== "approved" ? h("button", { type: "button", onclick: () => decide(index, "approve") }, "Approve") : null,
        item.status !== "rejected" ? h("button", { type: "button", class: "danger", onclick: () => decide(index, "reject") }, "Reject") : null,
        h("button", { type: "button", class: "secondary", onclick: () => audit(index) }, "History"))));
}

function render(focus = false) {
  // Clamp first: after deciding the last photo the selection moves to the one before it.
  current = Math.min(current, Math.max(items.length - 1, 0));
  queue.replaceChildren(...items.map(photoRow));
  if (!items.length) queue.append(h("li", {}, "Nothing here. Well done!"));
  if (focus && items.length) $(`item-${current}`).focus();
}

function move(step) {
  if (!items.length) return;
  $(`item-${current}`)?.removeAttribute("aria-current");
  current = Math.max(0, Math.min(items.length - 1, current + step));
  const row = $(`item-${current}`);
  row.setAttribute("aria-current", "true");
  row.focus();
  row.scrollIntoView({ block: "nearest" });
}

async function loadQueue(reset = false) {
  if (reset) {
    items = [];
    cursor = null;
    current = 0;
    $("audit").hidden = true;
  }
  try {
    const { data } = await call("/admin/photos", { query: { status: $("queue-status").value, limit: 20, cursor } });
    items.push(...data.items);
    cursor = data.next_cursor;
    more.hidden = !cursor;
    render();
    say(status, `${items.length} photo${items.length === 1 ? "" : "s"} ${$("queue-status").selectedOptions[0].text.toLowerCase()}.`);
  } catch (error) {
    say(status, explain(error), "bad");
  }
}

async function decide(index, decision) {
  const item = items[index];
  if (!item) return;
  current = index;
  let reason;
  if (decision === "reject") {
    reason = await pickReason(PHOTO_REASONS);
    if (!reason) return $(`item-${index}`)?.focus();
  }
  try {
    await call(`/admin/photos/${encodeURIComponent(item.photo_id)}/decision`, { method: "POST", body: reason ? { decision, reason_code: reason.code } : { decision } });
    items.splice(index, 1);
    render(true);
    say(status, `${decision === "approve" ? "Approved" : "Rejected"}: “${item.caption}”. ${items.length} left.`, "ok");
  } catch (error) {
    say(status, explain(error), "bad");
  }
}

async function audit(index) {
  const item = items[index];
  if (!item) return;
  try {
    const { data } = await call(`/admin/photos/${encodeURIComponent(item.photo_id)}/audit`);
    $("audit-heading").textContent = `History of “${item.caption}”`;
    $("audit-rows").replaceChildren(...data.items.map((e) => h("tr", {},
      h("td", {}, when(e.at)), h("td", {}, e.actor), h("td", {}, e.action),
      h("td", {}, typeof e.detail === "object" && e.detail !== null ? JSON.stringify(e.detail) : e.detail ?? ""))));
    $("audit").hidden = false;
    $("audit").focus();
  } catch (error) {
    say(status, explain(error), "bad");
  }
}

document.addEventListener("keydown", (e) => {
  if ($("console").hidden || $("panel-queue").hidden || dialog.open) return;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.closest?.("input, textarea, select, [contenteditable]")) return;
  const actions = { a: () => decide(current, "approve"), r: () => decide(current, "reject"),
    j: () => move(1), n: () => move(1), k: () => move(-1), h: () => audit(current) };
  const act = actions[e.key];
  if (act) {
    e.preventDefault();
    act();
  }
});
$("queue-status").addEventListener("change", () => loadQueue(true));
$("queue-refresh").addEventListener("click", () => loadQueue(true));
more.addEventListener("click", () => loadQueue());

// -- messages ----------------------------------------------------------------------------------
async function loadMessages() {
  const list = $("message-queue");
  try {
    const { data } = await call("/admin/messages", { query: { status: "pending", limit: 50 } });
    list.replaceChildren(...data.items.map((m) => h("li", { "data-message-id": m.message_id },
      h("div", {}, h("p", {}, m.message), h("p", { class: "meta" }, [m.name, m.role, when(m.created_at)].filter(Boolean).join(" · "))),
      h("p", { class: "actions" },
        h("button", { type: "button", onclick: () => decideMessage(m, "approve") }, "Publish"),
        h("button", { type: "button", class: "danger", onclick: () => decideMessage(m, "reject") }, "Reject")))));
    if (!data.items.length) list.append(h("li", {}, "No messages waiting."));
  } catch (error) {
    say(status, explain(error), "bad");
  }
}

async function decideMessage(message, decision) {
  let reason;
  if (decision === "reject") {
    reason = await pickReason(MESSAGE_REASONS);
    if (!reason) return;
  }
  try {
    await call(`/admin/messages/${encodeURIComponent(message.message_id)}/decision`, { method: "POST", body: reason ? { decision, reason: reason.label } : { decision } });
    say(status, decision === "approve" ? "Message published." : "Message rejected.", "ok");
    loadMessages();
  } catch (error) {
    say(status, explain(error), "bad");
  }
}
$("messages-refresh").addEventListener("click", loadMessages);

// -- draws -------------------------------------------------------------------------------------
function drawSummary(record) {
  const winners = (record.winners || []).map((w) => `${w.position}. ${w.display_name === null ? "(details erased)" : `${w.display_name}, ${w.school}`}`).join("; ") || "no winners";
  return [`Draw of ${record.day}: ${record.entrant_count} entrant${record.entrant_count === 1 ? "" : "s"}, ${winners}. `,
    h("a", { href: `/verify.html?day=${record.day}` }, "Verify it")];
}
const today = new Date().toLocaleDateString("en-CA", { timeZone: "Europe/London" });
$("draw-day").value = today;
$("redraw-day").value = today;
// A console form: checked, sent by `send(form)` (its answer shown in the status region), its
// failure shown beside the fields; the status region takes the focus either way.
function consoleForm(id, statusId, send) {
  const form = $(id);
  onValidSubmit(form, async () => {
    try {
      say($(statusId), await send(form), "ok");
    } catch (error) {
      showProblem(form, $(statusId), error);
    }
    $(statusId).focus();
  });
}
consoleForm("draw-form", "draw-status", async (form) => {
  const { data } = await call("/admin/draws", { method: "POST", body: { day: form.elements.day.value, force: form.elements.force.checked } });
  return drawSummary(data);
});
consoleForm("redraw-form", "draw-status", async (form) => {
  const { day, position, reason } = values(form);
  const { data } = await call(`/admin/draws/${encodeURIComponent(day)}/redraw`, { method: "POST", body: { position: Number(position), reason } });
  return drawSummary(data);
});

// -- erasure -----------------------------------------------------------------------------------
consoleForm("erasure-form", "erasure-status", async (form) => {
  const { data } = await call("/admin/erasure", { method: "POST", body: { email: form.elements.email.value.trim() } });
  const counts = Object.entries(data.erased || data).map(([k, v]) => `${k.replace(/_/g, " ")}: ${typeof v === "object" ? JSON.stringify(v) : v}`);
  form.reset();
  return [`Erased. `, counts.join(" · ")];
});

// -- export ------------------------------------------------------------------------------------
$("export").addEventListener("click", async () => {
  const out = $("export-status");
  try {
    const response = await fetch(`${API}/admin/signups/export`, { headers: { Authorization: `Bearer ${token()}`, Accept: "text/csv" } });
    if (response.status === 401) {
      signOut();
      return showSignIn("Your session has ended. Please sign in again.");
    }
    if (!response.ok) throw new Error(`The server answered ${response.status}.`);
    const csv = await response.text();
    const rows = Math.max(csv.trim().split("\n").length - 1, 0);
    const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    const link = h("a", { href: url, download: `signups-${today}.csv` }, `signups-${today}.csv`);
    say(out, [`${rows} sign-up${rows === 1 ? "" : "s"}: `, link], "ok");
    link.click();
  } catch (error) {
    say(out, error.message || "The export failed.", "bad");
  }
});

// -- start -------------------------------------------------------------------------------------
if (session()) showConsole();
else showSignIn("", false);
