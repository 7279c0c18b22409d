// Batched Kerberos crypto: many operations described in the WASM descriptor table, their
// inputs laid out in the I/O area, then one WASM call (krbBatch) runs them all. This is
// the seam the engine and the worker pool use: buffers cross once per batch, never per
// message. Results are byte-identical to the single-call API (same WASM functions).

import { type Cksumtype, type Enctype, cksumtype as lookupCksumtype } from "./enctypes.ts";
import { CryptoError, IntegrityError } from "./errors.ts";
import { type AesSha1PrfVariant, requireEnctype, requireKey } from "./kerberos.ts";
import { defaultSlotCache, type SlotCache } from "./key-slots.ts";
import { defaultRandomPool, type RandomPool } from "./random-pool.ts";
import {
  type Core,
  copyOut,
  getCore,
  OP_CHECKSUM,
  OP_DECRYPT,
  OP_ENCRYPT,
  OP_KINK_OPEN,
  OP_PRF,
  OP_PRF_PLUS,
  OP_VERIFY,
  PRF_MAX_OUTPUT,
  PRF_PLUS_GAP,
  PRF_PLUS_MAX,
  ST_BAD_LENGTH,
  ST_INTEGRITY,
} from "./wasm.ts";

const D_OP = 0;
const D_SLOT = 1;
const D_IN = 2;
const D_INLEN = 3;
const D_OUT = 4;
const D_RESULT = 5;
const D_AUX = 6;
const D_AUXVAL = 7;

export class CryptoBatch {
  readonly #core: Core;
  readonly #slots: SlotCache;
  readonly #rand: RandomPool;
  readonly #descWords: number;
  #count = 0;
  #cursor: number;
  #ran = false;
  readonly #generation: number;
  readonly #pinned: number[] = [];
  /** [start, end) of each workspace, flattened; made by the first one. */
  #workspaces: number[] | undefined;

  constructor(slots: SlotCache = defaultSlotCache(), rand: RandomPool = defaultRandomPool()) {
    this.#core = getCore();
    this.#slots = slots;
    this.#rand = rand;
    this.#descWords = this.#core.descSize >> 2;
    this.#cursor = this.#core.batchIo;
    // One batch owns the descriptor table and the batch I/O area at a time.
    this.#generation = ++this.#core.batchGeneration;
  }

  /** Operations queued. */
  get length(): number {
    return this.#count;
  }

  /** Whether another operation with `inLen` input octets and `outLen` output octets still fits. */
  fits(inLen: number, outLen: number): boolean {
    const c = this.#core;
    return this.#count < c.descMax && this.#cursor + ((inLen + 15) & ~15) + ((outLen + 79) & ~15) <= c.batchIo + c.batchIoSize;
  }

  encrypt(etype: number, key: Uint8Array, usage: number, plaintext: Uint8Array, confounder?: Uint8Array): number {
    const e = requireEnctype(etype);
    requireKey(e, key);
    const outLen = this.#core.exports.encryptedLength(etype, plaintext.length);
    const conf = this.#confounder(e, confounder);
    return this.#add(OP_ENCRYPT, this.#slots.slot(etype, key, usage), plaintext, outLen, conf, 0);
  }

  /**
   * Copies `data` into the batch I/O area as a workspace that later operations of this batch
   * write into (encryptInto, checksumInto) and read from, in queue order: one WASM call can
   * then seal a message whose checksum covers ciphertexts the same call makes (a KINK REPLY,
   * RFC 4430 §5.1). Returns its offset; `view` reads it back after run().
   */
  workspace(data: Uint8Array): number {
    this.#checkCurrent();
    const off = this.#place(data, 0);
    this.#workspaces ??= [];
    this.#workspaces.push(off, off + data.length);
    return off;
  }

  /** encrypt whose ciphertext goes to offset `dst` of a workspace rather than to an output area of its own. */
  encryptInto(etype: number, key: Uint8Array, usage: number, plaintext: Uint8Array, dst: number, confounder?: Uint8Array): number {
    const e = requireEnctype(etype);
    requireKey(e, key);
    this.#checkCurrent();
    this.#inWorkspace(dst, this.#core.exports.encryptedLength(etype, plaintext.length));
    const conf = this.#confounder(e, confounder);
    const inOff = this.#place(plaintext, 0);
    return this.#describe(OP_ENCRYPT, this.#slots.slot(etype, key, usage), inOff, plaintext.length, dst, conf, 0);
  }

  /** checksum of the `len` workspace octets at `src`, the MAC written at `dst` of a workspace. */
  checksumInto(cksumType: number, key: Uint8Array, usage: number, src: number, len: number, dst: number): number {
    const ct = this.#cksumtype(cksumType, key);
    this.#checkCurrent();
    this.#inWorkspace(src, len);
    this.#inWorkspace(dst, ct.length);
    return this.#describe(OP_CHECKSUM, this.#slots.slot(ct.etype, key, usage), src, len, dst, 0, 0);
  }

