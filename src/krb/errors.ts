// Kerberos failures as typed errors: the RFC 4120 §7.5.9 code, its name, and an operator
// hint (skew by how much, which kvno, which principal). KRB-ERROR messages on the wire carry
// the same codes; `KrbError.fromCode` is the one place names and default texts come from.

/** RFC 4120 §7.5.9 error codes (the ones kinkd produces, checks or explains). */
export const KrbErrorCode = {
  KDC_ERR_NONE: 0,
  KDC_ERR_NAME_EXP: 1,
  KDC_ERR_SERVICE_EXP: 2,
  KDC_ERR_BAD_PVNO: 3,
  KDC_ERR_C_OLD_MAST_KVNO: 4,
  KDC_ERR_S_OLD_MAST_KVNO: 5,
  KDC_ERR_C_PRINCIPAL_UNKNOWN: 6,
  KDC_ERR_S_PRINCIPAL_UNKNOWN: 7,
  KDC_ERR_PRINCIPAL_NOT_UNIQUE: 8,
  KDC_ERR_NULL_KEY: 9,
  KDC_ERR_CANNOT_POSTDATE: 10,
  KDC_ERR_NEVER_VALID: 11,
  KDC_ERR_POLICY: 12,
  KDC_ERR_BADOPTION: 13,
  KDC_ERR_ETYPE_NOSUPP: 14,
  KDC_ERR_SUMTYPE_NOSUPP: 15,
  KDC_ERR_PADATA_TYPE_NOSUPP: 16,
  KDC_ERR_TRTYPE_NOSUPP: 17,
  KDC_ERR_CLIENT_REVOKED: 18,
  KDC_ERR_SERVICE_REVOKED: 19,
  KDC_ERR_TGT_REVOKED: 20,
  KDC_ERR_CLIENT_NOTYET: 21,
  KDC_ERR_SERVICE_NOTYET: 22,
  KDC_ERR_KEY_EXPIRED: 23,
  KDC_ERR_PREAUTH_FAILED: 24,
  KDC_ERR_PREAUTH_REQUIRED: 25,
  KDC_ERR_SERVER_NOMATCH: 26,
  KDC_ERR_MUST_USE_USER2USER: 27,
  KDC_ERR_PATH_NOT_ACCEPTED: 28,
  KDC_ERR_SVC_UNAVAILABLE: 29,
  KRB_AP_ERR_BAD_INTEGRITY: 31,
  KRB_AP_ERR_TKT_EXPIRED: 32,
  KRB_AP_ERR_TKT_NYV: 33,
  KRB_AP_ERR_REPEAT: 34,
  KRB_AP_ERR_NOT_US: 35,
  KRB_AP_ERR_BADMATCH: 36,
  KRB_AP_ERR_SKEW: 37,
  KRB_AP_ERR_BADADDR: 38,
  KRB_AP_ERR_BADVERSION: 39,
  KRB_AP_ERR_MSG_TYPE: 40,
  KRB_AP_ERR_MODIFIED: 41,
  KRB_AP_ERR_BADORDER: 42,
  KRB_AP_ERR_BADKEYVER: 44,
  KRB_AP_ERR_NOKEY: 45,
  KRB_AP_ERR_MUT_FAIL: 46,
  KRB_AP_ERR_BADDIRECTION: 47,
  KRB_AP_ERR_METHOD: 48,
  KRB_AP_ERR_BADSEQ: 49,
  KRB_AP_ERR_INAPP_CKSUM: 50,
  KRB_AP_PATH_NOT_ACCEPTED: 51,
  KRB_ERR_RESPONSE_TOO_BIG: 52,
  KRB_ERR_GENERIC: 60,
  KRB_ERR_FIELD_TOOLONG: 61,
  KDC_ERR_CLIENT_NOT_TRUSTED: 62,
  KRB_AP_ERR_NO_TGT: 67,
  KDC_ERR_WRONG_REALM: 68,
  KRB_AP_ERR_USER_TO_USER_REQUIRED: 69,
} as const;

export type KrbErrorName = keyof typeof KrbErrorCode;

const NAMES = new Map<number, KrbErrorName>(Object.entries(KrbErrorCode).map(([k, v]) => [v, k as KrbErrorName]));

/** Name of a Kerberos error code for logs ("KRB_AP_ERR_SKEW"), or "KRB_ERR_<n>" for unknown ones. */
export function krbErrorName(code: number): string {
  return NAMES.get(code) ?? `KRB_ERR_${code}`;
}

/** A Kerberos failure with its RFC 4120 code. `hint` says what an operator should check. */
export class KrbError extends Error {
  override readonly name: string = "KrbError";
  readonly code: number;
  readonly codeName: string;
  /** The message without the code name and hint. */
  readonly detail: string;
  readonly hint?: string;
  constructor(code: number, message: string, hint?: string) {
    super(hint ? `${krbErrorName(code)}: ${message} (${hint})` : `${krbErrorName(code)}: ${message}`);
    this.code = code;
    this.codeName = krbErrorName(code);
    this.detail = message;
    if (hint !== undefined) this.hint = hint;
  }
}

/**
 * Malformed DER or a message that breaks RFC 4120's structure. `field` names where
 * (e.g. "AP-REQ.ticket.enc-part.cipher"), `offset` is the octet offset in the input.
 * Carries KRB_AP_ERR_MSG_TYPE when the outer tag is not the expected message, else KRB_ERR_GENERIC.
 */
export class KrbDecodeError extends KrbError {
  override readonly name = "KrbDecodeError";
  readonly field: string;
  readonly offset: number;
  constructor(field: string, offset: number, problem: string, code: number = KrbErrorCode.KRB_ERR_GENERIC) {
    super(code, `${field} at offset ${offset}: ${problem}`);
    this.field = field;
    this.offset = offset;
  }
}
