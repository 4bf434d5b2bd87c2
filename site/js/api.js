// The one door to the public API (API.md). Every page talks to the backend through here.
import config from "/config.js";

export const API = (config.apiUrl || "").replace(/\/$/, "");

/** An API answer that was not 2xx, with its RFC 9457 problem details. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Calls the API. `body` is sent as JSON. `token` adds `Authorization: Bearer`.
 * Returns the parsed JSON (or text for non-JSON answers) and throws ApiError otherwise.
 */
export async function api(path, { method = "GET", body, token, query } = {}) {
  const url = new URL(API + path, location.href);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { title: "Network error", detail: "We could not reach the server. Check your connection and try again." });
  }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json().catch(() => ({})) : await response.text();
  if (!response.ok) {
    const problem = typeof data === "object" ? data : { title: response.statusText, detail: data };
    if (response.status === 429) {
      const wait = response.headers.get("retry-after");
      problem.detail = `Too many requests just now. Please try again${wait ? ` in ${wait} seconds` : " later"}.`;
    }
    throw new ApiError(response.status, problem);
  }
  return { status: response.status, data, headers: response.headers };
}

/** Plain words for a failed call; field errors are returned separately for the form. */
export function explain(error) {
  if (!(error instanceof ApiError)) return "Something went wrong. Please try again.";
  const p = error.problem || {};
  switch (error.status) {
    case 401: return "Please sign in again (your session has ended).";
    case 403: return "Your account is not an organiser account.";
    case 413: return "That is too large to send.";
    case 422: return "Please check the highlighted fields.";
    default: return p.detail || p.title || `The server answered ${error.status}.`;
  }
}

/** The validation errors of a 422 as { fieldName: message }. */
export function fieldErrors(error) {
  const out = {};
  for (const e of (error instanceof ApiError && error.problem.errors) || []) {
    const loc = (e.loc || []).filter((part) => part !== "body");
    const name = loc.length ? String(loc[loc.length - 1]) : "";
    if (name && !out[name]) out[name] = e.msg;
  }
  return out;
}

export { config };
