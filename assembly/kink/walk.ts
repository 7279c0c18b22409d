// The receive path's hot part for a KINK datagram (RFC 4430 §4, §4.1, §4.2, §5.1, §6): header
// checks, the bounds-checked payload walk, the Cksum check and the KINK_ENCRYPT decryption,
// in one call over a datagram that is already in WASM memory. The result is a table of
// offsets (layout below, mirrored by src/wire/decode.ts) plus a status; the host builds
// objects only for the payloads it needs. Nothing here allocates.
//
// Table (i32 words at `table`):
//   0 status (0 = ok, else a W_* code)   1 offset of the failing field   2 payload type involved
//   3 Type  4 version octet  5 Length  6 DOI  7 XID  8 NextPayload  9 flags octet  10 CksumLen
//   11 offset of the Cksum (-1: none)   12 outer payload count   13 inner payload count
//   14 plaintext address (-1: not decrypted)   15 plaintext length
//   16 index of KINK_ENCRYPT among the outer payloads (-1: none)
//   20 1 when the failure offset is in the plaintext rather than the datagram
//   17 mask of outer payload types   18 mask of all payload types (outer and inner)   19 verified: 1 when the Cksum was checked
//   24 + 3·i  payload i: type, offset, Payload Length (outer first, then inner; inner offsets
//             are relative to the plaintext start)
// The plaintext is written at table + TABLE_BYTES (caller reserves the ciphertext's length).

import { krbDecrypt, krbVerify, slotAddr } from "../krb/profile";
import { ST_INTEGRITY } from "../krb/slots";

/** A well-formed message has a handful of payloads; more is junk or an attack on the walk. */
export const MAX_PAYLOADS: i32 = 32;
export const TABLE_WORDS: i32 = 24 + 3 * 2 * MAX_PAYLOADS;
export const TABLE_BYTES: i32 = TABLE_WORDS * 4;

// Status codes (src/wire/decode.ts maps each to a KinkError with the RFC's response).
export const W_OK: i32 = 0;
export const W_SHORT_DATAGRAM: i32 = 1;
export const W_BAD_LENGTH: i32 = 2;
export const W_TOO_LONG: i32 = 3;
export const W_BAD_VERSION: i32 = 4;
export const W_BAD_RESERVED: i32 = 5;
export const W_BAD_DOI: i32 = 6;
export const W_BAD_TYPE: i32 = 7;
export const W_BAD_CKSUM_LEN: i32 = 8;
export const W_TRUNCATED: i32 = 9;
export const W_BAD_PAYLOAD_LENGTH: i32 = 10;
export const W_UNKNOWN_PAYLOAD: i32 = 11;
export const W_NOT_ALLOWED: i32 = 12;
export const W_DUPLICATE: i32 = 13;
export const W_ENCRYPT_NOT_LAST: i32 = 14;
export const W_CKSUM_PRESENCE: i32 = 15;
export const W_TRAILING: i32 = 16;
export const W_MISSING: i32 = 17;
export const W_BAD_QM_VERSION: i32 = 18;
export const W_TOO_MANY_PAYLOADS: i32 = 19;
export const W_BAD_CKSUM: i32 = 20;
export const W_BAD_CIPHERTEXT: i32 = 21;

// Option flags (low 8 bits of `options`; bits 8..23 hold the largest Length accepted).
/** Reject non-zero RESERVED fields instead of ignoring them (RFC 4430 §4 says ignore). */
export const OPT_STRICT_RESERVED: i32 = 1;

// Payload types (RFC 4430 §4.2) as mask bits.
const AP_REQ: i32 = 1;
const AP_REP: i32 = 2;
const KRB_ERROR: i32 = 3;
const TGT_REQ: i32 = 4;
const TGT_REP: i32 = 5;
const ISAKMP: i32 = 6;
const ENCRYPT: i32 = 7;
const ERROR: i32 = 8;
const LAST_PAYLOAD: i32 = 8;

// Message types (RFC 4430 §4).
const CREATE: i32 = 1;
const DELETE: i32 = 2;
const REPLY: i32 = 3;
const GETTGT: i32 = 4;
const ACK: i32 = 5;
const STATUS: i32 = 6;

function bit(t: i32): i32 {
  return 1 << t;
}

/** Outer payloads each message type may carry (RFC 4430 §6.2–§6.6). */
function outerAllowed(type: i32): i32 {
  if (type == CREATE || type == DELETE || type == STATUS) return bit(AP_REQ) | bit(ISAKMP) | bit(ENCRYPT);
  if (type == ACK) return bit(AP_REQ);
  if (type == GETTGT) return bit(TGT_REQ);
  // REPLY: every response form of §6.
  return bit(AP_REP) | bit(KRB_ERROR) | bit(ERROR) | bit(ISAKMP) | bit(ENCRYPT) | bit(TGT_REP);
}

/** Payloads a KINK_ENCRYPT may hold (§6: everything but the AP_REQ/AP_REP it is keyed by). */
function innerAllowed(type: i32): i32 {
  return type == REPLY ? bit(ISAKMP) | bit(ERROR) | bit(KRB_ERROR) : bit(ISAKMP);
}

