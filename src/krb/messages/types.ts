// RFC 4120 §5 message shapes used by kinkd (the subset KINK and its KDC client need).
// Field names follow the ASN.1 (camelCased); optional ASN.1 fields are optional properties.
// Encoders and decoders live beside this file (one module per message family); they all
// speak these types, so the AP exchange and the KDC client never touch DER directly.

/** RFC 4120 §6.2 name types (the ones kinkd produces or checks). */
export const NameType = {
  NT_UNKNOWN: 0,
  NT_PRINCIPAL: 1,
  NT_SRV_INST: 2,
  NT_SRV_HST: 3,
  NT_ENTERPRISE: 10,
} as const;

/** PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString } */
export interface PrincipalName {
  nameType: number;
  nameString: string[];
}

/** EncryptionKey ::= SEQUENCE { keytype [0] Int32, keyvalue [1] OCTET STRING } */
export interface EncryptionKey {
  keytype: number;
  keyvalue: Uint8Array;
}

/** EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2] OCTET STRING } */
export interface EncryptedData {
  etype: number;
  kvno?: number;
  cipher: Uint8Array;
}

/** Checksum ::= SEQUENCE { cksumtype [0] Int32, checksum [1] OCTET STRING } */
export interface Checksum {
  cksumtype: number;
  checksum: Uint8Array;
}

/** HostAddress ::= SEQUENCE { addr-type [0] Int32, address [1] OCTET STRING } */
export interface HostAddress {
  addrType: number;
  address: Uint8Array;
}

/** AuthorizationData ::= SEQUENCE OF SEQUENCE { ad-type [0] Int32, ad-data [1] OCTET STRING }: carried, not interpreted. */
export interface AuthorizationDataEntry {
  adType: number;
  adData: Uint8Array;
}

/** PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING } (note: tags start at 1). */
export interface PaData {
  padataType: number;
  padataValue: Uint8Array;
}

/**
 * KerberosTime is GeneralizedTime "YYYYMMDDHHMMSSZ" (RFC 4120 §5.2.3): whole seconds, UTC.
 * Microseconds travel separately (cusec/susec). Represented as milliseconds since the epoch
 * (always a multiple of 1000 after decoding).
 */
export type KerberosTime = number;

/** Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0] 5, realm [1], sname [2], enc-part [3] EncryptedData } */
export interface Ticket {
  realm: string;
  sname: PrincipalName;
  encPart: EncryptedData;
  /** The ticket's own DER bytes as received (re-sent verbatim: never re-encoded). */
  raw?: Uint8Array;
}

/** TicketFlags bit numbers (RFC 4120 §5.3), bit 0 = most significant bit of the first octet. */
export const TicketFlag = {
  forwardable: 1,
  forwarded: 2,
  proxiable: 3,
  proxy: 4,
  mayPostdate: 5,
  postdated: 6,
  invalid: 7,
  renewable: 8,
  initial: 9,
  preAuthent: 10,
  hwAuthent: 11,
  transitedPolicyChecked: 12,
  okAsDelegate: 13,
} as const;

/** EncTicketPart ::= [APPLICATION 3] SEQUENCE { flags [0], key [1], crealm [2], cname [3], transited [4], authtime [5], starttime [6] OPT, endtime [7], renew-till [8] OPT, caddr [9] OPT, authorization-data [10] OPT } */
export interface EncTicketPart {
  /** 32-bit KerberosFlags as an unsigned integer, bit 0 = 0x80000000. */
  flags: number;
  key: EncryptionKey;
  crealm: string;
  cname: PrincipalName;
  transited: { trType: number; contents: Uint8Array };
  authtime: KerberosTime;
  starttime?: KerberosTime;
  endtime: KerberosTime;
  renewTill?: KerberosTime;
  caddr?: HostAddress[];
  authorizationData?: AuthorizationDataEntry[];
}

/** APOptions bits (RFC 4120 §5.5.1). */
export const ApOption = {
  useSessionKey: 1,
  mutualRequired: 2,
} as const;

/** AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0] 5, msg-type [1] 14, ap-options [2] APOptions, ticket [3] Ticket, authenticator [4] EncryptedData } */
export interface ApReq {
  /** 32-bit APOptions, bit 0 = 0x80000000 (use-session-key = 0x40000000, mutual-required = 0x20000000). */
  apOptions: number;
  ticket: Ticket;
  authenticator: EncryptedData;
}

/** Authenticator ::= [APPLICATION 2] SEQUENCE { authenticator-vno [0] 5, crealm [1], cname [2], cksum [3] OPT, cusec [4], ctime [5], subkey [6] OPT, seq-number [7] OPT, authorization-data [8] OPT } */
export interface Authenticator {
  crealm: string;
  cname: PrincipalName;
  cksum?: Checksum;
  cusec: number;
  ctime: KerberosTime;
  subkey?: EncryptionKey;
  seqNumber?: number;
  authorizationData?: AuthorizationDataEntry[];
}

/** AP-REP ::= [APPLICATION 15] SEQUENCE { pvno [0] 5, msg-type [1] 15, enc-part [2] EncryptedData } */
export interface ApRep {
  encPart: EncryptedData;
}

