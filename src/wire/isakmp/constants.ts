// ISAKMP numbers that appear inside KINK_ISAKMP (RFC 2408 §3.1/§3.14.1, RFC 2407 §4.4–§4.6,
// RFC 4430 §5), each enum with one name table for logs. Algorithm numbers (transform IDs,
// Authentication Algorithm values) live in src/ipsec/algorithms.ts next to their key sizes.

import { nameTable } from "../constants.ts";

/** Next Payload values [RFC 2408 §3.1]; 0 ends a chain. */
export const IsakmpPayloadType = {
  NONE: 0,
  SA: 1,
  PROPOSAL: 2,
  TRANSFORM: 3,
  KE: 4,
  ID: 5,
  CERT: 6,
  CR: 7,
  HASH: 8,
  SIG: 9,
  NONCE: 10,
  NOTIFY: 11,
  DELETE: 12,
  VID: 13,
} as const;
export const isakmpPayloadName = nameTable(IsakmpPayloadType);

/** Protocol-ID of Proposal, Notify and Delete payloads [RFC 2407 §4.4.1]. */
export const ProtocolId = {
  ISAKMP: 1,
  AH: 2,
  ESP: 3,
  IPCOMP: 4,
} as const;
export const protocolIdName = nameTable(ProtocolId);

/**
 * Notify Message Types: errors 1–30 [RFC 2408 §3.14.1], the ISAKMP status type CONNECTED and
 * the IPsec DOI status types [RFC 2407 §4.6.3]. KINK sends only 1, 11, 14, 16 (and racoon2 24),
 * folding the rest into PAYLOAD-MALFORMED [RFC 4430 §5.5]; the others are named for logs.
 */
export const NotifyType = {
  INVALID_PAYLOAD_TYPE: 1,
  DOI_NOT_SUPPORTED: 2,
  SITUATION_NOT_SUPPORTED: 3,
  INVALID_COOKIE: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_MINOR_VERSION: 6,
  INVALID_EXCHANGE_TYPE: 7,
  INVALID_FLAGS: 8,
  INVALID_MESSAGE_ID: 9,
  INVALID_PROTOCOL_ID: 10,
  INVALID_SPI: 11,
  INVALID_TRANSFORM_ID: 12,
  ATTRIBUTES_NOT_SUPPORTED: 13,
  NO_PROPOSAL_CHOSEN: 14,
  BAD_PROPOSAL_SYNTAX: 15,
  PAYLOAD_MALFORMED: 16,
  INVALID_KEY_INFORMATION: 17,
  INVALID_ID_INFORMATION: 18,
  INVALID_CERT_ENCODING: 19,
  INVALID_CERTIFICATE: 20,
  CERT_TYPE_UNSUPPORTED: 21,
  INVALID_CERT_AUTHORITY: 22,
  INVALID_HASH_INFORMATION: 23,
  AUTHENTICATION_FAILED: 24,
  INVALID_SIGNATURE: 25,
  ADDRESS_NOTIFICATION: 26,
  NOTIFY_SA_LIFETIME: 27,
  CERTIFICATE_UNAVAILABLE: 28,
  UNSUPPORTED_EXCHANGE_TYPE: 29,
  UNEQUAL_PAYLOAD_LENGTHS: 30,
  CONNECTED: 16384,
  RESPONDER_LIFETIME: 24576,
  REPLAY_STATUS: 24577,
  INITIAL_CONTACT: 24578,
} as const;
export const notifyTypeName = nameTable(NotifyType);

/**
 * Types below 16384 are errors, the rest status [RFC 2408 §3.14.1]. RFC 4430 §5.5 turns on it:
 * an unknown error in a response fails the request; unknown status types are ignored.
 */
export const isErrorNotify = (notifyType: number): boolean => notifyType < 16384;

/** IPsec SA attribute classes [RFC 2407 §4.5; class 11 from RFC 4304 §2]. */
export const SaAttributeClass = {
  LIFE_TYPE: 1,
  LIFE_DURATION: 2,
  GROUP_DESCRIPTION: 3,
  ENCAPSULATION_MODE: 4,
  AUTH_ALGORITHM: 5,
  KEY_LENGTH: 6,
  KEY_ROUNDS: 7,
  COMPRESS_DICTIONARY_SIZE: 8,
  COMPRESS_PRIVATE_ALGORITHM: 9,
  EXTENDED_SEQUENCE_NUMBER: 11,
} as const;
export const saAttributeClassName = nameTable(SaAttributeClass);

/** SA Life Type values [RFC 2407 §4.5]. */
export const LifeType = {
  SECONDS: 1,
  KILOBYTES: 2,
} as const;
export const lifeTypeName = nameTable(LifeType);

/** Lifetime assumed when a transform carries no SA Life Type at all [RFC 2407 §4.5]. */
export const DEFAULT_LIFE_SECONDS = 28800;

/** Encapsulation Mode values [RFC 2407 §4.5]; 3 and 4 are the UDP-encapsulated modes of RFC 3947 §5. */
export const EncapsulationMode = {
  TUNNEL: 1,
  TRANSPORT: 2,
  UDP_ENCAPSULATED_TUNNEL: 3,
  UDP_ENCAPSULATED_TRANSPORT: 4,
} as const;
export const encapsulationModeName = nameTable(EncapsulationMode);

/**
 * Identification Types [RFC 2407 §4.6.2.1]. KINK allows only the address kinds 1, 4–8
 * [RFC 4430 §5.3]; the rest are named for logs.
 */
export const IdType = {
  IPV4_ADDR: 1,
  FQDN: 2,
  USER_FQDN: 3,
  IPV4_ADDR_SUBNET: 4,
  IPV6_ADDR: 5,
  IPV6_ADDR_SUBNET: 6,
  IPV4_ADDR_RANGE: 7,
  IPV6_ADDR_RANGE: 8,
  DER_ASN1_DN: 9,
  DER_ASN1_GN: 10,
  KEY_ID: 11,
} as const;
export const idTypeName = nameTable(IdType);

/** The only DOI (IPsec) and Situation (SIT_IDENTITY_ONLY) KINK allows in an SA [RFC 4430 §5, RFC 2407 §4.2]. */
export const SIT_IDENTITY_ONLY = 1;

/** Nonce data bounds [RFC 2409 §5: "between 8 and 256 bytes inclusive"]. */
export const NONCE_MIN_OCTETS = 8;
export const NONCE_MAX_OCTETS = 256;
