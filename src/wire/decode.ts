// Receiving a KINK datagram: it is copied into WASM memory once, where kinkOpen (assembly/
// kink/walk.ts) checks the header, walks every payload with bounds checks, verifies the
// Cksum and decrypts KINK_ENCRYPT when given the session key. Here the offsets table it
// returns becomes a KinkError or a message whose payload fields are views of the caller's
// datagram (no copies); only the decrypted plaintext is copied out.

import type { CryptoBatch } from "../crypto/batch.ts";
import { requireEnctype, requireKey } from "../crypto/kerberos.ts";
import { defaultSlotCache } from "../crypto/key-slots.ts";
import { copyOut, getCore } from "../crypto/wasm.ts";
import { KINK_KEY_USAGE_CKSUM, KINK_KEY_USAGE_ENCRYPT, KINK_MAX_LENGTH, KinkErrorCode, MessageType, PayloadType, payloadTypeName } from "./constants.ts";
import { DROP, KinkError, kinkErrorResponse, type WireErrorReason, type WireResponse } from "./errors.ts";
import { decodeIsakmpChain } from "./isakmp/index.ts";
import type { InnerPayload, KinkMessage, KinkPayload } from "./kink-message.ts";

export interface KinkDecodeOptions {
  /** Reject non-zero RESERVED fields; RFC 4430 §4 says to ignore them (the default). */
  readonly strictReserved?: boolean;
  /** Largest header Length accepted; longer messages are dropped. racoon2 drops above 16384. Default 65535. */
  readonly maxLength?: number;
}

/** The Kerberos session key of the ticket the message's AP-REQ/AP-REP belongs to [RFC 4430 §4.2.7, §5.1]. */
export interface SessionKey {
  readonly etype: number;
  readonly key: Uint8Array;
}

export interface DecodedKink extends KinkMessage {
  readonly doi: number;
  readonly ackReq: boolean;
  /** Header Length (octets after it in the datagram are ignored, RFC 4430 §4). */
  readonly length: number;
  /** The Cksum as received, if any. */
  readonly cksum?: Uint8Array;
  /** True when the Cksum was verified with the session key. */
  readonly verified: boolean;
}

// Table layout: assembly/kink/walk.ts.
const T_STATUS = 0;
const T_ERR_OFFSET = 1;
const T_ERR_PAYLOAD = 2;
const T_TYPE = 3;
const T_LENGTH = 5;
const T_DOI = 6;
const T_XID = 7;
const T_FLAGS = 9;
const T_CKSUM_LEN = 10;
const T_CKSUM_OFFSET = 11;
const T_OUTER_COUNT = 12;
const T_INNER_COUNT = 13;
const T_PLAIN_ADDR = 14;
const T_PLAIN_LEN = 15;
const T_VERIFIED = 19;
const T_ERR_IN_PLAINTEXT = 20;
const T_ENTRIES = 24;

const OPT_STRICT_RESERVED = 1;
/** Walk status for a missing required payload (assembly/kink/walk.ts W_MISSING). */
const W_MISSING = 17;

/** Walk statuses (assembly/kink/walk.ts W_*) → reason, field and what a responder answers. */
const PROTOERR = kinkErrorResponse(KinkErrorCode.PROTOERR);
const WALK_FAILURES: readonly (readonly [WireErrorReason, string, WireResponse, string])[] = [
  ["short-datagram", "datagram", DROP, "shorter than the 16-octet header"],
  ["bad-length", "header.Length", PROTOERR, "Length is below 16 or beyond the datagram"],
  ["too-long", "header.Length", DROP, "Length exceeds the configured maximum"],
  ["bad-version", "header.MjVer", kinkErrorResponse(KinkErrorCode.INVMAJ), "major version is not 1"],
  ["bad-reserved", "RESERVED", PROTOERR, "a RESERVED field is not zero"],
  ["bad-doi", "header.DOI", kinkErrorResponse(KinkErrorCode.INVDOI), "DOI is not 1 (IPsec)"],
  ["bad-message-type", "header.Type", PROTOERR, "unknown message type"],
  ["bad-cksum-length", "header.CksumLen", PROTOERR, "CksumLen exceeds the message or leaves the Cksum unaligned"],
  ["truncated", "Payload Length", PROTOERR, "payload runs past the end of the message"],
  ["bad-payload-length", "Payload Length", PROTOERR, "Payload Length is too small for its type"],
  ["unknown-payload", "Next Payload", PROTOERR, "unknown payload type"],
  ["payload-not-allowed", "Next Payload", PROTOERR, "payload type not allowed in this message or position"],
  ["duplicate-payload", "Next Payload", PROTOERR, "payload type appears twice"],
  ["encrypt-not-last", "KINK_ENCRYPT.Next Payload", PROTOERR, "KINK_ENCRYPT is not the last payload"],
  ["cksum-presence", "header.CksumLen", PROTOERR, "a Cksum must be present exactly when KINK_AP_REQ or KINK_AP_REP is"],
  ["trailing-octets", "payload chain", PROTOERR, "octets between the last payload and the Cksum/end"],
  ["missing-payload", "payload chain", PROTOERR, "a payload this message type requires is missing"],
  ["bad-qm-version", "KINK_ISAKMP.QMVersion", kinkErrorResponse(KinkErrorCode.BADQMVERS), "Quick Mode version is not 1.0"],
  ["too-many-payloads", "payload chain", PROTOERR, "more payloads than any valid message has"],
  ["bad-cksum", "Cksum", DROP, "Cksum does not verify with the session key"],
  ["bad-ciphertext", "KINK_ENCRYPT", DROP, "KINK_ENCRYPT does not decrypt with the session key"],
];

