// KINK wire constants (RFC 4430 §4, §4.2, §11 / the IANA "KINK Parameters" registry), each
// with one name table for logs. Values are the RFC's; Wireshark's 14–21 payload numbers
// (from a 2003 draft) are not used anywhere.

/** value → name lookup for logs; unknown values print as UNKNOWN(n). */
export function nameTable<T extends Record<string, number>>(values: T): (value: number) => string {
  const names = new Map<number, string>(Object.entries(values).map(([k, v]) => [v, k]));
  return (value) => names.get(value) ?? `UNKNOWN(${value})`;
}

/** Header octets; every message starts with them [RFC 4430 §4]. */
export const KINK_HEADER_LENGTH = 16;
/** Octet 1: MjVer 1 in the high nibble, reserved low nibble zero [RFC 4430 §4]. */
export const KINK_VERSION_BYTE = 0x10;
export const KINK_MAJOR_VERSION = 1;
/** The only Domain of Interpretation defined: IPsec [RFC 4430 §4, RFC 2407]. */
export const DOI_IPSEC = 1;
/** IANA port for KINK [RFC 4430 §11]. */
export const KINK_PORT = 910;
/** The 16-bit Length field bounds a message [RFC 4430 §4]. */
export const KINK_MAX_LENGTH = 0xffff;
/** Octet 13's high bit: the responder wants an ACK [RFC 4430 §4, §3.2]. */
export const ACKREQ_FLAG = 0x80;

/** Message types [RFC 4430 §4, §11]. */
export const MessageType = {
  CREATE: 1,
  DELETE: 2,
  REPLY: 3,
  GETTGT: 4,
  ACK: 5,
  STATUS: 6,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];
export const messageTypeName = nameTable(MessageType);

/** Payload types ("Next Payload" values) [RFC 4430 §4.2, §11]. */
export const PayloadType = {
  DONE: 0,
  AP_REQ: 1,
  AP_REP: 2,
  KRB_ERROR: 3,
  TGT_REQ: 4,
  TGT_REP: 5,
  ISAKMP: 6,
  ENCRYPT: 7,
  ERROR: 8,
} as const;
export type PayloadType = (typeof PayloadType)[keyof typeof PayloadType];
export const payloadTypeName = nameTable(Object.fromEntries(Object.entries(PayloadType).map(([k, v]) => [`KINK_${k}`, v])));

/** KINK_ERROR codes [RFC 4430 §4.2.8]. 4 is reserved; drafts and racoon2 used it as KINK_INVMIN. */
export const KinkErrorCode = {
  OK: 0,
  PROTOERR: 1,
  INVDOI: 2,
  INVMAJ: 3,
  INVMIN_DRAFT: 4,
  INTERR: 5,
  BADQMVERS: 6,
  U2UDENIED: 7,
} as const;
export type KinkErrorCode = (typeof KinkErrorCode)[keyof typeof KinkErrorCode];
export const kinkErrorName = nameTable({
  ...Object.fromEntries(Object.entries(KinkErrorCode).map(([k, v]) => [`KINK_${k}`, v])),
  "RESERVED(4, racoon2 KINK_INVMIN)": KinkErrorCode.INVMIN_DRAFT,
});

/** Kerberos key usages KINK registers [RFC 4430 §8]. */
export const KINK_KEY_USAGE_ENCRYPT = 39;
export const KINK_KEY_USAGE_CKSUM = 40;

/** KINK_ISAKMP's Quick Mode version byte: major 1, minor 0 [RFC 4430 §4.2.6]. */
export const QM_VERSION_BYTE = 0x10;

/** Rounds a length up to the 4-octet payload alignment [RFC 4430 §4.1]. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}
