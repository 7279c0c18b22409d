// SA proposals of a KINK CREATE [RFC 4430 §3.2, §5, §6.3]: the SA payload the initiator
// offers, the responder's choice against its local policy, and the initiator's check of that
// choice. The first transform of the first proposal is the optimistic one [RFC 4430 §5.2]; a
// responder may lower the life durations and still count as optimistic, but must not raise
// them [RFC 4430 §3.2] (kink.md §7.2, §8.1, §11.1).
//
// Pure functions over the decoded SA payload. The responder walk runs for every CREATE, so it
// uses index loops and scalar helpers: it allocates only what transformView does and the
// NegotiatedSa it returns.

import type { AuthAlgorithm, EncAlgorithm } from "../ipsec/algorithms.ts";
import { authAlgorithmByAhTransformId, authAlgorithmByAttribute, encAlgorithmByTransformId } from "../ipsec/algorithms.ts";
import type { IpsecMode, IpsecProtocol } from "../ipsec/sink.ts";
import { DOI_IPSEC } from "../wire/constants.ts";
import { DROP, KinkError } from "../wire/errors.ts";
import {
  buildTransformAttributes,
  DEFAULT_LIFE_SECONDS,
  EncapsulationMode,
  LifeType,
  NotifyType,
  type Proposal,
  ProtocolId,
  type SaAttribute,
  SaAttributeClass,
  type SaPayload,
  SIT_IDENTITY_ONLY,
  type Transform,
  type TransformView,
  transformView,
} from "../wire/isakmp/index.ts";

/** One acceptable transform. ESP: `enc` required, `auth` optional and absent for AEAD ciphers; AH: `auth` only. */
export interface TransformPolicy {
  readonly enc?: { readonly alg: EncAlgorithm; readonly keyBits: number };
  readonly auth?: AuthAlgorithm;
  /** 64-bit sequence numbers [RFC 4304 §2]; default false. */
  readonly esn?: boolean;
}

export interface ProposalPolicy {
  readonly protocol: IpsecProtocol;
  readonly transforms: readonly TransformPolicy[];
}

/**
 * Responder's lifetime rule, racoon2's `proposal_check` (kink.md §11.4): obey = adopt the
 * initiator's; strict = refuse a longer one than ours; claim = lower it to ours (RFC 4430 §3.2
 * lets the responder lower, and the choice stays optimistic; racoon2 treats claim as strict);
 * exact = must be equal.
 */
export type LifetimeCheck = "obey" | "strict" | "claim" | "exact";

export interface SaPolicy {
  readonly mode: IpsecMode;
  /** Offered in this order; the first transform of the first proposal is the optimistic one [RFC 4430 §5.2]. */
  readonly proposals: readonly ProposalPolicy[];
  /** Absent: no Life attributes are sent, and the RFC 2407 §4.5 default (28800 s) applies when reading. */
  readonly lifeSeconds?: number;
  readonly lifeKilobytes?: number;
  /** DH group (14, 19, 20) sent as Group Description (class 3) in every transform when set. */
  readonly pfsGroup?: number;
  /** Responder side; default "obey". */
  readonly lifetimeCheck?: LifetimeCheck;
}

export interface NegotiatedSa {
  readonly protocol: IpsecProtocol;
  readonly protocolId: number;
  readonly proposalNumber: number;
  /** The wire transform as it goes into the REPLY (lifetimes possibly lowered). */
  readonly transform: Transform;
  readonly enc?: { readonly alg: EncAlgorithm; readonly keyBits: number };
  readonly auth?: AuthAlgorithm;
  readonly esn: boolean;
  readonly mode: IpsecMode;
  /** Absent: no limit of that kind. */
  readonly lifeSeconds?: number;
  readonly lifeKilobytes?: number;
  readonly pfsGroup?: number;
  /** SPI in the initiator's proposal (the initiator's inbound SA). */
  readonly initiatorSpi: number;
  /** SPI in the responder's proposal (set once known). */
  readonly responderSpi?: number;
}

export type ProposalChoice =
  | { readonly ok: true; readonly sa: NegotiatedSa; readonly optimistic: boolean }
  | { readonly ok: false; readonly notifyType: number; readonly detail: string };

/** SPIs 1–255 are reserved by IANA and 0 is for local use only, never sent [RFC 4302 §2.4, RFC 4303 §2.1]. */
const SPI_MIN = 256;
const SPI_OCTETS = 4;

