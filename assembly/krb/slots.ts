// Key slots: the derived keys of one (base key, key usage) pair, prepared for use.
// RFC 3961 §5.3 derives Ke, Ki and Kc from the base key and the usage; MIT krb5 caches
// them per key (derive.c). Here each slot holds the cipher schedule of Ke and the
// precomputed HMAC/CMAC states of Ki and Kc, so a message costs no derivation at all.
//
// Slot layout (SLOT_SIZE bytes):
//   0  etype (i32)      4  usage (i32)      8  kind (i32)      12 base key length (i32)
//   16 base key (≤ 32 octets)        48 derived mask (i32): DERIVED_ENC = Ke+Ki ready, DERIVED_CKSUM = Kc ready
//   OFF_KE  cipher schedule for Ke (or the PRF key for PRF slots)
//   OFF_KI  HMAC key state for Ki (Camellia: CMAC schedule)
//   OFF_KC  HMAC key state for Kc (Camellia: CMAC schedule)

import { aesEncryptBlock, aesSetEncryptKey, aesSetKey } from "../cipher/aes";
import { camelliaCmac, camelliaEncryptBlock, camelliaSetKey } from "../cipher/camellia";
import { des3EncryptBlock, des3SetKey } from "../cipher/des3";
import { HashAlg } from "../hash/hash";
import { HMAC_KEY_SIZE, hmacFinal, hmacInit, hmacSetKey, hmacUpdate } from "../hash/hmac";
import { ctEqual, getSlotCapacity, SLOT_SIZE, slotPtr, wipe } from "../mem";
import { blockSize, CipherKind, cipherOf, ETYPE_DES3_CBC_SHA1_KD, Family, family, keyBytes, keyLength, macHash, macLength } from "./enctype";
import { nfold } from "./nfold";

export const OFF_ETYPE: usize = 0;
export const OFF_USAGE: usize = 4;
export const OFF_KIND: usize = 8;
export const OFF_KEYLEN: usize = 12;
export const OFF_KEY: usize = 16;
export const OFF_DERIVED: usize = 48;
export const OFF_KE: usize = 64;
export const OFF_KI: usize = 704;
export const OFF_KC: usize = 1344;

export const KIND_USAGE: i32 = 0;
export const KIND_PRF: i32 = 1;

export const DERIVED_ENC: i32 = 1;
export const DERIVED_CKSUM: i32 = 2;

/** Status codes shared with src/crypto/wasm.ts (negative: failure). */
export const ST_OK: i32 = 0;
export const ST_INTEGRITY: i32 = -1;
export const ST_BAD_LENGTH: i32 = -2;
export const ST_BAD_ETYPE: i32 = -3;
export const ST_BAD_OP: i32 = -4;
export const ST_BAD_SLOT: i32 = -5;
export const ST_BAD_KEY_LENGTH: i32 = -6;
export const ST_BAD_ARG: i32 = -7;

// Scratch: schedule of a base key, an HMAC key state, derivation blocks and KDF input.
const BASE_KS: usize = memory.data(640, 16);
const BASE_HK: usize = memory.data(<i32>HMAC_KEY_SIZE, 16);
const HCTX: usize = memory.data(256, 16);
const RAW: usize = memory.data(64, 16);
/** DR output before random-to-key (kept apart from RAW: DES3's random-to-key cannot run in place). */
const DR: usize = memory.data(64, 16);
const BLOCK: usize = memory.data(64, 16);
const KDF_IN: usize = memory.data(128, 16);
const CONST: usize = memory.data(16, 16);

// The base key whose schedule (or HMAC state) is in BASE_KS / BASE_HK: a CREATE derives keys
// for several usages (and the PRF) from one session key, so its schedule is made once.
const LOADED_KEY: usize = memory.data(32, 16);
let loadedEtype: i32 = 0;

