// The RFC 3961 operations as a synchronous library API: Uint8Array in, Uint8Array out.
// Each call resolves the (key, usage) slot in the derived-key cache and makes one WASM
// call; the work itself is in assembly/krb/profile.ts. Bad arguments throw CryptoError
// with a clear message before anything reaches WASM.

import { type Enctype, cksumtype as lookupCksumtype, enctype as lookupEnctype } from "./enctypes.ts";
import { CryptoError, IntegrityError } from "./errors.ts";
import { defaultSlotCache } from "./key-slots.ts";
import { defaultRandomPool } from "./random-pool.ts";
import { copyOut, getCore, ST_BAD_LENGTH, ST_INTEGRITY } from "./wasm.ts";

export interface EncryptOptions {
  /** Fixed confounder (tests, known answers); by default a fresh random one. */
  confounder?: Uint8Array;
}

export type AesSha1PrfVariant = "rfc3961" | "racoon2";

export interface PrfOptions {
  /**
   * AES-SHA1 (17/18) PRF reading (kink.md §5.4): "rfc3961" = 16 octets as MIT krb5 and
   * Heimdal compute it (default); "racoon2" = the 20-octet CTS reading racoon2's kinkd uses.
   */
  aesSha1Prf?: AesSha1PrfVariant;
}

export function requireEnctype(etype: number): Enctype {
  const e = lookupEnctype(etype);
  if (e === undefined) throw new CryptoError("CRYPTO_UNKNOWN_ENCTYPE", `unknown or unsupported enctype ${etype}`);
  return e;
}

export function requireKey(e: Enctype, key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new CryptoError("CRYPTO_BAD_ARGUMENT", "key must be a Uint8Array");
  if (key.length !== e.keyLength) {
    throw new CryptoError("CRYPTO_BAD_KEY_LENGTH", `${e.name} keys are ${e.keyLength} bytes, got ${key.length}`);
  }
}

function requireUsage(usage: number): void {
  if (usage >>> 0 !== usage) {
    throw new CryptoError("CRYPTO_BAD_ARGUMENT", `key usage must be an integer 0..2^32-1, got ${usage}`);
  }
}

function requireBytes(v: unknown, what: string): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) throw new CryptoError("CRYPTO_BAD_ARGUMENT", `${what} must be a Uint8Array`);
}

function requireFits(len: number, what: string): void {
  const c = getCore();
  if (len > (c.ioSize >> 1) - 256) throw new CryptoError("CRYPTO_BAD_LENGTH", `${what} of ${len} bytes exceeds the ${(c.ioSize >> 1) - 256}-byte limit`);
}

/** Kerberos encrypt (RFC 3961 §3) with the etype's profile: confounder, integrity tag, cipher. */
export function encrypt(etype: number, key: Uint8Array, usage: number, plaintext: Uint8Array, opts?: EncryptOptions): Uint8Array {
  const e = requireEnctype(etype);
  requireKey(e, key);
  requireUsage(usage);
  requireBytes(plaintext, "plaintext");
  requireFits(plaintext.length, "plaintext");
  const slot = defaultSlotCache().slot(etype, key, usage);
  const c = getCore();
  const src = c.io;
  const dst = c.io + ((plaintext.length + 15) & ~15);
  let conf: number;
  if (opts?.confounder !== undefined) {
    if (opts.confounder.length !== e.confounderLength) {
      throw new CryptoError("CRYPTO_BAD_ARGUMENT", `${e.name} confounders are ${e.confounderLength} bytes, got ${opts.confounder.length}`);
    }
    conf = dst + plaintext.length + 64;
    c.bytes().set(opts.confounder, conf);
  } else {
    conf = defaultRandomPool().take(e.confounderLength);
  }
  const mem = c.bytes();
  mem.set(plaintext, src);
  const n = c.exports.slotEncrypt(slot, src, plaintext.length, conf, dst);
  const out = copyOut(c.bytes(), dst, n);
  mem.fill(0, src, src + plaintext.length);
  return out;
}

/** Octets `encrypt` makes of a plaintext of `plaintextLength`: confounder, plaintext (DES3: padded to 8) and integrity tag. */
export function encryptedLength(etype: number, plaintextLength: number): number {
  requireEnctype(etype);
  return getCore().exports.encryptedLength(etype, plaintextLength);
}

