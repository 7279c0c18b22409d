// IPsec algorithms kinkd negotiates, in one table: the ISAKMP numbers that name them in a
// KINK_ISAKMP SA payload (RFC 2407 §4.4.3/§4.4.4 transform IDs, §4.5 attribute class 5
// values), the octets each takes from KEYMAT (RFC 4430 §7 / RFC 2409 §5.5: encryption key
// first, authentication key next), and the Linux XFRM algorithm name the kernel knows it by.
// The engine splits keys with it; the XFRM sink encodes with it; nothing else hard-codes one.

/** Where an algorithm's key goes in an XFRM SA (XFRMA_ALG_CRYPT / _AUTH_TRUNC / _AEAD). */
export type XfrmAlgKind = "crypt" | "auth" | "aead";

export interface EncAlgorithm {
  /** kinkd's name, as used in configuration and logs. */
  readonly name: string;
  /** ESP transform ID (RFC 2407 §4.4.4 and the IANA "IPSEC ESP Transform Identifiers"). */
  readonly espTransformId: number;
  readonly xfrmName: string;
  readonly kind: "crypt" | "aead";
  /** Key sizes in bits the Key Length attribute may carry; the first is the default when it is absent. */
  readonly keyBits: readonly number[];
  /** Whether the Key Length attribute is sent (variable-key ciphers, RFC 2407 §4.5 class 6). */
  readonly keyLengthAttribute: boolean;
  /** Salt/nonce octets taken from KEYMAT after the key (RFC 3686 §5.1: 4, RFC 4106 §8.1: 4, RFC 4309 §7.1: 3). */
  readonly saltOctets: number;
  /** AEAD integrity check value length in bits; combined-mode ciphers take no separate auth algorithm. */
  readonly icvBits?: number;
}

export interface AuthAlgorithm {
  readonly name: string;
  /** SA attribute class 5 "Authentication Algorithm" value (RFC 2407 §4.5, RFC 4868 §2.1). */
  readonly authAttribute: number;
  /** AH transform ID carrying the same algorithm (RFC 2407 §4.4.3, RFC 4868 §2.1), if any. */
  readonly ahTransformId?: number;
  readonly xfrmName: string;
  readonly keyOctets: number;
  /** ICV truncation (RFC 2404: 96 bits for SHA-1; RFC 4868 §2.3: half the hash for SHA-2). */
  readonly truncBits: number;
}

export const ENC_ALGORITHMS: readonly EncAlgorithm[] = Object.freeze([
  { name: "des-cbc", espTransformId: 2, xfrmName: "cbc(des)", kind: "crypt", keyBits: [64], keyLengthAttribute: false, saltOctets: 0 },
  { name: "3des-cbc", espTransformId: 3, xfrmName: "cbc(des3_ede)", kind: "crypt", keyBits: [192], keyLengthAttribute: false, saltOctets: 0 },
  { name: "null", espTransformId: 11, xfrmName: "ecb(cipher_null)", kind: "crypt", keyBits: [0], keyLengthAttribute: false, saltOctets: 0 },
  { name: "aes-cbc", espTransformId: 12, xfrmName: "cbc(aes)", kind: "crypt", keyBits: [128, 192, 256], keyLengthAttribute: true, saltOctets: 0 },
  { name: "aes-ctr", espTransformId: 13, xfrmName: "rfc3686(ctr(aes))", kind: "crypt", keyBits: [128, 192, 256], keyLengthAttribute: true, saltOctets: 4 },
  {
    name: "aes-ccm-8",
    espTransformId: 14,
    xfrmName: "rfc4309(ccm(aes))",
    kind: "aead",
    keyBits: [128, 192, 256],
    keyLengthAttribute: true,
    saltOctets: 3,
    icvBits: 64,
  },
  {
    name: "aes-ccm-12",
    espTransformId: 15,
    xfrmName: "rfc4309(ccm(aes))",
    kind: "aead",
    keyBits: [128, 192, 256],
    keyLengthAttribute: true,
    saltOctets: 3,
    icvBits: 96,
  },
  {
    name: "aes-ccm-16",
    espTransformId: 16,
    xfrmName: "rfc4309(ccm(aes))",
    kind: "aead",
    keyBits: [128, 192, 256],
    keyLengthAttribute: true,
    saltOctets: 3,
    icvBits: 128,
  },
  {
    name: "aes-gcm-8",
    espTransformId: 18,
    xfrmName: "rfc4106(gcm(aes))",
    kind: "aead",
    keyBits: [128, 192, 256],
    keyLengthAttribute: true,
    saltOctets: 4,
    icvBits: 64,
  },
  {
    name: "aes-gcm-12",
    espTransformId: 19,
    xfrmName: "rfc4106(gcm(aes))",
    kind: "aead",
    keyBits: [128, 192, 256],
    keyLengthAttribute: true,
    saltOctets: 4,
    icvBits: 96,
  },
  {
    name: "aes-gcm-16",
    espTransformId: 20,
    xfrmName: "rfc4106(gcm(aes))",
    kind: "aead",
    keyBits: [128, 192, 256],
    keyLengthAttribute: true,
    saltOctets: 4,
    icvBits: 128,
  },
]);

export const AUTH_ALGORITHMS: readonly AuthAlgorithm[] = Object.freeze([
  { name: "hmac-md5-96", authAttribute: 1, ahTransformId: 2, xfrmName: "hmac(md5)", keyOctets: 16, truncBits: 96 },
  { name: "hmac-sha1-96", authAttribute: 2, ahTransformId: 3, xfrmName: "hmac(sha1)", keyOctets: 20, truncBits: 96 },
  { name: "hmac-sha2-256-128", authAttribute: 5, ahTransformId: 5, xfrmName: "hmac(sha256)", keyOctets: 32, truncBits: 128 },
  { name: "hmac-sha2-384-192", authAttribute: 6, ahTransformId: 6, xfrmName: "hmac(sha384)", keyOctets: 48, truncBits: 192 },
  { name: "hmac-sha2-512-256", authAttribute: 7, ahTransformId: 7, xfrmName: "hmac(sha512)", keyOctets: 64, truncBits: 256 },
]);

const encById = new Map(ENC_ALGORITHMS.map((a) => [a.espTransformId, a]));
const encByName = new Map(ENC_ALGORITHMS.map((a) => [a.name, a]));
const authByAttr = new Map(AUTH_ALGORITHMS.map((a) => [a.authAttribute, a]));
const authByAh = new Map(AUTH_ALGORITHMS.filter((a) => a.ahTransformId !== undefined).map((a) => [a.ahTransformId!, a]));
const authByName = new Map(AUTH_ALGORITHMS.map((a) => [a.name, a]));

export const encAlgorithmByTransformId = (id: number): EncAlgorithm | undefined => encById.get(id);
export const encAlgorithmByName = (name: string): EncAlgorithm | undefined => encByName.get(name);
export const authAlgorithmByAttribute = (value: number): AuthAlgorithm | undefined => authByAttr.get(value);
export const authAlgorithmByAhTransformId = (id: number): AuthAlgorithm | undefined => authByAh.get(id);
export const authAlgorithmByName = (name: string): AuthAlgorithm | undefined => authByName.get(name);

/** Octets of encryption key material (key plus salt) an ESP SA with this cipher takes from KEYMAT. */
export function encKeymatOctets(enc: EncAlgorithm, keyBits: number): number {
  return keyBits / 8 + enc.saltOctets;
}