  /** `len` octets at `off` of a workspace, as a view into WASM memory valid until the next batch or call. */
  view(off: number, len: number): Uint8Array {
    if (this.#generation !== this.#core.batchGeneration)
      throw new CryptoError("CRYPTO_BAD_ARGUMENT", "results of this CryptoBatch were overwritten by a newer batch");
    this.#inWorkspace(off, len);
    return this.#core.bytes().subarray(off, off + len);
  }

  decrypt(etype: number, key: Uint8Array, usage: number, ciphertext: Uint8Array): number {
    const e = requireEnctype(etype);
    requireKey(e, key);
    return this.#add(OP_DECRYPT, this.#slots.slot(etype, key, usage), ciphertext, ciphertext.length, 0, 0);
  }

  checksum(cksumType: number, key: Uint8Array, usage: number, data: Uint8Array): number {
    const { etype } = this.#cksumtype(cksumType, key);
    return this.#add(OP_CHECKSUM, this.#slots.slot(etype, key, usage), data, 64, 0, 0);
  }

  verify(cksumType: number, key: Uint8Array, usage: number, data: Uint8Array, mac: Uint8Array): number {
    const { etype } = this.#cksumtype(cksumType, key);
    const macOff = this.#place(mac, 0);
    return this.#add(OP_VERIFY, this.#slots.slot(etype, key, usage), data, 0, macOff, mac.length);
  }

  prf(etype: number, key: Uint8Array, input: Uint8Array, variant: AesSha1PrfVariant = "rfc3961"): number {
    const e = requireEnctype(etype);
    requireKey(e, key);
    return this.#add(OP_PRF, this.#slots.prfSlot(etype, key), input, 64, 0, variant === "racoon2" ? 1 : 0);
  }

  /**
   * prf+ for KEYMAT [RFC 4430 §7]: K1 = prf(seed), Kn = prf(K(n-1) | seed), cut to `octets`.
   * The whole chain runs inside one operation (assembly/krb/profile.ts krbPrfPlus).
   */
  prfPlus(etype: number, key: Uint8Array, seed: Uint8Array, octets: number, variant: AesSha1PrfVariant = "rfc3961"): number {
    const e = requireEnctype(etype);
    requireKey(e, key);
    if (!Number.isInteger(octets) || octets < 1 || octets > PRF_PLUS_MAX)
      throw new CryptoError("CRYPTO_BAD_ARGUMENT", `prf+ makes 1 to ${PRF_PLUS_MAX} octets, not ${octets}`);
    // The last block is written whole: room for it to run past `octets`.
    return this.#add(OP_PRF_PLUS, this.#slots.prfSlot(etype, key), seed, octets + PRF_MAX_OUTPUT, octets, variant === "racoon2" ? 1 : 0, PRF_PLUS_GAP);
  }

  /**
   * Opens a KINK datagram (assembly/kink/walk.ts kinkOpen): header and payload walk, Cksum
   * verified with key usage 40 and KINK_ENCRYPT decrypted with usage 39 of the session key.
   * `tableBytes` is the walk's offsets table; the plaintext goes right after it. Read the
   * outcome with kinkOpenResult.
   */
  kinkOpen(datagram: Uint8Array, etype: number, key: Uint8Array, usages: { cksum: number; encrypt: number }, options: number, tableBytes: number): number {
    const e = requireEnctype(etype);
    requireKey(e, key);
    const cksumSlot = this.#slots.slot(etype, key, usages.cksum);
    // Pinned at once so that deriving the second slot cannot evict the first.
    this.#slots.pin(cksumSlot);
    this.#pinned.push(cksumSlot);
    const encSlot = this.#slots.slot(etype, key, usages.encrypt);
    this.#slots.pin(encSlot);
    this.#pinned.push(encSlot);
    return this.#add(OP_KINK_OPEN, cksumSlot, datagram, tableBytes + datagram.length, encSlot, options);
  }

  /** Walk status (0 = opened) and the address of the offsets table of a kinkOpen operation. */
  kinkOpenResult(i: number): { status: number; table: number } {
    const w = this.#desc(i);
    const d = this.#core.i32();
    return { status: -(d[w + D_RESULT] as number), table: d[w + D_OUT] as number };
  }

  /** Runs every queued operation in one WASM call. Returns how many failed. */
  run(): number {
    this.#checkCurrent();
    this.#ran = true;
    try {
      return this.#core.exports.krbBatch(this.#count);
    } finally {
      for (const s of this.#pinned) this.#slots.unpin(s);
      this.#pinned.length = 0;
    }
  }

  /** Raw result of operation i: output length (≥ 0) or a negative status. */
  status(i: number): number {
    return this.#core.i32()[this.#desc(i) + D_RESULT] as number;
  }

  /** Output of operation i, copied out. Throws IntegrityError / CryptoError for a failed operation. */
  output(i: number): Uint8Array {
    const v = this.outputView(i);
    return copyOut(v, 0, v.length);
  }

  /** Output of operation i as a view into WASM memory, valid until the next batch or call. */
  outputView(i: number): Uint8Array {
    const r = this.status(i);
    if (r < 0) {
      if (r === ST_INTEGRITY) throw new IntegrityError(`batch operation ${i}: integrity check failed`);
      if (r === ST_BAD_LENGTH) throw new CryptoError("CRYPTO_BAD_LENGTH", `batch operation ${i}: input too short or misaligned`);
      throw new CryptoError("CRYPTO_BAD_ARGUMENT", `batch operation ${i} failed with status ${r}`);
    }
    const out = this.#core.i32()[this.#desc(i) + D_OUT] as number;
    return this.#core.bytes().subarray(out, out + r);
  }

  /** For verify operations: whether the MAC matched. */
  verified(i: number): boolean {
    return this.status(i) === 0;
  }

  #checkCurrent(): void {
    if (this.#ran) throw new CryptoError("CRYPTO_BAD_ARGUMENT", "this CryptoBatch has already run; make a new one");
    if (this.#generation !== this.#core.batchGeneration)
      throw new CryptoError("CRYPTO_BAD_ARGUMENT", "this CryptoBatch was superseded by a newer one before it ran");
  }

  #cksumtype(cksumType: number, key: Uint8Array): Cksumtype {
    const ct = lookupCksumtype(cksumType);
    if (ct === undefined) throw new CryptoError("CRYPTO_UNKNOWN_CKSUMTYPE", `unknown or unsupported checksum type ${cksumType}`);
    requireKey(requireEnctype(ct.etype), key);
    return ct;
  }

  #desc(i: number): number {
    if (this.#generation !== this.#core.batchGeneration)
      throw new CryptoError("CRYPTO_BAD_ARGUMENT", "results of this CryptoBatch were overwritten by a newer batch");
    if (!Number.isInteger(i) || i < 0 || i >= this.#count) throw new CryptoError("CRYPTO_BAD_ARGUMENT", `no batch operation ${i}`);
    return (this.#core.desc >> 2) + i * this.#descWords;
  }

  #place(data: Uint8Array, outLen: number, gap = 0): number {
    if (!this.fits(gap + data.length, outLen)) throw new CryptoError("CRYPTO_CAPACITY", "batch is full: run it and start another");
    const off = this.#cursor;
    this.#core.bytes().set(data, off + gap);
    this.#cursor += (gap + data.length + 15) & ~15;
    return off;
  }

  /** Offset of the confounder: the one given (known answers), else fresh random octets. */
  #confounder(e: Enctype, given: Uint8Array | undefined): number {
    if (given === undefined) return this.#rand.take(e.confounderLength);
    if (given.length !== e.confounderLength) throw new CryptoError("CRYPTO_BAD_ARGUMENT", `${e.name} confounders are ${e.confounderLength} bytes`);
    return this.#place(given, 0);
  }

  /** Throws unless [off, off + len) lies inside one workspace of this batch. */
  #inWorkspace(off: number, len: number): void {
    const w = this.#workspaces;
    if (w !== undefined && len >= 0) for (let i = 0; i < w.length; i += 2) if (off >= (w[i] as number) && off + len <= (w[i + 1] as number)) return;
    throw new CryptoError("CRYPTO_BAD_ARGUMENT", `octets ${off}..${off + len} are not inside a workspace of this batch`);
  }

  /** `gap` free octets are laid out in front of the input (and counted in its length). */
  #add(op: number, slot: number, input: Uint8Array, outLen: number, aux: number, auxVal: number, gap = 0): number {
    this.#checkCurrent();
    if (!this.fits(gap + input.length, outLen)) throw new CryptoError("CRYPTO_CAPACITY", "batch is full: run it and start another");
    const inOff = this.#place(input, outLen, gap);
    const outOff = this.#cursor;
    // Room for the output plus the confounder-stripping slack the decrypt path uses.
    this.#cursor += (outLen + 79) & ~15;
    return this.#describe(op, slot, inOff, gap + input.length, outOff, aux, auxVal);
  }

  /** Pins the slot (until run) and writes the next descriptor. */
  #describe(op: number, slot: number, inOff: number, inLen: number, outOff: number, aux: number, auxVal: number): number {
    if (this.#count >= this.#core.descMax) throw new CryptoError("CRYPTO_CAPACITY", "batch is full: run it and start another");
    this.#slots.pin(slot);
    this.#pinned.push(slot);
    const i = this.#count++;
    const w = (this.#core.desc >> 2) + i * this.#descWords;
    const d = this.#core.i32();
    d[w + D_OP] = op;
    d[w + D_SLOT] = slot;
    d[w + D_IN] = inOff;
    d[w + D_INLEN] = inLen;
    d[w + D_OUT] = outOff;
    d[w + D_RESULT] = 0;
    d[w + D_AUX] = aux;
    d[w + D_AUXVAL] = auxVal;
    return i;
  }
}