// n-fold of 5-octet usage constants (RFC 3961 §5.1), direct-mapped by usage and tail octet:
// a responder derives the same few usages (2, 11, 12, 39, 40) from every new session key.
const NFOLD_SLOTS: i32 = 64;
const NFOLD_TAGS: usize = memory.data(NFOLD_SLOTS * 8, 16);
const NFOLD_VALUES: usize = memory.data(NFOLD_SLOTS * 16, 16);

// "prf" n-folded for 16- and 8-octet blocks (every new session key derives its PRF key from it).
const PRF_FOLDED_16: usize = memory.data(16, 16);
const PRF_FOLDED_8: usize = memory.data(8, 8);
/** [0]: the 8-octet fold is ready, [1]: the 16-octet one. */
const PRF_FOLDED_READY: usize = memory.data(2);

/** ASCII "prf" and "kerberos" (RFC 3961 §5.3 PRF constant, §5.3 string-to-key constant). */
export const PRF_CONST: usize = memory.data<u8>([0x70, 0x72, 0x66]);
export const KERBEROS_CONST: usize = memory.data<u8>([0x6b, 0x65, 0x72, 0x62, 0x65, 0x72, 0x6f, 0x73]);
/** "signaturekey\0" (RFC 4757 §4, the RC4-HMAC checksum key). */
const SIGNATURE_KEY: usize = memory.data<u8>([0x73, 0x69, 0x67, 0x6e, 0x61, 0x74, 0x75, 0x72, 0x65, 0x6b, 0x65, 0x79, 0x00]);

/** DES weak and semi-weak keys (FIPS 74 §3.6), with parity, as 16 big-endian u64. */
const DES_WEAK: usize = memory.data<u64>([
  0x0101010101010101, 0xfefefefefefefefe, 0xe0e0e0e0f1f1f1f1, 0x1f1f1f1f0e0e0e0e, 0x01fe01fe01fe01fe, 0xfe01fe01fe01fe01, 0x1fe01fe00ef10ef1,
  0xe01fe01ff10ef10e, 0x01e001e001f101f1, 0xe001e001f101f101, 0x1ffe1ffe0efe0efe, 0xfe1ffe1ffe0efe0e, 0x011f011f010e010e, 0x1f011f010e010e01,
  0xe0fee0fef1fef1fe, 0xfee0fee0fef1fef1,
]);

function oddParity(b: u32): u32 {
  // RFC 3961 §6.2: each DES key octet has odd parity in its least significant bit.
  const hi = b & 0xfe;
  return hi | ((popcnt<u32>(hi) & 1) ^ 1);
}

/**
 * RFC 3961 §6.3.1 random-to-key for DES3: each 7 random octets become one DES key whose
 * eighth octet collects the seven low bits, then parity is fixed and weak keys are
 * altered by XOR 0xF0 in the last octet (§6.2).
 */
export function des3RandomToKey(src: usize, dst: usize): void {
  for (let k = 0; k < 3; k++) {
    const s = src + <usize>(k * 7);
    const d = dst + <usize>(k * 8);
    let last: u32 = 0;
    for (let j = 0; j < 7; j++) {
      const b = <u32>load<u8>(s + <usize>j);
      last |= (b & 1) << (j + 1);
      store<u8>(d + <usize>j, <u8>oddParity(b));
    }
    store<u8>(d + 7, <u8>oddParity(last));
    const v = bswap<u64>(load<u64>(d));
    for (let w = 0; w < 16; w++) {
      if (load<u64>(DES_WEAK + <usize>(w * 8)) == v) {
        store<u8>(d + 7, load<u8>(d + 7) ^ 0xf0);
        break;
      }
    }
  }
}

/** random-to-key (RFC 3961 §3): identity except for DES3. */
export function randomToKey(etype: i32, src: usize, dst: usize): void {
  if (etype == ETYPE_DES3_CBC_SHA1_KD) des3RandomToKey(src, dst);
  else memory.copy(dst, src, <usize>keyLength(etype));
}

