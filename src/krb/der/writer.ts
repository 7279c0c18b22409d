// DER writer for RFC 4120 messages: one growable buffer, lengths back-patched.
//
// `begin(tag)` writes the identifier octet and reserves one length octet; `end()` fills it. A
// length below 128 fits the reserved octet (X.690 §8.1.3.4 short form); a longer one needs
// 1 + n octets (§8.1.3.5 long form, minimal n per §10.1), so the contents are shifted right by
// n. Only the innermost open element is ever closed, so outer start offsets stay valid.
// The writer is reusable: `reset()` then write a message, `finish()` returns a copy (`view()`
// lends the octets instead, to a caller that copies them elsewhere anyway).

import { KrbError, KrbErrorCode } from "../errors.ts";
import { Tag } from "./reader.ts";
import { civilFromDays, MAX_KERBEROS_TIME, MIN_KERBEROS_TIME } from "./time.ts";

const utf8 = new TextEncoder();

/** Thrown when a value handed to an encoder cannot be encoded (out of its ASN.1 range). */
export function encodeError(what: string, problem: string): KrbError {
  return new KrbError(KrbErrorCode.KRB_ERR_GENERIC, `cannot encode ${what}: ${problem}`);
}

/**
 * "YYYYMMDDHHMMSSZ" of the second `timeSecs`: the times a process writes come in runs within
 * one second (an AP-REP echoes the authenticator's ctime, KRB-ERROR carries now), so the
 * calendar arithmetic runs once per second written, not once per time.
 */
let timeSecs = Number.NaN;
const timeDigits = new Uint8Array(15);

function setTimeDigits(secs: number): void {
  const days = Math.floor(secs / 86400);
  let rest = secs - days * 86400;
  const [year, month, day] = civilFromDays(days);
  const hour = Math.floor(rest / 3600);
  rest -= hour * 3600;
  const minute = Math.floor(rest / 60);
  const second = rest - minute * 60;
  digits(year, 0, 4);
  digits(month, 4, 2);
  digits(day, 6, 2);
  digits(hour, 8, 2);
  digits(minute, 10, 2);
  digits(second, 12, 2);
  timeDigits[14] = 0x5a; // 'Z'
  timeSecs = secs;
}

