// Pre-authentication data (RFC 4120 §5.2.7): METHOD-DATA (the e-data of
// KDC_ERR_PREAUTH_REQUIRED, §5.9.1), ETYPE-INFO2 (§5.2.7.5: which enctype and salt the client's
// long-term key uses) and PA-ENC-TS-ENC (§5.2.7.2: the encrypted-timestamp pre-authentication).

import type { DerReader } from "../der/reader.ts";
import { type DerWriter, encodeError } from "../der/writer.ts";
import { decodeWith, encodeWith, readPaDataList, readSequenceOf, writePaDataList } from "./common.ts";
import { type EtypeInfo2Entry, type PaData, PaDataType, type PaEncTsEnc } from "./types.ts";

/** METHOD-DATA ::= SEQUENCE OF PA-DATA */
export const decodeMethodData = (b: Uint8Array): PaData[] => decodeWith(b, "METHOD-DATA", readPaDataList);
export const encodeMethodData = (v: readonly PaData[]): Uint8Array => encodeWith(v, writePaDataList);

/** ETYPE-INFO2-ENTRY ::= SEQUENCE { etype [0] Int32, salt [1] KerberosString OPTIONAL, s2kparams [2] OCTET STRING OPTIONAL } */
function readEtypeInfo2Entry(r: DerReader, limit: number): EtypeInfo2Entry {
  const end = r.sequence(limit);
  const etype = r.int32Field(0, "etype", end);
  const salt = r.has(1, end) ? r.kstringField(1, "salt", end) : undefined;
  const s2kparams = r.has(2, end) ? r.octetsField(2, "s2kparams", end) : undefined;
  r.done(end);
  const v: EtypeInfo2Entry = { etype };
  if (salt !== undefined) v.salt = salt;
  if (s2kparams !== undefined) v.s2kparams = s2kparams;
  return v;
}

function writeEtypeInfo2Entry(w: DerWriter, v: EtypeInfo2Entry): void {
  w.sequence();
  w.int32Field(0, v.etype, "ETYPE-INFO2-ENTRY.etype");
  if (v.salt !== undefined) w.kstringField(1, v.salt);
  if (v.s2kparams !== undefined) w.octetsField(2, v.s2kparams);
  w.end();
}

/** ETYPE-INFO2 ::= SEQUENCE SIZE (1..MAX) OF ETYPE-INFO2-ENTRY: an empty list is malformed. */
function readEtypeInfo2(r: DerReader, limit: number): EtypeInfo2Entry[] {
  const start = r.pos;
  const v = readSequenceOf(r, limit, readEtypeInfo2Entry);
  if (v.length === 0) r.fail("ETYPE-INFO2 is empty (SIZE (1..MAX))", start);
  return v;
}

function writeEtypeInfo2(w: DerWriter, v: readonly EtypeInfo2Entry[]): void {
  if (v.length === 0) throw encodeError("ETYPE-INFO2", "empty (SIZE (1..MAX))");
  w.sequence();
  for (const e of v) writeEtypeInfo2Entry(w, e);
  w.end();
}

export const decodeEtypeInfo2 = (b: Uint8Array): EtypeInfo2Entry[] => decodeWith(b, "ETYPE-INFO2", readEtypeInfo2);
export const encodeEtypeInfo2 = (v: readonly EtypeInfo2Entry[]): Uint8Array => encodeWith(v, writeEtypeInfo2);

/** The first PA-DATA of `type` in a list, or undefined. */
export function findPaData(list: readonly PaData[] | undefined, type: number): PaData | undefined {
  if (list === undefined) return undefined;
  for (const p of list) if (p.padataType === type) return p;
  return undefined;
}

/**
 * ETYPE-INFO2 from a KRB-ERROR's e-data (METHOD-DATA) or a KDC-REP's padata: the
 * PA-ETYPE-INFO2 (19) entry decoded, or undefined if there is none. Malformed data throws
 * KrbDecodeError.
 */
export function etypeInfo2FromPaData(list: readonly PaData[] | undefined): EtypeInfo2Entry[] | undefined {
  const pa = findPaData(list, PaDataType.PA_ETYPE_INFO2);
  return pa === undefined ? undefined : decodeEtypeInfo2(pa.padataValue);
}

/** PA-ENC-TS-ENC ::= SEQUENCE { patimestamp [0] KerberosTime, pausec [1] Microseconds OPTIONAL } */
function readPaEncTsEnc(r: DerReader, limit: number): PaEncTsEnc {
  const end = r.sequence(limit);
  const patimestamp = r.timeField(0, "patimestamp", end);
  const pausec = r.has(1, end) ? r.microsecondsField(1, "pausec", end) : undefined;
  r.done(end);
  return pausec === undefined ? { patimestamp } : { patimestamp, pausec };
}

function writePaEncTsEnc(w: DerWriter, v: PaEncTsEnc): void {
  w.sequence();
  w.timeField(0, v.patimestamp);
  if (v.pausec !== undefined) w.microsecondsField(1, v.pausec, "PA-ENC-TS-ENC.pausec");
  w.end();
}

export const decodePaEncTsEnc = (b: Uint8Array): PaEncTsEnc => decodeWith(b, "PA-ENC-TS-ENC", readPaEncTsEnc);
export const encodePaEncTsEnc = (v: PaEncTsEnc): Uint8Array => encodeWith(v, writePaEncTsEnc);
