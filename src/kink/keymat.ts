// IPsec keying material from a KINK exchange [RFC 4430 §7, RFC 2409 §5.5]:
//   KEYMAT = K1 | K2 | …,  K1 = prf(SKEYID_d, seed),  Kn = prf(SKEYID_d, K(n-1) | seed),
//   seed = [g(qm)^xy |] protocol | SPI | Ni_b [| Nr_b]
// where prf is the Kerberos PRF of the ticket's session key (SKEYID_d) and SPI is the SPI of
// the receiving side of the SA. Each direction has its own KEYMAT because the SPIs differ.
// The encryption key (and salt) comes first, the authentication key next (kink.md §7.4).

import { CryptoBatch } from "../crypto/batch.ts";
import type { AesSha1PrfVariant } from "../crypto/kerberos.ts";
import { type AuthAlgorithm, type EncAlgorithm, encKeymatOctets } from "../ipsec/algorithms.ts";
import type { AlgorithmKey } from "../ipsec/sink.ts";
import type { SessionKey } from "../wire/decode.ts";

export interface KeymatInput {
  /** SKEYID_d: the session key of the service ticket (never a subkey) [RFC 4430 §7]. */
  readonly session: SessionKey;
  /** ISAKMP Protocol-ID of the proposal: 2 AH, 3 ESP. */
  readonly protocolId: number;
  /** SPI of the side that receives with this SA. */
  readonly spi: number;
  /** Bodies of the initiator's and (if sent) the responder's Nonce payloads. */
  readonly ni: Uint8Array;
  readonly nr?: Uint8Array | undefined;
  /** g(qm)^xy with PFS, big-endian at the group's full length. */
  readonly dhSecret?: Uint8Array | undefined;
  /** AES-SHA1 PRF reading (kink.md §5.4): racoon2's 20 octets or the libraries' 16. */
  readonly aesSha1Prf: AesSha1PrfVariant;
}

export function keymatSeed(input: KeymatInput): Uint8Array {
  const dh = input.dhSecret ?? new Uint8Array(0);
  const nr = input.nr ?? new Uint8Array(0);
  const seed = new Uint8Array(dh.length + 5 + input.ni.length + nr.length);
  seed.set(dh, 0);
  // Octet by octet: a DataView would make V8 give this small on-heap array its own ArrayBuffer.
  const p = dh.length;
  seed[p] = input.protocolId;
  seed[p + 1] = input.spi >>> 24;
  seed[p + 2] = input.spi >>> 16;
  seed[p + 3] = input.spi >>> 8;
  seed[p + 4] = input.spi;
  seed.set(input.ni, dh.length + 5);
  seed.set(nr, dh.length + 5 + input.ni.length);
  return seed;
}

/** `octets` of KEYMAT, the whole prf+ chain in one WASM operation. The caller zeroes the result when done. */
export function deriveKeymat(input: KeymatInput, octets: number): Uint8Array {
  const { etype, key } = input.session;
  const seed = keymatSeed(input);
  const batch = new CryptoBatch();
  const op = batch.prfPlus(etype, key, seed, octets, input.aesSha1Prf);
  seed.fill(0);
  batch.run();
  return batch.output(op);
}

export interface SaKeys {
  enc?: AlgorithmKey<EncAlgorithm>;
  auth?: AlgorithmKey<AuthAlgorithm>;
}

/** KEYMAT octets the algorithms take: encryption key + salt, then authentication key. */
export function keymatOctets(enc: { alg: EncAlgorithm; keyBits: number } | undefined, auth: AuthAlgorithm | undefined): number {
  return (enc ? encKeymatOctets(enc.alg, enc.keyBits) : 0) + (auth?.keyOctets ?? 0);
}

/** Splits KEYMAT into the SA's keys (copies; KEYMAT can be zeroed afterwards). */
export function splitKeymat(keymat: Uint8Array, enc: { alg: EncAlgorithm; keyBits: number } | undefined, auth: AuthAlgorithm | undefined): SaKeys {
  const encLen = enc ? encKeymatOctets(enc.alg, enc.keyBits) : 0;
  const keys: SaKeys = {};
  if (enc) keys.enc = { alg: enc.alg, key: keymat.slice(0, encLen) };
  if (auth) keys.auth = { alg: auth, key: keymat.slice(encLen, encLen + auth.keyOctets) };
  return keys;
}
