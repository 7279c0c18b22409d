// KINK messages as plain objects, and their encoder [RFC 4430 §4, §4.2, §5.1]. The encoder
// writes the header, the payload chain with 4-octet alignment, KINK_ENCRYPT (the inner chain
// sealed with key usage 39 before anything is checksummed) and the Cksum (usage 40) exactly as
// §4.2.7 and §5.1 order them. Crypto comes in through a KinkSealer (one call per operation) or
// a KinkLayoutSealer (the laid-out message sealed at once), so this file stays pure.

import { ACKREQ_FLAG, DOI_IPSEC, KINK_VERSION_BYTE, type MessageType, messageTypeName, PayloadType, payloadTypeName } from "./constants.ts";
import { DROP, KinkError } from "./errors.ts";
import { encodeIsakmpChain, type IsakmpPayload } from "./isakmp/index.ts";
import { WireWriter } from "./writer.ts";

export interface ApReqPayload {
  readonly type: typeof PayloadType.AP_REQ;
  /** Low 32 bits of the POSIX time the sender's SA state began [RFC 4430 §4.2.1]. */
  readonly epoch: number;
  /** DER AP-REQ [RFC 4120 §5.5.1]. */
  readonly apReq: Uint8Array;
}

export interface ApRepPayload {
  readonly type: typeof PayloadType.AP_REP;
  readonly epoch: number;
  /** DER AP-REP [RFC 4120 §5.5.2]. */
  readonly apRep: Uint8Array;
}

export interface KrbErrorPayload {
  readonly type: typeof PayloadType.KRB_ERROR;
  /** DER KRB-ERROR [RFC 4120 §5.9.1]. */
  readonly krbError: Uint8Array;
}

export interface TgtReqPayload {
  readonly type: typeof PayloadType.TGT_REQ;
  /** The responder principal wanted, `comp/comp@REALM` (RFC 1964 §2.1.3 NAME part) [RFC 4430 §4.2.4]. */
  readonly principal: string;
}

export interface TgtRepPayload {
  readonly type: typeof PayloadType.TGT_REP;
  /** DER Ticket for krbtgt/REALM@REALM [RFC 4430 §4.2.5]. */
  readonly tgt: Uint8Array;
}

export interface KinkIsakmpPayload {
  readonly type: typeof PayloadType.ISAKMP;
  /** Quick Mode version octet, major.minor nibbles; 0x10 is the only one defined [RFC 4430 §4.2.6]. */
  readonly qmVersion: number;
  /** The Quick Mode payloads; the first one's type is InnerNextPload. */
  readonly payloads: readonly IsakmpPayload[];
}

export interface EncryptPayload {
  readonly type: typeof PayloadType.ENCRYPT;
  /** The protected payloads: given to encode; on decode present once the message was opened with the key. */
  readonly inner?: readonly InnerPayload[];
  /** On decode: the ciphertext as received (key usage 39) [RFC 4430 §4.2.7]. */
  readonly ciphertext?: Uint8Array;
}

export interface ErrorPayload {
  readonly type: typeof PayloadType.ERROR;
  /** KINK_ERROR code [RFC 4430 §4.2.8]. */
  readonly code: number;
}

export type KinkPayload = ApReqPayload | ApRepPayload | KrbErrorPayload | TgtReqPayload | TgtRepPayload | KinkIsakmpPayload | EncryptPayload | ErrorPayload;
/** What may sit inside KINK_ENCRYPT. */
export type InnerPayload = KinkIsakmpPayload | ErrorPayload | KrbErrorPayload;

export interface KinkMessage {
  readonly type: MessageType;
  readonly xid: number;
  /** ACKREQ: only a responder's REPLY to CREATE sets it [RFC 4430 §3.2, §4]. */
  readonly ackReq?: boolean;
  /** Defaults to the IPsec DOI (1). */
  readonly doi?: number;
  readonly payloads: readonly KinkPayload[];
}

/** The session-key operations a protected message needs [RFC 4430 §4.2.7, §5.1]. */
export interface KinkSealer {
  /** Kerberos encrypt with key usage 39 (KINK_ENCRYPT). */
  encrypt(plaintext: Uint8Array): Uint8Array;
  /** get_mic with the enctype's required checksum type and key usage 40 (Cksum). */
  checksum(data: Uint8Array): Uint8Array;
}