/** DH groups a responder without a PFS policy still accepts when offered: 2048-bit MODP, 256/384-bit ECP [RFC 3526 §3, RFC 5903 §3]. */
const ACCEPTED_OFFERED_GROUPS: readonly number[] = [14, 19, 20];

const MODE_VALUE: Readonly<Record<IpsecMode, number>> = { transport: EncapsulationMode.TRANSPORT, tunnel: EncapsulationMode.TUNNEL };
/** ISAKMP Protocol-ID of each IPsec protocol [RFC 2407 §4.4.1]. */
export const PROTOCOL_ID: Readonly<Record<IpsecProtocol, number>> = { esp: ProtocolId.ESP, ah: ProtocolId.AH };

/**
 * The initiator's SA payload: DOI IPsec, SIT_IDENTITY_ONLY [RFC 4430 §5]; Proposal# 1.. in
 * policy order, each with the SPI given for its protocol; Transform# 1.. with attributes in
 * racoon2's order (kink.md §11.1). A policy that cannot be put on the wire (missing SPI,
 * ESP without cipher, AEAD with an auth algorithm, AH with a cipher, unknown key size) is an
 * "unencodable" KinkError.
 */
export function buildSaOffer(policy: SaPolicy, spis: Readonly<Partial<Record<IpsecProtocol, number>>>): SaPayload {
  if (policy.proposals.length === 0) throw policyError("SA policy", "no proposal");
  const encapsulationMode = MODE_VALUE[policy.mode];
  const proposals: Proposal[] = [];
  for (let i = 0; i < policy.proposals.length; i++) {
    const pp = policy.proposals[i]!;
    const field = `Proposal #${i + 1}`;
    const spi = spis[pp.protocol];
    if (spi === undefined) throw policyError(`${field}.SPI`, `no SPI for ${pp.protocol}`);
    if (pp.transforms.length === 0) throw policyError(field, "no transform");
    const transforms: Transform[] = [];
    for (let j = 0; j < pp.transforms.length; j++) {
      const tp = pp.transforms[j]!;
      const transformId = offeredTransformId(pp.protocol, tp, `${field} Transform #${j + 1}`);
      const attributes = buildTransformAttributes({
        lifeSeconds: policy.lifeSeconds,
        lifeKilobytes: policy.lifeKilobytes,
        encapsulationMode,
        keyLength: tp.enc?.alg.keyLengthAttribute ? tp.enc.keyBits : undefined,
        // RFC 2407 §4.5: AH names its algorithm in the attribute too; ESP only when it authenticates.
        authAlgorithm: tp.auth?.authAttribute,
        groupDescription: policy.pfsGroup,
        // RFC 4304 §2 defines only 1 (64-bit); 32-bit sequence numbers are the absence of the attribute.
        esn: tp.esn ? 1 : undefined,
      });
      transforms.push({ number: j + 1, transformId, attributes });
    }
    proposals.push({ number: i + 1, protocolId: PROTOCOL_ID[pp.protocol], spi: spiOctets(spi, `${field}.SPI`), transforms });
  }
  return { type: "sa", doi: DOI_IPSEC, situation: SIT_IDENTITY_ONLY, proposals };
}

/** The Transform ID naming `tp` under `protocol`, after checking the combination is one ESP/AH can carry. */
function offeredTransformId(protocol: IpsecProtocol, tp: TransformPolicy, field: string): number {
  if (protocol === "ah") {
    if (tp.enc !== undefined) throw policyError(field, "AH does not encrypt [RFC 4302 §1]");
    if (tp.auth?.ahTransformId === undefined) throw policyError(field, "AH needs an algorithm with an AH transform ID [RFC 2407 §4.4.3]");
    return tp.auth.ahTransformId;
  }
  const enc = tp.enc;
  if (enc === undefined) throw policyError(field, "ESP needs a cipher [RFC 2407 §4.4.4]");
  if (!enc.alg.keyBits.includes(enc.keyBits)) throw policyError(field, `${enc.alg.name} has no ${enc.keyBits}-bit key`);
  if (enc.alg.kind === "aead" && tp.auth !== undefined) throw policyError(field, `${enc.alg.name} is combined mode; no separate integrity [RFC 4303 §3.2.3]`);
  return enc.alg.espTransformId;
}

