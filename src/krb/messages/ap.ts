// The AP exchange (RFC 4120 §5.5): AP-REQ [APPLICATION 14], Authenticator [APPLICATION 2],
// AP-REP [APPLICATION 15] and EncAPRepPart [APPLICATION 27].
//
// decodeApReq runs for every KINK CREATE/DELETE/STATUS (RFC 4430 §4.2.1), so it is a straight
// TLV walk: OCTET STRINGs (ticket enc-part cipher, authenticator cipher) come back as subarray
// views of the input and the ticket's `raw` is a view too; the only strings built are the realm
// and name components (and those repeat, so the reader's small string cache answers them).

import type { DerReader } from "../der/reader.ts";
import type { DerWriter } from "../der/writer.ts";
import { KrbErrorCode } from "../errors.ts";
import {
  decodeMessage,
  encodeWith,
  PVNO,
  readAuthorizationData,
  readChecksum,
  readEncryptedData,
  readEncryptionKey,
  readField,
  readMsgType,
  readPrincipalName,
  readPvno,
  writeAuthorizationData,
  writeChecksum,
  writeEncryptedData,
  writeEncryptionKey,
  writeField,
  writePrincipalName,
} from "./common.ts";
import { readTicket, writeTicket } from "./ticket.ts";
import type { ApRep, ApReq, Authenticator, EncApRepPart } from "./types.ts";

export const APP_AUTHENTICATOR = 2;
export const APP_AP_REQ = 14;
export const APP_AP_REP = 15;
export const APP_ENC_AP_REP_PART = 27;

/** AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0] 5, msg-type [1] 14, ap-options [2] APOptions, ticket [3] Ticket, authenticator [4] EncryptedData } */
export function readApReq(r: DerReader, limit: number): ApReq {
  const app = r.expect(0x60 | APP_AP_REQ, limit, KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  const end = r.sequence(app);
  readPvno(r, 0, "pvno", end);
  readMsgType(r, 1, end, APP_AP_REQ);
  const apOptions = r.flagsField(2, "ap-options", end);
  const ticket = readField(r, 3, "ticket", end, readTicket);
  const authenticator = readField(r, 4, "authenticator", end, readEncryptedData);
  r.done(end);
  r.done(app);
  return { apOptions, ticket, authenticator };
}

export function writeApReq(w: DerWriter, v: ApReq): void {
  w.application(APP_AP_REQ);
  w.sequence();
  w.int32Field(0, PVNO, "AP-REQ.pvno");
  w.int32Field(1, APP_AP_REQ, "AP-REQ.msg-type");
  w.flagsField(2, v.apOptions);
  writeField(w, 3, v.ticket, writeTicket);
  writeField(w, 4, v.authenticator, writeEncryptedData);
  w.end();
  w.end();
}

/** Authenticator ::= [APPLICATION 2] SEQUENCE { authenticator-vno [0] 5, crealm [1], cname [2], cksum [3] OPT, cusec [4], ctime [5], subkey [6] OPT, seq-number [7] OPT, authorization-data [8] OPT } */
export function readAuthenticator(r: DerReader, limit: number): Authenticator {
  const app = r.expect(0x60 | APP_AUTHENTICATOR, limit);
  const end = r.sequence(app);
  r.constantField(0, "authenticator-vno", end, PVNO, KrbErrorCode.KRB_AP_ERR_BADVERSION);
  const crealm = r.kstringField(1, "crealm", end);
  const cname = readField(r, 2, "cname", end, readPrincipalName);
  const cksum = r.has(3, end) ? readField(r, 3, "cksum", end, readChecksum) : undefined;
  const cusec = r.microsecondsField(4, "cusec", end);
  const ctime = r.timeField(5, "ctime", end);
  const subkey = r.has(6, end) ? readField(r, 6, "subkey", end, readEncryptionKey) : undefined;
  const seqNumber = r.has(7, end) ? r.seqNumberField(7, "seq-number", end) : undefined;
  const authorizationData = r.has(8, end) ? readField(r, 8, "authorization-data", end, readAuthorizationData) : undefined;
  r.done(end);
  r.done(app);
  const v: Authenticator = { crealm, cname, cusec, ctime };
  if (cksum !== undefined) v.cksum = cksum;
  if (subkey !== undefined) v.subkey = subkey;
  if (seqNumber !== undefined) v.seqNumber = seqNumber;
  if (authorizationData !== undefined) v.authorizationData = authorizationData;
  return v;
}

export function writeAuthenticator(w: DerWriter, v: Authenticator): void {
  w.application(APP_AUTHENTICATOR);
  w.sequence();
  w.int32Field(0, PVNO, "Authenticator.authenticator-vno");
  w.kstringField(1, v.crealm);
  writeField(w, 2, v.cname, writePrincipalName);
  if (v.cksum !== undefined) writeField(w, 3, v.cksum, writeChecksum);
  w.microsecondsField(4, v.cusec, "Authenticator.cusec");
  w.timeField(5, v.ctime);
  if (v.subkey !== undefined) writeField(w, 6, v.subkey, writeEncryptionKey);
  if (v.seqNumber !== undefined) w.uint32Field(7, v.seqNumber, "Authenticator.seq-number");
  if (v.authorizationData !== undefined) writeField(w, 8, v.authorizationData, writeAuthorizationData);
  w.end();
  w.end();
}

/** AP-REP ::= [APPLICATION 15] SEQUENCE { pvno [0] 5, msg-type [1] 15, enc-part [2] EncryptedData } */
export function readApRep(r: DerReader, limit: number): ApRep {
  const app = r.expect(0x60 | APP_AP_REP, limit, KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  const end = r.sequence(app);
  readPvno(r, 0, "pvno", end);
  readMsgType(r, 1, end, APP_AP_REP);
  const encPart = readField(r, 2, "enc-part", end, readEncryptedData);
  r.done(end);
  r.done(app);
  return { encPart };
}

export function writeApRep(w: DerWriter, v: ApRep): void {
  w.application(APP_AP_REP);
  w.sequence();
  w.int32Field(0, PVNO, "AP-REP.pvno");
  w.int32Field(1, APP_AP_REP, "AP-REP.msg-type");
  writeField(w, 2, v.encPart, writeEncryptedData);
  w.end();
  w.end();
}

/** EncAPRepPart ::= [APPLICATION 27] SEQUENCE { ctime [0], cusec [1], subkey [2] OPT, seq-number [3] OPT } */
export function readEncApRepPart(r: DerReader, limit: number): EncApRepPart {
  const app = r.expect(0x60 | APP_ENC_AP_REP_PART, limit);
  const end = r.sequence(app);
  const ctime = r.timeField(0, "ctime", end);
  const cusec = r.microsecondsField(1, "cusec", end);
  const subkey = r.has(2, end) ? readField(r, 2, "subkey", end, readEncryptionKey) : undefined;
  const seqNumber = r.has(3, end) ? r.seqNumberField(3, "seq-number", end) : undefined;
  r.done(end);
  r.done(app);
  const v: EncApRepPart = { ctime, cusec };
  if (subkey !== undefined) v.subkey = subkey;
  if (seqNumber !== undefined) v.seqNumber = seqNumber;
  return v;
}

export function writeEncApRepPart(w: DerWriter, v: EncApRepPart): void {
  w.application(APP_ENC_AP_REP_PART);
  w.sequence();
  w.timeField(0, v.ctime);
  w.microsecondsField(1, v.cusec, "EncAPRepPart.cusec");
  if (v.subkey !== undefined) writeField(w, 2, v.subkey, writeEncryptionKey);
  if (v.seqNumber !== undefined) w.uint32Field(3, v.seqNumber, "EncAPRepPart.seq-number");
  w.end();
  w.end();
}

export const decodeApReq = (b: Uint8Array): ApReq => decodeMessage(b, "AP-REQ", APP_AP_REQ, readApReq);
export const encodeApReq = (v: ApReq): Uint8Array => encodeWith(v, writeApReq);
export const decodeAuthenticator = (b: Uint8Array): Authenticator => decodeMessage(b, "Authenticator", APP_AUTHENTICATOR, readAuthenticator);
export const encodeAuthenticator = (v: Authenticator): Uint8Array => encodeWith(v, writeAuthenticator);
export const decodeApRep = (b: Uint8Array): ApRep => decodeMessage(b, "AP-REP", APP_AP_REP, readApRep);
export const encodeApRep = (v: ApRep): Uint8Array => encodeWith(v, writeApRep);
export const decodeEncApRepPart = (b: Uint8Array): EncApRepPart => decodeMessage(b, "EncAPRepPart", APP_ENC_AP_REP_PART, readEncApRepPart);
export const encodeEncApRepPart = (v: EncApRepPart): Uint8Array => encodeWith(v, writeEncApRepPart);
