// RFC 4120 §5.2 building blocks shared by every message: PrincipalName, EncryptionKey,
// EncryptedData, Checksum, HostAddress(es), AuthorizationData and PA-DATA, plus the glue that
// turns an internal `read*(reader, limit)` / `write*(writer, value)` pair into a public
// decode/encode function. Internal readers never push their own type name: the caller pushes
// the field name ("ticket", "sname"), the public decoder pushes the type name ("Ticket").

import { DerReader } from "../der/reader.ts";
import { DerWriter } from "../der/writer.ts";
import { KrbErrorCode } from "../errors.ts";
import type { AuthorizationDataEntry, Checksum, EncryptedData, EncryptionKey, HostAddress, PaData, PrincipalName } from "./types.ts";

/** Kerberos protocol version (RFC 4120 §5.4.1 pvno, §5.3 tkt-vno / authenticator-vno). */
export const PVNO = 5;

/** One reader and one writer for the whole module family: every call is synchronous and non-reentrant. */
const sharedReader = new DerReader();
const sharedWriter = new DerWriter(2048);

export type Read<T> = (r: DerReader, limit: number) => T;
export type Write<T> = (w: DerWriter, v: T) => void;

/** Decode one complete value named `name`: no trailing octets allowed after it. */
export function decodeWith<T>(bytes: Uint8Array, name: string, read: Read<T>): T {
  const r = sharedReader.reset(bytes);
  r.push(name);
  const v = read(r, bytes.length);
  r.finish();
  return v;
}

/** Encode one value into a fresh Uint8Array. */
export function encodeWith<T>(v: T, write: Write<T>): Uint8Array {
  const w = sharedWriter.reset();
  write(w, v);
  return w.finish();
}