const policyError = (field: string, detail: string): KinkError => new KinkError("unencodable", DROP, field, 0, detail);

/**
 * Responder: the first transform, in the initiator's proposal and transform order, that the
 * local policy accepts [RFC 2408 §4.2]; its proposal gets `responderSpi(protocol)`. Refusals
 * are the Notify to send: PAYLOAD-MALFORMED for a wrong DOI/Situation (RFC 4430 §5.5 folds
 * DOI-NOT-SUPPORTED and SITUATION-NOT-SUPPORTED into it, as the decoder does), a non-4-octet
 * SPI or malformed attributes (the KinkError from transformView is converted here, so every
 * refusal comes back as a value); INVALID-SPI for a reserved SPI; NO-PROPOSAL-CHOSEN when
 * nothing is acceptable [RFC 4430 §5.5]. Proposals of other protocols (IPCOMP) and unknown
 * transform IDs or attributes are merely unacceptable [RFC 2407 §4.5].
 */
export function chooseProposal(offer: SaPayload, policy: SaPolicy, responderSpi: (protocol: IpsecProtocol) => number): ProposalChoice {
  const header = checkSaHeader(offer);
  if (header !== undefined) return header;
  const check = policy.lifetimeCheck ?? "obey";
  // Our own limits read as transformView reads a transform we would send.
  const ourSeconds = policy.lifeSeconds ?? (policy.lifeKilobytes === undefined ? DEFAULT_LIFE_SECONDS : undefined);
  const ourKilobytes = policy.lifeKilobytes;
  const proposals = offer.proposals;
  try {
    for (let pi = 0; pi < proposals.length; pi++) {
      const p = proposals[pi]!;
      const protocol = protocolOf(p.protocolId);
      if (protocol === undefined) continue;
      if (p.spi.length !== SPI_OCTETS)
        return refuse(NotifyType.PAYLOAD_MALFORMED, `Proposal #${p.number}: ${p.spi.length}-octet SPI for ${protocol} [RFC 2407 §4.6.1]`);
      const initiatorSpi = spiValue(p.spi);
      if (initiatorSpi < SPI_MIN) return refuse(NotifyType.INVALID_SPI, `Proposal #${p.number}: SPI ${initiatorSpi} is reserved [RFC 4303 §2.1]`);
      // Proposals sharing a number form an AND bundle (AH+ESP) [RFC 2408 §4.2]; kinkd makes one
      // SA per CREATE and so cannot accept one (racoon2's bundles are broken too, kink.md §11.3),
      // but a later, single proposal may still be chosen. The decoder keeps numbers
      // non-decreasing, so bundle members are neighbours.
      if (proposals[pi - 1]?.number === p.number || proposals[pi + 1]?.number === p.number) continue;
      for (let ti = 0; ti < p.transforms.length; ti++) {
        const t = p.transforms[ti]!;
        const view = transformView(t);
        const accepted = acceptedTransform(policy, protocol, t.transformId, view);
        if (accepted === undefined) continue;
        const lifeSeconds = negotiateLife(check, view.lifeSeconds, ourSeconds);
        const lifeKilobytes = negotiateLife(check, view.lifeKilobytes, ourKilobytes);
        if (lifeSeconds === REFUSED || lifeKilobytes === REFUSED) continue;
        const lowered = lifeSeconds !== view.lifeSeconds || lifeKilobytes !== view.lifeKilobytes;
        const sa: NegotiatedSa = {
          protocol,
          protocolId: p.protocolId,
          proposalNumber: p.number,
          transform: lowered ? withLifetimes(t, lifeSeconds, lifeKilobytes) : t,
          enc: accepted.enc,
          auth: accepted.auth,
          esn: view.esn === 1,
          mode: policy.mode,
          lifeSeconds,
          lifeKilobytes,
          pfsGroup: view.groupDescription,
          initiatorSpi,
          responderSpi: responderSpi(protocol),
        };
        // Lifetimes are only ever kept or lowered here, and lowering keeps the choice optimistic [RFC 4430 §3.2].
        return { ok: true, sa, optimistic: pi === 0 && ti === 0 };
      }
    }
  } catch (e) {
    return malformed(e);
  }
  return refuse(NotifyType.NO_PROPOSAL_CHOSEN, `no acceptable transform in ${proposals.length} proposal(s) [RFC 4430 §5.5]`);
}

