// Big-endian cursor and builder for MIT's on-disk formats (keytab 0x0502, ccache 0x0503/0x0504).
// Those formats have no framing of their own beyond length prefixes, so every read is
// bounds-checked here and a short or inconsistent file becomes a KrbDecodeError that names
// the field and its offset — never a RangeError from a DataView.
import { KrbDecodeError, KrbError, KrbErrorCode } from "./errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Enc = new TextEncoder();

/** Sequential reader over `bytes`; `what` prefixes field names in errors ("keytab", "ccache"). */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly what: string;
  pos = 0;
  /** Offset of `bytes` within the whole file, so errors from a sub-reader name file offsets. */
  readonly base: number;
  readonly #view: DataView;

  constructor(bytes: Uint8Array, what: string, base = 0) {
    this.bytes = bytes;
    this.what = what;
    this.base = base;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws KrbDecodeError; `offset` is relative to this reader (default: the current position). */
  fail(field: string, problem: string, offset: number = this.pos): never {
    throw new KrbDecodeError(`${this.what} ${field}`, this.base + offset, problem);
  }

  need(n: number, field: string): void {
    if (n > this.remaining) this.fail(field, `truncated: needs ${n} octet(s), ${this.remaining} left`);
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.#view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.#view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  i32(field: string): number {
    this.need(4, field);
    const v = this.#view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  /** A copy (callers keep keys and tickets after the file buffer is gone or reused). */
  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Octets as UTF-8 text (RFC 4120 §5.2.1: KerberosString is used as UTF-8 in practice). */
  text(n: number, field: string): string {
    const start = this.pos;
    const raw = this.take(n, field);
    try {
      return utf8.decode(raw);
    } catch {
      return this.fail(field, "not valid UTF-8", start);
    }
  }
}

/** Appends big-endian fields; values that do not fit their width throw KRB_ERR_FIELD_TOOLONG/GENERIC. */
export class ByteWriter {
  readonly what: string;
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  length = 0;

  constructor(what: string) {
    this.what = what;
  }

  /** Grows the buffer if needed and returns where the next n octets go (call before touching #buf/#view). */
  #reserve(n: number): number {
    if (this.length + n > this.#buf.length) {
      let size = this.#buf.length * 2;
      while (size < this.length + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.#buf.subarray(0, this.length));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  #range(v: number, lo: number, hi: number, field: string): void {
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new KrbError(KrbErrorCode.KRB_ERR_GENERIC, `${this.what} ${field}: ${v} does not fit (allowed ${lo}..${hi})`);
    }
  }

  u8(v: number, field: string): void {
    this.#range(v, 0, 0xff, field);
    const at = this.#reserve(1);
    this.#buf[at] = v;
  }

  /** Unsigned 16-bit field (MIT reads enctypes, address and authdata types back as unsigned). */
  u16(v: number, field: string): void {
    this.#range(v, 0, 0xffff, field);
    const at = this.#reserve(2);
    this.#view.setUint16(at, v);
  }

  u32(v: number, field: string): void {
    this.#range(v, 0, 0xffffffff, field);
    const at = this.#reserve(4);
    this.#view.setUint32(at, v);
  }

  i32(v: number, field: string): void {
    this.#range(v, -0x80000000, 0x7fffffff, field);
    const at = this.#reserve(4);
    this.#view.setInt32(at, v);
  }

  /** Overwrites a 32-bit signed value written earlier (a length prefix known only afterwards). */
  patchI32(at: number, v: number, field: string): void {
    this.#range(v, -0x80000000, 0x7fffffff, field);
    this.#view.setInt32(at, v);
  }

  bytes(b: Uint8Array): void {
    // Reserve first: it may replace #buf.
    const at = this.#reserve(b.length);
    this.#buf.set(b, at);
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}

export function utf8Bytes(s: string): Uint8Array {
  return utf8Enc.encode(s);
}
