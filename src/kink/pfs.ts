// Perfect forward secrecy for a KINK CREATE [RFC 4430 §3.2, §5]: the optional KE payloads
// carry Diffie-Hellman public values, and g(qm)^xy heads the KEYMAT seed [RFC 2409 §5.5]
// (see keymat.ts). This is the daemon's only public-key work; the engine runs it only after
// the Kerberos AP exchange has authenticated the peer.
//
// Groups are the IKE group numbers carried in the Group Description SA attribute
// [RFC 2407 §4.5]. Wire forms:
//   MODP: g^x mod p big-endian, zero-prepended to the prime's length [RFC 2409 §5, RFC 3526];
//         the shared secret g^xy likewise.
//   ECP:  x | y, each at the coordinate's length, no point-format octet [RFC 5903 §7];
//         the shared secret is the x coordinate of the shared point alone [RFC 5903 §7, §9].

import { createDiffieHellman, createECDH, getDiffieHellman } from "node:crypto";
import { KinkError } from "../wire/errors.ts";
import { NotifyType, SaAttributeClass, saAttributeClassName } from "../wire/isakmp/constants.ts";

export interface DhGroup {
  /** Group Description value / IKE DH group number [RFC 2407 §4.5]. */
  readonly id: number;
  readonly name: string;
  readonly kind: "modp" | "ecp";
  /** node:crypto's name for it: a getDiffieHellman group (MODP) or an ECDH curve (ECP). */
  readonly nodeName: string;
  /** Length of the KE payload data. */
  readonly publicOctets: number;
  /** Length of g^xy as it enters the KEYMAT seed. */
  readonly secretOctets: number;
}

export const DH_GROUPS: readonly DhGroup[] = Object.freeze([
  /** 2048-bit MODP group [RFC 3526 §3]. */
  { id: 14, name: "modp2048", kind: "modp", nodeName: "modp14", publicOctets: 256, secretOctets: 256 },
  /** 256-bit random ECP group, NIST P-256 [RFC 5903 §3.1]. */
  { id: 19, name: "ecp256", kind: "ecp", nodeName: "prime256v1", publicOctets: 64, secretOctets: 32 },
  /** 384-bit random ECP group, NIST P-384 [RFC 5903 §3.2]. */
  { id: 20, name: "ecp384", kind: "ecp", nodeName: "secp384r1", publicOctets: 96, secretOctets: 48 },
]);

export function dhGroup(id: number): DhGroup | undefined {
  return DH_GROUPS.find((g) => g.id === id);
}

/**
 * An authenticated peer's KE value that is not a member of the group: the request is answered
 * with an ISAKMP Notify PAYLOAD-MALFORMED [RFC 4430 §5.5, RFC 2408 §3.14.1].
 */
function badKeValue(group: DhGroup, detail: string): KinkError {
  return new KinkError(
    "bad-ke-value",
    { kind: "notify", notifyType: NotifyType.PAYLOAD_MALFORMED },
    "KE.Data",
    0,
    `${detail} for group ${group.id} (${group.name}) (offset within the KE data)`,
  );
}

/** Prime and generator of a MODP group, read once from node's copy of RFC 3526. */
interface ModpParameters {
  readonly prime: Buffer;
  readonly generator: Buffer;
  /** p - 1: peer values must lie strictly between 1 and this. */
  readonly primeMinusOne: bigint;
}
const modpParameters = new Map<number, ModpParameters>();

function modpParametersOf(group: DhGroup): ModpParameters {
  let parameters = modpParameters.get(group.id);
  if (parameters === undefined) {
    const named = getDiffieHellman(group.nodeName);
    const prime = named.getPrime();
    parameters = { prime, generator: named.getGenerator(), primeMinusOne: BigInt(`0x${prime.toString("hex")}`) - 1n };
    modpParameters.set(group.id, parameters);
  }
  return parameters;
}

/** One side's key pair, bound to its group; `computeSecret` gets a value of the right length. */
interface KeyAgreement {
  /** KE payload data at the group's length. */
  readonly publicValue: Uint8Array;
  computeSecret(peerPublic: Uint8Array): Uint8Array;
}

