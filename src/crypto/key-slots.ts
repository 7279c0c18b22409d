// Derived-key cache: (etype, base key, usage) → a WASM key slot holding Ke's cipher
// schedule and the prepared HMAC/CMAC states of Ki and Kc (RFC 3961 §5.3; MIT krb5 keeps
// the same cache on each key in derive.c). A slot is derived once and then serves every
// message under that key and usage. Eviction is CLOCK (a reference bit per slot), pinned
// slots are skipped, and an evicted or released slot is zeroed inside WASM.

import { CryptoError } from "./errors.ts";
import { type Core, getCore, KIND_PRF, KIND_USAGE, ST_BAD_KEY_LENGTH, ST_OK } from "./wasm.ts";

/** Longest base key a slot holds (AES-256, Camellia-256). */
const MAX_KEY = 32;
/** Per slot in #ident: etype, usage, kind, base key length (-1: the slot is free). */
const IDENT = 4;

export interface SlotCacheOptions {
  /**
   * Most slots kept (each is 2 KiB of WASM memory, grown on demand). The default, 8192 (16 MiB),
   * holds the derived keys of some 1 600 session keys: a KINK responder derives five from each
   * client's ticket (AP-REQ authenticator, AP-REP, KINK_ENCRYPT, Cksum, PRF), and every later
   * exchange under that ticket (rekeys, DELETE, STATUS) finds them here.
   */
  capacity?: number;
}

export class SlotCache {
  readonly capacity: number;
  readonly #core: Core;
  /** This cache's first slot in the core: local slot i is WASM slot #base + i. */
  readonly #base: number;
  // What each slot was derived from is kept here as well as in its WASM header: a lookup then
  // reads these dense arrays (a few hundred KiB) instead of a header in 16 MiB of slots, where
  // nearly every read missed the caches and the TLB.
  readonly #ident: Int32Array;
  readonly #keys: Uint8Array;
  readonly #hashOf: Int32Array;
  /** Open-addressing index (linear probing): slot + 1 per cell, 0 = empty; twice the capacity, a power of two. */
  readonly #table: Int32Array;
  readonly #mask: number;
  readonly #ref: Uint8Array;
  readonly #pins: Uint16Array;
  /** Slots whose WASM memory exists (grown on demand). */
  #grown = 0;
  #used = 0;
  #live = 0;
  #hand = 0;
  hits = 0;
  misses = 0;
  evictions = 0;

  constructor(opts: SlotCacheOptions = {}) {
    this.capacity = opts.capacity ?? 8192;
    if (!Number.isInteger(this.capacity) || this.capacity < 16) {
      throw new CryptoError("CRYPTO_BAD_ARGUMENT", `slot cache capacity must be an integer ≥ 16, got ${opts.capacity}`);
    }
    this.#core = getCore();
    const cap = this.capacity;
    this.#base = this.#core.reserveSlots(cap);
    this.#ident = new Int32Array(cap * IDENT);
    for (let s = 0; s < cap; s++) this.#ident[s * IDENT + 3] = -1;
    this.#keys = new Uint8Array(cap * MAX_KEY);
    this.#hashOf = new Int32Array(cap);
    this.#table = new Int32Array(2 ** Math.ceil(Math.log2(2 * cap)));
    this.#mask = this.#table.length - 1;
    this.#ref = new Uint8Array(cap);
    this.#pins = new Uint16Array(cap);
    this.#grow(Math.min(cap, 64));
  }

  get size(): number {
    return this.#live;
  }

