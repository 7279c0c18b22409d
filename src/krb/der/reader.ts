// Strict DER reader for RFC 4120 messages (X.690 §10 restrictions on BER).
//
// Offset-based: the reader holds the input and a cursor; every read takes the end offset of the
// enclosing content (`limit`) and never looks past it, so a length that claims more than its
// parent holds is caught where it is read. Results are numbers, strings, or zero-copy subarray
// views of the input (OCTET STRING contents); nothing else is allocated on the success path.
//
// Field paths for errors ("AP-REQ.ticket.enc-part.cipher") are kept as a stack of constant
// strings (plus an optional SEQUENCE OF index per level) and only joined when a decode fails.
//
// All Kerberos tags fit in one identifier octet (context [0]..[12], APPLICATION 1..30, and the
// universal types), so tags are compared as single octets: a high-tag-number form (low bits
// 0x1f) never equals an expected tag and is rejected as a wrong tag.

import { KrbDecodeError } from "../errors.ts";
import { daysFromCivil, daysInMonth } from "./time.ts";

/** Universal tags used by RFC 4120 (X.680 §8.4), as identifier octets. */
export const Tag = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  SEQUENCE: 0x30,
  GENERALIZED_TIME: 0x18,
  GENERAL_STRING: 0x1b,
} as const;

/** Identifier octet of [n] EXPLICIT (context-specific, constructed: X.690 §8.1.2, §8.14.2). */
export function contextTag(n: number): number {
  return 0xa0 | n;
}

/** Identifier octet of [APPLICATION n] (application class, constructed). */
export function applicationTag(n: number): number {
  return 0x60 | n;
}

/** KerberosString (RFC 4120 §5.2.1) is decoded as UTF-8; invalid sequences are errors, not U+FFFD. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** What every empty OCTET STRING decodes to (see `octets`). */
const NO_OCTETS = new Uint8Array(0);

/** Largest length accepted: 2^31 octets (anything near it is past the end of any real input anyway). */
const MAX_LENGTH = 0x80000000;

/**
 * Small direct-mapped cache of decoded KerberosStrings. Realms and service names repeat on every
 * KINK CREATE (same ticket, same principals), and building a JS string costs ~100 ns; comparing
 * a dozen octets against the cached copy costs a few. Only short strings are cached.
 */
const STRING_CACHE_SLOTS = 64;
const STRING_CACHE_MAX = 64;
/** Each slot's octets at slot × STRING_CACHE_MAX: a miss copies into its slot, allocating nothing. */
const cacheOctets = new Uint8Array(STRING_CACHE_SLOTS * STRING_CACHE_MAX);
/** Octets in each slot; 0 = empty (the empty string is never cached). */
const cacheLengths = new Uint8Array(STRING_CACHE_SLOTS);
const cacheStrings: string[] = new Array(STRING_CACHE_SLOTS).fill("");

export class DerReader {
  bytes: Uint8Array;
  pos = 0;
  #buffer: ArrayBufferLike;
  #base: number;
  #names: string[] = [];
  #indexes: number[] = [];
  #depth = 0;

  constructor(bytes: Uint8Array = new Uint8Array(0)) {
    this.bytes = bytes;
    this.#buffer = bytes.buffer;
    this.#base = bytes.byteOffset;
  }

  /** Start over on new input (the reader is reusable; the path stack is cleared). */
  reset(bytes: Uint8Array): this {
    this.bytes = bytes;
    this.#buffer = bytes.buffer;
    this.#base = bytes.byteOffset;
    this.pos = 0;
    this.#depth = 0;
    return this;
  }

  // ---- field path -------------------------------------------------------------------------

  /** Enter a named field (a constant string: no allocation). */
  push(name: string): void {
    this.#names[this.#depth] = name;
    this.#indexes[this.#depth] = -1;
    this.#depth++;
  }

  pop(): void {
    this.#depth--;
  }

