/** Failure codes of the crypto layer (stable strings for logs, metrics and tests). */
export type CryptoErrorCode =
  | "CRYPTO_UNKNOWN_ENCTYPE"
  | "CRYPTO_UNKNOWN_CKSUMTYPE"
  | "CRYPTO_BAD_KEY_LENGTH"
  | "CRYPTO_BAD_LENGTH"
  | "CRYPTO_BAD_ARGUMENT"
  | "CRYPTO_INTEGRITY"
  | "CRYPTO_UNSUPPORTED"
  | "CRYPTO_CAPACITY";

/**
 * A typed crypto error. `CRYPTO_INTEGRITY` corresponds to Kerberos
 * KRB_AP_ERR_BAD_INTEGRITY (31, RFC 4120 §7.5.9) when it surfaces from a decrypt.
 */
export class CryptoError extends Error {
  override readonly name = "CryptoError";
  readonly code: CryptoErrorCode;
  constructor(code: CryptoErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Kerberos error number for an integrity failure (RFC 4120 §7.5.9). */
export const KRB_AP_ERR_BAD_INTEGRITY = 31;

/** A decrypt or checksum whose integrity check failed: KRB_AP_ERR_BAD_INTEGRITY. */
export class IntegrityError extends CryptoError {
  readonly krbCode = KRB_AP_ERR_BAD_INTEGRITY;
  constructor(message: string) {
    super("CRYPTO_INTEGRITY", message);
  }
}
