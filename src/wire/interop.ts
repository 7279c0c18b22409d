// Interoperability choices where RFC 4430 is silent or racoon2 (the only other deployed KINK
// peer) deviates (kink.md §11, §14). Each is an explicit per-peer option, never hidden
// behaviour: the codec, the engine and the transport read them from here.

import type { AesSha1PrfVariant } from "../crypto/kerberos.ts";
import { KINK_MAX_LENGTH, KINK_PORT, KinkErrorCode } from "./constants.ts";

export interface KinkInteropOptions {
  /**
   * Where a responder sends its REPLY: "kink-port" = the initiator's address at port 910, as
   * racoon2 does and expects (kink.md §1); "source-port" = the datagram's source port (NAT-friendly).
   */
  readonly replyPort: "kink-port" | "source-port";
  /** Treat a received KINK_ERROR code 4 (reserved; racoon2's old KINK_INVMIN) as a version error instead of an unknown code. */
  readonly acceptErrorCode4: boolean;
  /** AES-SHA1 PRF reading for KEYMAT (kink.md §5.4): "racoon2" 20 octets, "rfc3961" 16 as MIT/Heimdal. */
  readonly aesSha1Prf: AesSha1PrfVariant;
  /** Largest message accepted; racoon2 drops anything above 16384 octets. */
  readonly maxLength: number;
  /** Reject non-zero RESERVED fields (RFC 4430 §4 says ignore them). */
  readonly strictReserved: boolean;
}

/** RFC 4430 as written, with the NAT-friendly reply port. */
export const RFC_INTEROP: KinkInteropOptions = Object.freeze({
  replyPort: "source-port",
  acceptErrorCode4: false,
  aesSha1Prf: "rfc3961",
  maxLength: KINK_MAX_LENGTH,
  strictReserved: false,
});

/** What racoon2's kinkd sends and expects (kink.md §11). */
export const RACOON2_INTEROP: KinkInteropOptions = Object.freeze({
  replyPort: "kink-port",
  acceptErrorCode4: true,
  aesSha1Prf: "racoon2",
  maxLength: 16384,
  strictReserved: false,
});

/** The UDP port a REPLY goes to. */
export function replyPortFor(opts: KinkInteropOptions, sourcePort: number): number {
  return opts.replyPort === "kink-port" ? KINK_PORT : sourcePort;
}

/** What a received KINK_ERROR code means to an initiator [RFC 4430 §4.2.8, §3.5]. */
export type KinkErrorMeaning = "none" | "malformed" | "doi" | "version" | "internal" | "qm-version" | "u2u-denied" | "unknown";

export function kinkErrorMeaning(code: number, opts: KinkInteropOptions): KinkErrorMeaning {
  switch (code) {
    case KinkErrorCode.OK:
      return "none";
    case KinkErrorCode.PROTOERR:
      return "malformed";
    case KinkErrorCode.INVDOI:
      return "doi";
    case KinkErrorCode.INVMAJ:
      return "version";
    case KinkErrorCode.INVMIN_DRAFT:
      return opts.acceptErrorCode4 ? "version" : "unknown";
    case KinkErrorCode.INTERR:
      return "internal";
    case KinkErrorCode.BADQMVERS:
      return "qm-version";
    case KinkErrorCode.U2UDENIED:
      return "u2u-denied";
    default:
      return "unknown";
  }
}
