// Raw primitives of the WASM core (hashes, HMAC, PBKDF2, block ciphers, RC4, CMAC).
// The Kerberos profiles in profiles.ts do not use these per message; they exist for
// string-to-key and for the differential tests against node:crypto and noble.

import { CryptoError } from "./errors.ts";
import { getCore } from "./wasm.ts";

export type HashName = "sha1" | "sha256" | "sha384" | "sha512" | "md5" | "md4";
export type CipherName = "aes" | "des3" | "camellia";
export type CipherMode = "ecb" | "cbc" | "cts";

const HASH_ID: Record<HashName, number> = { sha1: 1, sha256: 2, sha384: 3, sha512: 4, md5: 5, md4: 6 };
const HASH_LEN: Record<HashName, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64, md5: 16, md4: 16 };
const CIPHER_ID: Record<CipherName, number> = { aes: 1, des3: 2, camellia: 3 };
const MODE_ID: Record<CipherMode, number> = { ecb: 0, cbc: 1, cts: 2 };

/** Lays out byte strings one after another in the IO area (16-byte aligned); returns their offsets. */
function place(...parts: Uint8Array[]): number[] {
  const c = getCore();
  let off = c.io;
  const offs: number[] = [];
  let total = 0;
  for (const p of parts) total += (p.length + 15) & ~15;
  if (total > c.ioSize) throw new CryptoError("CRYPTO_BAD_LENGTH", `input of ${total} bytes exceeds the ${c.ioSize}-byte WASM I/O area`);
  const mem = c.bytes();
  for (const p of parts) {
    mem.set(p, off);
    offs.push(off);
    off += (p.length + 15) & ~15;
  }
  offs.push(off);
  return offs;
}

function take(off: number, len: number): Uint8Array {
  return getCore()
    .bytes()
    .slice(off, off + len);
}

export function hash(name: HashName, data: Uint8Array): Uint8Array {
  const c = getCore();
  if (data.length + 64 <= c.ioSize) {
    const [src, dst] = place(data) as [number, number];
    c.exports.primHash(HASH_ID[name], src, data.length, dst);
    return take(dst, HASH_LEN[name]);
  }
  return hashChunks(name, chunksOf(data, c.ioSize >> 1));
}

function* chunksOf(data: Uint8Array, size: number): Generator<Uint8Array> {
  for (let off = 0; off < data.length; off += size) yield data.subarray(off, off + size);
}

/** Hash of the concatenation of `parts`, fed one at a time (any input size, any split). */
export function hashChunks(name: HashName, parts: Iterable<Uint8Array>): Uint8Array {
  const c = getCore();
  const alg = HASH_ID[name];
  c.exports.primHashInit(alg);
  for (const part of parts) {
    for (let off = 0; off < part.length; off += c.ioSize) {
      const piece = part.subarray(off, off + c.ioSize);
      c.bytes().set(piece, c.io);
      c.exports.primHashUpdate(alg, c.io, piece.length);
    }
  }
  c.exports.primHashFinal(alg, c.io);
  return take(c.io, HASH_LEN[name]);
}

export function hmac(name: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  const [k, src, dst] = place(key, data) as [number, number, number];
  getCore().exports.primHmac(HASH_ID[name], k, key.length, src, data.length, dst);
  return take(dst, HASH_LEN[name]);
}

export function pbkdf2(name: "sha1" | "sha256" | "sha384", password: Uint8Array, salt: Uint8Array, iterations: number, dkLen: number): Uint8Array {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 0x7fffffff) {
    throw new CryptoError("CRYPTO_BAD_ARGUMENT", `PBKDF2 iteration count ${iterations} out of range 1..2^31-1`);
  }
  if (dkLen < 1 || dkLen > 1024) throw new CryptoError("CRYPTO_BAD_LENGTH", `PBKDF2 output length ${dkLen} out of range 1..1024`);
  const [pw, s, dst] = place(password, salt) as [number, number, number];
  getCore().exports.primPbkdf2(HASH_ID[name], pw, password.length, s, salt.length, iterations, dst, dkLen);
  return take(dst, dkLen);
}

