// Shared test material for the RFC 4120 codecs: fast-check arbitraries for every message, the
// codec table the property/differential tests iterate over, a plain TLV tree walk (for
// comparing with asn1js and locating length octets), a normaliser for deep-equality after a
// round trip, and the racoon2 capture's Kerberos messages.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { MAX_KERBEROS_TIME, MIN_KERBEROS_TIME } from "../../src/krb/der/time.ts";
import * as M from "../../src/krb/messages/index.ts";

// ---- arbitraries ---------------------------------------------------------------------------

export const int32 = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.constantFrom(0, -1, 127, 128, -128, -129, -138, 255, 256, 2 ** 31 - 1, -(2 ** 31)),
);
export const uint32 = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(0, 127, 128, 255, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1));
export const usec = fc.integer({ min: 0, max: 999999 });
export const flags = uint32;
/** Any KerberosTime in years 0000..9999, with a sub-second part the encoder must drop. */
export const ktime = fc.integer({ min: MIN_KERBEROS_TIME, max: MAX_KERBEROS_TIME + 999 });
/** Names and realms: ASCII, and arbitrary Unicode scalar values (UTF-8 on the wire). */
export const kstr = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 12 }));
/** Octet strings, sometimes long enough for two-octet DER lengths. */
export const octets = fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.uint8Array({ minLength: 120, maxLength: 300 }));

export const principal: fc.Arbitrary<M.PrincipalName> = fc.record({ nameType: int32, nameString: fc.array(kstr, { maxLength: 4 }) });
export const encryptionKey: fc.Arbitrary<M.EncryptionKey> = fc.record({ keytype: int32, keyvalue: octets });
export const encryptedData: fc.Arbitrary<M.EncryptedData> = fc.record({ etype: int32, kvno: uint32, cipher: octets }, { requiredKeys: ["etype", "cipher"] });
export const checksum: fc.Arbitrary<M.Checksum> = fc.record({ cksumtype: int32, checksum: octets });
export const hostAddress: fc.Arbitrary<M.HostAddress> = fc.record({ addrType: int32, address: octets });
export const hostAddresses = fc.array(hostAddress, { maxLength: 3 });
export const authorizationData = fc.array(fc.record({ adType: int32, adData: octets }), { maxLength: 3 });
export const paData: fc.Arbitrary<M.PaData> = fc.record({ padataType: int32, padataValue: octets });
export const paDataList = fc.array(paData, { maxLength: 3 });
export const ticket: fc.Arbitrary<M.Ticket> = fc.record({ realm: kstr, sname: principal, encPart: encryptedData });

export const encTicketPart: fc.Arbitrary<M.EncTicketPart> = fc.record(
  {
    flags,
    key: encryptionKey,
    crealm: kstr,
    cname: principal,
    transited: fc.record({ trType: int32, contents: octets }),
    authtime: ktime,
    starttime: ktime,
    endtime: ktime,
    renewTill: ktime,
    caddr: hostAddresses,
    authorizationData,
  },
  { requiredKeys: ["flags", "key", "crealm", "cname", "transited", "authtime", "endtime"] },
);

export const authenticator: fc.Arbitrary<M.Authenticator> = fc.record(
  { crealm: kstr, cname: principal, cksum: checksum, cusec: usec, ctime: ktime, subkey: encryptionKey, seqNumber: uint32, authorizationData },
  { requiredKeys: ["crealm", "cname", "cusec", "ctime"] },
);

export const apReq: fc.Arbitrary<M.ApReq> = fc.record({ apOptions: flags, ticket, authenticator: encryptedData });
export const apRep: fc.Arbitrary<M.ApRep> = fc.record({ encPart: encryptedData });
export const encApRepPart: fc.Arbitrary<M.EncApRepPart> = fc.record(
  { ctime: ktime, cusec: usec, subkey: encryptionKey, seqNumber: uint32 },
  { requiredKeys: ["ctime", "cusec"] },
);

export const krbError: fc.Arbitrary<M.KrbErrorMessage> = fc.record(
  {
    ctime: ktime,
    cusec: usec,
    stime: ktime,
    susec: usec,
    errorCode: int32,
    crealm: kstr,
    cname: principal,
    realm: kstr,
    sname: principal,
    eText: kstr,
    eData: octets,
  },
  { requiredKeys: ["stime", "susec", "errorCode", "realm", "sname"] },
);

export const etypeInfo2: fc.Arbitrary<M.EtypeInfo2Entry[]> = fc.array(fc.record({ etype: int32, salt: kstr, s2kparams: octets }, { requiredKeys: ["etype"] }), {
  minLength: 1,
  maxLength: 3,
});
export const paEncTsEnc: fc.Arbitrary<M.PaEncTsEnc> = fc.record({ patimestamp: ktime, pausec: usec }, { requiredKeys: ["patimestamp"] });

