// kinkd as a library: the Kerberos crypto core (RFC 3961 / 3962 / 8009 / 6803 / 4757
// profiles in WebAssembly). Synchronous, Uint8Array in and out. Enctypes and checksum types
// are the RFC 3961 §8 registry numbers.

export { CryptoBatch } from "./crypto/batch.ts";
export { CKSUMTYPES, type Cksumtype, cksumtype, ENCTYPES, type Enctype, type EnctypeFamily, enctype, enctypeByName } from "./crypto/enctypes.ts";
export { CryptoError, type CryptoErrorCode, IntegrityError, KRB_AP_ERR_BAD_INTEGRITY } from "./crypto/errors.ts";
export {
  type AesSha1PrfVariant,
  decrypt,
  deriveKey,
  type EncryptOptions,
  encrypt,
  makeChecksum,
  type PrfOptions,
  prf,
  randomToKey,
  stringToKey,
  verifyChecksum,
} from "./crypto/kerberos.ts";
export { SlotCache, type SlotCacheOptions } from "./crypto/key-slots.ts";
