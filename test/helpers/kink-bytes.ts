// A byte-by-byte KINK / ISAKMP builder: an oracle for tests, independent of src/wire. Each
// function lays out one structure exactly as the RFC pictures it and computes nothing but
// lengths, next-payload links and 4-octet padding; anything a test wants wrong it can build
// from the smaller pieces (header, genericPayload) with its own numbers.
//
// Layouts: KINK header and payloads [RFC 4430 §4, §4.1, §4.2]; ISAKMP generic header, SA
// attributes, Proposal, Transform, KE, Nonce, Notify, Delete [RFC 2408 §3.2-§3.15]; SA and ID in
// the IPsec DOI [RFC 2407 §4.6.1, §4.6.2].

/** Message types [RFC 4430 §4]. */
export const MSG = { CREATE: 1, DELETE: 2, REPLY: 3, GETTGT: 4, ACK: 5, STATUS: 6 } as const;
/** KINK payload types [RFC 4430 §4.2]. */
export const KINK = { AP_REQ: 1, AP_REP: 2, KRB_ERROR: 3, TGT_REQ: 4, TGT_REP: 5, ISAKMP: 6, ENCRYPT: 7, ERROR: 8 } as const;
/** ISAKMP payload types [RFC 2408 §3.1]. */
export const ISAKMP = { SA: 1, PROPOSAL: 2, TRANSFORM: 3, KE: 4, ID: 5, NONCE: 10, NOTIFY: 11, DELETE: 12 } as const;

export const u8 = (n: number): Uint8Array => Uint8Array.of(n);
export const u16 = (n: number): Uint8Array => Uint8Array.of(n >>> 8, n & 0xff);
export const u32 = (n: number): Uint8Array => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** Zero octets up to the next multiple of 4 [RFC 4430 §4.1]. */
export function pad(bytes: Uint8Array): Uint8Array {
  return concat(bytes, new Uint8Array((4 - (bytes.length % 4)) % 4));
}

export interface HeaderFields {
  type: number;
  length: number;
  xid: number;
  nextPayload: number;
  cksumLen?: number;
  ackreq?: boolean;
  /** Octet 1: MjVer (high nibble) and RESRVED; RFC 4430 senders use 0x10. */
  versionByte?: number;
  doi?: number;
  /** Octet 13's low 7 bits. */
  reserved2?: number;
}

/** The 16-octet KINK header [RFC 4430 §4]. */
export function header(h: HeaderFields): Uint8Array {
  return concat(
    u8(h.type),
    u8(h.versionByte ?? 0x10),
    u16(h.length),
    u32(h.doi ?? 1),
    u32(h.xid),
    u8(h.nextPayload),
    u8((h.ackreq ? 0x80 : 0) | (h.reserved2 ?? 0)),
    u16(h.cksumLen ?? 0),
  );
}

/** Next Payload, RESERVED, Payload Length (header included, padding not), body: the generic header of KINK and ISAKMP payloads alike. */
export function genericPayload(next: number, body: Uint8Array, length = 4 + body.length): Uint8Array {
  return concat(u8(next), u8(0), u16(length), body);
}

/** A (type, body) list as a linked chain, each payload padded to 4 octets when `align` (KINK) or packed (ISAKMP). */
export function chain(payloads: [type: number, body: Uint8Array][], align: boolean): Uint8Array {
  return concat(
    ...payloads.map(([, body], i) => {
      const encoded = genericPayload(payloads[i + 1]?.[0] ?? 0, body);
      return align ? pad(encoded) : encoded;
    }),
  );
}

export interface MessageFields extends Omit<HeaderFields, "length" | "nextPayload" | "cksumLen"> {
  /** Appended after the padded payloads; CksumLen is its length [RFC 4430 §4]. */
  cksum?: Uint8Array;
}

/** Header, KINK payload chain (every payload padded), Cksum; Length and the links filled in. */
export function kinkMessage(fields: MessageFields, payloads: [type: number, body: Uint8Array][]): Uint8Array {
  const body = chain(payloads, true);
  const cksum = fields.cksum ?? new Uint8Array(0);
  const length = 16 + body.length + cksum.length;
  return concat(header({ ...fields, length, nextPayload: payloads[0]?.[0] ?? 0, cksumLen: cksum.length }), body, cksum);
}

// KINK payload bodies [RFC 4430 §4.2]

/** KINK_AP_REQ / KINK_AP_REP: EPOCH then the DER message. */
export const epochBody = (epoch: number, der: Uint8Array): Uint8Array => concat(u32(epoch), der);
/** KINK_ISAKMP: InnerNextPload, QMMaj/QMMin, RESERVED, the ISAKMP chain. */
export function isakmpBody(payloads: [type: number, body: Uint8Array][], qmVersion = 0x10): Uint8Array {
  return concat(u8(payloads[0]?.[0] ?? 0), u8(qmVersion), u16(0), chain(payloads, false));
}
export const errorBody = (code: number): Uint8Array => u32(code);

// ISAKMP Quick Mode payload bodies

export const basicAttribute = (attrClass: number, value: number): Uint8Array => concat(u16(0x8000 | attrClass), u16(value));
export const variableAttribute = (attrClass: number, value: Uint8Array): Uint8Array => concat(u16(attrClass), u16(value.length), value);

export function saBody(proposals: Uint8Array[], doi = 1, situation = 1): Uint8Array {
  return concat(
    u32(doi),
    u32(situation),
    chain(
      proposals.map((p) => [ISAKMP.PROPOSAL, p]),
      false,
    ),
  );
}

export function proposalBody(p: { number: number; protocol: number; spi: Uint8Array; transforms: Uint8Array[] }): Uint8Array {
  return concat(
    u8(p.number),
    u8(p.protocol),
    u8(p.spi.length),
    u8(p.transforms.length),
    p.spi,
    chain(
      p.transforms.map((t) => [ISAKMP.TRANSFORM, t]),
      false,
    ),
  );
}

export function transformBody(t: { number: number; id: number; attributes: Uint8Array[] }): Uint8Array {
  return concat(u8(t.number), u8(t.id), u16(0), ...t.attributes);
}

export function idBody(id: { type: number; protocol: number; port: number; data: Uint8Array }): Uint8Array {
  return concat(u8(id.type), u8(id.protocol), u16(id.port), id.data);
}

export function notifyBody(n: { protocol: number; type: number; spi: Uint8Array; data: Uint8Array; doi?: number }): Uint8Array {
  return concat(u32(n.doi ?? 1), u8(n.protocol), u8(n.spi.length), u16(n.type), n.spi, n.data);
}

export function deleteBody(d: { protocol: number; spis: Uint8Array[]; doi?: number }): Uint8Array {
  return concat(u32(d.doi ?? 1), u8(d.protocol), u8(d.spis[0]?.length ?? 0), u16(d.spis.length), ...d.spis);
}
