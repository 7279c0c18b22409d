// The Kerberos profiles rebuilt on node:crypto (OpenSSL, AES-NI): the baseline the WASM core
// is measured against, in the same run. Derived keys are computed once per (key, usage), as
// a real implementation would cache them; what remains per message is the cipher and MAC
// object setup and the work itself. CTS is built from CBC (RFC 3962 §5).

import { createCipheriv, createDecipheriv, createHash, createHmac, timingSafeEqual } from "node:crypto";

interface Profile {
  cipher: "aes" | "des3" | "camellia";
  keyLen: number;
  hash: "sha1" | "sha256" | "sha384" | null;
  mac: number;
  etm: boolean;
}

const PROFILES: Record<number, Profile> = {
  16: { cipher: "des3", keyLen: 24, hash: "sha1", mac: 20, etm: false },
  17: { cipher: "aes", keyLen: 16, hash: "sha1", mac: 12, etm: false },
  18: { cipher: "aes", keyLen: 32, hash: "sha1", mac: 12, etm: false },
  19: { cipher: "aes", keyLen: 16, hash: "sha256", mac: 16, etm: true },
  20: { cipher: "aes", keyLen: 32, hash: "sha384", mac: 24, etm: true },
  25: { cipher: "camellia", keyLen: 16, hash: null, mac: 16, etm: false },
  26: { cipher: "camellia", keyLen: 32, hash: null, mac: 16, etm: false },
};

function algo(p: Profile, mode: "ecb" | "cbc", keyLen = p.keyLen): string {
  if (p.cipher === "des3") return mode === "ecb" ? "des-ede3" : "des-ede3-cbc";
  return `${p.cipher}-${keyLen * 8}-${mode}`;
}

/** RFC 3961 §5.1 n-fold (straightforward bit version; only used at key setup). */
export function nfold(input: Uint8Array, outLen: number): Buffer {
  const inBits = input.length * 8;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const lcm = (input.length * outLen) / gcd(input.length, outLen);
  const sums = new Array<number>(outLen).fill(0);
  for (let i = 0; i < lcm; i++) {
    const r = Math.floor(i / input.length);
    let byte = 0;
    for (let b = 0; b < 8; b++) {
      const src = ((((i % input.length) * 8 + b - 13 * r) % inBits) + inBits) % inBits;
      byte = (byte << 1) | (((input[src >> 3] as number) >> (7 - (src & 7))) & 1);
    }
    sums[i % outLen] = (sums[i % outLen] as number) + byte;
  }
  let carry = 0;
  do {
    for (let j = outLen - 1; j >= 0; j--) {
      const v = (sums[j] as number) + carry;
      sums[j] = v & 0xff;
      carry = v >> 8;
    }
  } while (carry);
  return Buffer.from(sums);
}

