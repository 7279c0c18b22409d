// The SA payload with its Proposals and Transforms [RFC 2408 §3.4–§3.6, RFC 2407 §4.6.1] as
// KINK restricts it [RFC 4430 §5]: DOI IPsec, SIT_IDENTITY_ONLY, no labelled-domain fields.

import { DOI_IPSEC } from "../constants.ts";
import type { WireReader } from "../reader.ts";
import type { WireWriter } from "../writer.ts";
import { checkAttributes, readAttributes, shareTransform, TRANSFORM_ATTRIBUTES_AT, writeAttributes } from "./attributes.ts";
import { IsakmpPayloadType, ProtocolId, protocolIdName, SIT_IDENTITY_ONLY } from "./constants.ts";
import type { Proposal, SaAttribute, SaPayload, Transform } from "./types.ts";
import { ChainCursor, chainFields, chainLength, type Fail, fit, type PayloadCodec, U8_MAX, writeChain } from "./walk.ts";

/**
 * SPI sizes per protocol: AH and ESP carry 4 octets, IPCOMP a 2-octet CPI or 4 octets with
 * the CPI in the low half [RFC 2407 §4.4.1, §4.6.1]. Other protocols (ISAKMP's phase-1 SA)
 * have no place in KINK [RFC 4430 §5].
 */
export function checkSpiSize(protocolId: number, spiSize: number, what: string, fail: Fail, at?: number): void {
  const ipcomp = protocolId === ProtocolId.IPCOMP;
  if (!ipcomp && protocolId !== ProtocolId.AH && protocolId !== ProtocolId.ESP)
    fail("bad-isakmp", `${what}.ProtocolID`, `${protocolIdName(protocolId)} is not negotiated by KINK [RFC 4430 §5]`, at);
  if (spiSize !== 4 && !(ipcomp && spiSize === 2))
    fail("bad-isakmp", `${what}.SPISize`, `${spiSize} octets for ${protocolIdName(protocolId)} [RFC 2407 §4.6.1]`, at);
}

function checkSaHeader(doi: number, situation: number, fail: Fail, at?: number): void {
  if (doi !== DOI_IPSEC) fail("bad-doi", "SA.DOI", `${doi}, KINK requires 1 (IPsec) [RFC 4430 §5]`, at);
  if (situation !== SIT_IDENTITY_ONLY) fail("bad-isakmp", "SA.Situation", `${situation}, KINK requires SIT_IDENTITY_ONLY [RFC 4430 §5]`, at);
}

/** Proposal numbers only grow: equal numbers form an AND bundle, a larger one the next choice [RFC 2408 §4.2]. */
function checkProposalNumber(number: number, previous: number | undefined, fail: Fail, at?: number): void {
  if (previous !== undefined && number < previous) fail("bad-isakmp", "Proposal.Number", `#${number} after #${previous} [RFC 2408 §4.2]`, at);
}

const PROPOSALS = new ChainCursor(chainFields("Proposal"));
const TRANSFORMS = new ChainCursor(chainFields("Transform"));
const proposalType = () => IsakmpPayloadType.PROPOSAL;
const transformType = () => IsakmpPayloadType.TRANSFORM;

export const saCodec: PayloadCodec<SaPayload> = {
  type: IsakmpPayloadType.SA,

  decode(r, fail, payloadAt) {
    const doi = r.u32("SA.DOI");
    const situation = r.u32("SA.Situation");
    checkSaHeader(doi, situation, fail, payloadAt + 4);
    // The SA header names no first payload: a Proposal always follows [RFC 2408 §3.4].
    const proposals: Proposal[] = new Array(chainLength(r, IsakmpPayloadType.PROPOSAL));
    const chain = PROPOSALS.start(r, IsakmpPayloadType.PROPOSAL, payloadAt);
    for (let i = 0; chain.next(); i++) {
      if (chain.type !== IsakmpPayloadType.PROPOSAL)
        fail("bad-isakmp", "Proposal.NextPayload", `${chain.type}, only 2 or 0 inside an SA [RFC 2408 §3.5]`, chain.typeAt);
      proposals[i] = decodeProposal(r, fail, chain.at, i > 0 ? proposals[i - 1]!.number : undefined);
    }
    return { type: "sa", doi, situation, proposals };
  },

  encode(w, sa, fail) {
    checkSaHeader(sa.doi, sa.situation, fail);
    if (sa.proposals.length === 0) fail("bad-isakmp", "SA", "no Proposal [RFC 2408 §3.4]");
    w.u32(sa.doi).u32(sa.situation);
    writeChain(w, sa.proposals, fail, proposalType, encodeProposal);
  },
};