/**
 * The responder's SA payload for the REPLY: the chosen Proposal# and protocol with the
 * responder's SPI and exactly the chosen transform [RFC 2408 §4.2, RFC 4430 §6.3].
 */
export function buildSaChoice(sa: NegotiatedSa): SaPayload {
  if (sa.responderSpi === undefined) throw policyError("Proposal.SPI", "the responder's SPI is not known yet");
  const proposal: Proposal = {
    number: sa.proposalNumber,
    protocolId: sa.protocolId,
    spi: spiOctets(sa.responderSpi, "Proposal.SPI"),
    transforms: [sa.transform],
  };
  return { type: "sa", doi: DOI_IPSEC, situation: SIT_IDENTITY_ONLY, proposals: [proposal] };
}

/**
 * Initiator: checks the REPLY's SA against what it offered. It must name one offered proposal
 * (number and protocol), carry a 4-octet SPI ≥ 256 and exactly one transform equal to an
 * offered one of that proposal in Transform ID and every attribute but the life durations
 * (attribute order does not matter), whose lifetimes are no longer than offered — a longer
 * one is NO-PROPOSAL-CHOSEN and a shorter one is adopted [RFC 4430 §3.2]. Optimistic when that
 * is the first transform of the first proposal [RFC 4430 §3.2, §5.2]. Refusals carry the
 * Notify type that names the fault; malformed attributes are converted as in chooseProposal.
 */
export function acceptChoice(offer: SaPayload, reply: SaPayload, policy: SaPolicy): ProposalChoice {
  const header = checkSaHeader(reply);
  if (header !== undefined) return header;
  if (reply.proposals.length === 0) return refuse(NotifyType.PAYLOAD_MALFORMED, "REPLY SA has no Proposal [RFC 4430 §6.3]");
  // kinkd never offers a bundle, so several Proposals cannot be a choice among its offers.
  if (reply.proposals.length > 1) return refuse(NotifyType.NO_PROPOSAL_CHOSEN, `REPLY SA has ${reply.proposals.length} Proposals; none was a bundle offer`);
  const chosen = reply.proposals[0]!;
  const pi = offeredProposalIndex(offer, chosen);
  const protocol = protocolOf(chosen.protocolId);
  if (pi < 0 || protocol === undefined)
    return refuse(NotifyType.NO_PROPOSAL_CHOSEN, `Proposal #${chosen.number} of protocol ${chosen.protocolId} was not offered`);
  const offered = offer.proposals[pi]!;
  if (chosen.spi.length !== SPI_OCTETS) return refuse(NotifyType.PAYLOAD_MALFORMED, `${chosen.spi.length}-octet SPI for ${protocol} [RFC 2407 §4.6.1]`);
  const responderSpi = spiValue(chosen.spi);
  if (responderSpi < SPI_MIN) return refuse(NotifyType.INVALID_SPI, `SPI ${responderSpi} is reserved [RFC 4303 §2.1]`);
  // The responder picks one transform [RFC 2408 §4.2]; anything else breaks the syntax, which KINK reports as PAYLOAD-MALFORMED [RFC 4430 §5.5].
  if (chosen.transforms.length !== 1)
    return refuse(NotifyType.PAYLOAD_MALFORMED, `chosen Proposal carries ${chosen.transforms.length} Transforms, not 1 [RFC 2408 §4.2]`);
  const t = chosen.transforms[0]!;
  try {
    const view = transformView(t);
    let longer = false;
    for (let ti = 0; ti < offered.transforms.length; ti++) {
      const o = offered.transforms[ti]!;
      if (o.transformId !== t.transformId) continue;
      const ov = transformView(o);
      if (!sameExceptLifetimes(view, ov)) continue;
      if (longerThan(view.lifeSeconds, ov.lifeSeconds) || longerThan(view.lifeKilobytes, ov.lifeKilobytes)) {
        longer = true;
        continue;
      }
      const accepted = acceptedTransform(policy, protocol, t.transformId, view);
      if (accepted === undefined) return refuse(NotifyType.NO_PROPOSAL_CHOSEN, "chosen transform is not in the local policy");
      const sa: NegotiatedSa = {
        protocol,
        protocolId: chosen.protocolId,
        proposalNumber: chosen.number,
        transform: t,
        enc: accepted.enc,
        auth: accepted.auth,
        esn: view.esn === 1,
        mode: policy.mode,
        // The reply's values are the shorter ones: none is longer than offered [RFC 4430 §3.2].
        lifeSeconds: view.lifeSeconds,
        lifeKilobytes: view.lifeKilobytes,
        pfsGroup: view.groupDescription,
        initiatorSpi: spiValue(offered.spi),
        responderSpi,
      };
      return { ok: true, sa, optimistic: pi === 0 && ti === 0 };
    }
    return refuse(
      NotifyType.NO_PROPOSAL_CHOSEN,
      longer ? "chosen transform has a longer lifetime than offered [RFC 4430 §3.2]" : `chosen transform (ID ${t.transformId}) was not offered`,
    );
  } catch (e) {
    return malformed(e);
  }
}

