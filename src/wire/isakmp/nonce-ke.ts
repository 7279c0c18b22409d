// Nonce [RFC 2408 §3.13] and Key Exchange [RFC 2408 §3.7] payloads: the body is the data.

import { IsakmpPayloadType, NONCE_MAX_OCTETS, NONCE_MIN_OCTETS } from "./constants.ts";
import type { KePayload, NoncePayload } from "./types.ts";
import type { Fail, PayloadCodec } from "./walk.ts";

type DataPayload = NoncePayload | KePayload;

function dataCodec<P extends DataPayload>(kind: P["type"], type: number, check: (length: number, fail: Fail, at?: number) => void): PayloadCodec<P> {
  return {
    type,
    decode(r, fail, payloadAt) {
      check(r.remaining, fail, payloadAt + 2);
      return { type: kind, data: r.keepRest() } as P;
    },
    encode(w, payload, fail) {
      check(payload.data.length, fail);
      w.bytes(payload.data);
    },
  };
}

/** Ni/Nr are 8–256 octets [RFC 2409 §5]; KINK feeds them into KEYMAT [RFC 4430 §5.4]. */
export const nonceCodec = dataCodec<NoncePayload>("nonce", IsakmpPayloadType.NONCE, (length, fail, at) => {
  if (length < NONCE_MIN_OCTETS || length > NONCE_MAX_OCTETS)
    fail("bad-isakmp", "Nonce.Data", `${length} octets, must be ${NONCE_MIN_OCTETS}–${NONCE_MAX_OCTETS} [RFC 2409 §5]`, at);
});

/** A KE carries a Diffie-Hellman public value [RFC 2408 §3.7]; an empty one carries none. */
export const keCodec = dataCodec<KePayload>("ke", IsakmpPayloadType.KE, (length, fail, at) => {
  if (length === 0) fail("bad-isakmp", "KE.Data", "empty key exchange data [RFC 2408 §3.7]", at);
});