export const kdcReqBody: fc.Arbitrary<M.KdcReqBody> = fc.record(
  {
    kdcOptions: flags,
    cname: principal,
    realm: kstr,
    sname: principal,
    from: ktime,
    till: ktime,
    rtime: ktime,
    nonce: uint32,
    etype: fc.array(int32, { maxLength: 5 }),
    addresses: hostAddresses,
    encAuthorizationData: encryptedData,
    additionalTickets: fc.array(ticket, { maxLength: 2 }),
  },
  { requiredKeys: ["kdcOptions", "realm", "till", "nonce", "etype"] },
);
export const kdcReq: fc.Arbitrary<M.KdcReq> = fc.record(
  { msgType: fc.constantFrom(10 as const, 12 as const), padata: paDataList, reqBody: kdcReqBody },
  { requiredKeys: ["msgType", "reqBody"] },
);
export const kdcRep: fc.Arbitrary<M.KdcRep> = fc.record(
  { msgType: fc.constantFrom(11 as const, 13 as const), padata: paDataList, crealm: kstr, cname: principal, ticket, encPart: encryptedData },
  { requiredKeys: ["msgType", "crealm", "cname", "ticket", "encPart"] },
);
export const encKdcRepPart: fc.Arbitrary<M.EncKdcRepPart> = fc.record(
  {
    key: encryptionKey,
    lastReq: fc.array(fc.record({ lrType: int32, lrValue: ktime }), { maxLength: 3 }),
    nonce: uint32,
    keyExpiration: ktime,
    flags,
    authtime: ktime,
    starttime: ktime,
    endtime: ktime,
    renewTill: ktime,
    srealm: kstr,
    sname: principal,
    caddr: hostAddresses,
    encryptedPadata: paDataList,
  },
  { requiredKeys: ["key", "lastReq", "nonce", "flags", "authtime", "endtime", "srealm", "sname"] },
);

// ---- codec table ---------------------------------------------------------------------------

export interface Codec {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: the table mixes every message type
  arb: fc.Arbitrary<any>;
  // biome-ignore lint/suspicious/noExplicitAny: see above
  encode: (v: any) => Uint8Array;
  decode: (b: Uint8Array) => unknown;
}

export const codecs: Codec[] = [
  { name: "PrincipalName", arb: principal, encode: M.encodePrincipalName, decode: M.decodePrincipalName },
  { name: "EncryptionKey", arb: encryptionKey, encode: M.encodeEncryptionKey, decode: M.decodeEncryptionKey },
  { name: "EncryptedData", arb: encryptedData, encode: M.encodeEncryptedData, decode: M.decodeEncryptedData },
  { name: "Checksum", arb: checksum, encode: M.encodeChecksum, decode: M.decodeChecksum },
  { name: "HostAddress", arb: hostAddress, encode: M.encodeHostAddress, decode: M.decodeHostAddress },
  { name: "HostAddresses", arb: hostAddresses, encode: M.encodeHostAddresses, decode: M.decodeHostAddresses },
  { name: "AuthorizationData", arb: authorizationData, encode: M.encodeAuthorizationData, decode: M.decodeAuthorizationData },
  { name: "PA-DATA", arb: paData, encode: M.encodePaData, decode: M.decodePaData },
  { name: "METHOD-DATA", arb: paDataList, encode: M.encodeMethodData, decode: M.decodeMethodData },
  { name: "ETYPE-INFO2", arb: etypeInfo2, encode: M.encodeEtypeInfo2, decode: M.decodeEtypeInfo2 },
  { name: "PA-ENC-TS-ENC", arb: paEncTsEnc, encode: M.encodePaEncTsEnc, decode: M.decodePaEncTsEnc },
  { name: "Ticket", arb: ticket, encode: M.encodeTicket, decode: M.decodeTicket },
  { name: "EncTicketPart", arb: encTicketPart, encode: M.encodeEncTicketPart, decode: M.decodeEncTicketPart },
  { name: "Authenticator", arb: authenticator, encode: M.encodeAuthenticator, decode: M.decodeAuthenticator },
  { name: "AP-REQ", arb: apReq, encode: M.encodeApReq, decode: M.decodeApReq },
  { name: "AP-REP", arb: apRep, encode: M.encodeApRep, decode: M.decodeApRep },
  { name: "EncAPRepPart", arb: encApRepPart, encode: M.encodeEncApRepPart, decode: M.decodeEncApRepPart },
  { name: "KRB-ERROR", arb: krbError, encode: M.encodeKrbError, decode: M.decodeKrbError },
  { name: "KDC-REQ-BODY", arb: kdcReqBody, encode: M.encodeKdcReqBody, decode: M.decodeKdcReqBody },
  { name: "KDC-REQ", arb: kdcReq, encode: M.encodeKdcReq, decode: M.decodeKdcReq },
  { name: "KDC-REP", arb: kdcRep, encode: M.encodeKdcRep, decode: M.decodeKdcRep },
  { name: "EncASRepPart", arb: encKdcRepPart, encode: M.encodeEncAsRepPart, decode: M.decodeEncKdcRepPart },
  { name: "EncTGSRepPart", arb: encKdcRepPart, encode: M.encodeEncTgsRepPart, decode: M.decodeEncKdcRepPart },
];

