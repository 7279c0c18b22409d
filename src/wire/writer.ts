// A growable big-endian writer with back-patched lengths (pg-protocol's Writer shape): reserve
// a header, write the body, patch the length in. Used for the KINK header (Length, CksumLen),
// KINK payload headers and every ISAKMP payload length. One writer is reused per encode.

import { copyOut } from "../crypto/wasm.ts";
import { DROP, KinkError } from "./errors.ts";

export class WireWriter {
  #buf: Uint8Array;
  #view: DataView;
  pos = 0;

  constructor(initialSize = 1024) {
    this.#buf = new Uint8Array(initialSize);
    this.#view = new DataView(this.#buf.buffer);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  #ensure(n: number): void {
    if (this.pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.#ensure(1);
    this.#buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.#ensure(2);
    this.#view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.#ensure(4);
    this.#view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#ensure(b.length);
    this.#buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  zeros(n: number): this {
    this.#ensure(n);
    // Padding is 0..3 octets: a loop beats calling fill for that few.
    if (n < 8) for (let i = 0; i < n; i++) this.#buf[this.pos + i] = 0;
    else this.#buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Zero-pads to the next multiple of 4 from `origin` [RFC 4430 §4.1]. */
  pad4(origin = 0): this {
    return this.zeros((4 - ((this.pos - origin) & 3)) & 3);
  }

  patchU8(at: number, v: number): void {
    this.#buf[at] = v;
  }

  patchU16(at: number, v: number): void {
    this.#view.setUint16(at, v);
  }

  /**
   * Starts a generic payload header (Next Payload, RESERVED, Length — the layout KINK
   * [RFC 4430 §4.1] and ISAKMP [RFC 2408 §3.2] share) and returns its position for `endPayload`.
   */
  beginPayload(nextPayload: number): number {
    const at = this.pos;
    this.u8(nextPayload).u8(0).u16(0);
    return at;
  }

  /** Back-patches the payload's Length (header included, padding excluded); returns it. */
  endPayload(at: number): number {
    const len = this.pos - at;
    if (len > 0xffff) throw new KinkError("unencodable", DROP, "payload.Length", at, `payload of ${len} octets exceeds the 16-bit Length`);
    this.#view.setUint16(at + 2, len);
    return len;
  }

  /**
   * The octets written so far as a new array (the writer's buffer is reused). Like crypto
   * results it is a view into a shared slab (copyOut): a fresh ArrayBuffer per message costs
   * more than encoding it. Use the view, never its whole `.buffer`.
   */
  toBytes(from = 0, to = this.pos): Uint8Array {
    return copyOut(this.#buf, from, to - from);
  }

  /** A view of written octets; valid until the next write or reset. */
  view(from = 0, to = this.pos): Uint8Array {
    return this.#buf.subarray(from, to);
  }
}
