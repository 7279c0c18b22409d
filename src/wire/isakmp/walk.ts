// The one walker for every ISAKMP chain — the payload chain itself, the Proposals inside an
// SA and the Transforms inside a Proposal all share the generic header [RFC 2408 §3.2] — and
// the failure plumbing that lets decoder and encoder enforce the same rules: a decoder failure
// is the Notify the responder sends [RFC 4430 §5.5], an encoder failure is a local bug.

import { DROP, KinkError, type WireErrorReason } from "../errors.ts";
import type { WireReader } from "../reader.ts";
import type { WireWriter } from "../writer.ts";
import type { IsakmpPayload } from "./types.ts";

/** Reports a broken rule at an octet offset (of the datagram when decoding, of the writer when encoding). */
export type Fail = (reason: WireErrorReason, field: string, detail: string, at?: number) => never;

export const decodeFail =
  (r: WireReader): Fail =>
  (reason, field, detail, at = r.pos) => {
    throw r.error(reason, field, detail, at);
  };

export const encodeFail =
  (w: WireWriter): Fail =>
  (reason, field, detail, at = w.pos) => {
    throw new KinkError("unencodable", DROP, field, at, `${detail} (${reason})`);
  };

/** How one payload kind reads and writes its body (everything after the generic header). */
export interface PayloadCodec<P extends IsakmpPayload> {
  readonly type: number;
  decode(r: WireReader, fail: Fail, payloadAt: number): P;
  encode(w: WireWriter, payload: P, fail: Fail): void;
}

/**
 * Reads generic-header payloads from `r.pos`; the chain must end (Next Payload 0) exactly at
 * `r.end`. `visit` decodes one body with `r.end` narrowed to it and must consume all of it, so
 * every Payload Length is checked against both its contents and its container. `typeAt` is
 * the offset of the octet that named the payload's type (for the first payload: `firstTypeAt`).
 */
export function readChain(
  r: WireReader,
  firstType: number,
  firstTypeAt: number,
  what: string,
  visit: (type: number, typeAt: number, payloadAt: number) => void,
): void {
  const end = r.end;
  let type = firstType;
  let typeAt = firstTypeAt;
  while (type !== 0) {
    const at = r.pos;
    const next = r.u8(`${what}.NextPayload`);
    // RFC 2408 §3.2: RESERVED "MUST be set to 0"; refusing other values keeps decode∘encode exact.
    if (r.u8(`${what}.RESERVED`) !== 0) throw r.error("bad-reserved", `${what}.RESERVED`, "must be 0 [RFC 2408 §3.2]", at + 1);
    const length = r.u16(`${what}.PayloadLength`);
    if (length < 4 || length > end - at)
      throw r.error("bad-payload-length", `${what}.PayloadLength`, `${length} does not fit the ${end - at} octets left [RFC 2408 §3.2]`, at + 2);
    r.end = at + length;
    visit(type, typeAt, at);
    if (r.pos !== r.end) throw r.error("bad-payload-length", `${what}.PayloadLength`, `${r.end - r.pos} octets past the payload's contents`, at + 2);
    r.end = end;
    type = next;
    typeAt = at;
  }
  if (r.pos !== end) throw r.error("trailing-octets", `${what}.NextPayload`, `${end - r.pos} octets follow the last payload`, typeAt);
}

/** Writes `items` as a chain, each header naming the next item's type (0 after the last). */
export function writeChain<T>(w: WireWriter, items: readonly T[], typeOf: (item: T) => number, writeBody: (item: T, index: number) => void): void {
  items.forEach((item, i) => {
    const next = items[i + 1];
    const at = w.beginPayload(next === undefined ? 0 : typeOf(next));
    writeBody(item, i);
    w.endPayload(at);
  });
}

/** Decoded payloads own their octets, so the datagram buffer can be reused. */
export const copyBytes = (view: Uint8Array): Uint8Array => new Uint8Array(view);

/** Fixed-width fields that refuse values they cannot hold instead of wrapping them. */
export interface FieldWriter {
  u8(value: number, field: string): FieldWriter;
  u16(value: number, field: string): FieldWriter;
  u32(value: number, field: string): FieldWriter;
  bytes(b: Uint8Array): FieldWriter;
}

export function fieldWriter(w: WireWriter, fail: Fail): FieldWriter {
  const bounded =
    (max: number, write: (v: number) => void) =>
    (value: number, field: string): FieldWriter => {
      if (!Number.isInteger(value) || value < 0 || value > max) fail("unencodable", field, `${value} does not fit the field`);
      write(value);
      return fields;
    };
  const fields: FieldWriter = {
    u8: bounded(0xff, (v) => w.u8(v)),
    u16: bounded(0xffff, (v) => w.u16(v)),
    u32: bounded(0xffffffff, (v) => w.u32(v)),
    bytes: (b) => {
      w.bytes(b);
      return fields;
    },
  };
  return fields;
}