/** Open [APPLICATION n] as a message's outer tag: a mismatch is KRB_AP_ERR_MSG_TYPE (RFC 4120 §7.5.9 code 40). */
export function openApplication(r: DerReader, n: number, limit: number): number {
  return r.expect(0x60 | n, limit, KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
}

/** [n] pvno INTEGER that must be 5, else KRB_AP_ERR_BADVERSION (39). */
export function readPvno(r: DerReader, n: number, name: string, limit: number): void {
  r.constantField(n, name, limit, PVNO, KrbErrorCode.KRB_AP_ERR_BADVERSION);
}

/** [n] msg-type INTEGER that must equal `type`, else KRB_AP_ERR_MSG_TYPE (40). */
export function readMsgType(r: DerReader, n: number, limit: number, type: number): void {
  r.constantField(n, "msg-type", limit, type, KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
}

/**
 * SEQUENCE OF T, each element read by `read` with the path showing its index. Those of a KINK
 * exchange mostly hold one or two elements (name-string, authorization-data), so the array is
 * made from a literal of the first ones, at their size; a first push would reserve 17 slots.
 */
export function readSequenceOf<T>(r: DerReader, limit: number, read: Read<T>): T[] {
  const end = r.sequence(limit);
  if (r.pos >= end) return [];
  r.index(0);
  const first = read(r, end);
  if (r.pos >= end) {
    r.index(-1);
    return [first];
  }
  r.index(1);
  const out = [first, read(r, end)];
  for (let i = 2; r.pos < end; i++) {
    r.index(i);
    out.push(read(r, end));
  }
  r.index(-1);
  return out;
}

export function writeSequenceOf<T>(w: DerWriter, items: readonly T[], write: Write<T>): void {
  w.sequence();
  for (const item of items) write(w, item);
  w.end();
}

/** [n] field holding a structured value. */
export function readField<T>(r: DerReader, n: number, name: string, limit: number, read: Read<T>): T {
  const e = r.open(n, name, limit);
  const v = read(r, e);
  r.close(e);
  return v;
}

export function writeField<T>(w: DerWriter, n: number, v: T, write: Write<T>): void {
  w.context(n);
  write(w, v);
  w.end();
}

// ---- PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString } (§5.2.2)

function readNameComponent(r: DerReader, limit: number): string {
  return r.kstring(limit);
}

export function readPrincipalName(r: DerReader, limit: number): PrincipalName {
  const end = r.sequence(limit);
  const nameType = r.int32Field(0, "name-type", end);
  const e = r.open(1, "name-string", end);
  const nameString = readSequenceOf(r, e, readNameComponent);
  r.close(e);
  r.done(end);
  return { nameType, nameString };
}

export function writePrincipalName(w: DerWriter, v: PrincipalName): void {
  w.sequence();
  w.int32Field(0, v.nameType, "PrincipalName.name-type");
  w.context(1);
  w.sequence();
  for (const s of v.nameString) w.kstring(s);
  w.end();
  w.end();
  w.end();
}

// ---- EncryptionKey ::= SEQUENCE { keytype [0] Int32, keyvalue [1] OCTET STRING } (§5.2.9)

export function readEncryptionKey(r: DerReader, limit: number): EncryptionKey {
  const end = r.sequence(limit);
  const keytype = r.int32Field(0, "keytype", end);
  const keyvalue = r.octetsField(1, "keyvalue", end);
  r.done(end);
  return { keytype, keyvalue };
}

export function writeEncryptionKey(w: DerWriter, v: EncryptionKey): void {
  w.sequence();
  w.int32Field(0, v.keytype, "EncryptionKey.keytype");
  w.octetsField(1, v.keyvalue);
  w.end();
}

// ---- EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2] OCTET STRING } (§5.2.9)

export function readEncryptedData(r: DerReader, limit: number): EncryptedData {
  const end = r.sequence(limit);
  const etype = r.int32Field(0, "etype", end);
  // kvno is UInt32: Active Directory RODCs put their number in the high 16 bits (values >= 2^31).
  const kvno = r.has(1, end) ? r.uint32Field(1, "kvno", end) : undefined;
  const cipher = r.octetsField(2, "cipher", end);
  r.done(end);
  return kvno === undefined ? { etype, cipher } : { etype, kvno, cipher };
}

export function writeEncryptedData(w: DerWriter, v: EncryptedData): void {
  w.sequence();
  w.int32Field(0, v.etype, "EncryptedData.etype");
  if (v.kvno !== undefined) w.uint32Field(1, v.kvno, "EncryptedData.kvno");
  w.octetsField(2, v.cipher);
  w.end();
}

// ---- Checksum ::= SEQUENCE { cksumtype [0] Int32, checksum [1] OCTET STRING } (§5.2.9)

export function readChecksum(r: DerReader, limit: number): Checksum {
  const end = r.sequence(limit);
  const cksumtype = r.int32Field(0, "cksumtype", end);
  const checksum = r.octetsField(1, "checksum", end);
  r.done(end);
  return { cksumtype, checksum };
}

export function writeChecksum(w: DerWriter, v: Checksum): void {
  w.sequence();
  w.int32Field(0, v.cksumtype, "Checksum.cksumtype");
  w.octetsField(1, v.checksum);
  w.end();
}

// ---- HostAddress ::= SEQUENCE { addr-type [0] Int32, address [1] OCTET STRING }; HostAddresses ::= SEQUENCE OF HostAddress (§5.2.5)

export function readHostAddress(r: DerReader, limit: number): HostAddress {
  const end = r.sequence(limit);
  const addrType = r.int32Field(0, "addr-type", end);
  const address = r.octetsField(1, "address", end);
  r.done(end);
  return { addrType, address };
}

export function writeHostAddress(w: DerWriter, v: HostAddress): void {
  w.sequence();
  w.int32Field(0, v.addrType, "HostAddress.addr-type");
  w.octetsField(1, v.address);
  w.end();
}

export function readHostAddresses(r: DerReader, limit: number): HostAddress[] {
  return readSequenceOf(r, limit, readHostAddress);
}

export function writeHostAddresses(w: DerWriter, v: readonly HostAddress[]): void {
  writeSequenceOf(w, v, writeHostAddress);
}

// ---- AuthorizationData ::= SEQUENCE OF SEQUENCE { ad-type [0] Int32, ad-data [1] OCTET STRING } (§5.2.6)
// Carried, not interpreted: AD-IF-RELEVANT (1) holding a Windows PAC (128), AD-KDC-ISSUED and
// the rest are opaque ad-data octets here.

function readAuthorizationDataEntry(r: DerReader, limit: number): AuthorizationDataEntry {
  const end = r.sequence(limit);
  const adType = r.int32Field(0, "ad-type", end);
  const adData = r.octetsField(1, "ad-data", end);
  r.done(end);
  return { adType, adData };
}

function writeAuthorizationDataEntry(w: DerWriter, v: AuthorizationDataEntry): void {
  w.sequence();
  w.int32Field(0, v.adType, "AuthorizationData.ad-type");
  w.octetsField(1, v.adData);
  w.end();
}

export function readAuthorizationData(r: DerReader, limit: number): AuthorizationDataEntry[] {
  return readSequenceOf(r, limit, readAuthorizationDataEntry);
}

export function writeAuthorizationData(w: DerWriter, v: readonly AuthorizationDataEntry[]): void {
  writeSequenceOf(w, v, writeAuthorizationDataEntry);
}

// ---- PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING } (§5.2.7; tags start at 1)

export function readPaData(r: DerReader, limit: number): PaData {
  const end = r.sequence(limit);
  const padataType = r.int32Field(1, "padata-type", end);
  const padataValue = r.octetsField(2, "padata-value", end);
  r.done(end);
  return { padataType, padataValue };
}

export function writePaData(w: DerWriter, v: PaData): void {
  w.sequence();
  w.int32Field(1, v.padataType, "PA-DATA.padata-type");
  w.octetsField(2, v.padataValue);
  w.end();
}

/** SEQUENCE OF PA-DATA (KDC-REQ padata, KDC-REP padata, METHOD-DATA). */
export function readPaDataList(r: DerReader, limit: number): PaData[] {
  return readSequenceOf(r, limit, readPaData);
}

export function writePaDataList(w: DerWriter, v: readonly PaData[]): void {
  writeSequenceOf(w, v, writePaData);
}

// ---- public standalone codecs

export const decodePrincipalName = (b: Uint8Array): PrincipalName => decodeWith(b, "PrincipalName", readPrincipalName);
export const encodePrincipalName = (v: PrincipalName): Uint8Array => encodeWith(v, writePrincipalName);
export const decodeEncryptionKey = (b: Uint8Array): EncryptionKey => decodeWith(b, "EncryptionKey", readEncryptionKey);
export const encodeEncryptionKey = (v: EncryptionKey): Uint8Array => encodeWith(v, writeEncryptionKey);
export const decodeEncryptedData = (b: Uint8Array): EncryptedData => decodeWith(b, "EncryptedData", readEncryptedData);
export const encodeEncryptedData = (v: EncryptedData): Uint8Array => encodeWith(v, writeEncryptedData);
export const decodeChecksum = (b: Uint8Array): Checksum => decodeWith(b, "Checksum", readChecksum);
export const encodeChecksum = (v: Checksum): Uint8Array => encodeWith(v, writeChecksum);
export const decodeHostAddress = (b: Uint8Array): HostAddress => decodeWith(b, "HostAddress", readHostAddress);
export const encodeHostAddress = (v: HostAddress): Uint8Array => encodeWith(v, writeHostAddress);
export const decodeHostAddresses = (b: Uint8Array): HostAddress[] => decodeWith(b, "HostAddresses", readHostAddresses);
export const encodeHostAddresses = (v: readonly HostAddress[]): Uint8Array => encodeWith(v, writeHostAddresses);
export const decodeAuthorizationData = (b: Uint8Array): AuthorizationDataEntry[] => decodeWith(b, "AuthorizationData", readAuthorizationData);
export const encodeAuthorizationData = (v: readonly AuthorizationDataEntry[]): Uint8Array => encodeWith(v, writeAuthorizationData);
export const decodePaData = (b: Uint8Array): PaData => decodeWith(b, "PA-DATA", readPaData);
export const encodePaData = (v: PaData): Uint8Array => encodeWith(v, writePaData);

/**
 * Decode a whole message whose outer tag is [APPLICATION app]: a different first octet is
 * KRB_AP_ERR_MSG_TYPE (the caller was handed some other message), checked before anything else.
 */
export function decodeMessage<T>(bytes: Uint8Array, name: string, app: number, read: Read<T>): T {
  const r = sharedReader.reset(bytes);
  r.push(name);
  if (bytes.length > 0 && bytes[0] !== (0x60 | app)) {
    r.fail(`outer tag 0x${bytes[0]!.toString(16).padStart(2, "0")} is not [APPLICATION ${app}]`, 0, KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  }
  const v = read(r, bytes.length);
  r.finish();
  return v;
}
