// AP-REQ replay cache (RFC 4120 §3.2.3, §10): a server must remember every authenticator it
// accepted for as long as that authenticator could still pass the clock-skew check, and
// reject a second one with the same identity as KRB_AP_ERR_REPEAT.
//
// Identity of an authenticator: client principal, server principal, ctime, cusec and the
// authenticator checksum (RFC 4120 §3.2.3 names client, server, ctime and cusec; the checksum
// is added so two distinct requests from one client in the same microsecond are told apart).
// MIT's replay cache (rcache_file_format.rst) stores a digest instead of the fields; kinkd does
// the same: each entry is a 128-bit prefix of SHA-256 over an unambiguous encoding of the
// tuple, salted with a per-process random prefix so precomputed collisions are useless.
//
// Memory and time are bounded:
//  * An entry is only needed until ctime + window: after that the caller's skew check rejects
//    the authenticator anyway (RFC 4120 §3.2.3). Entries are filed in time buckets by that
//    expiry instant; a ring of buckets covers [now, now + 2·window] (ctime may lie up to one
//    window in the future), and whole buckets are dropped as the clock passes them. Because
//    the bucket follows from the tuple itself, a lookup touches exactly one Map: O(1).
//  * A hard cap on live entries. At the cap a new authenticator is refused with "full" (fail
//    closed: it cannot be recorded, so accepting it would open a replay hole) and counted.
//
// Time is always passed in (`nowMs`), never read here, so behaviour is deterministic and
// testable. The clock is treated as monotonic: a `nowMs` earlier than one already seen is
// taken as "no time passed" (dropped buckets cannot be resurrected).
//
// Threading: plain Maps, no locking. Use from the main thread only (one cache per process,
// owned by the event loop that handles KINK messages); do not share it with workers.

import { hash, randomBytes } from "node:crypto";
import { KrbError, KrbErrorCode } from "./errors.ts";
import type { Authenticator, PrincipalName } from "./messages/types.ts";
import { formatPrincipal } from "./principal.ts";

/** The fields of an accepted authenticator that identify it. */
export interface ReplayEntry {
  /** Client principal as a string, e.g. "alice@EXAMPLE.COM" (formatPrincipal). */
  client: string;
  /** Server principal as a string, e.g. "kink/gw.example.com@EXAMPLE.COM". */
  server: string;
  /** Authenticator ctime in milliseconds since the epoch (KerberosTime; whole seconds). */
  ctime: number;
  /** Authenticator cusec, 0..999999. */
  cusec: number;
  /** Authenticator checksum bytes (RFC 4120 §5.5.1 cksum), absent or empty when there is none. */
  checksum?: Uint8Array;
}

/**
 * Outcome of `check`:
 *  - "ok": first sighting, now recorded;
 *  - "replay": seen inside the window → KRB_AP_ERR_REPEAT;
 *  - "full": the cache is at its cap and could not record it; fail closed (log, count, refuse);
 *  - "stale": ctime is outside ±window of now, so it cannot be recorded for the right time;
 *    the caller's skew check should already have refused it (KRB_AP_ERR_SKEW).
 */
export type ReplayResult = "ok" | "replay" | "full" | "stale";

export interface ReplayCacheOptions {
  /** Clock-skew window in ms (MIT clockskew, default 300 s). */
  windowMs?: number;
  /** Hard cap on live entries (default 200 000). */
  maxEntries?: number;
  /** Width of one expiry bucket in ms (default 5 s). Entries live up to one bucket longer than needed. */
  bucketMs?: number;
}

export interface ReplayCacheStats {
  checks: number;
  accepted: number;
  replays: number;
  stale: number;
  capacityRejections: number;
  bucketsDropped: number;
  entriesExpired: number;
  size: number;
}

const SALT_LEN = 16;
const DIGEST_CHARS = 16; // 128-bit prefix, held as a 16-char one-byte string (compact Map key)

