// The KinkSealer for a Kerberos session key: KINK_ENCRYPT is Kerberos encrypt with key usage
// 39 and the Cksum is get_mic with the enctype's required checksum type and usage 40
// [RFC 4430 §4.2.7, §5.1, §8]. The checksum type is never sent; both sides derive it.

import { encrypt, makeChecksum, requireEnctype, requireKey } from "../crypto/kerberos.ts";
import { KINK_KEY_USAGE_CKSUM, KINK_KEY_USAGE_ENCRYPT } from "./constants.ts";
import type { SessionKey } from "./decode.ts";
import type { KinkSealer } from "./kink-message.ts";

export function sessionKeySealer(session: SessionKey): KinkSealer {
  return new SessionKeySealer(session);
}

/** A class, not a pair of closures: one is made per protected message on the hot path. */
class SessionKeySealer implements KinkSealer {
  readonly #etype: number;
  readonly #cksumType: number;
  readonly #key: Uint8Array;

  constructor(session: SessionKey) {
    const e = requireEnctype(session.etype);
    requireKey(e, session.key);
    this.#etype = e.etype;
    this.#cksumType = e.cksumType;
    this.#key = session.key;
  }

  encrypt(plaintext: Uint8Array): Uint8Array {
    return encrypt(this.#etype, this.#key, KINK_KEY_USAGE_ENCRYPT, plaintext);
  }

  checksum(data: Uint8Array): Uint8Array {
    return makeChecksum(this.#cksumType, this.#key, KINK_KEY_USAGE_CKSUM, data);
  }
}