/** Smallest Payload Length per type: header + fixed fields + at least one octet of any blob. */
function minPayloadLength(t: i32): i32 {
  if (t == AP_REQ || t == AP_REP) return 9; // + EPOCH (§4.2.1, §4.2.2)
  if (t == ISAKMP) return 8; // + InnerNextPload, QMVersion, RESERVED (§4.2.6)
  if (t == ERROR) return 8; // exactly (§4.2.8)
  return 5;
}

function be16(p: usize): i32 {
  return ((<i32>load<u8>(p)) << 8) | <i32>load<u8>(p, 1);
}

function be32(p: usize): i32 {
  return <i32>bswap<u32>(load<u32>(p));
}

function fail(table: usize, status: i32, offset: i32, ptype: i32): i32 {
  store<i32>(table, status, 0);
  store<i32>(table, offset, 4);
  store<i32>(table, ptype, 8);
  return status;
}

/**
 * Walks one payload chain in [start, end) of `base`, starting with type `first`, recording
 * entries from table slot `index`. Offsets recorded (and reported) are relative to `base`.
 * Returns the new entry count, or a negative status (already written to the table).
 */
function walkChain(table: usize, base: usize, start: i32, end: i32, first: i32, index: i32, allowed: i32, seenMask: i32, strict: bool, inner: bool): i32 {
  let off = start;
  let next = first;
  let seen = seenMask;
  const firstIndex = index;
  while (next != 0) {
    const t = next;
    if (t < 1 || t > LAST_PAYLOAD) return -fail(table, W_UNKNOWN_PAYLOAD, off, t);
    if ((allowed & bit(t)) == 0) return -fail(table, W_NOT_ALLOWED, off, t);
    if (t != ISAKMP && (seen & bit(t)) != 0) return -fail(table, W_DUPLICATE, off, t);
    if (index - firstIndex >= MAX_PAYLOADS) return -fail(table, W_TOO_MANY_PAYLOADS, off, t);
    if (end - off < 4) return -fail(table, W_TRUNCATED, off, t);
    const p = base + <usize>off;
    next = <i32>load<u8>(p);
    if (strict && load<u8>(p, 1) != 0) return -fail(table, W_BAD_RESERVED, off + 1, t);
    const plen = be16(p + 2);
    if (plen > end - off) return -fail(table, W_TRUNCATED, off + 2, t);
    const min = minPayloadLength(t);
    if (plen < min || (t == ERROR && plen != 8)) return -fail(table, W_BAD_PAYLOAD_LENGTH, off + 2, t);
    if (t == ENCRYPT && next != 0) return -fail(table, W_ENCRYPT_NOT_LAST, off, t);
    // RFC 4430 §4.2.6: the QM version byte; only 1.0 is defined and racoon2 sends exactly 0x10.
    if (t == ISAKMP) {
      if (load<u8>(p, 5) != 0x10) return -fail(table, W_BAD_QM_VERSION, off + 5, t);
      if (strict && load<u16>(p, 6) != 0) return -fail(table, W_BAD_RESERVED, off + 6, t);
    }
    const e = table + 96 + <usize>(index * 12);
    store<i32>(e, t, 0);
    store<i32>(e, off, 4);
    store<i32>(e, plen, 8);
    index++;
    seen |= bit(t);
    // §4.1: the next payload starts on a 4-octet boundary; the Length excludes the padding.
    off = (off + plen + 3) & ~3;
    if (next != 0 && off > end) return -fail(table, W_TRUNCATED, end, next);
  }
  if (!inner) {
    // Between the last payload (padded) and the Cksum / end there must be nothing (§4: Length
    // is the message's real length; the Cksum starts right after the aligned payloads).
    if (off < end) return -fail(table, W_TRAILING, off, 0);
  }
  store<i32>(table + (inner ? 72 : 68), seen);
  return index;
}

/**
 * Parses the datagram at `src` (`len` octets as received) and, when slots are given,
 * checks the Cksum (usage-40 slot of the session key) and decrypts KINK_ENCRYPT (usage-39
 * slot). A slot of -1 skips that step. Returns the status (also in table word 0).
 */
