// The KDC exchanges (RFC 4120 §5.4): AS-REQ [APPLICATION 10] / TGS-REQ [12] (KDC-REQ),
// AS-REP [11] / TGS-REP [13] (KDC-REP), and EncASRepPart [25] / EncTGSRepPart [26]
// (EncKDCRepPart).
//
// The TGS-REQ's PA-TGS-REQ authenticator carries a checksum over the DER of req-body exactly as
// sent (§5.4.1, key usage 6), so encodeKdcReqBody is exported to produce those octets, a
// decoded KDC-REQ returns them as reqBodyRaw, and encodeKdcReq re-emits reqBodyRaw verbatim when
// present (so the checksummed octets and the sent octets cannot drift apart).

import type { DerReader } from "../der/reader.ts";
import { type DerWriter, encodeError } from "../der/writer.ts";
import { KrbErrorCode } from "../errors.ts";
import {
  decodeWith,
  encodeWith,
  PVNO,
  readEncryptedData,
  readEncryptionKey,
  readField,
  readHostAddresses,
  readPaDataList,
  readPrincipalName,
  readPvno,
  readSequenceOf,
  writeEncryptedData,
  writeEncryptionKey,
  writeField,
  writeHostAddresses,
  writePaDataList,
  writePrincipalName,
} from "./common.ts";
import { readTicket, readTickets, writeTicket, writeTickets } from "./ticket.ts";
import type { EncKdcRepPart, KdcRep, KdcReq, KdcReqBody } from "./types.ts";

export const APP_AS_REQ = 10;
export const APP_AS_REP = 11;
export const APP_TGS_REQ = 12;
export const APP_TGS_REP = 13;
export const APP_ENC_AS_REP_PART = 25;
export const APP_ENC_TGS_REP_PART = 26;

function readEtype(r: DerReader, limit: number): number {
  return r.int32(limit);
}

/**
 * KDC-REQ-BODY ::= SEQUENCE { kdc-options [0], cname [1] OPT, realm [2], sname [3] OPT, from [4] OPT,
 * till [5], rtime [6] OPT, nonce [7] UInt32, etype [8] SEQUENCE OF Int32, addresses [9] OPT,
 * enc-authorization-data [10] OPT, additional-tickets [11] SEQUENCE OF Ticket OPT }
 */
export function readKdcReqBody(r: DerReader, limit: number): KdcReqBody {
  const end = r.sequence(limit);
  const kdcOptions = r.flagsField(0, "kdc-options", end);
  const cname = r.has(1, end) ? readField(r, 1, "cname", end, readPrincipalName) : undefined;
  const realm = r.kstringField(2, "realm", end);
  const sname = r.has(3, end) ? readField(r, 3, "sname", end, readPrincipalName) : undefined;
  const from = r.has(4, end) ? r.timeField(4, "from", end) : undefined;
  const till = r.timeField(5, "till", end);
  const rtime = r.has(6, end) ? r.timeField(6, "rtime", end) : undefined;
  const nonce = r.uint32Field(7, "nonce", end);
  const e = r.open(8, "etype", end);
  const etype = readSequenceOf(r, e, readEtype);
  r.close(e);
  const addresses = r.has(9, end) ? readField(r, 9, "addresses", end, readHostAddresses) : undefined;
  const encAuthorizationData = r.has(10, end) ? readField(r, 10, "enc-authorization-data", end, readEncryptedData) : undefined;
  // additional-tickets: the TGT whose session key encrypts a user-to-user ticket (ENC-TKT-IN-SKEY, §2.9.2).
  const additionalTickets = r.has(11, end) ? readField(r, 11, "additional-tickets", end, readTickets) : undefined;
  r.done(end);
  const v: KdcReqBody = { kdcOptions, realm, till, nonce, etype };
  if (cname !== undefined) v.cname = cname;
  if (sname !== undefined) v.sname = sname;
  if (from !== undefined) v.from = from;
  if (rtime !== undefined) v.rtime = rtime;
  if (addresses !== undefined) v.addresses = addresses;
  if (encAuthorizationData !== undefined) v.encAuthorizationData = encAuthorizationData;
  if (additionalTickets !== undefined) v.additionalTickets = additionalTickets;
  return v;
}