  /** Mark the current level as element `i` of a SEQUENCE OF (shown as "name[i]" in errors). */
  index(i: number): void {
    if (this.#depth > 0) this.#indexes[this.#depth - 1] = i;
  }

  /** The current field path, e.g. "AP-REQ.ticket.sname.name-string[1]". */
  get path(): string {
    let s = "";
    for (let i = 0; i < this.#depth; i++) {
      if (i > 0) s += ".";
      s += this.#names[i];
      const ix = this.#indexes[i] ?? -1;
      if (ix >= 0) s += `[${ix}]`;
    }
    return s === "" ? "DER" : s;
  }

  /** Throw a KrbDecodeError at the current path (KRB_ERR_GENERIC unless `code` says otherwise). */
  fail(problem: string, at: number = this.pos, code?: number): never {
    throw new KrbDecodeError(this.path, at, problem, code);
  }

  // ---- tag and length ---------------------------------------------------------------------

  /** Identifier octet at the cursor, or -1 at `limit`. */
  peek(limit: number): number {
    return this.pos < limit ? this.bytes[this.pos]! : -1;
  }

  /**
   * Read an identifier octet that must equal `tag`, then a DER length (X.690 §8.1.3 definite
   * form, §10.1 minimal: short form below 128, long form without leading zero octets and never
   * for values below 128). Returns the end offset of the contents, which must lie within `limit`.
   * `code` is the error code for a wrong tag (KRB_AP_ERR_MSG_TYPE for a message's outer tag).
   */
  expect(tag: number, limit: number, code?: number): number {
    const start = this.pos;
    if (start >= limit) this.fail(`missing (expected tag 0x${hex2(tag)}, found end of data)`, start);
    const got = this.bytes[start]!;
    if (got !== tag) this.fail(`wrong tag 0x${hex2(got)}, expected 0x${hex2(tag)}`, start, code);
    return this.#length(limit);
  }

  /** Read a length at pos (after the identifier octet at pos) and return the contents' end offset. */
  #length(limit: number): number {
    const b = this.bytes;
    let p = this.pos + 1;
    if (p >= limit) this.fail("truncated: no length octet", p);
    const first = b[p++]!;
    let len: number;
    if (first < 0x80) {
      len = first;
    } else if (first === 0x80) {
      // X.690 §10.1: DER uses the definite form only.
      return this.fail("indefinite length (0x80) is not DER", p - 1);
    } else {
      const n = first & 0x7f;
      // 0xff is reserved (X.690 §8.1.3.5 c); more than four octets cannot be <= 2^31.
      if (n > 4) this.fail(`length of ${n} octets is too long`, p - 1);
      if (p + n > limit) this.fail("truncated length octets", p - 1);
      if (b[p] === 0) this.fail("non-minimal length (leading zero octet)", p - 1);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
      if (len < 0x80) this.fail("non-minimal length (long form for a value below 128)", p - n - 1);
      if (len > MAX_LENGTH) this.fail(`length ${len} exceeds 2^31`, p - n - 1);
    }
    if (len > limit - p) this.fail(`length ${len} runs past the end (${limit - p} octets left)`, this.pos + 1);
    this.pos = p;
    return p + len;
  }

  /** Contents must end exactly at `end`: anything left is an unknown, repeated or out-of-order field. */
  done(end: number): void {
    if (this.pos !== end) {
      const t = this.bytes[this.pos]!;
      if ((t & 0xe0) === 0xa0) this.fail(`unexpected or out-of-order field [${t & 0x1f}]`);
      this.fail(`unexpected element with tag 0x${hex2(t)}`);
    }
  }

  /** Whole input consumed (no trailing octets after a message). */
  finish(): void {
    if (this.pos !== this.bytes.length) this.fail(`${this.bytes.length - this.pos} trailing octet(s) after the message`);
  }

  // ---- constructed --------------------------------------------------------------------------

  /** SEQUENCE / SEQUENCE OF header; returns the contents' end. */
  sequence(limit: number): number {
    return this.expect(Tag.SEQUENCE, limit);
  }

  /** True if the next element within `limit` is context tag [n] (for OPTIONAL fields). */
  has(n: number, limit: number): boolean {
    return this.pos < limit && this.bytes[this.pos] === (0xa0 | n);
  }

  /** Open field [n] EXPLICIT named `name` (pushed on the path); returns its contents' end. */
  open(n: number, name: string, limit: number): number {
    this.push(name);
    return this.expect(0xa0 | n, limit);
  }

