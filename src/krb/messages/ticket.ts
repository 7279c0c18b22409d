// Ticket [APPLICATION 1] and EncTicketPart [APPLICATION 3] (RFC 4120 §5.3).
//
// A received Ticket keeps `raw`, a zero-copy view of its exact DER inside the input: a service
// ticket is forwarded verbatim in AP-REQs (RFC 4120 §5.5.1) and TGS-REQs, never re-encoded,
// since a re-encoding could differ from what the KDC encrypted and sent (the views share the
// input buffer, so the caller must not overwrite that buffer while the ticket is in use).

import type { DerReader } from "../der/reader.ts";
import type { DerWriter } from "../der/writer.ts";
import { KrbErrorCode } from "../errors.ts";
import {
  decodeMessage,
  encodeWith,
  PVNO,
  readAuthorizationData,
  readEncryptedData,
  readEncryptionKey,
  readField,
  readHostAddresses,
  readPrincipalName,
  writeAuthorizationData,
  writeEncryptedData,
  writeEncryptionKey,
  writeField,
  writeHostAddresses,
  writePrincipalName,
} from "./common.ts";
import type { EncTicketPart, Ticket } from "./types.ts";

export const APP_TICKET = 1;
export const APP_ENC_TICKET_PART = 3;

/** Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0] INTEGER (5), realm [1] Realm, sname [2] PrincipalName, enc-part [3] EncryptedData } */
export function readTicket(r: DerReader, limit: number): Ticket {
  const start = r.pos;
  const app = r.expect(0x60 | APP_TICKET, limit);
  const end = r.sequence(app);
  r.constantField(0, "tkt-vno", end, PVNO, KrbErrorCode.KRB_AP_ERR_BADVERSION);
  const realm = r.kstringField(1, "realm", end);
  const sname = readField(r, 2, "sname", end, readPrincipalName);
  const encPart = readField(r, 3, "enc-part", end, readEncryptedData);
  r.done(end);
  r.done(app);
  return { realm, sname, encPart, raw: r.view(start, r.pos) };
}

/** Re-emits `raw` when present (the ticket as received); encodes the fields otherwise. */
export function writeTicket(w: DerWriter, v: Ticket): void {
  if (v.raw !== undefined) {
    w.raw(v.raw);
    return;
  }
  w.application(APP_TICKET);
  w.sequence();
  w.int32Field(0, PVNO, "Ticket.tkt-vno");
  w.kstringField(1, v.realm);
  writeField(w, 2, v.sname, writePrincipalName);
  writeField(w, 3, v.encPart, writeEncryptedData);
  w.end();
  w.end();
}

export function readTickets(r: DerReader, limit: number): Ticket[] {
  const end = r.sequence(limit);
  const out: Ticket[] = [];
  for (let i = 0; r.pos < end; i++) {
    r.index(i);
    out.push(readTicket(r, end));
  }
  r.index(-1);
  return out;
}

export function writeTickets(w: DerWriter, v: readonly Ticket[]): void {
  w.sequence();
  for (const t of v) writeTicket(w, t);
  w.end();
}

/** TransitedEncoding ::= SEQUENCE { tr-type [0] Int32, contents [1] OCTET STRING } */
function readTransited(r: DerReader, limit: number): { trType: number; contents: Uint8Array } {
  const end = r.sequence(limit);
  const trType = r.int32Field(0, "tr-type", end);
  const contents = r.octetsField(1, "contents", end);
  r.done(end);
  return { trType, contents };
}

function writeTransited(w: DerWriter, v: { trType: number; contents: Uint8Array }): void {
  w.sequence();
  w.int32Field(0, v.trType, "TransitedEncoding.tr-type");
  w.octetsField(1, v.contents);
  w.end();
}

/** EncTicketPart ::= [APPLICATION 3] SEQUENCE { flags [0] ... authorization-data [10] OPTIONAL } */
export function readEncTicketPart(r: DerReader, limit: number): EncTicketPart {
  const app = r.expect(0x60 | APP_ENC_TICKET_PART, limit);
  const end = r.sequence(app);
  const flags = r.flagsField(0, "flags", end);
  const key = readField(r, 1, "key", end, readEncryptionKey);
  const crealm = r.kstringField(2, "crealm", end);
  const cname = readField(r, 3, "cname", end, readPrincipalName);
  const transited = readField(r, 4, "transited", end, readTransited);
  const authtime = r.timeField(5, "authtime", end);
  const starttime = r.has(6, end) ? r.timeField(6, "starttime", end) : undefined;
  const endtime = r.timeField(7, "endtime", end);
  const renewTill = r.has(8, end) ? r.timeField(8, "renew-till", end) : undefined;
  const caddr = r.has(9, end) ? readField(r, 9, "caddr", end, readHostAddresses) : undefined;
  const authorizationData = r.has(10, end) ? readField(r, 10, "authorization-data", end, readAuthorizationData) : undefined;
  r.done(end);
  r.done(app);
  const v: EncTicketPart = { flags, key, crealm, cname, transited, authtime, endtime };
  if (starttime !== undefined) v.starttime = starttime;
  if (renewTill !== undefined) v.renewTill = renewTill;
  if (caddr !== undefined) v.caddr = caddr;
  if (authorizationData !== undefined) v.authorizationData = authorizationData;
  return v;
}

export function writeEncTicketPart(w: DerWriter, v: EncTicketPart): void {
  w.application(APP_ENC_TICKET_PART);
  w.sequence();
  w.flagsField(0, v.flags);
  writeField(w, 1, v.key, writeEncryptionKey);
  w.kstringField(2, v.crealm);
  writeField(w, 3, v.cname, writePrincipalName);
  writeField(w, 4, v.transited, writeTransited);
  w.timeField(5, v.authtime);
  if (v.starttime !== undefined) w.timeField(6, v.starttime);
  w.timeField(7, v.endtime);
  if (v.renewTill !== undefined) w.timeField(8, v.renewTill);
  if (v.caddr !== undefined) writeField(w, 9, v.caddr, writeHostAddresses);
  if (v.authorizationData !== undefined) writeField(w, 10, v.authorizationData, writeAuthorizationData);
  w.end();
  w.end();
}

export const decodeTicket = (b: Uint8Array): Ticket => decodeMessage(b, "Ticket", APP_TICKET, readTicket);
export const encodeTicket = (v: Ticket): Uint8Array => encodeWith(v, writeTicket);
export const decodeEncTicketPart = (b: Uint8Array): EncTicketPart => decodeMessage(b, "EncTicketPart", APP_ENC_TICKET_PART, readEncTicketPart);
export const encodeEncTicketPart = (v: EncTicketPart): Uint8Array => encodeWith(v, writeEncTicketPart);