  /** WASM slot for (etype, key, usage); derived on a miss. kind: KIND_USAGE or KIND_PRF. */
  slot(etype: number, key: Uint8Array, usage: number, kind: number = KIND_USAGE): number {
    const h = hashKey(etype, key, usage, kind);
    const table = this.#table;
    const mask = this.#mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = table[i] as number;
      if (e === 0) break;
      const s = e - 1;
      if (this.#hashOf[s] === h && this.#matches(s, etype, key, usage, kind)) {
        this.#ref[s] = 1;
        this.hits++;
        return this.#base + s;
      }
    }
    this.misses++;
    if (key.length > MAX_KEY) throw new CryptoError("CRYPTO_BAD_KEY_LENGTH", `a ${key.length}-byte key does not fit enctype ${etype}`);
    const slot = this.#take();
    const c = this.#core;
    const keyOff = c.keyIn;
    c.bytes().set(key, keyOff);
    const st = c.exports.slotInit(this.#base + slot, etype, keyOff, key.length, usage >>> 0, kind);
    c.bytes().fill(0, keyOff, keyOff + key.length);
    if (st !== ST_OK) {
      c.exports.slotClear(this.#base + slot);
      this.#free(slot);
      if (st === ST_BAD_KEY_LENGTH) throw new CryptoError("CRYPTO_BAD_KEY_LENGTH", `a ${key.length}-byte key does not fit enctype ${etype}`);
      throw new CryptoError("CRYPTO_UNKNOWN_ENCTYPE", `enctype ${etype} is not implemented`);
    }
    const id = slot * IDENT;
    this.#ident[id] = etype;
    this.#ident[id + 1] = usage | 0;
    this.#ident[id + 2] = kind;
    this.#ident[id + 3] = key.length;
    this.#keys.set(key, slot * MAX_KEY);
    this.#hashOf[slot] = h;
    this.#ref[slot] = 1;
    this.#live++;
    let i = h & mask;
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = slot + 1;
    return this.#base + slot;
  }

  prfSlot(etype: number, key: Uint8Array): number {
    return this.slot(etype, key, 0, KIND_PRF);
  }

  /** Keeps a slot from eviction until unpin (a batch in flight, a live SA). */
  pin(slot: number): void {
    const local = slot - this.#base;
    this.#pins[local] = (this.#pins[local] ?? 0) + 1;
  }

  unpin(slot: number): void {
    const local = slot - this.#base;
    const n = this.#pins[local] ?? 0;
    if (n > 0) this.#pins[local] = n - 1;
  }

  /** Zeroes and drops every slot derived from `key` (the key's life is over). */
  release(key: Uint8Array): void {
    // A free slot's length (-1) never equals a key's, so only live slots match.
    for (let s = 0; s < this.#used; s++) if (this.#storedKeyEquals(s, key)) this.#forget(s);
  }

  /** Zeroes every slot. */
  clear(): void {
    for (let s = 0; s < this.#used; s++) if ((this.#ident[s * IDENT + 3] as number) >= 0) this.#forget(s);
  }

  #matches(slot: number, etype: number, key: Uint8Array, usage: number, kind: number): boolean {
    const id = slot * IDENT;
    const ident = this.#ident;
    if (ident[id] !== etype || ident[id + 1] !== (usage | 0) || ident[id + 2] !== kind) return false;
    return this.#storedKeyEquals(slot, key);
  }

  /** Compares without an early exit (no timing signal about how much of a key matched). */
  #storedKeyEquals(slot: number, key: Uint8Array): boolean {
    if (this.#ident[slot * IDENT + 3] !== key.length) return false;
    const keys = this.#keys;
    const at = slot * MAX_KEY;
    let d = 0;
    for (let i = 0; i < key.length; i++) d |= (keys[at + i] as number) ^ (key[i] as number);
    return d === 0;
  }

  /** Zeroes a live slot (here and in WASM) and takes it out of the index. */
  #forget(slot: number): void {
    this.#unindex(slot);
    this.#live--;
    this.#core.exports.slotClear(this.#base + slot);
    this.#free(slot);
  }

  #free(slot: number): void {
    this.#ident[slot * IDENT + 3] = -1;
    this.#keys.fill(0, slot * MAX_KEY, (slot + 1) * MAX_KEY);
    this.#ref[slot] = 0;
  }

  /** Removes the slot's cell, shifting later cells of the probe run back (no tombstones). */
  #unindex(slot: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = (this.#hashOf[slot] as number) & mask;
    while (table[i] !== slot + 1) {
      if (table[i] === 0) return;
      i = (i + 1) & mask;
    }
    for (let j = (i + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const home = (this.#hashOf[(table[j] as number) - 1] as number) & mask;
      // The entry at j stays if its home lies cyclically in (i, j]; otherwise it moves into the hole.
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      table[i] = table[j] as number;
      i = j;
    }
    table[i] = 0;
  }

  #take(): number {
    if (this.#used < this.capacity) {
      if (this.#used >= this.#grown) this.#grow(Math.min(this.capacity, this.#grown * 2));
      return this.#used++;
    }
    // CLOCK: skip pinned and recently referenced slots (clearing their bit on the way).
    for (let sweeps = 0; sweeps < 2 * this.capacity + 1; sweeps++) {
      const s = this.#hand;
      this.#hand = (this.#hand + 1) % this.capacity;
      if ((this.#pins[s] as number) > 0) continue;
      if (this.#ref[s]) {
        this.#ref[s] = 0;
        continue;
      }
      if ((this.#ident[s * IDENT + 3] as number) < 0) return s;
      this.evictions++;
      this.#forget(s);
      return s;
    }
    throw new CryptoError("CRYPTO_CAPACITY", `all ${this.capacity} key slots are pinned`);
  }

  #grow(n: number): void {
    if (this.#core.growSlots(this.#base + n) < this.#base + n) throw new CryptoError("CRYPTO_CAPACITY", `cannot grow WASM memory to ${n} key slots`);
    this.#grown = n;
  }
}

/**
 * FNV-1a over (etype, kind, usage, key) as a signed 32-bit number (a small integer to V8; an
 * unsigned one ≥ 2^31 would be boxed on every lookup). Not a secret-keyed hash: lookups verify
 * the key bytes.
 */
function hashKey(etype: number, key: Uint8Array, usage: number, kind: number): number {
  let h = 0x811c9dc5 ^ etype;
  h = Math.imul(h, 0x01000193) ^ kind;
  h = Math.imul(h, 0x01000193) ^ usage;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ (key[i] as number), 0x01000193);
  return h | 0;
}

let shared: SlotCache | undefined;

/** The thread's default slot cache (used by the functional API in kerberos.ts). */
export function defaultSlotCache(): SlotCache {
  if (shared === undefined) shared = new SlotCache();
  return shared;
}
