// Codec failures. Every malformed datagram becomes one KinkError that says where (octet
// offset, field) and what the responder does about it [RFC 4430 §9]: answer with a KINK_ERROR
// code, answer inside ISAKMP with a Notify type, or drop silently.

import { type KinkErrorCode, kinkErrorName } from "./constants.ts";

/** What a responder sends back for a malformed message. */
export type WireResponse =
  /** Lone or protected KINK_ERROR with this code [RFC 4430 §4.2.8]. */
  | { readonly kind: "kink-error"; readonly code: KinkErrorCode }
  /** ISAKMP Notify of this type inside KINK_ISAKMP [RFC 4430 §5.5]. */
  | { readonly kind: "notify"; readonly notifyType: number; readonly data?: Uint8Array }
  /** No answer at all (bad Cksum, responses, unauthenticated junk) [RFC 4430 §4, §3.5, §9]. */
  | { readonly kind: "drop" };

export type WireErrorReason =
  | "short-datagram"
  | "bad-length"
  | "too-long"
  | "bad-version"
  | "bad-reserved"
  | "bad-doi"
  | "bad-message-type"
  | "bad-cksum-length"
  | "truncated"
  | "bad-payload-length"
  | "unknown-payload"
  | "payload-not-allowed"
  | "duplicate-payload"
  | "encrypt-not-last"
  | "cksum-presence"
  | "trailing-octets"
  | "missing-payload"
  | "too-many-payloads"
  | "bad-principal-name"
  | "bad-qm-version"
  | "bad-isakmp"
  | "unknown-isakmp-payload"
  | "bad-cksum"
  | "bad-ciphertext"
  | "unencodable"
  | "bad-ke-value"
  | "unsupported-dh-group";

export class KinkError extends Error {
  override readonly name = "KinkError";
  constructor(
    readonly reason: WireErrorReason,
    readonly response: WireResponse,
    /** Field the check concerns, e.g. "header.Length", "KINK_ISAKMP.QMVersion". */
    readonly field: string,
    /** Octet offset of that field in the datagram (or in the decrypted inner chain, see `inner`). */
    readonly offset: number,
    detail: string,
    /** Whether `offset` is relative to KINK_ENCRYPT's plaintext rather than the datagram. */
    readonly inner = false,
  ) {
    super(`${field} at ${inner ? "plaintext " : ""}octet ${offset}: ${detail}${response.kind === "kink-error" ? ` (→ ${kinkErrorName(response.code)})` : ""}`);
  }
}

export const DROP: WireResponse = Object.freeze({ kind: "drop" });
export const kinkErrorResponse = (code: KinkErrorCode): WireResponse => ({ kind: "kink-error", code });