export function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length < 1 || key.length > 256) throw new CryptoError("CRYPTO_BAD_KEY_LENGTH", `RC4 key of ${key.length} bytes (1..256)`);
  const [k, src, dst] = place(key, data, data) as [number, number, number];
  getCore().exports.primRc4(k, key.length, src, dst, data.length);
  return take(dst, data.length);
}

export function camelliaCmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  const [k, src, dst] = place(key, data) as [number, number, number];
  const st = getCore().exports.primCamelliaCmac(k, key.length, src, data.length, dst);
  if (st !== 0) throw new CryptoError("CRYPTO_BAD_KEY_LENGTH", `Camellia key of ${key.length} bytes (16, 24 or 32)`);
  return take(dst, 16);
}

function cipherStatus(st: number, cipher: CipherName, mode: CipherMode, key: Uint8Array, data: Uint8Array): void {
  if (st === -1) throw new CryptoError("CRYPTO_UNSUPPORTED", `${cipher} has no ${mode} mode here`);
  if (st === -2) throw new CryptoError("CRYPTO_BAD_KEY_LENGTH", `${cipher} key of ${key.length} bytes is not valid`);
  if (st === -3) throw new CryptoError("CRYPTO_BAD_LENGTH", `${cipher}-${mode} cannot process ${data.length} bytes`);
}

/**
 * One block-cipher operation. `iv` defaults to zeros; for CBC and CTS the returned
 * `nextIv` is the cipher state after the operation (RFC 3961 §3 "cipher state").
 */
export function blockCipher(
  cipher: CipherName,
  mode: CipherMode,
  direction: "encrypt" | "decrypt",
  key: Uint8Array,
  data: Uint8Array,
  iv?: Uint8Array,
): { output: Uint8Array; nextIv: Uint8Array } {
  const bs = cipher === "des3" ? 8 : 16;
  const ivBytes = iv ?? new Uint8Array(bs);
  if (ivBytes.length !== bs) throw new CryptoError("CRYPTO_BAD_ARGUMENT", `IV must be ${bs} bytes, got ${ivBytes.length}`);
  const [k, v, src, dst] = place(key, ivBytes, data, data) as [number, number, number, number];
  const st = getCore().exports.primCipher(CIPHER_ID[cipher], MODE_ID[mode], direction === "decrypt" ? 1 : 0, k, key.length, v, src, dst, data.length);
  cipherStatus(st, cipher, mode, key, data);
  return { output: take(dst, data.length), nextIv: take(v, bs) };
}

export type AesImpl = "table" | "ct";

/** Which AES implementation blockCipher("aes", ...) uses: "ct" (constant-time SIMD) or "table" (T-tables). */
export function aesDefaultImpl(): AesImpl {
  return getCore().exports.primAesConstantTime() === 1 ? "ct" : "table";
}

/** blockCipher("aes", ...) through a named AES implementation, default or not (for the tests). */
export function aesWithImpl(
  impl: AesImpl,
  mode: CipherMode,
  direction: "encrypt" | "decrypt",
  key: Uint8Array,
  data: Uint8Array,
  iv?: Uint8Array,
): { output: Uint8Array; nextIv: Uint8Array } {
  const ivBytes = iv ?? new Uint8Array(16);
  if (ivBytes.length !== 16) throw new CryptoError("CRYPTO_BAD_ARGUMENT", `IV must be 16 bytes, got ${ivBytes.length}`);
  const [k, v, src, dst] = place(key, ivBytes, data, data) as [number, number, number, number];
  const st = getCore().exports.primAesImpl(impl === "ct" ? 1 : 0, MODE_ID[mode], direction === "decrypt" ? 1 : 0, k, key.length, v, src, dst, data.length);
  cipherStatus(st, "aes", mode, key, data);
  return { output: take(dst, data.length), nextIv: take(v, 16) };
}

/** RFC 3961 §5.1 n-fold of `input` to `outLen` octets (1..256). */
export function nfold(input: Uint8Array, outLen: number): Uint8Array {
  if (input.length < 1 || outLen < 1 || outLen > 256)
    throw new CryptoError("CRYPTO_BAD_LENGTH", `n-fold of ${input.length} bytes to ${outLen} bytes is out of range`);
  const [src, dst] = place(input) as [number, number];
  getCore().exports.nfold(src, input.length, dst, outLen);
  return take(dst, outLen);
}
