// A reusable bounds-checked big-endian reader (pg-protocol's BufferReader shape): point it at
// a datagram or a payload body with `reset`, read fields by name. Running past `end` is a
// KinkError whose response depends on the layer: KINK framing answers KINK_PROTOERR
// [RFC 4430 §9], ISAKMP contents answer Notify PAYLOAD-MALFORMED [RFC 4430 §5.5].

import { KinkErrorCode } from "./constants.ts";
import { KinkError, kinkErrorResponse, type WireErrorReason, type WireResponse } from "./errors.ts";

/** ISAKMP Notify PAYLOAD-MALFORMED [RFC 2408 §3.14.1], KINK's catch-all for bad ISAKMP [RFC 4430 §5.5]. */
export const NOTIFY_PAYLOAD_MALFORMED = 16;

export type ReaderLayer = "kink" | "isakmp";

/** Longest value `keep` copies octet by octet; longer ones go through one native copy. */
const COPY_BY_OCTET_MAX = 64;

export class WireReader {
  bytes: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  /** Added to `pos` in error offsets, so errors name datagram (or plaintext) octets. */
  origin = 0;
  layer: ReaderLayer = "kink";
  inner = false;
  /**
   * `bytes` is a copy no one writes to again (the KINK_ENCRYPT plaintext the decoder copied out
   * of WASM memory), so `keep` may return views of it; otherwise the caller may reuse its buffer.
   */
  owned = false;

  // Multi-octet fields are assembled from `bytes` rather than read through a DataView: a reader
  // is reset onto a new datagram for every decode, and a DataView per datagram costs more than
  // the fields it would read.
  reset(bytes: Uint8Array, start = 0, end = bytes.length, layer: ReaderLayer = "kink", origin = 0, inner = false, owned = false): this {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.layer = layer;
    this.origin = origin;
    this.inner = inner;
    this.owned = owned;
    return this;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** A KinkError at `pos` (or `at`) with this layer's response. */
  error(reason: WireErrorReason, field: string, detail: string, at = this.pos, response?: WireResponse): KinkError {
    const r =
      response ?? (this.layer === "kink" ? kinkErrorResponse(KinkErrorCode.PROTOERR) : { kind: "notify" as const, notifyType: NOTIFY_PAYLOAD_MALFORMED });
    return new KinkError(reason, r, field, this.origin + at, detail, this.inner);
  }

  need(n: number, field: string): void {
    if (n > this.end - this.pos) throw this.error("truncated", field, `needs ${n} octets, ${Math.max(0, this.end - this.pos)} left`);
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 4;
    // × 2^24 instead of << 24, which would make values from 2^31 up negative.
    return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  /** `n` octets as a view into the underlying bytes (no copy). */
  bytesView(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /**
   * `n` octets for a decoded payload to keep: a view of `owned` bytes, else a copy, so the
   * caller can reuse its datagram buffer. Short copies (SPIs, nonces) go octet by octet: a view
   * to copy from would be one more typed array per field.
   */
  keep(n: number, field: string): Uint8Array {
    this.need(n, field);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + n;
    if (this.owned) return new Uint8Array(b.buffer, b.byteOffset + p, n);
    const out = new Uint8Array(n);
    if (n <= COPY_BY_OCTET_MAX) for (let i = 0; i < n; i++) out[i] = b[p + i]!;
    else out.set(b.subarray(p, p + n));
    return out;
  }

  /** Everything up to `end`, kept as `keep` does (it is all there, so no field can fall short). */
  keepRest(): Uint8Array {
    return this.keep(this.end - this.pos, "");
  }
}