/** Expands `key` for the profile's cipher into ks. */
export function cipherSetKey(kind: CipherKind, ks: usize, key: usize, keyLen: i32): void {
  if (kind == CipherKind.AES) aesSetKey(ks, key, keyLen);
  else if (kind == CipherKind.DES3) des3SetKey(ks, key);
  else camelliaSetKey(ks, key, keyLen);
}

function encryptBlock(kind: CipherKind, ks: usize, src: usize, dst: usize): void {
  if (kind == CipherKind.AES) aesEncryptBlock(ks, src, dst);
  else if (kind == CipherKind.DES3) des3EncryptBlock(ks, src, dst);
  else camelliaEncryptBlock(ks, src, dst);
}

/**
 * RFC 3961 §5.1 DK(Key, Constant) = random-to-key(DR(Key, Constant)), with
 * DR = E(Key, n-fold(Constant)) iterated on its own output (E in CBC with a zero IV on
 * one block = a single block encryption). baseKs holds the base key's schedule.
 */
function dkRfc3961(etype: i32, baseKs: usize, constant: usize, constLen: i32, dst: usize): void {
  const kind = cipherOf(etype);
  const bs = blockSize(etype);
  const kb = keyBytes(etype);
  if (constLen == bs) memory.copy(BLOCK, constant, <usize>bs);
  else if (constLen == 5) nfoldUsageConstant(constant, bs);
  else if (constant == PRF_CONST) nfoldPrfConstant(bs);
  else nfold(constant, constLen, BLOCK, bs);
  for (let n = 0; n < kb; n += bs) {
    encryptBlock(kind, baseKs, BLOCK, BLOCK);
    memory.copy(DR + <usize>n, BLOCK, <usize>min(bs, kb - n));
  }
  randomToKey(etype, DR, dst);
  wipe(DR, 64);
}

/** n-fold of a 5-octet usage constant into BLOCK, through the cache. */
function nfoldUsageConstant(constant: usize, bs: i32): void {
  // Tag: the 5 constant octets and the output size, never all-zero (bs ≥ 8), so an empty entry never matches.
  const tag = ((<u64>load<u32>(constant)) << 24) | ((<u64>load<u8>(constant, 4)) << 16) | <u64>bs;
  // Everything is mixed in before the multiply: added after it, the tail octet never reached the
  // top six bits, so Ke, Ki and Kc of one usage shared a slot and evicted each other.
  const idx = <i32>(((load<u32>(constant) ^ <u32>load<u8>(constant, 4) ^ ((<u32>bs) << 8)) * 0x9e3779b1) >> 26);
  const t = NFOLD_TAGS + <usize>(idx * 8);
  const v = NFOLD_VALUES + <usize>(idx * 16);
  if (load<u64>(t) != tag) {
    nfold(constant, 5, v, bs);
    store<u64>(t, tag);
  }
  memory.copy(BLOCK, v, <usize>bs);
}

/** n-fold of "prf" into BLOCK: folded once per block size (8 or 16), then copied. */
function nfoldPrfConstant(bs: i32): void {
  const v = bs == 16 ? PRF_FOLDED_16 : PRF_FOLDED_8;
  if (load<u8>(PRF_FOLDED_READY + <usize>(bs >> 4)) == 0) {
    nfold(PRF_CONST, 3, v, bs);
    store<u8>(PRF_FOLDED_READY + <usize>(bs >> 4), 1);
  }
  memory.copy(BLOCK, v, <usize>bs);
}

/**
 * RFC 6803 §3: SP 800-108 KDF in feedback mode with CMAC as the PRF, K(0) = zero block,
 * K(i) = CMAC(key, K(i-1) | [i]32 | label | 0x00 | [L]32); the key is the first L bits.
 * baseKs holds the Camellia schedule (with CMAC subkeys) of the base key.
 */