export function kinkOpen(src: usize, len: i32, cksumSlot: i32, encSlot: i32, table: usize, options: i32): i32 {
  memory.fill(table, 0, 96);
  store<i32>(table, -1, 44);
  store<i32>(table, -1, 56);
  store<i32>(table, -1, 64);
  const strict = (options & OPT_STRICT_RESERVED) != 0;
  const maxLength = (options >> 8) & 0xffff;
  // racoon2 (and the RFC's header size) drop anything shorter than the header silently.
  if (len < 16) return fail(table, W_SHORT_DATAGRAM, 0, 0);
  const type = <i32>load<u8>(src);
  const ver = <i32>load<u8>(src, 1);
  const length = be16(src + 2);
  const doi = be32(src + 4);
  const next = <i32>load<u8>(src, 12);
  const flags = <i32>load<u8>(src, 13);
  const cksumLen = be16(src + 14);
  store<i32>(table, type, 12);
  store<i32>(table, ver, 16);
  store<i32>(table, length, 20);
  store<i32>(table, doi, 24);
  store<i32>(table, be32(src + 8), 28);
  store<i32>(table, next, 32);
  store<i32>(table, flags, 36);
  store<i32>(table, cksumLen, 40);
  if (maxLength != 0 && length > maxLength) return fail(table, W_TOO_LONG, 2, 0);
  // §4: Length is the whole message; extra octets after it are allowed, fewer are not.
  if (length < 16 || length > len) return fail(table, W_BAD_LENGTH, 2, 0);
  if (ver >> 4 != 1) return fail(table, W_BAD_VERSION, 1, 0);
  if (strict && (ver & 0x0f) != 0) return fail(table, W_BAD_RESERVED, 1, 0);
  if (doi != 1) return fail(table, W_BAD_DOI, 4, 0);
  if (type < CREATE || type > STATUS) return fail(table, W_BAD_TYPE, 0, 0);
  if (strict && (flags & 0x7f) != 0) return fail(table, W_BAD_RESERVED, 13, 0);
  // §4: the Cksum sits at the end, on a 4-octet boundary, after at least the header.
  const bodyEnd = length - cksumLen;
  if (cksumLen > length - 16 || (bodyEnd & 3) != 0) return fail(table, W_BAD_CKSUM_LEN, 14, 0);
  const n = walkChain(table, src, 16, bodyEnd, next, 0, outerAllowed(type), 0, strict, false);
  if (n < 0) return -n;
  store<i32>(table, n, 48);
  const seen = load<i32>(table, 68);
  const auth = seen & (bit(AP_REQ) | bit(AP_REP));
  // §4: a Cksum is present exactly when a key is available through AP_REQ/AP_REP.
  if ((auth != 0) != (cksumLen != 0)) return fail(table, W_CKSUM_PRESENCE, 14, 0);
  if (cksumLen != 0) store<i32>(table, bodyEnd, 44);
  if ((seen & bit(ENCRYPT)) != 0 && auth == 0) return fail(table, W_NOT_ALLOWED, 16, ENCRYPT);
  let encIndex = -1;
  for (let i = 0; i < n; i++) {
    if (load<i32>(table + 96 + <usize>(i * 12)) == ENCRYPT) encIndex = i;
  }
  store<i32>(table, encIndex, 64);

  if (cksumSlot >= 0 && cksumLen != 0) {
    const p = slotAddr(cksumSlot);
    if (p == 0) return fail(table, W_BAD_CKSUM, bodyEnd, 0);
    // §5.1: the Cksum covers the message with Length = Length − CksumLen and CksumLen = 0.
    // The datagram is our copy, so rewrite in place and restore afterwards.
    const savedLen = load<u16>(src + 2);
    const savedCk = load<u16>(src + 14);
    store<u16>(src + 2, bswap<u16>(<u16>bodyEnd));
    store<u16>(src + 14, 0);
    const r = krbVerify(p, src, bodyEnd, src + <usize>bodyEnd, cksumLen);
    store<u16>(src + 2, savedLen);
    store<u16>(src + 14, savedCk);
    if (r != 0) return fail(table, W_BAD_CKSUM, bodyEnd, 0);
    store<i32>(table, 1, 76);
  }

  if (encSlot >= 0 && encIndex >= 0) {
    const p = slotAddr(encSlot);
    const e = table + 96 + <usize>(encIndex * 12);
    const eoff = load<i32>(e, 4);
    const elen = load<i32>(e, 8);
    const pt = table + <usize>TABLE_BYTES;
    const m = p == 0 ? ST_INTEGRITY : krbDecrypt(p, src + <usize>(eoff + 4), elen - 4, pt);
    if (m < 4) return fail(table, W_BAD_CIPHERTEXT, eoff + 4, ENCRYPT);
    store<i32>(table, <i32>pt, 56);
    store<i32>(table, m, 60);
    store<i32>(table, 1, 80);
    if (strict && (load<u32>(pt) & 0xffffff00) != 0) return fail(table, W_BAD_RESERVED, 1, 0);
    // §4.2.7: plaintext = InnerNextPload, 3 reserved octets, the inner chain; anything after
    // the inner chain's last payload is padding to ignore.
    const k = walkChain(table, pt, 4, m, <i32>load<u8>(pt), n, innerAllowed(type), seen & ~bit(ENCRYPT), strict, true);
    if (k < 0) return -k;
    store<i32>(table, 0, 80);
    store<i32>(table, k - n, 52);
  }

  // What each message type must carry (§6): commands and ACK an AP_REQ, GETTGT a TGT_REQ,
  // REPLY one of AP_REP / KRB_ERROR / ERROR / TGT_REP.
  const all = seen | load<i32>(table, 72);
  let required = bit(AP_REQ);
  if (type == GETTGT) required = bit(TGT_REQ);
  else if (type == REPLY) required = bit(AP_REP) | bit(KRB_ERROR) | bit(ERROR) | bit(TGT_REP);
  if ((all & required) == 0) return fail(table, W_MISSING, 12, 0);
  return W_OK;
}