const refuse = (notifyType: number, detail: string): ProposalChoice => ({ ok: false, notifyType, detail });

/** A KinkError from transformView as the Notify it names; anything else is a bug and propagates. */
function malformed(e: unknown): ProposalChoice {
  if (e instanceof KinkError && e.response.kind === "notify") return refuse(e.response.notifyType, e.message);
  throw e;
}

/** DOI IPsec and SIT_IDENTITY_ONLY are the only ones KINK allows [RFC 4430 §5]; others are PAYLOAD-MALFORMED [RFC 4430 §5.5]. */
function checkSaHeader(sa: SaPayload): ProposalChoice | undefined {
  if (sa.doi !== DOI_IPSEC) return refuse(NotifyType.PAYLOAD_MALFORMED, `SA DOI ${sa.doi}, KINK requires 1 (IPsec) [RFC 4430 §5]`);
  if (sa.situation !== SIT_IDENTITY_ONLY)
    return refuse(NotifyType.PAYLOAD_MALFORMED, `SA Situation ${sa.situation}, KINK requires SIT_IDENTITY_ONLY [RFC 4430 §5]`);
  return undefined;
}

export function protocolOf(protocolId: number): IpsecProtocol | undefined {
  if (protocolId === ProtocolId.ESP) return "esp";
  if (protocolId === ProtocolId.AH) return "ah";
  return undefined;
}

/**
 * The policy transform that a wire transform of `protocol` matches, or undefined when it is
 * not acceptable: an attribute kinkd does not interpret or Key Rounds, another encapsulation
 * mode (an absent one is host-dependent [RFC 2407 §4.5], which could silently differ from
 * ours), an ESN value other than 1 [RFC 4304 §2], a group the policy does not take, an unknown
 * algorithm, or no policy transform with the same cipher, key size, integrity and ESN.
 */
function acceptedTransform(policy: SaPolicy, protocol: IpsecProtocol, transformId: number, view: TransformView): TransformPolicy | undefined {
  if (view.unknown.length > 0 || view.keyRounds !== undefined) return undefined;
  if (view.encapsulationMode !== MODE_VALUE[policy.mode]) return undefined;
  if (view.esn !== undefined && view.esn !== 1) return undefined;
  if (!groupAcceptable(policy.pfsGroup, view.groupDescription)) return undefined;
  let enc: EncAlgorithm | undefined;
  let keyBits = 0;
  let auth: AuthAlgorithm | undefined;
  if (protocol === "esp") {
    enc = encAlgorithmByTransformId(transformId);
    if (enc === undefined) return undefined;
    keyBits = view.keyLength ?? enc.keyBits[0]!;
    if (view.authAlgorithm !== undefined) {
      auth = authAlgorithmByAttribute(view.authAlgorithm);
      // A combined-mode cipher takes no separate integrity algorithm [RFC 4303 §3.2.3].
      if (auth === undefined || enc.kind === "aead") return undefined;
    }
  } else {
    auth = authAlgorithmByAhTransformId(transformId);
    // The attribute names the same algorithm as AH's Transform ID [RFC 2407 §4.4.3, §4.5]; AH has no cipher key.
    if (auth === undefined || view.authAlgorithm !== auth.authAttribute || view.keyLength !== undefined) return undefined;
  }
  const esn = view.esn === 1;
  for (let pi = 0; pi < policy.proposals.length; pi++) {
    const pp = policy.proposals[pi]!;
    if (pp.protocol !== protocol) continue;
    for (let ti = 0; ti < pp.transforms.length; ti++) {
      const tp = pp.transforms[ti]!;
      if ((tp.esn ?? false) !== esn || tp.auth?.authAttribute !== auth?.authAttribute) continue;
      if (enc === undefined ? tp.enc === undefined : tp.enc?.alg.espTransformId === enc.espTransformId && tp.enc.keyBits === keyBits) return tp;
    }
  }
  return undefined;
}