function ecb(p: Profile, key: Uint8Array, block: Uint8Array, decrypt = false): Buffer {
  const c = decrypt ? createDecipheriv(algo(p, "ecb", key.length), key, null) : createCipheriv(algo(p, "ecb", key.length), key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

function cbc(p: Profile, key: Uint8Array, data: Uint8Array, decrypt = false): Buffer {
  const bs = p.cipher === "des3" ? 8 : 16;
  const c = decrypt ? createDecipheriv(algo(p, "cbc"), key, Buffer.alloc(bs)) : createCipheriv(algo(p, "cbc"), key, Buffer.alloc(bs));
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

function ctsEncrypt(p: Profile, key: Uint8Array, data: Uint8Array): Buffer {
  if (data.length === 16) return cbc(p, key, data);
  const padded = Buffer.alloc((data.length + 15) & ~15);
  padded.set(data);
  const c = cbc(p, key, padded);
  const n = c.length;
  const last = data.length - (n - 16);
  return Buffer.concat([c.subarray(0, n - 32), c.subarray(n - 16), c.subarray(n - 32, n - 32 + last)]);
}

function ctsDecrypt(p: Profile, key: Uint8Array, data: Uint8Array): Buffer {
  if (data.length === 16) return cbc(p, key, data, true);
  const nb = Math.ceil(data.length / 16);
  const d = data.length - (nb - 1) * 16;
  const head = data.subarray(0, (nb - 2) * 16);
  const cn = data.subarray((nb - 2) * 16, (nb - 1) * 16);
  const tail = data.subarray((nb - 1) * 16);
  const dn = ecb(p, key, cn, true);
  const full = Buffer.concat([tail, dn.subarray(d)]);
  const last = Buffer.alloc(d);
  for (let i = 0; i < d; i++) last[i] = (dn[i] as number) ^ (tail[i] as number);
  const front = cbc(p, key, Buffer.concat([head, full]), true);
  return Buffer.concat([front, last]);
}

function cmac(p: Profile, key: Uint8Array, data: Uint8Array): Buffer {
  const l = ecb(p, key, Buffer.alloc(16));
  const dbl = (b: Buffer) => {
    const o = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) o[i] = (((b[i] as number) << 1) | (i < 15 ? (b[i + 1] as number) >> 7 : 0)) & 0xff;
    if ((b[0] as number) & 0x80) o[15] = (o[15] as number) ^ 0x87;
    return o;
  };
  const k1 = dbl(l);
  const k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(data.length / 16));
  const complete = data.length > 0 && data.length % 16 === 0;
  const m = Buffer.alloc(n * 16);
  m.set(data);
  if (!complete) m[data.length] = 0x80;
  const k = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) m[(n - 1) * 16 + i] = (m[(n - 1) * 16 + i] as number) ^ (k[i] as number);
  return cbc(p, key, m).subarray(-16);
}

function des3RandomToKey(r: Buffer): Buffer {
  const out = Buffer.alloc(24);
  for (let k = 0; k < 3; k++) {
    let last = 0;
    for (let j = 0; j < 7; j++) {
      const b = r[k * 7 + j] as number;
      last |= (b & 1) << (j + 1);
      out[k * 8 + j] = b;
    }
    out[k * 8 + 7] = last;
  }
  for (let i = 0; i < 24; i++) {
    const hi = (out[i] as number) & 0xfe;
    let bits = 0;
    for (let v = hi; v; v >>= 1) bits += v & 1;
    out[i] = hi | ((bits & 1) ^ 1);
  }
  return out;
}

function derive(p: Profile, key: Uint8Array, constant: Uint8Array, outLen: number): Buffer {
  if (p.etm) {
    const h = createHmac(p.hash as string, key);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(outLen * 8);
    return h
      .update(Buffer.concat([Buffer.from([0, 0, 0, 1]), constant, Buffer.from([0]), len]))
      .digest()
      .subarray(0, outLen);
  }
  if (p.cipher === "camellia") {
    const out: Buffer[] = [];
    let prev: Buffer = Buffer.alloc(16);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(outLen * 8);
    for (let i = 1; out.length * 16 < outLen; i++) {
      const ib = Buffer.alloc(4);
      ib.writeUInt32BE(i);
      prev = cmac(p, key, Buffer.concat([prev, ib, constant, Buffer.from([0]), len]));
      out.push(prev);
    }
    return Buffer.concat(out).subarray(0, outLen);
  }
  const bs = p.cipher === "des3" ? 8 : 16;
  const kb = p.cipher === "des3" ? 21 : p.keyLen;
  let block: Buffer = constant.length === bs ? Buffer.from(constant) : nfold(constant, bs);
  const parts: Buffer[] = [];
  for (let n = 0; n < kb; n += bs) {
    block = ecb(p, key, block);
    parts.push(block);
  }
  const raw = Buffer.concat(parts).subarray(0, kb);
  return p.cipher === "des3" ? des3RandomToKey(raw) : raw;
}

function usageConstant(usage: number, tail: number): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(usage >>> 0);
  b[4] = tail;
  return b;
}

export interface NodeKeys {
  ke: Buffer;
  ki: Buffer;
  kc: Buffer;
}

/** Ke and Ki for (etype, key, usage): what encrypt/decrypt need. */
export function nodeDeriveEncKeys(etype: number, key: Uint8Array, usage: number): Pick<NodeKeys, "ke" | "ki"> {
  const p = PROFILES[etype] as Profile;
  return { ke: derive(p, key, usageConstant(usage, 0xaa), p.keyLen), ki: derive(p, key, usageConstant(usage, 0x55), p.etm ? p.mac : p.keyLen) };
}

