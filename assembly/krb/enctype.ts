// Kerberos encryption types implemented by the core, by RFC 3961 number. The host-side
// table (src/crypto/enctypes.ts) carries names, flags and policy; this side only needs
// the shape of each profile.

import { HashAlg } from "../hash/hash";

export const ETYPE_DES3_CBC_SHA1_KD: i32 = 16;
export const ETYPE_AES128_CTS_HMAC_SHA1_96: i32 = 17;
export const ETYPE_AES256_CTS_HMAC_SHA1_96: i32 = 18;
export const ETYPE_AES128_CTS_HMAC_SHA256_128: i32 = 19;
export const ETYPE_AES256_CTS_HMAC_SHA384_192: i32 = 20;
export const ETYPE_RC4_HMAC: i32 = 23;
export const ETYPE_CAMELLIA128_CTS_CMAC: i32 = 25;
export const ETYPE_CAMELLIA256_CTS_CMAC: i32 = 26;

/** How the profile is built. */
export const enum Family {
  NONE = 0,
  /** RFC 3961 §5.3 simplified profile with HMAC-SHA1 (DES3: RFC 3961 §6.3; AES: RFC 3962). */
  DK_SHA1 = 1,
  /** RFC 8009 encrypt-then-MAC with KDF-HMAC-SHA2. */
  ETM_SHA2 = 2,
  /** RFC 6803 Camellia with CMAC and the SP 800-108 feedback KDF. */
  CAMELLIA = 3,
  /** RFC 4757 RC4-HMAC. */
  RC4 = 4,
}

export const enum CipherKind {
  NONE = 0,
  AES = 1,
  DES3 = 2,
  CAMELLIA = 3,
}

export function family(etype: i32): Family {
  switch (etype) {
    case ETYPE_DES3_CBC_SHA1_KD:
    case ETYPE_AES128_CTS_HMAC_SHA1_96:
    case ETYPE_AES256_CTS_HMAC_SHA1_96:
      return Family.DK_SHA1;
    case ETYPE_AES128_CTS_HMAC_SHA256_128:
    case ETYPE_AES256_CTS_HMAC_SHA384_192:
      return Family.ETM_SHA2;
    case ETYPE_CAMELLIA128_CTS_CMAC:
    case ETYPE_CAMELLIA256_CTS_CMAC:
      return Family.CAMELLIA;
    case ETYPE_RC4_HMAC:
      return Family.RC4;
  }
  return Family.NONE;
}

export function cipherOf(etype: i32): CipherKind {
  if (etype == ETYPE_DES3_CBC_SHA1_KD) return CipherKind.DES3;
  const f = family(etype);
  if (f == Family.DK_SHA1 || f == Family.ETM_SHA2) return CipherKind.AES;
  if (f == Family.CAMELLIA) return CipherKind.CAMELLIA;
  return CipherKind.NONE;
}

/** Protocol key length in octets (RFC 3961 §3 "key-generation seed length" for all but DES3). */
export function keyLength(etype: i32): i32 {
  switch (etype) {
    case ETYPE_DES3_CBC_SHA1_KD:
      return 24;
    case ETYPE_AES128_CTS_HMAC_SHA1_96:
    case ETYPE_AES128_CTS_HMAC_SHA256_128:
    case ETYPE_CAMELLIA128_CTS_CMAC:
    case ETYPE_RC4_HMAC:
      return 16;
    case ETYPE_AES256_CTS_HMAC_SHA1_96:
    case ETYPE_AES256_CTS_HMAC_SHA384_192:
    case ETYPE_CAMELLIA256_CTS_CMAC:
      return 32;
  }
  return 0;
}

/** Octets of random input random-to-key consumes (DES3: 21, RFC 3961 §6.3.1). */
export function keyBytes(etype: i32): i32 {
  return etype == ETYPE_DES3_CBC_SHA1_KD ? 21 : keyLength(etype);
}

/** Cipher block size (RC4: 1). */
export function blockSize(etype: i32): i32 {
  if (etype == ETYPE_DES3_CBC_SHA1_KD) return 8;
  if (etype == ETYPE_RC4_HMAC) return 1;
  return 16;
}

export function confounderLength(etype: i32): i32 {
  return etype == ETYPE_DES3_CBC_SHA1_KD || etype == ETYPE_RC4_HMAC ? 8 : 16;
}

/** Length of the integrity tag appended by encrypt, and of the mandatory checksum. */
export function macLength(etype: i32): i32 {
  switch (etype) {
    case ETYPE_DES3_CBC_SHA1_KD:
      return 20;
    case ETYPE_AES128_CTS_HMAC_SHA1_96:
    case ETYPE_AES256_CTS_HMAC_SHA1_96:
      return 12;
    case ETYPE_AES256_CTS_HMAC_SHA384_192:
      return 24;
  }
  return 16;
}

/** Hash under HMAC for the profile's MAC (Camellia: none, CMAC). */
export function macHash(etype: i32): i32 {
  switch (etype) {
    case ETYPE_AES128_CTS_HMAC_SHA256_128:
      return HashAlg.SHA256;
    case ETYPE_AES256_CTS_HMAC_SHA384_192:
      return HashAlg.SHA384;
    case ETYPE_RC4_HMAC:
      return HashAlg.MD5;
    case ETYPE_CAMELLIA128_CTS_CMAC:
    case ETYPE_CAMELLIA256_CTS_CMAC:
      return 0;
  }
  return HashAlg.SHA1;
}
