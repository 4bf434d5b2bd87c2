// Organiser sign-in with Cognito (USER_PASSWORD_AUTH), including the challenges an organiser can
// meet: NEW_PASSWORD_REQUIRED (first sign-in with the emailed temporary password), MFA_SETUP
// (the pool requires an authenticator app: enrol one) and SOFTWARE_TOKEN_MFA (its code at every
// sign-in). The IdToken lives in sessionStorage only.
import { config } from "/js/api.js";

const KEY = "techognition.organiser";

/** The pool's password policy in plain words (CDK and local/provision.py set the same). */
export const PASSWORD_POLICY =
  "At least 12 characters, with an upper-case letter, a lower-case letter, a number and a symbol (such as ! ? # - or _).";

// Cognito's list of symbols that count as "special characters".
const SYMBOL = /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+\- ]/;

/** The challenges this console can answer. */
export const SUPPORTED_CHALLENGES = new Set(["NEW_PASSWORD_REQUIRED", "MFA_SETUP", "SOFTWARE_TOKEN_MFA"]);

/** Shown in the authenticator app next to the account name. */
const ISSUER = "TECHOGNITION";

// The steps of a sign-in: an expired Session there means starting again from the top.
const CHALLENGE_ACTIONS = new Set(["RespondToAuthChallenge", "AssociateSoftwareToken", "VerifySoftwareToken"]);

/** A sign-in failure in plain words; `restart` means the sign-in must start again from the top. */
export class AuthError extends Error {
  constructor(message, { type = "", restart = false } = {}) {
    super(message);
    this.type = type;
    this.restart = restart;
  }
}

export function cognitoEndpoint() {
  return config.cognitoEndpoint || `https://cognito-idp.${config.region}.amazonaws.com/`;
}

function claimsOf(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}

/** { token, username } while the token is fresh, else null. */
export function session() {
  const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
  if (!saved) return null;
  const { exp = 0 } = claimsOf(saved.token);
  if (exp * 1000 < Date.now() + 30_000) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return saved;
}

/** What the new password still lacks, in words (empty when it meets the policy). */
export function passwordProblems(password) {
  const missing = [];
  if (password.length < 12) missing.push("at least 12 characters");
  if (!/[A-Z]/.test(password)) missing.push("an upper-case letter");
  if (!/[a-z]/.test(password)) missing.push("a lower-case letter");
  if (!/[0-9]/.test(password)) missing.push("a number");
  if (!SYMBOL.test(password)) missing.push("a symbol");
  if (password !== password.trim()) missing.push("no space at the start or end");
  return missing;
}

function errorOf(action, data) {
  const type = String(data.__type || "").split("#").pop().split(":")[0];
  const message = String(data.message || data.Message || "");
  const fail = (text, restart = false) => new AuthError(text, { type, restart });
  const challenge = CHALLENGE_ACTIONS.has(action);
  switch (type) {
    case "NotAuthorizedException":
      if (/session/i.test(message)) {
        return fail("This sign-in took too long (each step must be done within 3 minutes). Please start again.", true);
      }
      if (/attempts exceeded/i.test(message)) return fail("Too many wrong attempts. Wait a few minutes, then start again.", true);
      if (/temporary password has expired/i.test(message)) {
        return fail("Your temporary password has expired. Ask ops to send you a new one.", true);
      }
      if (/disabled/i.test(message)) return fail("This account is switched off. Ask ops.", true);
      if (challenge) return fail("Sign-in could not continue. Please start again.", true);
      return fail("Wrong username or password.");
    case "UserNotFoundException":
      return fail("Wrong username or password.", challenge);
    case "InvalidPasswordException":
      return fail(`That password is not allowed. ${PASSWORD_POLICY} It must not be one you used before.`);
    case "CodeMismatchException":
    case "EnableSoftwareTokenMFAException": // VerifySoftwareToken's answer to a wrong code
      return fail("That code didn't match. Type the newest 6-digit code from your authenticator app.");
    case "ExpiredCodeException":
      return fail("That code has expired or was already used. Wait for the next code and type it.");
    case "ResourceNotFoundException": // an unknown or expired Session (the local Cognito says so)
      if (challenge) return fail("This sign-in took too long (each step must be done within 3 minutes). Please start again.", true);
      return fail("The console is not set up for this sign-in service (unknown app client). Ask ops.");
    case "PasswordResetRequiredException":
      return fail("This account's password must be reset. Ask ops.", true);
    case "UserNotConfirmedException":
      return fail("This account is not confirmed yet. Ask ops.", true);
    case "TooManyRequestsException":
    case "LimitExceededException":
    case "TooManyFailedAttemptsException":
      return fail("Too many attempts. Wait a few minutes, then try again.", challenge);
    default:
      return fail(message ? `Sign-in failed: ${message}` : "Sign-in failed. Please try again.");
  }
}