/**
 * A sealer that works on the whole laid-out message: the encoder writes KINK_ENCRYPT's
 * ciphertext and the Cksum as zeroed room of their final lengths and calls `seal` once, so
 * every octet the Cksum covers is in place before any crypto runs [RFC 4430 §5.1] and all of
 * it (with an AP-REP's enc-part) can run in one pass.
 */
export interface KinkLayoutSealer {
  /** Octets of KINK_ENCRYPT's ciphertext for a plaintext of `n` octets (key usage 39). */
  ciphertextLength(n: number): number;
  /** Octets of the Cksum (key usage 40). */
  readonly checksumLength: number;
  /** Fills the room in `layout.message` in place. */
  seal(layout: KinkLayout): void;
}

/** Where the sealed parts of a laid-out message go; valid during `seal` only. */
export interface KinkLayout {
  /**
   * The message through the Cksum room, Length counting the octets before the Cksum and
   * CksumLen 0: the octets the Cksum covers [RFC 4430 §5.1].
   */
  readonly message: Uint8Array;
  /** Where the Cksum goes; the octets before it are what it covers. */
  readonly cksumAt: number;
  /** Where the KINK_AP_REP payload's AP-REP starts (after its epoch); -1 without one. */
  readonly apRepAt: number;
  /** KINK_ENCRYPT's plaintext; undefined without KINK_ENCRYPT. */
  readonly plaintext: Uint8Array | undefined;
  /** Where KINK_ENCRYPT's ciphertext goes; -1 without one. */
  readonly cipherAt: number;
}

const utf8 = new TextEncoder();
const outer = new WireWriter(2048);
const plain = new WireWriter(1024);
/** The layout of the message being encoded (encoding is not reentrant: the writers are shared too). */
const layout: { -readonly [K in keyof KinkLayout]: KinkLayout[K] } = {
  message: new Uint8Array(0),
  cksumAt: -1,
  apRepAt: -1,
  plaintext: undefined,
  cipherAt: -1,
};

const seals = (s: KinkSealer | KinkLayoutSealer): s is KinkLayoutSealer => "seal" in s;
const isApPayload = (p: KinkPayload): boolean => p.type === PayloadType.AP_REQ || p.type === PayloadType.AP_REP;

function writePayloadBody(w: WireWriter, p: KinkPayload, sealer: KinkSealer | KinkLayoutSealer | undefined, origin: number): void {
  switch (p.type) {
    case PayloadType.AP_REQ:
      w.u32(p.epoch).bytes(p.apReq);
      return;
    case PayloadType.AP_REP:
      w.u32(p.epoch);
      layout.apRepAt = w.pos;
      w.bytes(p.apRep);
      return;
    case PayloadType.KRB_ERROR:
      w.bytes(p.krbError);
      return;
    case PayloadType.TGT_REQ:
      w.bytes(utf8.encode(p.principal));
      return;
    case PayloadType.TGT_REP:
      w.bytes(p.tgt);
      return;
    case PayloadType.ISAKMP: {
      // InnerNextPload is patched once the chain knows its first type.
      const at = w.pos;
      w.u8(0).u8(p.qmVersion).u16(0);
      w.patchU8(at, encodeIsakmpChain(w, p.payloads));
      return;
    }
    case PayloadType.ENCRYPT: {
      if (sealer === undefined) throw new KinkError("unencodable", DROP, "KINK_ENCRYPT", origin, "KINK_ENCRYPT needs the session key (no sealer given)");
      if (p.inner === undefined) throw new KinkError("unencodable", DROP, "KINK_ENCRYPT", origin, "KINK_ENCRYPT needs its inner payloads");
      // §4.2.7: InnerNextPload, 3 reserved octets, then the inner chain aligned to the
      // plaintext start; the plaintext ends with the last inner payload (as racoon2 sends it).
      plain.reset();
      plain
        .u8(p.inner[0]?.type ?? 0)
        .u8(0)
        .u16(0);
      writeChain(plain, p.inner, sealer, false);
      const plaintext = plain.view();
      if (!seals(sealer)) {
        w.bytes(sealer.encrypt(plaintext));
        return;
      }
      layout.plaintext = plaintext;
      layout.cipherAt = w.pos;
      w.zeros(sealer.ciphertextLength(plaintext.length));
      return;
    }
    case PayloadType.ERROR:
      w.u32(p.code);
      return;
  }
}

