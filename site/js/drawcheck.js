// `sha256-mod-v1` (API.md), recomputed in the browser with WebCrypto and BigInt.
// Pure functions: no DOM, no network. The Python twin is functions/prizedraw/algorithm.py.

export const ALGORITHM = "sha256-mod-v1";

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(hex) {
  if (typeof hex !== "string" || hex.length % 2 || /[^0-9a-f]/i.test(hex)) throw new Error(`not hex: ${hex}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Sorted the way Python sorts str (code point order; ids are ASCII hex, so plain < works). */
export function sorted(ids) {
  return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** sha256("\n".join(sorted(entrant_ids)).encode()).hexdigest() */
export async function entrantsHash(ids) {
  return toHex(await sha256(new TextEncoder().encode(sorted(ids).join("\n"))));
}

/** int.from_bytes(sha256(seed + bytes.fromhex(hash) + k.to_bytes(4, "big")).digest(), "big") % size */
export async function pickIndex(seed, hashHex, k, size) {
  if (size < 1) throw new Error("nobody left to pick from");
  const hashBytes = fromHex(hashHex);
  const message = new Uint8Array(seed.length + hashBytes.length + 4);
  message.set(seed, 0);
  message.set(hashBytes, seed.length);
  new DataView(message.buffer).setUint32(seed.length + hashBytes.length, k, false);
  const digest = await sha256(message);
  return Number(BigInt(`0x${toHex(digest)}`) % BigInt(size));
}

/**
 * Replays a published draw: `positions` initial picks (k = 1..positions), then each redraw in
 * order with the next unused k. Returns { winners, steps } where steps explain every pick.
 */
export async function replay(seedHex, entrants, positions, redraws = []) {
  const seed = fromHex(seedHex);
  const ordered = sorted(new Set(entrants));
  const hashHex = await entrantsHash(ordered);
  const gone = new Set();
  const winners = [];
  const steps = [];
  let k = 1;
  const next = async (position) => {
    const remaining = ordered.filter((e) => !gone.has(e));
    const index = await pickIndex(seed, hashHex, k, remaining.length);
    const chosen = remaining[index];
    steps.push({ position, k, remaining: remaining.length, index, chosen });
    gone.add(chosen);
    k += 1;
    return chosen;
  };
  for (let p = 1; p <= Math.min(positions, ordered.length); p += 1) winners.push(await next(p));
  for (const redraw of redraws) {
    const holder = winners[redraw.position - 1];
    if (holder === undefined) throw new Error(`redraw of position ${redraw.position}, which does not exist`);
    if (holder !== redraw.replaced_entrant_id) {
      throw new Error(`redraw of position ${redraw.position} replaced ${redraw.replaced_entrant_id}, but ${holder} held it`);
    }
    if (ordered.filter((e) => !gone.has(e)).length === 0) throw new Error("nobody left to pick from");
    winners[redraw.position - 1] = await next(redraw.position);
  }
  return { winners, steps, entrantsHash: hashHex };
}

/**
 * Checks a day's audit record (GET /draws/{day}) against its entrant list
 * (GET /draws/{day}/entrants). Returns { ok, checks: [{ label, ok, detail }], steps }.
 */
export async function verify(record, entrants, publishedCommitment = null) {
  const checks = [];
  const check = (label, ok, detail = "") => checks.push({ label, ok: Boolean(ok), detail });
  check("The algorithm is sha256-mod-v1", record.algorithm === ALGORITHM, record.algorithm);
  if (publishedCommitment !== null) {
    check("The commitment is the one published before the day", publishedCommitment === record.commitment, record.commitment);
  }
  if (record.status !== "drawn" || !record.seed) {
    check("The day has been drawn", false, "Not drawn yet: the seed is revealed with the result.");
    return { ok: false, checks, steps: [], drawn: false };
  }
  check("sha256(seed) equals the commitment", toHex(await sha256(fromHex(record.seed))) === record.commitment,
    `sha256(seed) = ${toHex(await sha256(fromHex(record.seed)))}`);
  const unique = sorted(new Set(entrants));
  check("The entrant list is sorted, with no duplicates", unique.join("\n") === entrants.join("\n"), `${entrants.length} entrants`);
  check("The number of entrants matches", entrants.length === record.entrant_count, `${entrants.length} listed, ${record.entrant_count} in the record`);
  const hashHex = await entrantsHash(entrants);
  check("sha256 of the entrant list equals entrants_hash", hashHex === record.entrants_hash, hashHex);
  const published = [...record.winners].sort((a, b) => a.position - b.position);
  let result = { winners: [], steps: [] };
  try {
    result = await replay(record.seed, entrants, published.length, record.redraws || []);
    check("Every redraw replaced the entrant who held that position", true);
  } catch (error) {
    check("The redraws can be replayed", false, error.message);
  }
  const same = published.length === result.winners.length &&
    published.every((w, i) => w.position === i + 1 && w.entrant_id === result.winners[i]);
  check("The recomputed winners are the published winners", same,
    `recomputed: ${result.winners.join(", ") || "nobody"}; published: ${published.map((w) => w.entrant_id).join(", ") || "nobody"}`);
  return { ok: checks.every((c) => c.ok), checks, steps: result.steps, winners: result.winners, drawn: true };
}
