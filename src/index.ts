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

// The Kerberos layer (RFC 4120 subset for KINK): AP exchange, KDC client, files, replay cache.
export { ApReqError, buildApRep, buildApReq, buildKrbError, readKrbError, verifyApRep, verifyApReq, verifyApReqBatch } from "./krb/ap.ts";
export { parseCcache, readCcacheFile, serializeCcache, writeCcacheFile } from "./krb/ccache.ts";
export { KrbDecodeError, KrbError, KrbErrorCode, krbErrorName } from "./krb/errors.ts";
export { type Credentials, fromCcacheCredential, KdcClient, TicketCache, toCcacheCredential } from "./krb/kdc-client.ts";
export { sendToKdc } from "./krb/kdc-transport.ts";
export { findKey, parseKeytab, readKeytabFile, serializeKeytab, writeKeytabFile } from "./krb/keytab.ts";
export { parseKrb5Conf } from "./krb/krb5-conf.ts";
export { formatPrincipal, type Principal, parsePrincipal } from "./krb/principal.ts";
export { ReplayCache } from "./krb/replay-cache.ts";