/** Kerberos decrypt: verifies integrity (constant time) and returns the plaintext; IntegrityError (KRB_AP_ERR_BAD_INTEGRITY) on failure. */
export function decrypt(etype: number, key: Uint8Array, usage: number, ciphertext: Uint8Array): Uint8Array {
  const e = requireEnctype(etype);
  requireKey(e, key);
  requireUsage(usage);
  requireBytes(ciphertext, "ciphertext");
  requireFits(ciphertext.length, "ciphertext");
  const slot = defaultSlotCache().slot(etype, key, usage);
  const c = getCore();
  const src = c.io;
  const dst = c.io + ((ciphertext.length + 15) & ~15);
  c.bytes().set(ciphertext, src);
  const n = c.exports.slotDecrypt(slot, src, ciphertext.length, dst);
  if (n >= 0) {
    const mem = c.bytes();
    const out = copyOut(mem, dst, n);
    mem.fill(0, dst, dst + n);
    return out;
  }
  if (n === ST_INTEGRITY) throw new IntegrityError(`${e.name} decrypt with usage ${usage}: integrity check failed`);
  if (n === ST_BAD_LENGTH) throw new CryptoError("CRYPTO_BAD_LENGTH", `${e.name} ciphertext of ${ciphertext.length} bytes is too short or misaligned`);
  throw new CryptoError("CRYPTO_BAD_ARGUMENT", `${e.name} decrypt failed with status ${n}`);
}

function cksumEnctype(cksumType: number, key: Uint8Array): Enctype {
  const ct = lookupCksumtype(cksumType);
  if (ct === undefined) throw new CryptoError("CRYPTO_UNKNOWN_CKSUMTYPE", `unknown or unsupported checksum type ${cksumType}`);
  const e = requireEnctype(ct.etype);
  requireKey(e, key);
  return e;
}

/** Keyed checksum (RFC 3961 get_mic) of the given type. */
export function makeChecksum(cksumType: number, key: Uint8Array, usage: number, data: Uint8Array): Uint8Array {
  const e = cksumEnctype(cksumType, key);
  requireUsage(usage);
  requireBytes(data, "checksum input");
  requireFits(data.length, "checksum input");
  const slot = defaultSlotCache().slot(e.etype, key, usage);
  const c = getCore();
  const src = c.io;
  const dst = c.io + ((data.length + 15) & ~15);
  c.bytes().set(data, src);
  const n = c.exports.slotChecksum(slot, src, data.length, dst);
  return copyOut(c.bytes(), dst, n);
}

/** verify_mic in constant time. False for a wrong MAC (including a wrong length). */
export function verifyChecksum(cksumType: number, key: Uint8Array, usage: number, data: Uint8Array, mac: Uint8Array): boolean {
  const e = cksumEnctype(cksumType, key);
  requireUsage(usage);
  requireBytes(data, "checksum input");
  requireBytes(mac, "checksum");
  requireFits(data.length + mac.length, "checksum input");
  const slot = defaultSlotCache().slot(e.etype, key, usage);
  const c = getCore();
  const src = c.io;
  const macOff = c.io + ((data.length + 15) & ~15);
  const mem = c.bytes();
  mem.set(data, src);
  mem.set(mac, macOff);
  return c.exports.slotVerify(slot, src, data.length, macOff, mac.length) === 0;
}

/** pseudo-random (RFC 3961 §3) of the etype; see PrfOptions for AES-SHA1's two readings. */
export function prf(etype: number, key: Uint8Array, input: Uint8Array, opts?: PrfOptions): Uint8Array {
  const e = requireEnctype(etype);
  requireKey(e, key);
  requireBytes(input, "PRF input");
  requireFits(input.length, "PRF input");
  const variant = opts?.aesSha1Prf ?? "rfc3961";
  if (variant !== "rfc3961" && variant !== "racoon2")
    throw new CryptoError("CRYPTO_BAD_ARGUMENT", `aesSha1Prf must be 'rfc3961' or 'racoon2', got ${String(variant)}`);
  const slot = defaultSlotCache().prfSlot(etype, key);
  const c = getCore();
  const src = c.io;
  const dst = c.io + ((input.length + 15) & ~15);
  c.bytes().set(input, src);
  const n = c.exports.slotPrf(slot, src, input.length, dst, variant === "racoon2" ? 1 : 0);
  return copyOut(c.bytes(), dst, n);
}

const utf8 = new TextEncoder();

function bytesOf(v: string | Uint8Array): Uint8Array {
  return typeof v === "string" ? utf8.encode(v) : v;
}