export function writeKdcReqBody(w: DerWriter, v: KdcReqBody): void {
  w.sequence();
  w.flagsField(0, v.kdcOptions);
  if (v.cname !== undefined) writeField(w, 1, v.cname, writePrincipalName);
  w.kstringField(2, v.realm);
  if (v.sname !== undefined) writeField(w, 3, v.sname, writePrincipalName);
  if (v.from !== undefined) w.timeField(4, v.from);
  w.timeField(5, v.till);
  if (v.rtime !== undefined) w.timeField(6, v.rtime);
  w.uint32Field(7, v.nonce, "KDC-REQ-BODY.nonce");
  w.context(8);
  w.sequence();
  for (const et of v.etype) {
    if (!Number.isInteger(et) || et < -0x80000000 || et > 0x7fffffff) throw encodeError("KDC-REQ-BODY.etype", `${et} is not an Int32`);
    w.integer(et);
  }
  w.end();
  w.end();
  if (v.addresses !== undefined) writeField(w, 9, v.addresses, writeHostAddresses);
  if (v.encAuthorizationData !== undefined) writeField(w, 10, v.encAuthorizationData, writeEncryptedData);
  if (v.additionalTickets !== undefined) writeField(w, 11, v.additionalTickets, writeTickets);
  w.end();
}

/** The DER of a KDC-REQ-BODY alone: what the TGS-REQ authenticator's cksum covers (§5.4.1). */
export const encodeKdcReqBody = (v: KdcReqBody): Uint8Array => encodeWith(v, writeKdcReqBody);
export const decodeKdcReqBody = (b: Uint8Array): KdcReqBody => decodeWith(b, "KDC-REQ-BODY", readKdcReqBody);

function reqName(app: number): string {
  return app === APP_AS_REQ ? "AS-REQ" : "TGS-REQ";
}