let tableBytes = 0;
const KINK_USAGES = { cksum: KINK_KEY_USAGE_CKSUM, encrypt: KINK_KEY_USAGE_ENCRYPT };

/** What the responder does about a failure, given the message type [RFC 4430 §3.5, §9]. */
function responseFor(status: number, type: number, base: WireResponse): WireResponse {
  // A REPLY or ACK is never answered: errors in responses cannot be reported back (§3.5), and
  // racoon2 sends nothing for a command without KINK_AP_REQ (§9) or of type 0.
  if (type === MessageType.REPLY || type === MessageType.ACK || type === 0) return DROP;
  if (status === W_MISSING && type !== MessageType.GETTGT) return DROP;
  return base;
}

function walkError(t: Int32Array, b: number, datagramType: number): KinkError {
  const status = t[b + T_STATUS]!;
  const ptype = t[b + T_ERR_PAYLOAD]!;
  const [reason, field, response, detail] = WALK_FAILURES[status - 1]!;
  const where = ptype !== 0 ? `${payloadTypeName(ptype)} ${field}` : field;
  return new KinkError(reason, responseFor(status, datagramType, response), where, t[b + T_ERR_OFFSET]!, detail, t[b + T_ERR_IN_PLAINTEXT] === 1);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The big-endian 32-bit field at `p`; × 2^24 rather than << 24, which would turn values from 2^31 up negative. */
const u32 = (b: Uint8Array, p: number): number => b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);

/**
 * The payload object for a walked entry; fields are views of `bytes`. `inner`: `bytes` is the
 * KINK_ENCRYPT plaintext fromTable copied out, which no one writes to again, so the ISAKMP
 * payloads in it keep views of it too, where those of a datagram get copies. Exported for the
 * bench's TypeScript walk. Fields are assembled from octets: a DataView per payload would cost
 * more than the one field it reads.
 */
export function payloadAt(bytes: Uint8Array, type: number, off: number, len: number, inner: boolean): KinkPayload {
  switch (type) {
    case PayloadType.AP_REQ:
      return { type, epoch: u32(bytes, off + 4), apReq: bytes.subarray(off + 8, off + len) };
    case PayloadType.AP_REP:
      return { type, epoch: u32(bytes, off + 4), apRep: bytes.subarray(off + 8, off + len) };
    case PayloadType.KRB_ERROR:
      return { type, krbError: bytes.subarray(off + 4, off + len) };
    case PayloadType.TGT_REQ: {
      let principal: string;
      try {
        principal = utf8.decode(bytes.subarray(off + 4, off + len));
      } catch {
        throw new KinkError("bad-principal-name", PROTOERR, "KINK_TGT_REQ.PrincName", off + 4, "PrincName is not valid UTF-8", inner);
      }
      return { type, principal };
    }
    case PayloadType.TGT_REP:
      return { type, tgt: bytes.subarray(off + 4, off + len) };
    case PayloadType.ISAKMP:
      return { type, qmVersion: bytes[off + 5]!, payloads: decodeIsakmpChain(bytes, bytes[off + 4]!, off + 8, off + len, 0, inner, inner) };
    case PayloadType.ENCRYPT:
      return { type, ciphertext: bytes.subarray(off + 4, off + len) };
    default:
      return { type: PayloadType.ERROR, code: u32(bytes, off + 4) };
  }
}

function walk(datagram: Uint8Array, session: SessionKey | undefined, opts: KinkDecodeOptions | undefined): DecodedKink {
  const c = getCore();
  if (tableBytes === 0) tableBytes = c.exports.kinkTableBytes();
  const len = Math.min(datagram.length, KINK_MAX_LENGTH + 1);
  const src = c.io;
  const table = src + ((len + 15) & ~15);
  let cksumSlot = -1;
  let encSlot = -1;
  const slots = defaultSlotCache();
  if (session !== undefined) {
    requireKey(requireEnctype(session.etype), session.key);
    cksumSlot = slots.slot(session.etype, session.key, KINK_KEY_USAGE_CKSUM);
    // Pinned so that deriving the second slot cannot evict the first before the call.
    slots.pin(cksumSlot);
    try {
      encSlot = slots.slot(session.etype, session.key, KINK_KEY_USAGE_ENCRYPT);
    } finally {
      slots.unpin(cksumSlot);
    }
  }
  const mem = c.bytes();
  mem.set(len === datagram.length ? datagram : datagram.subarray(0, len), src);
  const status = c.exports.kinkOpen(src, len, cksumSlot, encSlot, table, walkOptions(opts));
  return fromTable(datagram, status, table);
}