function dkCmac(baseKs: usize, label: usize, labelLen: i32, outLen: i32, dst: usize): void {
  memory.fill(BLOCK, 0, 16);
  for (let i = 1, n = 0; n < outLen; i++, n += 16) {
    memory.copy(KDF_IN, BLOCK, 16);
    store<u32>(KDF_IN + 16, bswap<u32>(<u32>i));
    memory.copy(KDF_IN + 20, label, <usize>labelLen);
    store<u8>(KDF_IN + 20 + <usize>labelLen, 0);
    store<u32>(KDF_IN + 21 + <usize>labelLen, bswap<u32>(<u32>(outLen * 8)));
    camelliaCmac(baseKs, KDF_IN, 25 + labelLen, BLOCK);
    memory.copy(dst + <usize>n, BLOCK, <usize>min(16, outLen - n));
  }
}

/**
 * RFC 8009 §3 KDF-HMAC-SHA2(key, label, context, k) for k ≤ the hash length:
 * the first k bits of HMAC(key, [1]32 | label | 0x00 | context | [k]32).
 * baseHk is the prepared HMAC key of the base key.
 */
export function kdfHmacSha2(baseHk: usize, label: usize, labelLen: i32, context: usize, contextLen: i32, outLen: i32, dst: usize): void {
  hmacInit(baseHk, HCTX);
  store<u32>(KDF_IN, bswap<u32>(1));
  hmacUpdate(baseHk, HCTX, KDF_IN, 4);
  hmacUpdate(baseHk, HCTX, label, labelLen);
  store<u8>(KDF_IN, 0);
  hmacUpdate(baseHk, HCTX, KDF_IN, 1);
  if (contextLen > 0) hmacUpdate(baseHk, HCTX, context, contextLen);
  store<u32>(KDF_IN, bswap<u32>(<u32>(outLen * 8)));
  hmacUpdate(baseHk, HCTX, KDF_IN, 4);
  hmacFinal(baseHk, HCTX, BLOCK);
  memory.copy(dst, BLOCK, <usize>outLen);
}

/** RFC 4757 §3 message-type translation of a Kerberos key usage (as MIT krb5 applies it). */
export function rc4Usage(usage: i32): i32 {
  if (usage == 3) return 8;
  if (usage == 23) return 13;
  return usage;
}

/** Derives the key for `constant` (5-octet usage constant or an ASCII label) into dst per the etype's family. */
function deriveInto(etype: i32, constant: usize, constLen: i32, outLen: i32, dst: usize): void {
  const f = family(etype);
  if (f == Family.DK_SHA1) dkRfc3961(etype, BASE_KS, constant, constLen, dst);
  else if (f == Family.CAMELLIA) dkCmac(BASE_KS, constant, constLen, outLen, dst);
  else kdfHmacSha2(BASE_HK, constant, constLen, 0, 0, outLen, dst);
}

/** Prepares the base key's schedule (or HMAC state) in scratch, for the derivations that follow. */
export function loadBaseKey(etype: i32, key: usize, keyLen: i32): void {
  if (etype == loadedEtype && ctEqual(key, LOADED_KEY, keyLen)) return;
  const f = family(etype);
  if (f == Family.ETM_SHA2 || f == Family.RC4) hmacSetKey(macHash(etype), BASE_HK, key, keyLen);
  else if (cipherOf(etype) == CipherKind.AES) aesSetEncryptKey(BASE_KS, key, keyLen);
  else cipherSetKey(cipherOf(etype), BASE_KS, key, keyLen);
  memory.copy(LOADED_KEY, key, <usize>keyLen);
  loadedEtype = etype;
}

/** DK(base, constant) for string-to-key: the base key must be loaded with loadBaseKey. */
export function deriveFromLoaded(etype: i32, constant: usize, constLen: i32, dst: usize): void {
  deriveInto(etype, constant, constLen, keyLength(etype), dst);
}

