// string-to-key (RFC 3961 §3) for each profile, and random-to-key for the host.

import { HashAlg, hash } from "../hash/hash";
import { pbkdf2 } from "../hash/pbkdf2";
import { wipe } from "../mem";
import {
  ETYPE_AES128_CTS_HMAC_SHA256_128,
  ETYPE_AES256_CTS_HMAC_SHA384_192,
  ETYPE_CAMELLIA128_CTS_CMAC,
  ETYPE_CAMELLIA256_CTS_CMAC,
  ETYPE_DES3_CBC_SHA1_KD,
  ETYPE_RC4_HMAC,
  Family,
  family,
  keyLength,
  macHash,
} from "./enctype";
import { nfold } from "./nfold";
import {
  deriveFromLoaded,
  des3RandomToKey,
  KERBEROS_CONST,
  loadBaseKey,
  randomToKey,
  ST_BAD_ARG,
  ST_BAD_ETYPE,
  ST_BAD_LENGTH,
  ST_OK,
  wipeScratch,
} from "./slots";

const S2K_MAX: i32 = 4096;
const BUF: usize = memory.data(S2K_MAX, 16);
const TKEY: usize = memory.data(64, 16);

// RFC 8009 §4 and RFC 6803 §6 prefix the salt with the enctype name and a zero octet.
const NAME_19: usize = memory.data<u8>([
  0x61, 0x65, 0x73, 0x31, 0x32, 0x38, 0x2d, 0x63, 0x74, 0x73, 0x2d, 0x68, 0x6d, 0x61, 0x63, 0x2d, 0x73, 0x68, 0x61, 0x32, 0x35, 0x36, 0x2d, 0x31, 0x32, 0x38,
]);
const NAME_20: usize = memory.data<u8>([
  0x61, 0x65, 0x73, 0x32, 0x35, 0x36, 0x2d, 0x63, 0x74, 0x73, 0x2d, 0x68, 0x6d, 0x61, 0x63, 0x2d, 0x73, 0x68, 0x61, 0x33, 0x38, 0x34, 0x2d, 0x31, 0x39, 0x32,
]);
const NAME_25: usize = memory.data<u8>([
  0x63, 0x61, 0x6d, 0x65, 0x6c, 0x6c, 0x69, 0x61, 0x31, 0x32, 0x38, 0x2d, 0x63, 0x74, 0x73, 0x2d, 0x63, 0x6d, 0x61, 0x63,
]);
const NAME_26: usize = memory.data<u8>([
  0x63, 0x61, 0x6d, 0x65, 0x6c, 0x6c, 0x69, 0x61, 0x32, 0x35, 0x36, 0x2d, 0x63, 0x74, 0x73, 0x2d, 0x63, 0x6d, 0x61, 0x63,
]);

/** Builds name | 0x00 | salt in BUF; returns its length or a negative status. */
function prefixedSalt(etype: i32, salt: usize, saltLen: i32): i32 {
  let name: usize = NAME_25;
  let nameLen = 20;
  if (etype == ETYPE_AES128_CTS_HMAC_SHA256_128) {
    name = NAME_19;
    nameLen = 26;
  } else if (etype == ETYPE_AES256_CTS_HMAC_SHA384_192) {
    name = NAME_20;
    nameLen = 26;
  } else if (etype == ETYPE_CAMELLIA256_CTS_CMAC) {
    name = NAME_26;
  } else if (etype != ETYPE_CAMELLIA128_CTS_CMAC) {
    return ST_BAD_ETYPE;
  }
  const total = nameLen + 1 + saltLen;
  if (total > S2K_MAX) return ST_BAD_LENGTH;
  memory.copy(BUF, name, <usize>nameLen);
  store<u8>(BUF + <usize>nameLen, 0);
  memory.copy(BUF + <usize>(nameLen + 1), salt, <usize>saltLen);
  return total;
}

/**
 * string-to-key. pw is the password octets (for rc4-hmac: already UTF-16LE, RFC 4757 §4),
 * iter the PBKDF2 iteration count (ignored by DES3 and RC4). Writes keyLength(etype) octets.
 */
export function krbStringToKey(etype: i32, pw: usize, pwLen: i32, salt: usize, saltLen: i32, iter: i32, dst: usize): i32 {
  const f = family(etype);
  if (f == Family.NONE) return ST_BAD_ETYPE;
  const klen = keyLength(etype);
  if (etype == ETYPE_RC4_HMAC) {
    // RFC 4757 §4: the key is MD4 of the UTF-16LE password; no salt.
    hash(HashAlg.MD4, pw, pwLen, dst);
    return ST_OK;
  }
  if (etype == ETYPE_DES3_CBC_SHA1_KD) {
    // RFC 3961 §6.3.1: tmpKey = random-to-key(168-fold(password | salt)); key = DK(tmpKey, "kerberos").
    if (pwLen + saltLen > S2K_MAX || pwLen + saltLen == 0) return ST_BAD_LENGTH;
    memory.copy(BUF, pw, <usize>pwLen);
    memory.copy(BUF + <usize>pwLen, salt, <usize>saltLen);
    nfold(BUF, pwLen + saltLen, TKEY + 32, 21);
    des3RandomToKey(TKEY + 32, TKEY);
  } else {
    if (iter < 1) return ST_BAD_ARG;
    if (f == Family.DK_SHA1) {
      // RFC 3962 §4: tkey = random-to-key(PBKDF2-HMAC-SHA1(password, salt, iter, keylength)).
      pbkdf2(HashAlg.SHA1, pw, pwLen, salt, saltLen, iter, TKEY, klen);
    } else {
      // Salt prefixed with the enctype name. RFC 8009 §4: PBKDF2 over HMAC-SHA256/384.
      // RFC 6803 §4: PBKDF2 as in RFC 3962, i.e. over HMAC-SHA1 (MIT krb5 agrees).
      const n = prefixedSalt(etype, salt, saltLen);
      if (n < 0) return n;
      pbkdf2(f == Family.CAMELLIA ? HashAlg.SHA1 : macHash(etype), pw, pwLen, BUF, n, iter, TKEY, klen);
    }
  }
  // key = DK(tkey, "kerberos") in the profile's own derivation (RFC 3961 §5.1, RFC 8009 §4, RFC 6803 §3).
  loadBaseKey(etype, TKEY, klen);
  deriveFromLoaded(etype, KERBEROS_CONST, 8, dst);
  wipe(TKEY, 64);
  wipe(BUF, S2K_MAX);
  wipeScratch();
  return ST_OK;
}

/** random-to-key (RFC 3961 §3): src has keyBytes(etype) octets. */
export function krbRandomToKey(etype: i32, src: usize, dst: usize): i32 {
  if (family(etype) == Family.NONE) return ST_BAD_ETYPE;
  if (etype == ETYPE_DES3_CBC_SHA1_KD) des3RandomToKey(src, dst);
  else randomToKey(etype, src, dst);
  return ST_OK;
}