/** EncAPRepPart ::= [APPLICATION 27] SEQUENCE { ctime [0], cusec [1], subkey [2] OPT, seq-number [3] OPT } */
export interface EncApRepPart {
  ctime: KerberosTime;
  cusec: number;
  subkey?: EncryptionKey;
  seqNumber?: number;
}

/** KRB-ERROR ::= [APPLICATION 30] SEQUENCE { pvno [0], msg-type [1] 30, ctime [2] OPT, cusec [3] OPT, stime [4], susec [5], error-code [6], crealm [7] OPT, cname [8] OPT, realm [9], sname [10], e-text [11] OPT, e-data [12] OPT } */
export interface KrbErrorMessage {
  ctime?: KerberosTime;
  cusec?: number;
  stime: KerberosTime;
  susec: number;
  errorCode: number;
  crealm?: string;
  cname?: PrincipalName;
  realm: string;
  sname: PrincipalName;
  eText?: string;
  eData?: Uint8Array;
}

/** ETYPE-INFO2-ENTRY ::= SEQUENCE { etype [0] Int32, salt [1] KerberosString OPT, s2kparams [2] OCTET STRING OPT } */
export interface EtypeInfo2Entry {
  etype: number;
  salt?: string;
  s2kparams?: Uint8Array;
}

/** PA-ENC-TS-ENC ::= SEQUENCE { patimestamp [0] KerberosTime, pausec [1] Microseconds OPT } */
export interface PaEncTsEnc {
  patimestamp: KerberosTime;
  pausec?: number;
}

/** KDCOptions bits (RFC 4120 §5.4.1). */
export const KdcOption = {
  forwardable: 1,
  forwarded: 2,
  proxiable: 3,
  proxy: 4,
  allowPostdate: 5,
  postdated: 6,
  renewable: 8,
  canonicalize: 15,
  disableTransitedCheck: 26,
  renewableOk: 27,
  encTktInSkey: 28,
  renew: 30,
  validate: 31,
} as const;

/** KDC-REQ-BODY (RFC 4120 §5.4.1). */
export interface KdcReqBody {
  /** 32-bit KDCOptions, bit 0 = 0x80000000. */
  kdcOptions: number;
  cname?: PrincipalName;
  realm: string;
  sname?: PrincipalName;
  from?: KerberosTime;
  till: KerberosTime;
  rtime?: KerberosTime;
  nonce: number;
  etype: number[];
  addresses?: HostAddress[];
  encAuthorizationData?: EncryptedData;
  additionalTickets?: Ticket[];
}

/** AS-REQ ::= [APPLICATION 10] KDC-REQ, TGS-REQ ::= [APPLICATION 12] KDC-REQ. */
export interface KdcReq {
  msgType: 10 | 12;
  padata?: PaData[];
  reqBody: KdcReqBody;
  /** DER of req-body as encoded (the TGS-REQ authenticator checksum covers exactly these bytes). */
  reqBodyRaw?: Uint8Array;
}

/** AS-REP ::= [APPLICATION 11] KDC-REP, TGS-REP ::= [APPLICATION 13] KDC-REP. */
export interface KdcRep {
  msgType: 11 | 13;
  padata?: PaData[];
  crealm: string;
  cname: PrincipalName;
  ticket: Ticket;
  encPart: EncryptedData;
}

/** EncKDCRepPart (RFC 4120 §5.4.2), as EncASRepPart [APPLICATION 25] or EncTGSRepPart [APPLICATION 26]. */
export interface EncKdcRepPart {
  key: EncryptionKey;
  lastReq: { lrType: number; lrValue: KerberosTime }[];
  nonce: number;
  keyExpiration?: KerberosTime;
  flags: number;
  authtime: KerberosTime;
  starttime?: KerberosTime;
  endtime: KerberosTime;
  renewTill?: KerberosTime;
  srealm: string;
  sname: PrincipalName;
  caddr?: HostAddress[];
  encryptedPadata?: PaData[];
}

/** RFC 4120 §7.5.2 PA-DATA types used here. */
export const PaDataType = {
  PA_TGS_REQ: 1,
  PA_ENC_TIMESTAMP: 2,
  PA_PW_SALT: 3,
  PA_ETYPE_INFO: 11,
  PA_ETYPE_INFO2: 19,
  PA_REQ_ENC_PA_REP: 149,
  PA_FX_FAST: 136,
} as const;

/** RFC 4120 §7.5.1 key usages. */
export const KeyUsage = {
  AS_REQ_PA_ENC_TIMESTAMP: 1,
  KDC_REP_TICKET: 2,
  AS_REP_ENCPART: 3,
  TGS_REQ_AD_SESSKEY: 4,
  TGS_REQ_AUTH_CKSUM: 6,
  TGS_REQ_AUTH: 7,
  TGS_REP_ENCPART_SESSKEY: 8,
  TGS_REP_ENCPART_SUBKEY: 9,
  AP_REQ_AUTH_CKSUM: 10,
  AP_REQ_AUTH: 11,
  AP_REP_ENCPART: 12,
  /** RFC 4430 §8. */
  KINK_ENCRYPT: 39,
  KINK_CKSUM: 40,
} as const;