/**
 * Fills slot `slot` for (etype, key, usage). KIND_USAGE slots derive lazily, like MIT krb5:
 * Ke and Ki on the first encrypt/decrypt, Kc on the first checksum (a KINK peer needs only
 * Kc under usage 40 and only Ke/Ki under 39). KIND_PRF slots derive the PRF key at once.
 * Returns ST_OK or a failure status.
 */
export function slotInit(slot: i32, etype: i32, key: usize, keyLen: i32, usage: i32, kind: i32): i32 {
  if (slot < 0 || slot >= getSlotCapacity()) return ST_BAD_SLOT;
  const f = family(etype);
  if (f == Family.NONE) return ST_BAD_ETYPE;
  const klen = keyLength(etype);
  if (keyLen != klen) return ST_BAD_KEY_LENGTH;
  const p = slotPtr(slot);
  store<i32>(p + OFF_ETYPE, etype);
  store<i32>(p + OFF_USAGE, usage);
  store<i32>(p + OFF_KIND, kind);
  store<i32>(p + OFF_KEYLEN, keyLen);
  store<i32>(p + OFF_DERIVED, 0);
  memory.copy(p + OFF_KEY, key, <usize>keyLen);
  if (kind != KIND_PRF) return ST_OK;
  if (f == Family.RC4) {
    // RC4-HMAC PRF (as MIT krb5 and Heimdal implement it): HMAC-SHA1 keyed with the base key.
    hmacSetKey(HashAlg.SHA1, p + OFF_KI, key, keyLen);
  } else if (f == Family.ETM_SHA2) {
    // RFC 8009 §5: PRF = KDF-HMAC-SHA2(base-key, "prf", octet-string, 256|384), keyed by the base key.
    hmacSetKey(macHash(etype), p + OFF_KI, key, keyLen);
  } else {
    // RFC 3961 §5.3 / RFC 6803 §5: the PRF key is DK(base-key, "prf").
    loadBaseKey(etype, key, keyLen);
    deriveInto(etype, PRF_CONST, 3, klen, RAW);
    cipherSetKey(cipherOf(etype), p + OFF_KE, RAW, klen);
    wipe(RAW, 64);
  }
  return ST_OK;
}

/** Makes Ke (cipher schedule) and Ki (HMAC/CMAC state) of a usage slot ready. */
export function ensureEncKeys(p: usize): void {
  const mask = load<i32>(p + OFF_DERIVED);
  if ((mask & DERIVED_ENC) != 0) return;
  const etype = load<i32>(p + OFF_ETYPE);
  const f = family(etype);
  const klen = keyLength(etype);
  const usage = load<i32>(p + OFF_USAGE);
  loadBaseKey(etype, p + OFF_KEY, klen);
  if (f == Family.RC4) {
    // RFC 4757 §5: K1 = HMAC-MD5(K, T) with T the translated usage as 4 octets little-endian.
    store<u32>(CONST, <u32>rc4Usage(usage));
    kdfMd5(CONST, 4, RAW);
    hmacSetKey(HashAlg.MD5, p + OFF_KI, RAW, 16);
  } else {
    // RFC 3961 §5.3: usage constants are the usage as 4 octets big-endian then 0xAA (Ke) or 0x55 (Ki).
    // RFC 8009 §5: Ki has the MAC's length (128 or 192 bits), Ke the protocol key's.
    const integrityLen = f == Family.ETM_SHA2 ? macLength(etype) : klen;
    store<u32>(CONST, bswap<u32>(<u32>usage));
    store<u8>(CONST + 4, 0xaa);
    deriveInto(etype, CONST, 5, klen, RAW);
    cipherSetKey(cipherOf(etype), p + OFF_KE, RAW, klen);
    store<u8>(CONST + 4, 0x55);
    deriveInto(etype, CONST, 5, integrityLen, RAW);
    if (f == Family.CAMELLIA) camelliaSetKey(p + OFF_KI, RAW, klen);
    else hmacSetKey(macHash(etype), p + OFF_KI, RAW, integrityLen);
  }
  wipe(RAW, 64);
  store<i32>(p + OFF_DERIVED, mask | DERIVED_ENC);
}