function decodeProposal(r: WireReader, fail: Fail, at: number, previousNumber: number | undefined): Proposal {
  const number = r.u8("Proposal.Number");
  checkProposalNumber(number, previousNumber, fail, at + 4);
  const protocolId = r.u8("Proposal.ProtocolID");
  const spiSize = r.u8("Proposal.SPISize");
  checkSpiSize(protocolId, spiSize, "Proposal", fail, at + 5);
  const transformCount = r.u8("Proposal.#Transforms");
  const spi = r.keep(spiSize, "Proposal.SPI");
  // Sized by #Transforms, which a Proposal that decodes has right.
  const transforms: Transform[] = new Array(transformCount);
  const chain = TRANSFORMS.start(r, IsakmpPayloadType.TRANSFORM, at);
  let count = 0;
  while (chain.next()) {
    if (chain.type !== IsakmpPayloadType.TRANSFORM)
      fail("bad-isakmp", "Transform.NextPayload", `${chain.type}, only 3 or 0 inside a Proposal [RFC 2408 §3.6]`, chain.typeAt);
    transforms[count++] = decodeTransform(r, fail, chain.at);
  }
  if (count !== transformCount) fail("bad-isakmp", "Proposal.#Transforms", `says ${transformCount}, the Proposal holds ${count} [RFC 2408 §3.5]`, at + 7);
  return { number, protocolId, spi, transforms };
}

function encodeProposal(w: WireWriter, p: Proposal, fail: Fail, previous: Proposal | undefined): void {
  checkProposalNumber(p.number, previous?.number, fail);
  checkSpiSize(p.protocolId, p.spi.length, "Proposal", fail);
  if (p.transforms.length === 0 || p.transforms.length > U8_MAX)
    fail("bad-isakmp", "Proposal.#Transforms", `${p.transforms.length} transforms [RFC 2408 §3.5]`);
  w.u8(fit(p.number, U8_MAX, "Proposal.Number", fail))
    .u8(fit(p.protocolId, U8_MAX, "Proposal.ProtocolID", fail))
    .u8(fit(p.spi.length, U8_MAX, "Proposal.SPISize", fail))
    .u8(fit(p.transforms.length, U8_MAX, "Proposal.#Transforms", fail))
    .bytes(p.spi);
  writeChain(w, p.transforms, fail, transformType, encodeTransform);
}

/**
 * Transforms decoded before, by the octets of their body (Transform#, Transform-ID, RESERVED2,
 * attributes): every CREATE from a peer offers its policy's transforms again, and the same
 * octets decode to the same Transform, so a repeat is answered with the one decoded first,
 * without reading or checking its attributes again. Direct-mapped on a hash of the octets.
 * Only transforms with numeric attributes are kept (shareTransform freezes them; an octet
 * value's Uint8Array could not be frozen).
 */
const TRANSFORM_CACHE_SLOTS = 64;
/** Transform#, Transform-ID and RESERVED2: the shortest body that decodes [RFC 2408 §3.6]. */
const TRANSFORM_FIXED = 4;
/** Longest body kept: the fixed 4 octets and 15 basic attributes, more than any policy sends. */
const TRANSFORM_CACHE_MAX = 64;
const cacheOctets = new Uint8Array(TRANSFORM_CACHE_SLOTS * TRANSFORM_CACHE_MAX);
/** Body length per slot; 0 = empty. */
const cacheLengths = new Uint8Array(TRANSFORM_CACHE_SLOTS);
const cacheTransforms: (Transform | undefined)[] = new Array(TRANSFORM_CACHE_SLOTS).fill(undefined);

function decodeTransform(r: WireReader, fail: Fail, at: number): Transform {
  const b = r.bytes;
  const start = r.pos;
  const length = r.end - start;
  let slot = -1;
  if (length >= TRANSFORM_FIXED && length <= TRANSFORM_CACHE_MAX) {
    // FNV-1a over the body.
    let h = 0x811c9dc5;
    for (let i = start; i < r.end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    slot = (h >>> 0) & (TRANSFORM_CACHE_SLOTS - 1);
    if (cacheLengths[slot] === length && sameOctets(b, start, length, slot * TRANSFORM_CACHE_MAX)) {
      r.pos = r.end;
      return cacheTransforms[slot]!;
    }
  }
  const number = r.u8("Transform.Number");
  const transformId = r.u8("Transform.TransformID");
  if (r.u16("Transform.RESERVED2") !== 0) fail("bad-reserved", "Transform.RESERVED2", "must be 0 [RFC 2408 §3.6]", at + 6);
  const attributes = readAttributes(r);
  checkAttributes(attributes, at + TRANSFORM_ATTRIBUTES_AT, fail);
  const t: Transform = { number, transformId, attributes };
  if (slot >= 0 && attributes.every(isNumeric)) {
    shareTransform(t);
    cacheOctets.set(b.subarray(start, start + length), slot * TRANSFORM_CACHE_MAX);
    cacheLengths[slot] = length;
    cacheTransforms[slot] = t;
  }
  return t;
}

function sameOctets(b: Uint8Array, start: number, length: number, cached: number): boolean {
  for (let i = 0; i < length; i++) if (b[start + i] !== cacheOctets[cached + i]) return false;
  return true;
}

const isNumeric = (a: SaAttribute): boolean => "value" in a;

function encodeTransform(w: WireWriter, t: Transform, fail: Fail): void {
  checkAttributes(t.attributes, w.pos - 4 + TRANSFORM_ATTRIBUTES_AT, fail);
  w.u8(fit(t.number, U8_MAX, "Transform.Number", fail))
    .u8(fit(t.transformId, U8_MAX, "Transform.TransformID", fail))
    .u16(0);
  writeAttributes(w, t.attributes, fail);
}