async function cognito(action, body) {
  let response;
  try {
    response = await fetch(cognitoEndpoint(), {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw new AuthError("We could not reach the sign-in service. Check your connection.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw errorOf(action, data);
  return data;
}

function jsonOr(text, fallback) {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

/**
 * Turns a Cognito answer into the next step:
 * { signedIn: { token, username } } or { challenge: { name, session, username, supported } }.
 */
function next(data, username) {
  const token = data.AuthenticationResult?.IdToken;
  if (token) {
    const saved = { token, username: claimsOf(token)["cognito:username"] || username };
    sessionStorage.setItem(KEY, JSON.stringify(saved));
    return { signedIn: saved };
  }
  if (data.ChallengeName && data.Session) {
    const parameters = data.ChallengeParameters || {};
    // Cognito wants the real username back (not an alias such as the email).
    const who = parameters.USER_ID_FOR_SRP || parameters.USERNAME || username;
    // A new password with required attributes still missing needs a form this console lacks.
    const required = jsonOr(parameters.requiredAttributes || "[]", []);
    // MFA_SETUP lists what may be set up (a JSON list in a string from Cognito, a Python one
    // from moto): only an authenticator app can be set up here.
    const canSetUp = parameters.MFAS_CAN_SETUP;
    const appOffered = canSetUp === undefined || String(canSetUp).includes("SOFTWARE_TOKEN_MFA");
    const supported = SUPPORTED_CHALLENGES.has(data.ChallengeName) &&
      !(data.ChallengeName === "NEW_PASSWORD_REQUIRED" && required.length) &&
      !(data.ChallengeName === "MFA_SETUP" && !appOffered);
    return { challenge: { name: data.ChallengeName, session: data.Session, username: who, supported } };
  }
  throw new AuthError("Sign-in failed: the sign-in service gave no answer we understand. Please try again.");
}

/** Starts a sign-in; resolves with the next step (see `next`). */
export async function signIn(username, password) {
  const data = await cognito("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: config.userPoolClientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  return next(data, username);
}

/**
 * Answers a challenge, e.g. { NEW_PASSWORD: "…" } or { SOFTWARE_TOKEN_MFA_CODE: "123456" };
 * resolves with the next step (tokens or a further challenge).
 */
export async function answerChallenge(challenge, responses) {
  const data = await cognito("RespondToAuthChallenge", {
    ChallengeName: challenge.name,
    ClientId: config.userPoolClientId,
    Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.username, ...responses },
  });
  return next(data, challenge.username);
}

/**
 * MFA_SETUP, first half: asks Cognito for a new authenticator secret for this sign-in.
 * Resolves with { secret, uri } (uri: the otpauth:// link apps accept); the challenge keeps the
 * Session Cognito hands back for the next call.
 */
export async function startAuthenticatorSetup(challenge) {
  const data = await cognito("AssociateSoftwareToken", { Session: challenge.session });
  if (!data.SecretCode) throw new AuthError("Sign-in could not continue. Please start again.", { restart: true });
  if (data.Session) challenge.session = data.Session;
  const secret = String(data.SecretCode);
  const label = encodeURIComponent(`${ISSUER}:${challenge.username}`);
  const uri = `otpauth://totp/${label}?secret=${encodeURIComponent(secret)}&issuer=${ISSUER}&algorithm=SHA1&digits=6&period=30`;
  return { secret, uri };
}

/**
 * MFA_SETUP, second half: checks the app's first code, then completes the challenge; resolves
 * with the next step (see `next`).
 */
export async function finishAuthenticatorSetup(challenge, code) {
  const verified = await cognito("VerifySoftwareToken", {
    Session: challenge.session,
    UserCode: code,
    FriendlyDeviceName: "Organiser console",
  });
  if (verified.Status !== "SUCCESS") {
    throw new AuthError("That code didn't match. Type the newest 6-digit code from your authenticator app.");
  }
  if (verified.Session) challenge.session = verified.Session;
  return answerChallenge(challenge, {});
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}