/** Kc for (etype, key, usage): what checksums need. */
export function nodeDeriveCksumKey(etype: number, key: Uint8Array, usage: number): Buffer {
  const p = PROFILES[etype] as Profile;
  return derive(p, key, usageConstant(usage, 0x99), p.etm ? p.mac : p.keyLen);
}

/** Ke, Ki, Kc for (etype, key, usage). */
export function nodeDeriveKeys(etype: number, key: Uint8Array, usage: number): NodeKeys {
  return { ...nodeDeriveEncKeys(etype, key, usage), kc: nodeDeriveCksumKey(etype, key, usage) };
}

function mac(p: Profile, k: Buffer, ...parts: Uint8Array[]): Buffer {
  if (p.hash === null) return cmac(p, k, Buffer.concat(parts));
  const h = createHmac(p.hash, k);
  for (const part of parts) h.update(part);
  return h.digest().subarray(0, p.mac);
}

export function nodeEncrypt(etype: number, keys: Pick<NodeKeys, "ke" | "ki">, confounder: Uint8Array, plaintext: Uint8Array): Buffer {
  const p = PROFILES[etype] as Profile;
  let body = Buffer.concat([confounder, plaintext]);
  if (p.cipher === "des3") {
    const padded = Buffer.alloc((body.length + 7) & ~7);
    padded.set(body);
    body = padded;
    return Buffer.concat([cbc(p, keys.ke, body), mac(p, keys.ki, body)]);
  }
  const c = ctsEncrypt(p, keys.ke, body);
  return Buffer.concat([c, p.etm ? mac(p, keys.ki, Buffer.alloc(16), c) : mac(p, keys.ki, body)]);
}

/** Returns the plaintext (confounder stripped) or null on an integrity failure. */
export function nodeDecrypt(etype: number, keys: Pick<NodeKeys, "ke" | "ki">, ciphertext: Uint8Array): Buffer | null {
  const p = PROFILES[etype] as Profile;
  const conf = p.cipher === "des3" ? 8 : 16;
  const c = ciphertext.subarray(0, ciphertext.length - p.mac);
  const tag = ciphertext.subarray(ciphertext.length - p.mac);
  if (p.etm) {
    if (!timingSafeEqual(mac(p, keys.ki, Buffer.alloc(16), c), tag)) return null;
    return ctsDecrypt(p, keys.ke, c).subarray(conf);
  }
  const body = p.cipher === "des3" ? cbc(p, keys.ke, c, true) : ctsDecrypt(p, keys.ke, c);
  if (!timingSafeEqual(mac(p, keys.ki, body), tag)) return null;
  return body.subarray(conf);
}

export function nodeChecksum(etype: number, kc: Buffer, data: Uint8Array): Buffer {
  return mac(PROFILES[etype] as Profile, kc, data);
}

/** The PRF key: DK(key, "prf") for the simplified profile (RFC 3961 §5.3), the base key for RFC 8009. */
export function nodePrfKey(etype: number, key: Uint8Array): Buffer {
  const p = PROFILES[etype] as Profile;
  return p.etm ? Buffer.from(key) : derive(p, key, Buffer.from("prf"), p.keyLen);
}

/** PRF: AES-SHA1 in the RFC 3961 reading (16 octets) or RFC 8009 KDF-HMAC-SHA2(key, "prf", input). */
export function nodePrf(etype: number, prfKey: Buffer, input: Uint8Array): Buffer {
  const p = PROFILES[etype] as Profile;
  if (p.etm) {
    const bits = p.mac === 16 ? 256 : 384;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bits);
    return createHmac(p.hash as string, prfKey)
      .update(Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from("prf"), Buffer.from([0]), input, len]))
      .digest()
      .subarray(0, bits / 8);
  }
  return ecb(p, prfKey, createHash("sha1").update(input).digest().subarray(0, 16));
}

export const NODE_ETYPES = Object.keys(PROFILES).map(Number);
