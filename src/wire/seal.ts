// The KinkSealer for a Kerberos session key: KINK_ENCRYPT is Kerberos encrypt with key usage
// 39 and the Cksum is get_mic with the enctype's required checksum type and usage 40
// [RFC 4430 §4.2.7, §5.1, §8]. The checksum type is never sent; both sides derive it.

import { encrypt, makeChecksum, requireEnctype, requireKey } from "../crypto/kerberos.ts";
import { KINK_KEY_USAGE_CKSUM, KINK_KEY_USAGE_ENCRYPT } from "./constants.ts";
import type { SessionKey } from "./decode.ts";
import type { KinkSealer } from "./kink-message.ts";

export function sessionKeySealer(session: SessionKey): KinkSealer {
  const e = requireEnctype(session.etype);
  requireKey(e, session.key);
  return {
    encrypt: (plaintext) => encrypt(e.etype, session.key, KINK_KEY_USAGE_ENCRYPT, plaintext),
    checksum: (data) => makeChecksum(e.cksumType, session.key, KINK_KEY_USAGE_CKSUM, data),
  };
}