/** Makes Kc (the checksum key) of a usage slot ready. */
export function ensureCksumKey(p: usize): void {
  const mask = load<i32>(p + OFF_DERIVED);
  if ((mask & DERIVED_CKSUM) != 0) return;
  const etype = load<i32>(p + OFF_ETYPE);
  const f = family(etype);
  const klen = keyLength(etype);
  loadBaseKey(etype, p + OFF_KEY, klen);
  if (f == Family.RC4) {
    // RFC 4757 §4: the checksum key Ksign = HMAC-MD5(K, "signaturekey\0").
    kdfMd5(SIGNATURE_KEY, 13, RAW);
    hmacSetKey(HashAlg.MD5, p + OFF_KC, RAW, 16);
  } else {
    // RFC 3961 §5.3: Kc = DK(key, usage | 0x99).
    const integrityLen = f == Family.ETM_SHA2 ? macLength(etype) : klen;
    store<u32>(CONST, bswap<u32>(<u32>load<i32>(p + OFF_USAGE)));
    store<u8>(CONST + 4, 0x99);
    deriveInto(etype, CONST, 5, integrityLen, RAW);
    if (f == Family.CAMELLIA) camelliaSetKey(p + OFF_KC, RAW, klen);
    else hmacSetKey(macHash(etype), p + OFF_KC, RAW, integrityLen);
  }
  wipe(RAW, 64);
  store<i32>(p + OFF_DERIVED, mask | DERIVED_CKSUM);
}

/** HMAC-MD5 with the loaded base key (RC4-HMAC derivations). */
function kdfMd5(data: usize, len: i32, dst: usize): void {
  hmacInit(BASE_HK, HCTX);
  hmacUpdate(BASE_HK, HCTX, data, len);
  hmacFinal(BASE_HK, HCTX, dst);
}

/** Zeroes a slot (key released). */
export function slotClear(slot: i32): i32 {
  if (slot < 0 || slot >= getSlotCapacity()) return ST_BAD_SLOT;
  const p = slotPtr(slot);
  // The released key may also be the one whose schedule sits in the derivation scratch.
  if (load<i32>(p + OFF_ETYPE) == loadedEtype && ctEqual(p + OFF_KEY, LOADED_KEY, load<i32>(p + OFF_KEYLEN))) wipeScratch();
  wipe(p, SLOT_SIZE);
  return ST_OK;
}

/** Zeroes the scratch that held base-key material (after string-to-key and slot setup batches). */
export function wipeScratch(): void {
  loadedEtype = 0;
  wipe(LOADED_KEY, 32);
  wipe(BASE_KS, 640);
  wipe(BASE_HK, <i32>HMAC_KEY_SIZE);
  wipe(HCTX, 256);
  wipe(BLOCK, 64);
  wipe(KDF_IN, 128);
  wipe(DR, 64);
}

/**
 * DK(key, constant) per the etype's derivation (RFC 3961 §5.1 / RFC 8009 §3 / RFC 6803 §3),
 * outLen octets (RFC 8009 derives 128- or 192-bit Ki/Kc). For tests and key inspection.
 */
export function krbDeriveKey(etype: i32, key: usize, keyLen: i32, constant: usize, constLen: i32, outLen: i32, dst: usize): i32 {
  const f = family(etype);
  if (f == Family.NONE || f == Family.RC4) return ST_BAD_ETYPE;
  if (keyLen != keyLength(etype)) return ST_BAD_KEY_LENGTH;
  if (constLen < 1 || constLen > 64 || outLen < 1 || outLen > 32) return ST_BAD_LENGTH;
  loadBaseKey(etype, key, keyLen);
  deriveInto(etype, constant, constLen, f == Family.DK_SHA1 ? keyLength(etype) : outLen, dst);
  wipeScratch();
  return ST_OK;
}
