// The sealers for a Kerberos session key: KINK_ENCRYPT is Kerberos encrypt with key usage 39
// and the Cksum is get_mic with the enctype's required checksum type and usage 40
// [RFC 4430 §4.2.7, §5.1, §8]. The checksum type is never sent; both sides derive it.
// sessionKeySealer makes one crypto call per operation; sessionKeyBatchSealer seals a laid-out
// message (and a REPLY's AP-REP) in one WASM batch.

import { CryptoBatch } from "../crypto/batch.ts";
import { cksumtype } from "../crypto/enctypes.ts";
import { encrypt, encryptedLength, makeChecksum, requireEnctype, requireKey } from "../crypto/kerberos.ts";
import { KINK_KEY_USAGE_CKSUM, KINK_KEY_USAGE_ENCRYPT } from "./constants.ts";
import type { SessionKey } from "./decode.ts";
import { DROP, KinkError } from "./errors.ts";
import type { KinkLayout, KinkLayoutSealer, KinkSealer } from "./kink-message.ts";

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

/** An AP-REP laid out with room for its enc-part: the EncAPRepPart to encrypt and where in the AP-REP its cipher goes (krb/ap.ts layoutApRep). */
export interface ApRepToSeal {
  readonly plaintext: Uint8Array;
  readonly cipherAt: number;
  /** Its Kerberos key usage (12, RFC 4120 §7.5.1): the Kerberos layer's constant, not the wire's. */
  readonly usage: number;
}

/**
 * Seals a laid-out message with one WASM call: the message is copied into a CryptoBatch
 * workspace, the AP-REP's enc-part (usage 12, when `apRep` is given) and KINK_ENCRYPT (usage 39)
 * are encrypted into their room there, then the Cksum (usage 40) is computed over the octets
 * before it, ciphertexts included, exactly as §5.1 orders it. Three slot lookups and one
 * crossing instead of three calls, each copying its input in and its output out. It runs a
 * CryptoBatch of its own: the results of an earlier batch must have been read already.
 */
export function sessionKeyBatchSealer(session: SessionKey, apRep?: ApRepToSeal): KinkLayoutSealer {
  return new SessionKeyBatchSealer(session, apRep);
}

class SessionKeyBatchSealer implements KinkLayoutSealer {
  readonly checksumLength: number;
  readonly #etype: number;
  readonly #cksumType: number;
  readonly #key: Uint8Array;
  readonly #apRep: ApRepToSeal | undefined;

  constructor(session: SessionKey, apRep: ApRepToSeal | undefined) {
    const e = requireEnctype(session.etype);
    requireKey(e, session.key);
    this.#etype = e.etype;
    this.#cksumType = e.cksumType;
    this.#key = session.key;
    this.#apRep = apRep;
    this.checksumLength = cksumtype(e.cksumType)!.length;
  }

  ciphertextLength(n: number): number {
    return encryptedLength(this.#etype, n);
  }

  seal(l: KinkLayout): void {
    const b = new CryptoBatch();
    const at = b.workspace(l.message);
    if (this.#apRep !== undefined) {
      if (l.apRepAt < 0) throw new KinkError("unencodable", DROP, "KINK_AP_REP", 0, "an AP-REP to seal but no KINK_AP_REP payload");
      b.encryptInto(this.#etype, this.#key, this.#apRep.usage, this.#apRep.plaintext, at + l.apRepAt + this.#apRep.cipherAt);
    }
    if (l.plaintext !== undefined) b.encryptInto(this.#etype, this.#key, KINK_KEY_USAGE_ENCRYPT, l.plaintext, at + l.cipherAt);
    b.checksumInto(this.#cksumType, this.#key, KINK_KEY_USAGE_CKSUM, at, l.cksumAt, at + l.cksumAt);
    // Only a broken slot can fail here; outputView throws that operation's CryptoError.
    if (b.run() !== 0) for (let i = 0; i < b.length; i++) b.outputView(i);
    l.message.set(b.view(at, l.message.length));
  }
}