// ---- normalisation -------------------------------------------------------------------------

const TIME_KEYS = new Set([
  "authtime",
  "starttime",
  "endtime",
  "renewTill",
  "ctime",
  "stime",
  "till",
  "from",
  "rtime",
  "patimestamp",
  "keyExpiration",
  "lrValue",
]);

/** Drop `raw` / `reqBodyRaw`, floor KerberosTimes to whole seconds, copy byte views into plain Uint8Arrays. */
export function normalise(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "raw" || k === "reqBodyRaw" || x === undefined) continue;
      out[k] = TIME_KEYS.has(k) && typeof x === "number" ? Math.floor(x / 1000) * 1000 : normalise(x);
    }
    return out;
  }
  return v;
}

// ---- TLV tree ------------------------------------------------------------------------------

export interface Tlv {
  tag: number;
  /** Offset of the identifier octet, of the first length octet, and of the contents. */
  offset: number;
  lengthOffset: number;
  contentOffset: number;
  length: number;
  children?: Tlv[];
}

/**
 * Independent, lenient TLV walk (single-octet tags, definite lengths) used to describe the
 * structure of our own encoder output; constructed elements are walked recursively.
 */
export function tlvTree(b: Uint8Array, start = 0, end = b.length): Tlv[] {
  const out: Tlv[] = [];
  let p = start;
  while (p < end) {
    const tag = b[p]!;
    const lengthOffset = p + 1;
    let len = b[lengthOffset]!;
    let q = lengthOffset + 1;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[q++]!;
    }
    const node: Tlv = { tag, offset: p, lengthOffset, contentOffset: q, length: len };
    if (tag & 0x20) node.children = tlvTree(b, q, q + len);
    out.push(node);
    p = q + len;
  }
  return out;
}

export function* walk(nodes: Tlv[]): Generator<Tlv> {
  for (const n of nodes) {
    yield n;
    if (n.children) yield* walk(n.children);
  }
}

// ---- the racoon2 capture -------------------------------------------------------------------

interface KaMessage {
  type_name: string;
  message: string;
  payloads: { name: string; offset: number; length: number }[];
  ap_req?: { ap_options: number; authenticator: { ctime: string; cusec: number } };
  ap_rep?: { ctime: string; cusec: number };
}
export const knownAnswers = JSON.parse(readFileSync(new URL("../interop/racoon2-optimistic/known-answers.json", import.meta.url), "utf8")) as {
  ticket: { server: string; client: string; ticket_etype: number; kvno: number; authtime: string; endtime: string };
  session_key: { enctype: number; hex: string };
  messages: KaMessage[];
};

/** The DER inside each KINK_AP_REQ / KINK_AP_REP payload (after the 4-octet payload header and the 4-octet EPOCH). */
export function racoonApMessages(kind: "KINK_AP_REQ" | "KINK_AP_REP"): { der: Uint8Array; msg: KaMessage }[] {
  const out: { der: Uint8Array; msg: KaMessage }[] = [];
  for (const msg of knownAnswers.messages) {
    const bytes = Buffer.from(msg.message, "hex");
    for (const p of msg.payloads) {
      if (p.name === kind) out.push({ der: new Uint8Array(bytes.subarray(p.offset + 8, p.offset + p.length)), msg });
    }
  }
  return out;
}

/** UDP payloads to or from the KDC port (18890) in kink.pcap: AS-REQ, AS-REP (twice), TGS-REQ, TGS-REP. */
export function racoonKdcMessages(): Uint8Array[] {
  const d = readFileSync(new URL("../interop/racoon2-optimistic/kink.pcap", import.meta.url));
  const out: Uint8Array[] = [];
  let off = 24; // pcap global header
  while (off + 16 <= d.length) {
    const incl = d.readUInt32LE(off + 8);
    const pkt = d.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    if (pkt.readUInt16BE(12) !== 0x0800) continue;
    const ip = pkt.subarray(14);
    if (ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0]! & 15) * 4);
    const sport = udp.readUInt16BE(0);
    const dport = udp.readUInt16BE(2);
    if (sport !== 18890 && dport !== 18890) continue;
    out.push(new Uint8Array(udp.subarray(8, udp.readUInt16BE(4))));
  }
  return out;
}

/** "YYYYMMDDHHMMSSZ" to milliseconds (test-side, independent of the codec). */
export function gt(s: string): number {
  const n = (a: number, b: number) => Number(s.slice(a, b));
  return Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14));
}