  /** Close a field opened with `open`: its contents must be exactly one element. */
  close(end: number): void {
    if (this.pos !== end) this.fail("extra data inside an explicit tag");
    this.pop();
  }

  // ---- primitives ---------------------------------------------------------------------------

  /**
   * INTEGER contents after its header: minimal two's complement (X.690 §8.3.2: the first nine
   * bits are not all zero or all one) of at most `maxLen` octets. Returns a signed value.
   */
  #integer(limit: number, maxLen: number, what: string): number {
    const start = this.pos;
    const end = this.expect(Tag.INTEGER, limit);
    const b = this.bytes;
    const p = this.pos;
    const len = end - p;
    if (len === 0) this.fail("empty INTEGER", start);
    if (len > 1) {
      const b0 = b[p]!;
      const b1 = b[p + 1]!;
      if ((b0 === 0 && (b1 & 0x80) === 0) || (b0 === 0xff && (b1 & 0x80) !== 0)) this.fail("non-minimal INTEGER", start);
    }
    if (len > maxLen) this.fail(`INTEGER out of ${what} range`, start);
    let v = (b[p]! << 24) >> 24; // sign-extend the first octet
    for (let i = p + 1; i < end; i++) v = v * 256 + b[i]!;
    this.pos = end;
    return v;
  }

  /** Int32 ::= INTEGER (-2147483648..2147483647) (RFC 4120 §5.2.4). */
  int32(limit: number): number {
    return this.#integer(limit, 4, "Int32");
  }

  /** UInt32 ::= INTEGER (0..4294967295) (RFC 4120 §5.2.4): up to five octets, the first then 0x00. */
  uint32(limit: number): number {
    const start = this.pos;
    const v = this.#integer(limit, 5, "UInt32");
    if (v < 0 || v > 0xffffffff) this.fail("INTEGER out of UInt32 range", start);
    return v;
  }

  /**
   * seq-number: UInt32 (RFC 4120 §5.3), but some older implementations sent sequence numbers as
   * signed 32-bit INTEGERs, so a negative four-octet value is accepted and read modulo 2^32.
   */
  seqNumber(limit: number): number {
    const start = this.pos;
    const v = this.#integer(limit, 5, "UInt32");
    if (v < -0x80000000 || v > 0xffffffff) this.fail("seq-number out of UInt32 range", start);
    return v >>> 0;
  }

  /** Microseconds ::= INTEGER (0..999999) (RFC 4120 §5.2.4). */
  microseconds(limit: number): number {
    const start = this.pos;
    const v = this.#integer(limit, 4, "Microseconds");
    if (v < 0 || v > 999999) this.fail(`Microseconds ${v} outside 0..999999`, start);
    return v;
  }

  /** Any Int32 that must equal `want` (pvno, msg-type): the mismatch carries `code`. */
  constant(limit: number, want: number, what: string, code: number): void {
    const start = this.pos;
    const v = this.int32(limit);
    if (v !== want) this.fail(`${what} ${v}, expected ${want}`, start, code);
  }

  /**
   * OCTET STRING (primitive only: DER forbids the constructed form, X.690 §10.2): a subarray
   * view. An empty one (a ticket's transited contents within one realm, RFC 4120 §3.3.3.2) is
   * one shared zero-length array, which has no octets to alias or change.
   */
  octets(limit: number): Uint8Array {
    const end = this.expect(Tag.OCTET_STRING, limit);
    const v = end === this.pos ? NO_OCTETS : this.view(this.pos, end);
    this.pos = end;
    return v;
  }

  /**
   * Zero-copy view of input octets [from, to). Built with the Uint8Array constructor rather than
   * subarray(): about half the cost in V8, and a Node Buffer input still yields a plain Uint8Array.
   */
  view(from: number, to: number): Uint8Array {
    return new Uint8Array(this.#buffer, this.#base + from, to - from);
  }

  /** KerberosString ::= GeneralString (IA5String) (RFC 4120 §5.2.1), decoded as UTF-8. */
  kstring(limit: number): string {
    const start = this.pos;
    const end = this.expect(Tag.GENERAL_STRING, limit);
    const b = this.bytes;
    const p = this.pos;
    const len = end - p;
    this.pos = end;
    if (len === 0) return "";
    if (len <= STRING_CACHE_MAX) {
      // Slot from length and the first, middle and last octets.
      const slot = (len * 7 + b[p]! * 3 + b[p + (len >> 1)]! * 5 + b[end - 1]!) & (STRING_CACHE_SLOTS - 1);
      const at = slot * STRING_CACHE_MAX;
      if (cacheLengths[slot] === len) {
        let same = true;
        for (let i = 0; i < len; i++) {
          if (cacheOctets[at + i] !== b[p + i]) {
            same = false;
            break;
          }
        }
        if (same) return cacheStrings[slot]!;
      }
      const s = this.#utf8(p, end, start);
      for (let i = 0; i < len; i++) cacheOctets[at + i] = b[p + i]!;
      cacheLengths[slot] = len;
      cacheStrings[slot] = s;
      return s;
    }
    return this.#utf8(p, end, start);
  }

  #utf8(p: number, end: number, start: number): string {
    const b = this.bytes;
    let ascii = true;
    for (let i = p; i < end; i++) {
      if (b[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      // Eight, four, two and one octets per String.fromCharCode: a handful of strings are
      // built, where one per octet would make a new, longer string for every character.
      let s = "";
      let i = p;
      for (; end - i >= 8; i += 8) s += String.fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
      if (end - i >= 4) {
        s += String.fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!);
        i += 4;
      }
      if (end - i >= 2) {
        s += String.fromCharCode(b[i]!, b[i + 1]!);
        i += 2;
      }
      if (i < end) s += String.fromCharCode(b[i]!);
      return s;
    }
    try {
      return utf8.decode(b.subarray(p, end));
    } catch {
      return this.fail("KerberosString is not valid UTF-8", start);
    }
  }

  /**
   * KerberosTime ::= GeneralizedTime, exactly "YYYYMMDDHHMMSSZ" (RFC 4120 §5.2.3: UTC, no
   * fractional seconds). Returns milliseconds since the epoch (a multiple of 1000).
   */
  time(limit: number): number {
    const start = this.pos;
    const end = this.expect(Tag.GENERALIZED_TIME, limit);
    const b = this.bytes;
    const p = this.pos;
    if (end - p !== 15 || b[p + 14] !== 0x5a) this.fail('KerberosTime is not "YYYYMMDDHHMMSSZ"', start);
    const year = this.#digits(p, 4);
    const month = this.#digits(p + 4, 2);
    const day = this.#digits(p + 6, 2);
    const hour = this.#digits(p + 8, 2);
    const minute = this.#digits(p + 10, 2);
    const second = this.#digits(p + 12, 2);
    if ((year | month | day | hour | minute | second) < 0) this.fail("KerberosTime has a non-digit", start);
    // Leap seconds (60) are not representable as a POSIX instant; RFC 4120 §5.2.3 gives no way to say them.
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
      this.fail("KerberosTime is not a valid date and time", start);
    }
    this.pos = end;
    return (daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second) * 1000;
  }

  /** `n` ASCII decimal digits at `at`, or -1 if any is not a digit. */
  #digits(at: number, n: number): number {
    const b = this.bytes;
    let v = 0;
    for (let i = at; i < at + n; i++) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) return -1;
      v = v * 10 + d;
    }
    return v;
  }

  /**
   * KerberosFlags ::= BIT STRING (SIZE (32..MAX)) (RFC 4120 §5.2.8). The first 32 bits as an
   * unsigned number, bit 0 = 0x80000000. Kerberos always sends at least 32 bits (against DER's
   * trailing-zero trimming, deliberately); longer strings are accepted and their extra bits
   * ignored; fewer than 32 bits are rejected. DER requires unused bits to be zero (X.690 §11.2.1).
   */
  flags(limit: number): number {
    const start = this.pos;
    const end = this.expect(Tag.BIT_STRING, limit);
    const b = this.bytes;
    const p = this.pos;
    const len = end - p;
    if (len === 0) this.fail("empty BIT STRING", start);
    const unused = b[p]!;
    if (unused > 7) this.fail(`BIT STRING with ${unused} unused bits`, start);
    if ((len - 1) * 8 - unused < 32) this.fail("KerberosFlags shorter than 32 bits", start);
    if (unused !== 0 && (b[end - 1]! & ((1 << unused) - 1)) !== 0) this.fail("BIT STRING unused bits are not zero", start);
    this.pos = end;
    return ((b[p + 1]! << 24) | (b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!) >>> 0;
  }

  // ---- field shorthands: [n] EXPLICIT around one primitive ---------------------------------

  int32Field(n: number, name: string, limit: number): number {
    const e = this.open(n, name, limit);
    const v = this.int32(e);
    this.close(e);
    return v;
  }

  uint32Field(n: number, name: string, limit: number): number {
    const e = this.open(n, name, limit);
    const v = this.uint32(e);
    this.close(e);
    return v;
  }

  seqNumberField(n: number, name: string, limit: number): number {
    const e = this.open(n, name, limit);
    const v = this.seqNumber(e);
    this.close(e);
    return v;
  }

  microsecondsField(n: number, name: string, limit: number): number {
    const e = this.open(n, name, limit);
    const v = this.microseconds(e);
    this.close(e);
    return v;
  }

  octetsField(n: number, name: string, limit: number): Uint8Array {
    const e = this.open(n, name, limit);
    const v = this.octets(e);
    this.close(e);
    return v;
  }

  kstringField(n: number, name: string, limit: number): string {
    const e = this.open(n, name, limit);
    const v = this.kstring(e);
    this.close(e);
    return v;
  }

  timeField(n: number, name: string, limit: number): number {
    const e = this.open(n, name, limit);
    const v = this.time(e);
    this.close(e);
    return v;
  }

  flagsField(n: number, name: string, limit: number): number {
    const e = this.open(n, name, limit);
    const v = this.flags(e);
    this.close(e);
    return v;
  }

  /** pvno / msg-type style field: [n] INTEGER that must equal `want`. */
  constantField(n: number, name: string, limit: number, want: number, code: number): void {
    const e = this.open(n, name, limit);
    this.constant(e, want, name, code);
    this.close(e);
  }
}

