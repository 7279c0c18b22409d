// Derived-key cache: (etype, base key, usage) → a WASM key slot holding Ke's cipher
// schedule and the prepared HMAC/CMAC states of Ki and Kc (RFC 3961 §5.3; MIT krb5 keeps
// the same cache on each key in derive.c). A slot is derived once and then serves every
// message under that key and usage. Eviction is CLOCK (a reference bit per slot), pinned
// slots are skipped, and an evicted or released slot is zeroed inside WASM.

import { CryptoError } from "./errors.ts";
import { type Core, getCore, KIND_PRF, KIND_USAGE, ST_BAD_KEY_LENGTH, ST_OK } from "./wasm.ts";

const SLOT_OFF_ETYPE = 0;
const SLOT_OFF_USAGE = 4;
const SLOT_OFF_KIND = 8;
const SLOT_OFF_KEYLEN = 12;
const SLOT_OFF_KEY = 16;

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
  /** Address of slot 0 and the distance between slots (assembly/mem.ts). */
  readonly #slotBase: number;
  readonly #slotSize: number;
  /** hash → slot; a hash collision is detected by comparing the slot's stored key. */
  readonly #index = new Map<number, number>();
  /** Hash each slot is indexed under; NaN for a free slot (never a Map key). */
  #hashOf: Float64Array;
  #ref: Uint8Array;
  #pins: Uint16Array;
  #used = 0;
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
    this.#slotBase = this.#core.exports.slotPtr(0);
    this.#slotSize = this.#core.exports.slotPtr(1) - this.#slotBase;
    const initial = Math.min(this.capacity, 64);
    this.#hashOf = new Float64Array(initial).fill(Number.NaN);
    this.#ref = new Uint8Array(initial);
    this.#pins = new Uint16Array(initial);
    this.#grow(initial);
  }

  get size(): number {
    return this.#index.size;
  }

  /** Slot for (etype, key, usage); derived on a miss. kind: KIND_USAGE or KIND_PRF. */
  slot(etype: number, key: Uint8Array, usage: number, kind: number = KIND_USAGE): number {
    const h = hashKey(etype, key, usage, kind);
    const cached = this.#index.get(h);
    if (cached !== undefined && this.#matches(cached, etype, key, usage, kind)) {
      this.#ref[cached] = 1;
      this.hits++;
      return cached;
    }
    this.misses++;
    // A hash collision gets a fresh slot: the colliding one may be pinned by a batch in flight.
    const slot = this.#take();
    this.#index.set(h, slot);
    this.#hashOf[slot] = h;
    this.#ref[slot] = 1;
    const c = this.#core;
    const keyOff = c.keyIn;
    c.bytes().set(key, keyOff);
    const st = c.exports.slotInit(slot, etype, keyOff, key.length, usage >>> 0, kind);
    c.bytes().fill(0, keyOff, keyOff + key.length);
    if (st !== ST_OK) {
      this.#forget(slot);
      if (st === ST_BAD_KEY_LENGTH) throw new CryptoError("CRYPTO_BAD_KEY_LENGTH", `a ${key.length}-byte key does not fit enctype ${etype}`);
      throw new CryptoError("CRYPTO_UNKNOWN_ENCTYPE", `enctype ${etype} is not implemented`);
    }
    return slot;
  }

  prfSlot(etype: number, key: Uint8Array): number {
    return this.slot(etype, key, 0, KIND_PRF);
  }

  /** Keeps a slot from eviction until unpin (a batch in flight, a live SA). */
  pin(slot: number): void {
    this.#pins[slot] = (this.#pins[slot] ?? 0) + 1;
  }

  unpin(slot: number): void {
    const n = this.#pins[slot] ?? 0;
    if (n > 0) this.#pins[slot] = n - 1;
  }

  /** Zeroes and drops every slot derived from `key` (the key's life is over). */
  release(key: Uint8Array): void {
    for (const slot of this.#index.values()) {
      if (this.#storedKeyEquals(slot, key)) this.#forget(slot);
    }
  }

  /** Zeroes every slot. */
  clear(): void {
    for (const slot of [...this.#index.values()]) this.#forget(slot);
  }

  #matches(slot: number, etype: number, key: Uint8Array, usage: number, kind: number): boolean {
    const i32 = this.#core.i32();
    const w = (this.#slotBase + slot * this.#slotSize) >> 2;
    if (i32[w + SLOT_OFF_ETYPE / 4] !== etype || i32[w + SLOT_OFF_USAGE / 4] !== (usage | 0) || i32[w + SLOT_OFF_KIND / 4] !== kind) return false;
    return this.#storedKeyEquals(slot, key);
  }

  /** Compares without an early exit (no timing signal about how much of a key matched). */
  #storedKeyEquals(slot: number, key: Uint8Array): boolean {
    const p = this.#slotBase + slot * this.#slotSize;
    if (this.#core.i32()[(p + SLOT_OFF_KEYLEN) >> 2] !== key.length) return false;
    const mem = this.#core.bytes();
    let d = 0;
    for (let i = 0; i < key.length; i++) d |= (mem[p + SLOT_OFF_KEY + i] as number) ^ (key[i] as number);
    return d === 0;
  }

  #forget(slot: number): void {
    const h = this.#hashOf[slot] as number;
    if (this.#index.get(h) === slot) this.#index.delete(h);
    this.#hashOf[slot] = Number.NaN;
    this.#ref[slot] = 0;
    this.#core.exports.slotClear(slot);
  }

  #take(): number {
    if (this.#used < this.capacity) {
      if (this.#used >= this.#hashOf.length) this.#grow(Math.min(this.capacity, this.#hashOf.length * 2));
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
      this.evictions++;
      this.#forget(s);
      return s;
    }
    throw new CryptoError("CRYPTO_CAPACITY", `all ${this.capacity} key slots are pinned`);
  }

  #grow(n: number): void {
    if (this.#core.growSlots(n) < n) throw new CryptoError("CRYPTO_CAPACITY", `cannot grow WASM memory to ${n} key slots`);
    if (n > this.#hashOf.length) {
      const h = new Float64Array(n).fill(Number.NaN);
      h.set(this.#hashOf);
      this.#hashOf = h;
      const r = new Uint8Array(n);
      r.set(this.#ref);
      this.#ref = r;
      const p = new Uint16Array(n);
      p.set(this.#pins);
      this.#pins = p;
    }
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
