// KRB-ERROR [APPLICATION 30] (RFC 4120 §5.9.1). e-data is carried as octets; padata.ts decodes
// the usual contents (METHOD-DATA with ETYPE-INFO2 for KDC_ERR_PREAUTH_REQUIRED, §5.9.1/§5.2.7.5).

import type { DerReader } from "../der/reader.ts";
import type { DerWriter } from "../der/writer.ts";
import { KrbErrorCode } from "../errors.ts";
import { decodeMessage, encodeWith, PVNO, readField, readMsgType, readPrincipalName, readPvno, writeField, writePrincipalName } from "./common.ts";
import type { KrbErrorMessage } from "./types.ts";

export const APP_KRB_ERROR = 30;

/** KRB-ERROR ::= [APPLICATION 30] SEQUENCE { pvno [0], msg-type [1], ctime [2] OPT, cusec [3] OPT, stime [4], susec [5], error-code [6], crealm [7] OPT, cname [8] OPT, realm [9], sname [10], e-text [11] OPT, e-data [12] OPT } */
export function readKrbError(r: DerReader, limit: number): KrbErrorMessage {
  const app = r.expect(0x60 | APP_KRB_ERROR, limit, KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  const end = r.sequence(app);
  readPvno(r, 0, "pvno", end);
  readMsgType(r, 1, end, APP_KRB_ERROR);
  const ctime = r.has(2, end) ? r.timeField(2, "ctime", end) : undefined;
  const cusec = r.has(3, end) ? r.microsecondsField(3, "cusec", end) : undefined;
  const stime = r.timeField(4, "stime", end);
  const susec = r.microsecondsField(5, "susec", end);
  const errorCode = r.int32Field(6, "error-code", end);
  const crealm = r.has(7, end) ? r.kstringField(7, "crealm", end) : undefined;
  const cname = r.has(8, end) ? readField(r, 8, "cname", end, readPrincipalName) : undefined;
  const realm = r.kstringField(9, "realm", end);
  const sname = readField(r, 10, "sname", end, readPrincipalName);
  const eText = r.has(11, end) ? r.kstringField(11, "e-text", end) : undefined;
  const eData = r.has(12, end) ? r.octetsField(12, "e-data", end) : undefined;
  r.done(end);
  r.done(app);
  const v: KrbErrorMessage = { stime, susec, errorCode, realm, sname };
  if (ctime !== undefined) v.ctime = ctime;
  if (cusec !== undefined) v.cusec = cusec;
  if (crealm !== undefined) v.crealm = crealm;
  if (cname !== undefined) v.cname = cname;
  if (eText !== undefined) v.eText = eText;
  if (eData !== undefined) v.eData = eData;
  return v;
}

export function writeKrbError(w: DerWriter, v: KrbErrorMessage): void {
  w.application(APP_KRB_ERROR);
  w.sequence();
  w.int32Field(0, PVNO, "KRB-ERROR.pvno");
  w.int32Field(1, APP_KRB_ERROR, "KRB-ERROR.msg-type");
  if (v.ctime !== undefined) w.timeField(2, v.ctime);
  if (v.cusec !== undefined) w.microsecondsField(3, v.cusec, "KRB-ERROR.cusec");
  w.timeField(4, v.stime);
  w.microsecondsField(5, v.susec, "KRB-ERROR.susec");
  w.int32Field(6, v.errorCode, "KRB-ERROR.error-code");
  if (v.crealm !== undefined) w.kstringField(7, v.crealm);
  if (v.cname !== undefined) writeField(w, 8, v.cname, writePrincipalName);
  w.kstringField(9, v.realm);
  writeField(w, 10, v.sname, writePrincipalName);
  if (v.eText !== undefined) w.kstringField(11, v.eText);
  if (v.eData !== undefined) w.octetsField(12, v.eData);
  w.end();
  w.end();
}

export const decodeKrbError = (b: Uint8Array): KrbErrorMessage => decodeMessage(b, "KRB-ERROR", APP_KRB_ERROR, readKrbError);
export const encodeKrbError = (v: KrbErrorMessage): Uint8Array => encodeWith(v, writeKrbError);