export class ReplayCache {
  readonly windowMs: number;
  readonly maxEntries: number;
  readonly bucketMs: number;
  readonly #salt = randomBytes(SALT_LEN);
  /** Salt, then the encoded tuple of the entry being digested. */
  #scratch = scratchWithSalt(this.#salt, 0);
  /** Ring slot → live entries whose expiry falls in that bucket (digest → nothing). */
  readonly #ring: Set<string>[];
  /** Bucket number currently held by each ring slot (-1 = empty). */
  readonly #ringBucket: Float64Array;
  /** Oldest bucket number that may still hold live entries. */
  #oldest = Number.NEGATIVE_INFINITY;
  #now = Number.NEGATIVE_INFINITY;
  #size = 0;
  #checks = 0;
  #accepted = 0;
  #replays = 0;
  #stale = 0;
  #full = 0;
  #bucketsDropped = 0;
  #entriesExpired = 0;

  constructor(opts: ReplayCacheOptions = {}) {
    this.windowMs = opts.windowMs ?? 300_000;
    this.maxEntries = opts.maxEntries ?? 200_000;
    this.bucketMs = opts.bucketMs ?? 5_000;
    for (const [k, v] of [
      ["windowMs", this.windowMs],
      ["maxEntries", this.maxEntries],
      ["bucketMs", this.bucketMs],
    ] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`ReplayCache: ${k} must be a positive integer, got ${v}`);
    }
    // Accepted ctimes lie in [now - window, now + window], so expiries (ctime + window) lie in
    // [now, now + 2·window]: that many buckets, plus one for the partly elapsed current bucket
    // and one for rounding. No two live buckets ever share a slot.
    const slots = Math.ceil((2 * this.windowMs) / this.bucketMs) + 2;
    this.#ring = Array.from({ length: slots }, () => new Set<string>());
    this.#ringBucket = new Float64Array(slots).fill(-1);
  }

  /** Live entries. */
  get size(): number {
    return this.#size;
  }

  stats(): ReplayCacheStats {
    return {
      checks: this.#checks,
      accepted: this.#accepted,
      replays: this.#replays,
      stale: this.#stale,
      capacityRejections: this.#full,
      bucketsDropped: this.#bucketsDropped,
      entriesExpired: this.#entriesExpired,
      size: this.#size,
    };
  }

  /** Looks the authenticator up and records it when it is new. `nowMs` is the caller's clock. */
  check(entry: ReplayEntry, nowMs: number): ReplayResult {
    this.#checks++;
    this.#advance(nowMs);
    const now = this.#now;
    // Microsecond-precise instant of the authenticator; it stays acceptable until + window.
    const t = entry.ctime + Math.floor(entry.cusec / 1000);
    if (!Number.isFinite(t) || t + this.windowMs < now || t - this.windowMs > now) {
      this.#stale++;
      return "stale";
    }
    const bucket = Math.floor((t + this.windowMs) / this.bucketMs);
    const slot = bucket % this.#ring.length;
    const set = this.#ring[slot]!;
    // A slot not holding this bucket is empty: #advance emptied it, and the ring is wide enough
    // that two live buckets never map to one slot.
    this.#ringBucket[slot] = bucket;
    const key = this.#digest(entry);
    if (set.has(key)) {
      this.#replays++;
      return "replay";
    }
    if (this.#size >= this.maxEntries) {
      this.#full++;
      return "full";
    }
    set.add(key);
    this.#size++;
    this.#accepted++;
    return "ok";
  }

  /** Drops every entry (shutdown, tests). Counters are kept. */
  clear(): void {
    for (const s of this.#ring) s.clear();
    this.#ringBucket.fill(-1);
    this.#size = 0;
  }

  /** Moves the clock forward and drops every bucket whose whole time span has passed. */
  #advance(nowMs: number): void {
    if (!(nowMs > this.#now)) return; // NaN or a backwards step: treat as no time passed
    this.#now = nowMs;
    // Bucket b holds expiries in [b·w, (b+1)·w); it is dead once (b+1)·w <= now.
    const firstLive = Math.floor(nowMs / this.bucketMs);
    if (this.#oldest === Number.NEGATIVE_INFINITY || firstLive - this.#oldest > this.#ring.length) {
      // First call, or a jump past the whole ring: each slot is visited once at most.
      for (let i = 0; i < this.#ring.length; i++) this.#dropSlot(i, firstLive);
      this.#oldest = firstLive;
      return;
    }
    // Amortised O(1): each bucket number is passed over exactly once in the life of the cache.
    for (let b = this.#oldest; b < firstLive; b++) this.#dropSlot(b % this.#ring.length, firstLive);
    this.#oldest = firstLive;
  }

  #dropSlot(slot: number, firstLive: number): void {
    const held = this.#ringBucket[slot]!;
    if (held < 0 || held >= firstLive) return;
    const set = this.#ring[slot]!;
    if (set.size > 0) {
      this.#size -= set.size;
      this.#entriesExpired += set.size;
      // A fresh Set returns the old one's backing store to the GC in one piece.
      this.#ring[slot] = new Set<string>();
    }
    this.#ringBucket[slot] = -1;
    this.#bucketsDropped++;
  }

  /**
   * 128-bit digest of a length-prefixed encoding of the tuple (no two tuples encode alike),
   * written into one reused buffer behind the salt and hashed in a single one-shot call: a
   * hash object per check cost more than the rest of the check together.
   */
  #digest(e: ReplayEntry): string {
    const cksum = e.checksum ?? EMPTY;
    const need = SALT_LEN + FIXED_LEN + 3 * (e.client.length + e.server.length) + cksum.length;
    if (need > this.#scratch.length) this.#scratch = scratchWithSalt(this.#salt, need);
    const b = this.#scratch;
    let p = SALT_LEN + FIXED_LEN;
    const clientLen = b.write(e.client, p, "utf8");
    p += clientLen;
    const serverLen = b.write(e.server, p, "utf8");
    p += serverLen;
    b.set(cksum, p);
    p += cksum.length;
    b.writeUInt32BE(clientLen, SALT_LEN);
    b.writeUInt32BE(serverLen, SALT_LEN + 4);
    b.writeDoubleBE(e.ctime, SALT_LEN + 8);
    b.writeUInt32BE(e.cusec >>> 0, SALT_LEN + 16);
    b.writeUInt32BE(cksum.length, SALT_LEN + 20);
    return hash("sha256", b.subarray(0, p), "binary").slice(0, DIGEST_CHARS);
  }
}

const EMPTY = new Uint8Array(0);
/** clientLen, serverLen, ctime (f64), cusec, cksumLen. */
const FIXED_LEN = 24;

function scratchWithSalt(salt: Uint8Array, size: number): Buffer {
  const b = Buffer.alloc(Math.max(512, size));
  b.set(salt, 0);
  return b;
}

let lastServer: PrincipalName | undefined;
let lastServerRealm = "";
let lastServerText = "";

/** The replay-cache entry for a decrypted authenticator presented to `server@serverRealm`. */
export function replayEntryFor(auth: Authenticator, server: PrincipalName, serverRealm: string): ReplayEntry {
  // A server checks every authenticator against the same principal object: format it once.
  if (server !== lastServer || serverRealm !== lastServerRealm) {
    lastServerText = formatPrincipal(server, serverRealm);
    lastServer = server;
    lastServerRealm = serverRealm;
  }
  const entry: ReplayEntry = {
    client: formatPrincipal(auth.cname, auth.crealm),
    server: lastServerText,
    ctime: auth.ctime,
    cusec: auth.cusec,
  };
  if (auth.cksum) entry.checksum = auth.cksum.checksum;
  return entry;
}

/**
 * The KrbError a server answers for a non-"ok" result, or undefined for "ok".
 * "full" is answered as KRB_AP_ERR_REPEAT too (the peer retries with a fresh authenticator
 * later), but with a hint so the log tells it apart from a real replay.
 */
export function replayError(result: ReplayResult, client: string): KrbError | undefined {
  switch (result) {
    case "ok":
      return undefined;
    case "replay":
      return new KrbError(KrbErrorCode.KRB_AP_ERR_REPEAT, `authenticator from ${client} already seen`);
    case "full":
      return new KrbError(
        KrbErrorCode.KRB_AP_ERR_REPEAT,
        `replay cache full, authenticator from ${client} refused`,
        "raise the replay cache cap or look for a flood",
      );
    case "stale":
      return new KrbError(KrbErrorCode.KRB_AP_ERR_SKEW, `authenticator from ${client} outside the clock-skew window`, "check both clocks");
  }
}