function modpAgreement(group: DhGroup, privateKey: Uint8Array | undefined): KeyAgreement {
  const { prime, generator, primeMinusOne } = modpParametersOf(group);
  const dh = createDiffieHellman(prime, generator);
  // Given a private key, generateKeys() only derives g^x from it.
  if (privateKey !== undefined) dh.setPrivateKey(privateKey);
  const unpadded = dh.generateKeys();
  const publicValue = new Uint8Array(group.publicOctets);
  publicValue.set(unpadded, group.publicOctets - unpadded.length);
  return {
    publicValue,
    computeSecret(peerPublic) {
      // Group membership for a safe-prime group: 1 < y < p-1 rules out 0, 1 and p-1, whose
      // powers are only 0, 1 or ±1 [RFC 6989; NIST SP 800-56A partial public-key validation].
      const y = BigInt(`0x${Buffer.from(peerPublic.buffer, peerPublic.byteOffset, peerPublic.length).toString("hex")}`);
      if (y <= 1n) throw badKeValue(group, "public value 0 or 1");
      if (y >= primeMinusOne) throw badKeValue(group, "public value p-1 or not below the prime");
      // node zero-pads g^xy to the prime's length itself.
      return dh.computeSecret(peerPublic);
    },
  };
}

function ecpAgreement(group: DhGroup, privateKey: Uint8Array | undefined): KeyAgreement {
  const ecdh = createECDH(group.nodeName);
  // setPrivateKey derives the public point; node rejects a scalar outside [1, n-1].
  if (privateKey === undefined) ecdh.generateKeys();
  else ecdh.setPrivateKey(privateKey);
  // Uncompressed SEC 1 point 04 | x | y with fixed-length coordinates; IKE drops the 04.
  const publicValue = new Uint8Array(ecdh.getPublicKey().subarray(1));
  return {
    publicValue,
    computeSecret(peerPublic) {
      const point = new Uint8Array(1 + peerPublic.length);
      point[0] = 0x04;
      point.set(peerPublic, 1);
      try {
        // The x coordinate at the field's length [RFC 5903 §9].
        return ecdh.computeSecret(point);
      } catch (e) {
        // OpenSSL refuses coordinates off the curve (or not below the field prime) [RFC 6989].
        if ((e as { code?: unknown }).code === "ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY") throw badKeValue(group, "public value is not a point on the curve");
        throw e;
      }
    },
  };
}

/** One side of the PFS exchange of a CREATE: our KE value and, from the peer's, g(qm)^xy. */
export class DhExchange {
  /** Our KE payload data. */
  readonly publicValue: Uint8Array;
  #agreement: KeyAgreement | undefined;

  private constructor(
    readonly group: DhGroup,
    agreement: KeyAgreement,
  ) {
    this.publicValue = agreement.publicValue;
    this.#agreement = agreement;
  }

  /**
   * A fresh key pair in group `groupId`. `privateKey` (big-endian exponent or scalar) is for
   * known-answer tests only; it is used in place, not copied. A group kinkd does not do gets
   * the responder's answer to an unacceptable proposal, NO-PROPOSAL-CHOSEN [RFC 2408 §5.4].
   */
  static create(groupId: number, privateKey?: Uint8Array): DhExchange {
    const group = dhGroup(groupId);
    if (group === undefined)
      throw new KinkError(
        "unsupported-dh-group",
        { kind: "notify", notifyType: NotifyType.NO_PROPOSAL_CHOSEN },
        `SA attribute ${saAttributeClassName(SaAttributeClass.GROUP_DESCRIPTION)}`,
        0,
        `Diffie-Hellman group ${groupId} is not supported (supported: ${DH_GROUPS.map((g) => `${g.id} ${g.name}`).join(", ")})`,
      );
    return new DhExchange(group, group.kind === "modp" ? modpAgreement(group, privateKey) : ecpAgreement(group, privateKey));
  }

  /**
   * g(qm)^xy from the peer's KE payload data, at `group.secretOctets`, after checking the value
   * is a member of the group (KinkError "bad-ke-value" → Notify PAYLOAD-MALFORMED otherwise).
   * The caller zeroes the result once KEYMAT is derived.
   */
  computeSecret(peerPublic: Uint8Array): Uint8Array {
    const agreement = this.#agreement;
    if (agreement === undefined) throw new Error(`DhExchange (group ${this.group.id}) used after destroy()`);
    if (peerPublic.length !== this.group.publicOctets)
      throw badKeValue(this.group, `${peerPublic.length} octets, must be ${this.group.publicOctets} [RFC 2409 §5, RFC 5903 §7]`);
    return agreement.computeSecret(peerPublic);
  }

  /**
   * Ends the exchange. kinkd keeps no copy of the private key in JavaScript memory, so there is
   * nothing of ours to zero; the private key lives inside node's DiffieHellman/ECDH object
   * (OpenSSL memory), which has no API to wipe it: dropping the reference lets it be freed
   * at garbage collection. Any later use throws.
   */
  destroy(): void {
    this.#agreement = undefined;
  }
}