/** Writes a payload chain; `padLast` pads the final payload to 4 octets too (outer chain). */
function writeChain(w: WireWriter, payloads: readonly KinkPayload[], sealer: KinkSealer | KinkLayoutSealer | undefined, padLast: boolean): void {
  const origin = w.pos & ~3;
  for (let i = 0; i < payloads.length; i++) {
    const p = payloads[i]!;
    if (p.type === PayloadType.ENCRYPT && i !== payloads.length - 1)
      throw new KinkError("encrypt-not-last", DROP, "KINK_ENCRYPT", w.pos, "KINK_ENCRYPT must be the last payload (RFC 4430 §4.2.7)");
    const at = w.beginPayload(payloads[i + 1]?.type ?? PayloadType.DONE);
    writePayloadBody(w, p, sealer, at);
    w.endPayload(at);
    if (padLast || i !== payloads.length - 1) w.pad4(origin);
  }
}

/**
 * Encodes a message. A message with KINK_AP_REQ or KINK_AP_REP gets the Cksum and needs a
 * sealer; one without must not have KINK_ENCRYPT [RFC 4430 §4, §6].
 */
export function encodeKinkMessage(msg: KinkMessage, sealer?: KinkSealer | KinkLayoutSealer): Uint8Array {
  const keyed = msg.payloads.some(isApPayload);
  if (keyed && sealer === undefined)
    throw new KinkError("unencodable", DROP, "Cksum", 0, "a message with KINK_AP_REQ/KINK_AP_REP carries a Cksum and needs the session key (RFC 4430 §4)");
  layout.apRepAt = -1;
  layout.plaintext = undefined;
  layout.cipherAt = -1;
  const w = outer.reset();
  w.u8(msg.type)
    .u8(KINK_VERSION_BYTE)
    .u16(0)
    .u32(msg.doi ?? DOI_IPSEC)
    .u32(msg.xid)
    .u8(msg.payloads[0]?.type ?? PayloadType.DONE)
    .u8(msg.ackReq ? ACKREQ_FLAG : 0)
    .u16(0);
  writeChain(w, msg.payloads, keyed ? sealer : undefined, true);
  const bodyLength = w.pos;
  if (!keyed) {
    checkLength(bodyLength);
    w.patchU16(2, bodyLength);
    return w.toBytes();
  }
  // §5.1: checksum the message with Length = its length so far and CksumLen = 0, then append
  // the Cksum and set both fields to their final values.
  checkLength(bodyLength);
  w.patchU16(2, bodyLength);
  let cksumLength: number;
  if (seals(sealer!)) {
    cksumLength = sealer.checksumLength;
    w.zeros(cksumLength);
    checkLength(w.pos);
    layout.message = w.view();
    layout.cksumAt = bodyLength;
    sealer.seal(layout);
  } else {
    const cksum = sealer!.checksum(w.view(0, bodyLength));
    cksumLength = cksum.length;
    w.bytes(cksum);
    checkLength(w.pos);
  }
  w.patchU16(2, w.pos);
  w.patchU16(14, cksumLength);
  return w.toBytes();
}

function checkLength(n: number): void {
  if (n > 0xffff) throw new KinkError("unencodable", DROP, "header.Length", 2, `message of ${n} octets exceeds the 16-bit Length (RFC 4430 §4)`);
}

/** A short description of a message for logs: type, XID and the payload list. */
export function describeKinkMessage(msg: KinkMessage): string {
  const list = msg.payloads.map((p) =>
    p.type === PayloadType.ENCRYPT && p.inner
      ? `${payloadTypeName(p.type)}{${p.inner.map((q) => payloadTypeName(q.type)).join(",")}}`
      : payloadTypeName(p.type),
  );
  return `${messageTypeName(msg.type)} xid=${msg.xid >>> 0}${msg.ackReq ? " ACKREQ" : ""} ${list.join(" ")}`;
}
