// Building and reading the KINK messages the engine exchanges [RFC 4430 §6]: pure functions of
// keys, payloads and time. The engine decides what to send; this file knows the payload order
// each message type uses and how protected errors are framed [RFC 4430 §3.5, §9].

import { buildKrbError, layoutApRep } from "../krb/ap.ts";
import type { EncryptionKey } from "../krb/messages/types.ts";
import type { Principal } from "../krb/principal.ts";
import { DOI_IPSEC, type KinkErrorCode, MessageType, PayloadType, QM_VERSION_BYTE } from "../wire/constants.ts";
import type { DecodedKink, SessionKey } from "../wire/decode.ts";
import type { IsakmpPayload, NotifyPayload } from "../wire/isakmp/index.ts";
import { encodeKinkMessage, type InnerPayload, type KinkPayload } from "../wire/kink-message.ts";
import { sessionKeyBatchSealer, sessionKeySealer } from "../wire/seal.ts";

export const sessionOf = (k: EncryptionKey): SessionKey => ({ etype: k.keytype, key: k.keyvalue });

/** KINK_ISAKMP with Quick Mode 1.0 [RFC 4430 §4.2.6]. */
export const isakmp = (payloads: readonly IsakmpPayload[]): InnerPayload => ({ type: PayloadType.ISAKMP, qmVersion: QM_VERSION_BYTE, payloads });

/** ISAKMP Notify in the IPsec DOI [RFC 2408 §3.14]; the SPI is 4 octets when one is named. */
export function notify(notifyType: number, protocolId = 0, spi?: number, data: Uint8Array = new Uint8Array(0)): NotifyPayload {
  return { type: "notify", doi: DOI_IPSEC, protocolId, spi: spi === undefined ? new Uint8Array(0) : spiOctets(spi), notifyType, data };
}

/** An AH/ESP SPI as its 4 octets, big-endian [RFC 2408 §3.14, §3.15]. */
export function spiOctets(spi: number): Uint8Array {
  return Uint8Array.of(spi >>> 24, spi >>> 16, spi >>> 8, spi);
}

/** GETTGT: KINK_TGT_REQ alone, unauthenticated [RFC 4430 §4.2.4, §6.6]. */
export function encodeGetTgt(xid: number, principal: string): Uint8Array {
  return encodeKinkMessage({ type: MessageType.GETTGT, xid, payloads: [{ type: PayloadType.TGT_REQ, principal }] });
}

/** The REPLY to GETTGT: our TGT, unauthenticated by design (useless without its session key) [RFC 4430 §4.2.5]. */
export function encodeTgtReply(xid: number, tgt: Uint8Array): Uint8Array {
  return encodeKinkMessage({ type: MessageType.REPLY, xid, payloads: [{ type: PayloadType.TGT_REP, tgt }] });
}

/** A command or ACK: KINK_AP_REQ, then the protected payloads inside KINK_ENCRYPT (as racoon2 sends them) [RFC 4430 §6]. */
export function encodeCommand(
  type: MessageType,
  xid: number,
  epoch: number,
  apReq: Uint8Array,
  inner: readonly InnerPayload[],
  session: SessionKey,
): Uint8Array {
  const payloads: KinkPayload[] = [{ type: PayloadType.AP_REQ, epoch, apReq }];
  if (inner.length > 0) payloads.push({ type: PayloadType.ENCRYPT, inner });
  return encodeKinkMessage({ type, xid, payloads }, sessionKeySealer(session));
}

/**
 * A protected REPLY: KINK_AP_REP echoing the authenticator, the rest in KINK_ENCRYPT, and the
 * Cksum [RFC 4430 §6.1]. The message is laid out first and its three session-key operations
 * (AP-REP enc-part, KINK_ENCRYPT, Cksum over both) run as one WASM batch, so the results of an
 * earlier CryptoBatch must have been read already.
 */
export function encodeReply(
  xid: number,
  epoch: number,
  sessionKey: EncryptionKey,
  authenticator: { ctime: number; cusec: number },
  inner: readonly InnerPayload[],
  ackReq = false,
): Uint8Array {
  const apRep = layoutApRep(sessionKey, authenticator.ctime, authenticator.cusec);
  const apRepPayload: KinkPayload = { type: PayloadType.AP_REP, epoch, apRep: apRep.der };
  const payloads = inner.length > 0 ? [apRepPayload, { type: PayloadType.ENCRYPT, inner } as const] : [apRepPayload];
  return encodeKinkMessage({ type: MessageType.REPLY, xid, ackReq, payloads }, sessionKeyBatchSealer(sessionOf(sessionKey), apRep));
}

/** A REPLY without a usable key: a lone KINK_ERROR, unauthenticated [RFC 4430 §4.2.8, §9]. */
export function encodeLoneKinkError(xid: number, code: KinkErrorCode): Uint8Array {
  return encodeKinkMessage({ type: MessageType.REPLY, xid, payloads: [{ type: PayloadType.ERROR, code }] });
}

export interface KrbErrorReplyInput {
  readonly xid: number;
  readonly errorCode: number;
  readonly now: number;
  readonly server: Principal;
  readonly client?: Principal;
  readonly ctime?: number;
  readonly cusec?: number;
  readonly eText?: string;
}

/** A REPLY carrying a lone KINK_KRB_ERROR, unauthenticated: the AP-REQ failed before a key was known [RFC 4430 §9]. */
export function encodeLoneKrbError(input: KrbErrorReplyInput): Uint8Array {
  const krbError = buildKrbError(input);
  return encodeKinkMessage({ type: MessageType.REPLY, xid: input.xid, payloads: [{ type: PayloadType.KRB_ERROR, krbError }] });
}

/**
 * A Kerberos error with the session key recovered (clock skew, expired ticket): AP-REP plus the
 * KRB-ERROR in KINK_ENCRYPT and the Cksum, so the initiator may act on it [RFC 4430 §3.5].
 */
export function encodeProtectedKrbError(input: KrbErrorReplyInput & { epoch: number; sessionKey: EncryptionKey; ctime: number; cusec: number }): Uint8Array {
  const krbError = buildKrbError(input);
  return encodeReply(input.xid, input.epoch, input.sessionKey, input, [{ type: PayloadType.KRB_ERROR, krbError }]);
}

/** The payloads of a message with KINK_ENCRYPT's content in place of KINK_ENCRYPT. */
export function flatPayloads(msg: DecodedKink): readonly KinkPayload[] {
  const last = msg.payloads[msg.payloads.length - 1];
  if (last?.type !== PayloadType.ENCRYPT || last.inner === undefined) return msg.payloads;
  return [...msg.payloads.slice(0, -1), ...last.inner];
}