/** KDC-REQ ::= SEQUENCE { pvno [1] 5, msg-type [2] (10 | 12), padata [3] SEQUENCE OF PA-DATA OPT, req-body [4] KDC-REQ-BODY } */
function readKdcReqAs(r: DerReader, limit: number, app: 10 | 12): KdcReq {
  const outer = r.expect(0x60 | app, limit, KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  const end = r.sequence(outer);
  readPvno(r, 1, "pvno", end);
  r.constantField(2, "msg-type", end, app, KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  const padata = r.has(3, end) ? readField(r, 3, "padata", end, readPaDataList) : undefined;
  const e = r.open(4, "req-body", end);
  const bodyStart = r.pos;
  const reqBody = readKdcReqBody(r, e);
  const reqBodyRaw = r.view(bodyStart, r.pos);
  r.close(e);
  r.done(end);
  r.done(outer);
  const v: KdcReq = { msgType: app, reqBody, reqBodyRaw };
  if (padata !== undefined) v.padata = padata;
  return v;
}

export function writeKdcReq(w: DerWriter, v: KdcReq): void {
  if (v.msgType !== APP_AS_REQ && v.msgType !== APP_TGS_REQ) throw encodeError("KDC-REQ.msg-type", `${v.msgType} is not 10 or 12`);
  w.application(v.msgType);
  w.sequence();
  w.int32Field(1, PVNO, "KDC-REQ.pvno");
  w.int32Field(2, v.msgType, "KDC-REQ.msg-type");
  if (v.padata !== undefined) writeField(w, 3, v.padata, writePaDataList);
  w.context(4);
  if (v.reqBodyRaw !== undefined) w.raw(v.reqBodyRaw);
  else writeKdcReqBody(w, v.reqBody);
  w.end();
  w.end();
  w.end();
}

/** Decode a KDC-REQ of the given application number (the outer tag names the message). */
function decodeKdcReqAs(b: Uint8Array, app: 10 | 12): KdcReq {
  return decodeWith(b, reqName(app), (r, limit) => readKdcReqAs(r, limit, app));
}

export const decodeAsReq = (b: Uint8Array): KdcReq => decodeKdcReqAs(b, APP_AS_REQ);
export const decodeTgsReq = (b: Uint8Array): KdcReq => decodeKdcReqAs(b, APP_TGS_REQ);
/** AS-REQ or TGS-REQ, whichever the outer tag says (anything else: KRB_AP_ERR_MSG_TYPE). */
export const decodeKdcReq = (b: Uint8Array): KdcReq => decodeKdcReqAs(b, b[0] === (0x60 | APP_TGS_REQ) ? APP_TGS_REQ : APP_AS_REQ);
export const encodeKdcReq = (v: KdcReq): Uint8Array => encodeWith(v, writeKdcReq);

/** KDC-REP ::= SEQUENCE { pvno [0] 5, msg-type [1] (11 | 13), padata [2] OPT, crealm [3], cname [4], ticket [5], enc-part [6] } */
function readKdcRepAs(r: DerReader, limit: number, app: 11 | 13): KdcRep {
  const outer = r.expect(0x60 | app, limit, KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  const end = r.sequence(outer);
  readPvno(r, 0, "pvno", end);
  r.constantField(1, "msg-type", end, app, KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  const padata = r.has(2, end) ? readField(r, 2, "padata", end, readPaDataList) : undefined;
  const crealm = r.kstringField(3, "crealm", end);
  const cname = readField(r, 4, "cname", end, readPrincipalName);
  const ticket = readField(r, 5, "ticket", end, readTicket);
  const encPart = readField(r, 6, "enc-part", end, readEncryptedData);
  r.done(end);
  r.done(outer);
  const v: KdcRep = { msgType: app, crealm, cname, ticket, encPart };
  if (padata !== undefined) v.padata = padata;
  return v;
}

export function writeKdcRep(w: DerWriter, v: KdcRep): void {
  if (v.msgType !== APP_AS_REP && v.msgType !== APP_TGS_REP) throw encodeError("KDC-REP.msg-type", `${v.msgType} is not 11 or 13`);
  w.application(v.msgType);
  w.sequence();
  w.int32Field(0, PVNO, "KDC-REP.pvno");
  w.int32Field(1, v.msgType, "KDC-REP.msg-type");
  if (v.padata !== undefined) writeField(w, 2, v.padata, writePaDataList);
  w.kstringField(3, v.crealm);
  writeField(w, 4, v.cname, writePrincipalName);
  writeField(w, 5, v.ticket, writeTicket);
  writeField(w, 6, v.encPart, writeEncryptedData);
  w.end();
  w.end();
}

function decodeKdcRepAs(b: Uint8Array, app: 11 | 13): KdcRep {
  return decodeWith(b, app === APP_AS_REP ? "AS-REP" : "TGS-REP", (r, limit) => readKdcRepAs(r, limit, app));
}

export const decodeAsRep = (b: Uint8Array): KdcRep => decodeKdcRepAs(b, APP_AS_REP);
export const decodeTgsRep = (b: Uint8Array): KdcRep => decodeKdcRepAs(b, APP_TGS_REP);
/** AS-REP or TGS-REP, whichever the outer tag says (anything else: KRB_AP_ERR_MSG_TYPE). */
export const decodeKdcRep = (b: Uint8Array): KdcRep => decodeKdcRepAs(b, b[0] === (0x60 | APP_TGS_REP) ? APP_TGS_REP : APP_AS_REP);
export const encodeKdcRep = (v: KdcRep): Uint8Array => encodeWith(v, writeKdcRep);

function readLastReqEntry(r: DerReader, limit: number): { lrType: number; lrValue: number } {
  const end = r.sequence(limit);
  const lrType = r.int32Field(0, "lr-type", end);
  const lrValue = r.timeField(1, "lr-value", end);
  r.done(end);
  return { lrType, lrValue };
}

/** LastReq ::= SEQUENCE OF SEQUENCE { lr-type [0] Int32, lr-value [1] KerberosTime } */
function readLastReq(r: DerReader, limit: number): { lrType: number; lrValue: number }[] {
  return readSequenceOf(r, limit, readLastReqEntry);
}

function writeLastReq(w: DerWriter, v: readonly { lrType: number; lrValue: number }[]): void {
  w.sequence();
  for (const e of v) {
    w.sequence();
    w.int32Field(0, e.lrType, "LastReq.lr-type");
    w.timeField(1, e.lrValue);
    w.end();
  }
  w.end();
}

/**
 * EncKDCRepPart ::= SEQUENCE { key [0], last-req [1], nonce [2] UInt32, key-expiration [3] OPT,
 * flags [4], authtime [5], starttime [6] OPT, endtime [7], renew-till [8] OPT, srealm [9],
 * sname [10], caddr [11] OPT, encrypted-pa-data [12] OPT (RFC 6806 §11) }, under
 * [APPLICATION 25] or [APPLICATION 26]. RFC 4120 §5.4.2 notes that some implementations send
 * EncTGSRepPart inside an AS-REP; like MIT krb5, either tag is accepted for either reply.
 */
export function readEncKdcRepPart(r: DerReader, limit: number): EncKdcRepPart {
  const tag = r.peek(limit);
  const app = r.expect(tag === (0x60 | APP_ENC_TGS_REP_PART) ? tag : 0x60 | APP_ENC_AS_REP_PART, limit);
  const end = r.sequence(app);
  const key = readField(r, 0, "key", end, readEncryptionKey);
  const lastReq = readField(r, 1, "last-req", end, readLastReq);
  const nonce = r.uint32Field(2, "nonce", end);
  const keyExpiration = r.has(3, end) ? r.timeField(3, "key-expiration", end) : undefined;
  const flags = r.flagsField(4, "flags", end);
  const authtime = r.timeField(5, "authtime", end);
  const starttime = r.has(6, end) ? r.timeField(6, "starttime", end) : undefined;
  const endtime = r.timeField(7, "endtime", end);
  const renewTill = r.has(8, end) ? r.timeField(8, "renew-till", end) : undefined;
  const srealm = r.kstringField(9, "srealm", end);
  const sname = readField(r, 10, "sname", end, readPrincipalName);
  const caddr = r.has(11, end) ? readField(r, 11, "caddr", end, readHostAddresses) : undefined;
  const encryptedPadata = r.has(12, end) ? readField(r, 12, "encrypted-pa-data", end, readPaDataList) : undefined;
  r.done(end);
  r.done(app);
  const v: EncKdcRepPart = { key, lastReq, nonce, flags, authtime, endtime, srealm, sname };
  if (keyExpiration !== undefined) v.keyExpiration = keyExpiration;
  if (starttime !== undefined) v.starttime = starttime;
  if (renewTill !== undefined) v.renewTill = renewTill;
  if (caddr !== undefined) v.caddr = caddr;
  if (encryptedPadata !== undefined) v.encryptedPadata = encryptedPadata;
  return v;
}

function writeEncKdcRepPartAs(w: DerWriter, v: EncKdcRepPart, app: number): void {
  w.application(app);
  w.sequence();
  writeField(w, 0, v.key, writeEncryptionKey);
  writeField(w, 1, v.lastReq, writeLastReq);
  w.uint32Field(2, v.nonce, "EncKDCRepPart.nonce");
  if (v.keyExpiration !== undefined) w.timeField(3, v.keyExpiration);
  w.flagsField(4, v.flags);
  w.timeField(5, v.authtime);
  if (v.starttime !== undefined) w.timeField(6, v.starttime);
  w.timeField(7, v.endtime);
  if (v.renewTill !== undefined) w.timeField(8, v.renewTill);
  w.kstringField(9, v.srealm);
  writeField(w, 10, v.sname, writePrincipalName);
  if (v.caddr !== undefined) writeField(w, 11, v.caddr, writeHostAddresses);
  if (v.encryptedPadata !== undefined) writeField(w, 12, v.encryptedPadata, writePaDataList);
  w.end();
  w.end();
}

export function writeEncAsRepPart(w: DerWriter, v: EncKdcRepPart): void {
  writeEncKdcRepPartAs(w, v, APP_ENC_AS_REP_PART);
}

export function writeEncTgsRepPart(w: DerWriter, v: EncKdcRepPart): void {
  writeEncKdcRepPartAs(w, v, APP_ENC_TGS_REP_PART);
}

/** EncASRepPart or EncTGSRepPart (either tag accepted; anything else is KRB_AP_ERR_MSG_TYPE). */
export function decodeEncKdcRepPart(b: Uint8Array): EncKdcRepPart {
  return decodeWith(b, "EncKDCRepPart", (r, limit) => {
    const t = r.peek(limit);
    if (t !== -1 && t !== (0x60 | APP_ENC_AS_REP_PART) && t !== (0x60 | APP_ENC_TGS_REP_PART)) {
      r.fail(`outer tag 0x${t.toString(16)} is neither [APPLICATION 25] nor [APPLICATION 26]`, 0, KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
    }
    return readEncKdcRepPart(r, limit);
  });
}
export const decodeEncAsRepPart = decodeEncKdcRepPart;
export const decodeEncTgsRepPart = decodeEncKdcRepPart;
export const encodeEncAsRepPart = (v: EncKdcRepPart): Uint8Array => encodeWith(v, writeEncAsRepPart);
export const encodeEncTgsRepPart = (v: EncKdcRepPart): Uint8Array => encodeWith(v, writeEncTgsRepPart);
