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
  /** Bodies of the initiator's and (if sent) the responder's Nonce payloads. */
  readonly ni: Uint8Array;
  readonly nr?: Uint8Array | undefined;
  /** g(qm)^xy with PFS, big-endian at the group's full length. */
  readonly dhSecret?: Uint8Array | undefined;
  /** AES-SHA1 PRF reading (kink.md §5.4): racoon2's 20 octets or the libraries' 16. */
  readonly aesSha1Prf: AesSha1PrfVariant;
}

/** The prf+ seed for the SA whose receiving side has `spi`. */
export function keymatSeed(input: KeymatInput, spi: number): Uint8Array {
  const { dhSecret, ni, nr } = input;
  const dhLen = dhSecret === undefined ? 0 : dhSecret.length;
  const seed = new Uint8Array(dhLen + 5 + ni.length + (nr === undefined ? 0 : nr.length));
  if (dhSecret !== undefined) seed.set(dhSecret, 0);
  // Octet by octet: a DataView would make V8 give this small on-heap array its own ArrayBuffer.
  seed[dhLen] = input.protocolId;
  seed[dhLen + 1] = spi >>> 24;
  seed[dhLen + 2] = spi >>> 16;
  seed[dhLen + 3] = spi >>> 8;
  seed[dhLen + 4] = spi;
  seed.set(ni, dhLen + 5);
  if (nr !== undefined) seed.set(nr, dhLen + 5 + ni.length);
  return seed;
}

/**
 * `octets` of KEYMAT for each SPI (both directions of an SA pair differ only in the SPI), every
 * prf+ chain in one WASM batch. The caller zeroes the results when done.
 */
export function deriveKeymat(input: KeymatInput, spis: readonly number[], octets: number): Uint8Array[] {
  const { etype, key } = input.session;
  const batch = new CryptoBatch();
  const ops: number[] = [];
  for (const spi of spis) {
    const seed = keymatSeed(input, spi);
    ops.push(batch.prfPlus(etype, key, seed, octets, input.aesSha1Prf));
    seed.fill(0);
  }
  batch.run();
  return ops.map((op) => batch.output(op));
}

export interface SaKeys {
  enc?: AlgorithmKey<EncAlgorithm>;
  auth?: AlgorithmKey<AuthAlgorithm>;
}

/** KEYMAT octets the algorithms take: encryption key + salt, then authentication key. */
export function keymatOctets(enc: { alg: EncAlgorithm; keyBits: number } | undefined, auth: AuthAlgorithm | undefined): number {
  return (enc ? encKeymatOctets(enc.alg, enc.keyBits) : 0) + (auth?.keyOctets ?? 0);
}

/**
 * Splits KEYMAT into the SA's keys: views on it, no copies, so zeroing the keys zeroes the KEYMAT
 * (it is exactly keymatOctets long: nothing of it is left outside the keys).
 */
export function splitKeymat(keymat: Uint8Array, enc: { alg: EncAlgorithm; keyBits: number } | undefined, auth: AuthAlgorithm | undefined): SaKeys {
  const encLen = enc ? encKeymatOctets(enc.alg, enc.keyBits) : 0;
  const keys: SaKeys = {};
  if (enc) keys.enc = { alg: enc.alg, key: keymat.subarray(0, encLen) };
  if (auth) keys.auth = { alg: auth, key: keymat.subarray(encLen, encLen + auth.keyOctets) };
  return keys;
}