/** With a PFS policy the offer must use its group; without one, an offered strong group is fine (PFS only adds a KE). */
function groupAcceptable(ours: number | undefined, offered: number | undefined): boolean {
  if (ours !== undefined) return offered === ours;
  return offered === undefined || ACCEPTED_OFFERED_GROUPS.includes(offered);
}

/** negotiateLife's refusal; lifetimes are never negative. */
const REFUSED = -1;

/** The lifetime the responder takes for one unit under `check`; undefined = no limit of that unit. */
function negotiateLife(check: LifetimeCheck, offered: number | undefined, ours: number | undefined): number | undefined {
  const longer = longerThan(offered, ours);
  switch (check) {
    case "obey":
      return offered;
    case "strict":
      return longer ? REFUSED : offered;
    case "claim":
      return longer ? ours : offered;
    case "exact":
      return offered === ours ? offered : REFUSED;
  }
}

/** Whether lifetime `a` exceeds limit `b`; undefined is unlimited. */
const longerThan = (a: number | undefined, b: number | undefined): boolean => b !== undefined && (a === undefined || a > b);

/**
 * `t` with its seconds/kilobytes Life pairs replaced by the negotiated ones, put first as
 * racoon2 orders them (kink.md §11.1); every other attribute, a Life pair of an unknown unit
 * included, keeps its place. Only a lowered choice is rebuilt; otherwise the REPLY echoes the
 * initiator's transform as is.
 */
function withLifetimes(t: Transform, lifeSeconds: number | undefined, lifeKilobytes: number | undefined): Transform {
  const attributes = buildTransformAttributes({ lifeSeconds, lifeKilobytes });
  for (let i = 0; i < t.attributes.length; i++) {
    const a = t.attributes[i]!;
    if (a.class === SaAttributeClass.LIFE_TYPE) {
      const unit = numericValue(a);
      if (unit === LifeType.SECONDS || unit === LifeType.KILOBYTES) {
        i++; // skip its Life Duration, which checkAttributes guarantees follows it
        continue;
      }
    }
    attributes.push(a);
  }
  return { number: t.number, transformId: t.transformId, attributes };
}

/** An attribute's value as a number, whatever its form [RFC 2408 §3.3]; transformView has already bounded it. */
function numericValue(a: SaAttribute): number {
  if ("value" in a) return a.value;
  let value = 0;
  for (const b of a.bytes) value = value * 256 + b;
  return value;
}

/**
 * Same meaning apart from the life durations; attribute order and basic/variable form do not
 * count. Attributes kinkd does not interpret need no comparison: acceptedTransform refuses them.
 */
function sameExceptLifetimes(a: TransformView, b: TransformView): boolean {
  return (
    a.encapsulationMode === b.encapsulationMode &&
    a.authAlgorithm === b.authAlgorithm &&
    a.keyLength === b.keyLength &&
    a.keyRounds === b.keyRounds &&
    a.groupDescription === b.groupDescription &&
    a.esn === b.esn
  );
}

/** Index of the offered proposal with the same number and protocol, or -1. */
function offeredProposalIndex(offer: SaPayload, chosen: Proposal): number {
  for (let i = 0; i < offer.proposals.length; i++) {
    const p = offer.proposals[i]!;
    if (p.number === chosen.number && p.protocolId === chosen.protocolId) return i;
  }
  return -1;
}

/** The 4 octets of an SPI we send; 0–255 never go on the wire [RFC 4303 §2.1]. */
function spiOctets(spi: number, field: string): Uint8Array {
  if (!Number.isInteger(spi) || spi < SPI_MIN || spi > 0xffffffff) throw policyError(field, `${spi} is not an SPI [RFC 4303 §2.1]`);
  return Uint8Array.of(spi >>> 24, (spi >>> 16) & 0xff, (spi >>> 8) & 0xff, spi & 0xff);
}

const spiValue = (spi: Uint8Array): number => ((spi[0]! << 24) | (spi[1]! << 16) | (spi[2]! << 8) | spi[3]!) >>> 0;