/**
 * string-to-key (RFC 3961 §3). params: the s2kparams octets (RFC 3962 §4: a 4-octet
 * big-endian iteration count for AES, RFC 8009 and RFC 6803); omitted → the default count.
 * rc4-hmac takes the password as UTF-16LE (RFC 4757 §4) and ignores the salt.
 */
export function stringToKey(etype: number, password: string | Uint8Array, salt: string | Uint8Array, params?: Uint8Array): Uint8Array {
  const e = requireEnctype(etype);
  let iterations = e.defaultIterations ?? 0;
  if (params !== undefined && params.length > 0) {
    if (e.defaultIterations === undefined) throw new CryptoError("CRYPTO_BAD_ARGUMENT", `${e.name} takes no string-to-key parameters`);
    if (params.length !== 4) throw new CryptoError("CRYPTO_BAD_ARGUMENT", `${e.name} s2kparams are 4 bytes, got ${params.length}`);
    iterations = new DataView(params.buffer, params.byteOffset, 4).getUint32(0);
    // RFC 3962 §4: a count this large is a denial of service, not a key; MIT refuses > 2^24 by default.
    if (iterations < 1 || iterations > 0x1000000) throw new CryptoError("CRYPTO_BAD_ARGUMENT", `${e.name} iteration count ${iterations} outside 1..16777216`);
  }
  let pw: Uint8Array;
  if (e.family === "rc4-hmac") {
    pw = typeof password === "string" ? new Uint8Array(Buffer.from(password, "utf16le")) : password;
  } else {
    pw = bytesOf(password);
  }
  const s = bytesOf(salt);
  requireFits(pw.length + s.length + 64, "password and salt");
  const c = getCore();
  const pwOff = c.io;
  const saltOff = pwOff + ((pw.length + 15) & ~15);
  const dst = saltOff + ((s.length + 15) & ~15);
  const mem = c.bytes();
  mem.set(pw, pwOff);
  mem.set(s, saltOff);
  const st = c.exports.krbStringToKey(etype, pwOff, pw.length, saltOff, s.length, iterations, dst);
  const out = c.bytes().slice(dst, dst + e.keyLength);
  c.bytes().fill(0, pwOff, dst + e.keyLength);
  if (st < 0) throw new CryptoError("CRYPTO_BAD_LENGTH", `${e.name} string-to-key failed (status ${st}): password and salt too long?`);
  return out;
}

/** random-to-key (RFC 3961 §3): keyBytes random octets → a protocol key (DES3: parity and weak-key fix-up). */
export function randomToKey(etype: number, bytes: Uint8Array): Uint8Array {
  const e = requireEnctype(etype);
  if (bytes.length !== e.keyBytes) throw new CryptoError("CRYPTO_BAD_LENGTH", `${e.name} random-to-key takes ${e.keyBytes} bytes, got ${bytes.length}`);
  const c = getCore();
  c.bytes().set(bytes, c.io);
  c.exports.krbRandomToKey(etype, c.io, c.io + 64);
  const out = c.bytes().slice(c.io + 64, c.io + 64 + e.keyLength);
  c.bytes().fill(0, c.io, c.io + 64 + e.keyLength);
  return out;
}

/**
 * DK(key, constant): the etype's key derivation (RFC 3961 §5.1, RFC 8009 §3, RFC 6803 §3).
 * outLength applies to RFC 8009 and Camellia (default: the protocol key length).
 */
export function deriveKey(etype: number, key: Uint8Array, constant: Uint8Array, outLength?: number): Uint8Array {
  const e = requireEnctype(etype);
  requireKey(e, key);
  if (e.family === "rc4-hmac") throw new CryptoError("CRYPTO_UNSUPPORTED", "rc4-hmac has no RFC 3961 key derivation");
  const len = outLength ?? e.keyLength;
  if (constant.length < 1 || constant.length > 64) throw new CryptoError("CRYPTO_BAD_LENGTH", `derivation constant of ${constant.length} bytes (1..64)`);
  const c = getCore();
  const mem = c.bytes();
  mem.set(key, c.io);
  mem.set(constant, c.io + 64);
  const st = c.exports.krbDeriveKey(etype, c.io, key.length, c.io + 64, constant.length, len, c.io + 128);
  if (st < 0) throw new CryptoError("CRYPTO_BAD_LENGTH", `${e.name} cannot derive ${len} bytes`);
  const out = c.bytes().slice(c.io + 128, c.io + 128 + (e.family === "dk-sha1" ? e.keyLength : len));
  c.bytes().fill(0, c.io, c.io + 192);
  return out;
}
