// Organiser sign-in with Cognito (USER_PASSWORD_AUTH); the IdToken lives in sessionStorage only.
import { config } from "/js/api.js";

const KEY = "techognition.organiser";

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

export async function signIn(username, password) {
  let response;
  try {
    response = await fetch(cognitoEndpoint(), {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: config.userPoolClientId,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    });
  } catch {
    throw new Error("We could not reach the sign-in service. Check your connection.");
  }
  const data = await response.json().catch(() => ({}));
  const token = data.AuthenticationResult?.IdToken;
  if (!response.ok || !token) {
    const type = String(data.__type || "");
    if (/NotAuthorized|UserNotFound/.test(type)) throw new Error("That username and password do not match.");
    if (data.ChallengeName) throw new Error("This account must finish setting up (new password) before it can sign in here.");
    throw new Error(data.message || "Sign-in failed. Please try again.");
  }
  const saved = { token, username: claimsOf(token)["cognito:username"] || username };
  sessionStorage.setItem(KEY, JSON.stringify(saved));
  return saved;
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}