function hex2(v: number): string {
  return v.toString(16).padStart(2, "0");
}

/**
 * The [APPLICATION n] number of the first identifier octet(s) of `bytes`, or -1 if the input does
 * not start with an application-class tag (X.690 §8.1.2: class bits 01). High tag numbers
 * (X.690 §8.1.2.4, base-128 continuation octets) are decoded up to 2^28 for completeness.
 */
export function peekApplicationTag(bytes: Uint8Array): number {
  if (bytes.length === 0) return -1;
  const first = bytes[0]!;
  if ((first & 0xc0) !== 0x40) return -1;
  if ((first & 0x1f) !== 0x1f) return first & 0x1f;
  let v = 0;
  for (let i = 1; i < bytes.length && i <= 4; i++) {
    const o = bytes[i]!;
    if (i === 1 && o === 0x80) return -1; // X.690 §8.1.2.4.2 c: no leading 0x80 octet
    v = v * 128 + (o & 0x7f);
    if ((o & 0x80) === 0) return v < 31 ? -1 : v;
  }
  return -1;
}

/**
 * A decrypted DER message without the cipher's block padding. DES3 (RFC 3961 §5.3) pads the
 * plaintext to its 8-octet block, the pad's contents are the sender's choice, and decryption
 * cannot tell padding from data, so Kerberos decoders ignore what follows the outer element.
 * The octets were authenticated by the integrity check already; only a tail shorter than a
 * block is dropped, anything longer is left for the strict decoder to reject.
 */
export function withoutBlockPadding(plain: Uint8Array): Uint8Array {
  if (plain.length < 2 || (plain[0]! & 0x1f) === 0x1f) return plain;
  let len = plain[1]!;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || plain.length < 2 + n) return plain;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + plain[2 + i]!;
    header += n;
  }
  const end = header + len;
  if (end >= plain.length || plain.length - end >= 8) return plain;
  return plain.subarray(0, end);
}