function digits(v: number, at: number, n: number): void {
  for (let i = at + n - 1; i >= at; i--) {
    timeDigits[i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
}

export class DerWriter {
  #buf: Uint8Array;
  #pos = 0;
  /**
   * Content start offsets of the open elements, the innermost at `#depth - 1`. A depth counter
   * rather than push/pop on an array that reset() empties: emptying drops its storage, and every
   * message would allocate it again.
   */
  readonly #open: number[] = [];
  #depth = 0;

  constructor(initialSize = 1024) {
    this.#buf = new Uint8Array(initialSize);
  }

  reset(): this {
    this.#pos = 0;
    this.#depth = 0;
    return this;
  }

  get length(): number {
    return this.#pos;
  }

  /** A copy of everything written (all elements must be closed). */
  finish(): Uint8Array {
    if (this.#depth !== 0) throw encodeError("DER", `${this.#depth} element(s) left open`);
    return this.#buf.slice(0, this.#pos);
  }

  /** A copy of the octets written since offset `from` (e.g. one sub-element, for reqBodyRaw). */
  copyFrom(from: number): Uint8Array {
    return this.#buf.slice(from, this.#pos);
  }

  /** The octets in [from, to) as a view, no copy: valid until the next write or reset. */
  view(from: number, to: number = this.#pos): Uint8Array {
    return this.#buf.subarray(from, to);
  }

  #reserve(n: number): void {
    const need = this.#pos + n;
    if (need <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#buf.subarray(0, this.#pos));
    this.#buf = bigger;
  }

  // ---- constructed --------------------------------------------------------------------------

  /** Open a constructed element with identifier octet `tag` (one length octet reserved). */
  begin(tag: number): void {
    this.#reserve(2);
    this.#buf[this.#pos] = tag;
    this.#buf[this.#pos + 1] = 0;
    this.#pos += 2;
    this.#open[this.#depth++] = this.#pos;
  }

  /** Close the innermost open element, writing its minimal length. */
  end(): void {
    if (this.#depth === 0) throw encodeError("DER", "end() without begin()");
    const start = this.#open[--this.#depth] as number;
    const len = this.#pos - start;
    if (len < 0x80) {
      this.#buf[start - 1] = len;
      return;
    }
    const n = len < 0x100 ? 1 : len < 0x10000 ? 2 : len < 0x1000000 ? 3 : 4;
    this.#reserve(n);
    const buf = this.#buf;
    buf.copyWithin(start + n, start, this.#pos);
    buf[start - 1] = 0x80 | n;
    for (let i = n - 1, v = len; i >= 0; i--, v = Math.floor(v / 256)) buf[start + i] = v & 0xff;
    this.#pos += n;
  }

  sequence(): void {
    this.begin(Tag.SEQUENCE);
  }

  /** Open [n] EXPLICIT. */
  context(n: number): void {
    this.begin(0xa0 | n);
  }

  /** Open [APPLICATION n]. */
  application(n: number): void {
    this.begin(0x60 | n);
  }

  /** Octets copied verbatim (an already-encoded element, e.g. a received Ticket). */
  raw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  // ---- primitives ---------------------------------------------------------------------------

  /** Primitive header with a known length. */
  #header(tag: number, len: number): void {
    this.#reserve(6 + len);
    const buf = this.#buf;
    buf[this.#pos++] = tag;
    if (len < 0x80) {
      buf[this.#pos++] = len;
      return;
    }
    const n = len < 0x100 ? 1 : len < 0x10000 ? 2 : len < 0x1000000 ? 3 : 4;
    buf[this.#pos++] = 0x80 | n;
    for (let i = n - 1; i >= 0; i--) buf[this.#pos++] = Math.floor(len / 2 ** (8 * i)) & 0xff;
  }

  /**
   * INTEGER in minimal two's complement (X.690 §8.3.2). Accepts any integer in
   * [-2^31, 2^32 - 1] (the union of Int32 and UInt32; callers check their own range).
   */
  integer(v: number): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw encodeError("INTEGER", `${v} is not an Int32 or UInt32`);
    // Octets needed: the smallest n with -2^(8n-1) <= v < 2^(8n-1).
    const n = v >= -0x80 && v < 0x80 ? 1 : v >= -0x8000 && v < 0x8000 ? 2 : v >= -0x800000 && v < 0x800000 ? 3 : v < 0x80000000 ? 4 : 5;
    this.#header(Tag.INTEGER, n);
    const buf = this.#buf;
    // The low n octets of the 32-bit two's complement; for n = 5 the value is non-negative and
    // the first octet 0.
    const u = v >>> 0;
    for (let i = n - 1, shift = 0; i >= 0; i--, shift += 8) buf[this.#pos + i] = shift < 32 ? (u >>> shift) & 0xff : 0;
    this.#pos += n;
  }

  octets(bytes: Uint8Array): void {
    this.#header(Tag.OCTET_STRING, bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  /** KerberosString (RFC 4120 §5.2.1): GeneralString tag, UTF-8 contents. */
  kstring(s: string): void {
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.#header(Tag.GENERAL_STRING, s.length);
      const buf = this.#buf;
      for (let i = 0; i < s.length; i++) buf[this.#pos++] = s.charCodeAt(i);
      return;
    }
    const bytes = utf8.encode(s);
    this.#header(Tag.GENERAL_STRING, bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  /** KerberosTime (RFC 4120 §5.2.3) "YYYYMMDDHHMMSSZ"; milliseconds are truncated to the second. */
  time(ms: number): void {
    if (!Number.isFinite(ms) || ms < MIN_KERBEROS_TIME || ms > MAX_KERBEROS_TIME + 999) {
      throw encodeError("KerberosTime", `${ms} is outside years 0000..9999`);
    }
    const secs = Math.floor(ms / 1000);
    if (secs !== timeSecs) setTimeDigits(secs);
    this.#header(Tag.GENERALIZED_TIME, 15);
    this.#buf.set(timeDigits, this.#pos);
    this.#pos += 15;
  }

  /** KerberosFlags (RFC 4120 §5.2.8): always exactly 32 bits, no unused bits. */
  flags(v: number): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw encodeError("KerberosFlags", `${v} is not a 32-bit value`);
    const u = v >>> 0;
    this.#header(Tag.BIT_STRING, 5);
    const buf = this.#buf;
    buf[this.#pos++] = 0;
    buf[this.#pos++] = u >>> 24;
    buf[this.#pos++] = (u >>> 16) & 0xff;
    buf[this.#pos++] = (u >>> 8) & 0xff;
    buf[this.#pos++] = u & 0xff;
  }

  // ---- [n] EXPLICIT shorthands --------------------------------------------------------------

  /** [n] Int32 (RFC 4120 §5.2.4); `what` names the field if the value is out of range. */
  int32Field(n: number, v: number, what: string): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw encodeError(what, `${v} is not an Int32`);
    this.context(n);
    this.integer(v);
    this.end();
  }

  /** [n] UInt32 (RFC 4120 §5.2.4). */
  uint32Field(n: number, v: number, what: string): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw encodeError(what, `${v} is not a UInt32`);
    this.context(n);
    this.integer(v);
    this.end();
  }

  /** [n] Microseconds ::= INTEGER (0..999999) (RFC 4120 §5.2.4). */
  microsecondsField(n: number, v: number, what: string): void {
    if (!Number.isInteger(v) || v < 0 || v > 999999) throw encodeError(what, `${v} is not in 0..999999`);
    this.context(n);
    this.integer(v);
    this.end();
  }

  octetsField(n: number, bytes: Uint8Array): void {
    this.context(n);
    this.octets(bytes);
    this.end();
  }

  kstringField(n: number, s: string): void {
    this.context(n);
    this.kstring(s);
    this.end();
  }

  timeField(n: number, ms: number): void {
    this.context(n);
    this.time(ms);
    this.end();
  }

  flagsField(n: number, v: number): void {
    this.context(n);
    this.flags(v);
    this.end();
  }
}