function walkOptions(opts: KinkDecodeOptions | undefined): number {
  return (opts?.strictReserved ? OPT_STRICT_RESERVED : 0) | ((opts?.maxLength ?? KINK_MAX_LENGTH) << 8);
}

/** The message (or the KinkError) a walk left in its offsets table at `table`. */
function fromTable(datagram: Uint8Array, status: number, table: number): DecodedKink {
  const c = getCore();
  const mem = c.bytes();
  const t = c.i32();
  const b = table >> 2;
  const type = t[b + T_TYPE]!;
  const plainAddr = t[b + T_PLAIN_ADDR]!;
  const plainLen = t[b + T_PLAIN_LEN]!;
  let plaintext: Uint8Array | undefined;
  if (plainAddr >= 0) {
    plaintext = copyOut(mem, plainAddr, plainLen);
    mem.fill(0, plainAddr, plainAddr + plainLen);
  }
  if (status !== 0) throw walkError(t, b, type);

  const outerCount = t[b + T_OUTER_COUNT]!;
  const payloads: KinkPayload[] = new Array(outerCount);
  // A plaintext comes from the KINK_ENCRYPT the walk found last [RFC 4430 §4.2.7]; that
  // payload is built below, once, with its inner payloads.
  const plainOuter = plaintext === undefined ? outerCount : outerCount - 1;
  for (let i = 0; i < plainOuter; i++) {
    const e = b + T_ENTRIES + 3 * i;
    payloads[i] = payloadAt(datagram, t[e]!, t[e + 1]!, t[e + 2]!, false);
  }
  if (plaintext !== undefined) {
    const innerCount = t[b + T_INNER_COUNT]!;
    const inner: InnerPayload[] = new Array(innerCount);
    for (let i = 0; i < innerCount; i++) {
      const e = b + T_ENTRIES + 3 * (outerCount + i);
      inner[i] = payloadAt(plaintext, t[e]!, t[e + 1]!, t[e + 2]!, true) as InnerPayload;
    }
    const e = b + T_ENTRIES + 3 * plainOuter;
    const off = t[e + 1]!;
    payloads[plainOuter] = { type: PayloadType.ENCRYPT, ciphertext: datagram.subarray(off + 4, off + t[e + 2]!), inner };
  }
  const length = t[b + T_LENGTH]!;
  const cksumOffset = t[b + T_CKSUM_OFFSET]!;
  return {
    type: type as KinkMessage["type"],
    xid: t[b + T_XID]! >>> 0,
    ackReq: (t[b + T_FLAGS]! & 0x80) !== 0,
    doi: t[b + T_DOI]! >>> 0,
    payloads,
    length,
    cksum: cksumOffset >= 0 ? datagram.subarray(cksumOffset, cksumOffset + t[b + T_CKSUM_LEN]!) : undefined,
    verified: t[b + T_VERIFIED] === 1,
  };
}

/**
 * Decodes a datagram without keys: header and payloads, KINK_ENCRYPT left as ciphertext and
 * the Cksum unverified. Throws KinkError (with the RFC's response) for anything malformed.
 */
export function decodeKinkMessage(datagram: Uint8Array, opts?: KinkDecodeOptions): DecodedKink {
  return walk(datagram, undefined, opts);
}

/**
 * Decodes, verifies the Cksum and decrypts KINK_ENCRYPT with the session key, in one WASM
 * call. A bad Cksum or ciphertext is a KinkError whose response is a silent drop [RFC 4430 §5.1].
 */
export function openKinkMessage(datagram: Uint8Array, session: SessionKey, opts?: KinkDecodeOptions): DecodedKink {
  return walk(datagram, session, opts);
}

/**
 * Queues the open of a datagram into a crypto batch, so a receive batch verifies every Cksum
 * and decrypts every KINK_ENCRYPT in the same WASM call as its other Kerberos work. After the
 * batch ran, `openedFromBatch` gives what openKinkMessage would have.
 */
export function queueKinkOpen(batch: CryptoBatch, datagram: Uint8Array, session: SessionKey, opts?: KinkDecodeOptions): number {
  if (tableBytes === 0) tableBytes = getCore().exports.kinkTableBytes();
  const len = Math.min(datagram.length, KINK_MAX_LENGTH + 1);
  return batch.kinkOpen(len === datagram.length ? datagram : datagram.subarray(0, len), session.etype, session.key, KINK_USAGES, walkOptions(opts), tableBytes);
}

export function openedFromBatch(batch: CryptoBatch, op: number, datagram: Uint8Array): DecodedKink {
  const { status, table } = batch.kinkOpenResult(op);
  return fromTable(datagram, status, table);
}
