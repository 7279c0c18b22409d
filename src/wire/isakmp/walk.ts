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

/** The generic header's field names for one kind of chain, built once so a read names its field without building a string. */
export interface ChainFields {
  readonly nextPayload: string;
  readonly reserved: string;
  readonly payloadLength: string;
}

export const chainFields = (what: string): ChainFields => ({
  nextPayload: `${what}.NextPayload`,
  reserved: `${what}.RESERVED`,
  payloadLength: `${what}.PayloadLength`,
});

/**
 * Walks generic-header payloads from `r.pos`; the chain must end (Next Payload 0) exactly at
 * `r.end`. Each `next()` reads one header and narrows `r.end` to that payload, whose body the
 * caller then decodes completely; the following `next()` checks that the body consumed all of
 * it, so every Payload Length is checked against both its contents and its container.
 *
 *     const chain = CURSOR.start(r, firstType, firstTypeAt);
 *     while (chain.next()) decodeBody(chain.type, chain.typeAt, chain.at);
 *
 * A loop rather than a visitor callback: the callers decode into locals, and a closure per
 * chain would be allocated on every decode. Each nesting level (payloads, Proposals,
 * Transforms) restarts one module-level cursor, as decoding never reenters a level.
 */
export class ChainCursor {
  /** Type of the current payload. */
  type = 0;
  /** Offset of the octet that named that type: the previous header's Next Payload, or the `firstTypeAt` given. */
  typeAt = 0;
  /** Offset of the current payload's header; -1 before the first. */
  at = -1;
  private r: WireReader | undefined;
  private nextType = 0;
  /** The container's end, restored after each payload. */
  private end = 0;

  constructor(private readonly fields: ChainFields) {}

  /** Begins a walk of the chain at `r.pos` whose first payload has type `firstType`. */
  start(r: WireReader, firstType: number, firstTypeAt: number): this {
    this.r = r;
    this.type = 0;
    this.typeAt = firstTypeAt;
    this.at = -1;
    this.nextType = firstType;
    this.end = r.end;
    return this;
  }

  /** Moves to the next payload; false at the end of a chain that exactly fills its container. */
  next(): boolean {
    const r = this.r!;
    const { fields, end } = this;
    if (this.at >= 0) {
      if (r.pos !== r.end) throw r.error("bad-payload-length", fields.payloadLength, `${r.end - r.pos} octets past the payload's contents`, this.at + 2);
      r.end = end;
      this.typeAt = this.at;
    }
    if (this.nextType === 0) {
      if (r.pos !== end) throw r.error("trailing-octets", fields.nextPayload, `${end - r.pos} octets follow the last payload`, this.typeAt);
      return false;
    }
    const at = r.pos;
    this.type = this.nextType;
    this.at = at;
    this.nextType = r.u8(fields.nextPayload);
    // RFC 2408 §3.2: RESERVED "MUST be set to 0"; refusing other values keeps decode∘encode exact.
    if (r.u8(fields.reserved) !== 0) throw r.error("bad-reserved", fields.reserved, "must be 0 [RFC 2408 §3.2]", at + 1);
    const length = r.u16(fields.payloadLength);
    if (length < 4 || length > end - at)
      throw r.error("bad-payload-length", fields.payloadLength, `${length} does not fit the ${end - at} octets left [RFC 2408 §3.2]`, at + 2);
    r.end = at + length;
    return true;
  }
}

/** Most payloads chainLength counts: more than a Quick Mode chain, an SA's Proposals or a Proposal's Transforms hold in practice. */
const CHAIN_LENGTH_MAX = 16;

/**
 * How many payloads the chain at `r.pos` holds, following Next Payload and Payload Length
 * [RFC 2408 §3.2] as ChainCursor does but checking nothing else, so a decoder can allocate its
 * array at its size: for a chain that decodes, this is exactly its number of payloads, up to
 * CHAIN_LENGTH_MAX. A longer chain's array grows as it is filled, so hostile input that
 * claims thousands of 4-octet payloads cannot make a decoder allocate for all of them.
 */
export function chainLength(r: WireReader, firstType: number): number {
  const b = r.bytes;
  const end = r.end;
  let type = firstType;
  let p = r.pos;
  let n = 0;
  while (type !== 0 && end - p >= 4 && n < CHAIN_LENGTH_MAX) {
    const length = (b[p + 2]! << 8) | b[p + 3]!;
    if (length < 4 || length > end - p) break;
    type = b[p]!;
    p += length;
    n++;
  }
  return n;
}

/**
 * Writes `items` as a chain, each header naming the next item's type (0 after the last).
 * `writeBody` gets the item before (Proposal numbers are checked against it); both callbacks
 * are module-level functions, so encoding allocates no closures.
 */
export function writeChain<T>(
  w: WireWriter,
  items: readonly T[],
  fail: Fail,
  typeOf: (item: T) => number,
  writeBody: (w: WireWriter, item: T, fail: Fail, previous: T | undefined) => void,
): void {
  for (let i = 0; i < items.length; i++) {
    const next = items[i + 1];
    const at = w.beginPayload(next === undefined ? 0 : typeOf(next));
    writeBody(w, items[i]!, fail, i > 0 ? items[i - 1] : undefined);
    w.endPayload(at);
  }
}

export const U8_MAX = 0xff;
export const U16_MAX = 0xffff;
export const U32_MAX = 0xffffffff;

/**
 * `value` if a fixed-width field of at most `max` can hold it, so the writer never wraps it:
 * `w.u8(fit(n, U8_MAX, "Proposal.Number", fail))`. Fields written in a chain of calls are
 * checked one after another, so a failure's default offset is the refused field's own.
 */
export function fit(value: number, max: number, field: string, fail: Fail): number {
  if (!Number.isInteger(value) || value < 0 || value > max) fail("unencodable", field, `${value} does not fit the field`);
  return value;
}
