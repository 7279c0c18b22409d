// The SA payload with its Proposals and Transforms [RFC 2408 §3.4–§3.6, RFC 2407 §4.6.1] as
// KINK restricts it [RFC 4430 §5]: DOI IPsec, SIT_IDENTITY_ONLY, no labelled-domain fields.

import { DOI_IPSEC } from "../constants.ts";
import type { WireReader } from "../reader.ts";
import type { WireWriter } from "../writer.ts";
import { attributeOffsets, interpretAttributes, readAttributes, TRANSFORM_ATTRIBUTES_AT, writeAttributes } from "./attributes.ts";
import { IsakmpPayloadType, ProtocolId, protocolIdName, SIT_IDENTITY_ONLY } from "./constants.ts";
import type { Proposal, SaPayload, Transform } from "./types.ts";
import { copyBytes, type Fail, fieldWriter, type PayloadCodec, readChain, writeChain } from "./walk.ts";

/**
 * SPI sizes per protocol: AH and ESP carry 4 octets, IPCOMP a 2-octet CPI or 4 octets with
 * the CPI in the low half [RFC 2407 §4.4.1, §4.6.1]. Other protocols (ISAKMP's phase-1 SA)
 * have no place in KINK [RFC 4430 §5].
 */
export function checkSpiSize(protocolId: number, spiSize: number, what: string, fail: Fail, at?: number): void {
  const allowed = protocolId === ProtocolId.IPCOMP ? [2, 4] : protocolId === ProtocolId.AH || protocolId === ProtocolId.ESP ? [4] : [];
  if (allowed.length === 0) fail("bad-isakmp", `${what}.ProtocolID`, `${protocolIdName(protocolId)} is not negotiated by KINK [RFC 4430 §5]`, at);
  if (!allowed.includes(spiSize)) fail("bad-isakmp", `${what}.SPISize`, `${spiSize} octets for ${protocolIdName(protocolId)} [RFC 2407 §4.6.1]`, at);
}

function checkSaHeader(doi: number, situation: number, fail: Fail, at?: number): void {
  if (doi !== DOI_IPSEC) fail("bad-doi", "SA.DOI", `${doi}, KINK requires 1 (IPsec) [RFC 4430 §5]`, at);
  if (situation !== SIT_IDENTITY_ONLY) fail("bad-isakmp", "SA.Situation", `${situation}, KINK requires SIT_IDENTITY_ONLY [RFC 4430 §5]`, at);
}

/** Proposal numbers only grow: equal numbers form an AND bundle, a larger one the next choice [RFC 2408 §4.2]. */
function checkProposalNumber(number: number, previous: number | undefined, fail: Fail, at?: number): void {
  if (previous !== undefined && number < previous) fail("bad-isakmp", "Proposal.Number", `#${number} after #${previous} [RFC 2408 §4.2]`, at);
}

export const saCodec: PayloadCodec<SaPayload> = {
  type: IsakmpPayloadType.SA,

  decode(r, fail, payloadAt) {
    const doi = r.u32("SA.DOI");
    const situation = r.u32("SA.Situation");
    checkSaHeader(doi, situation, fail, payloadAt + 4);
    const proposals: Proposal[] = [];
    // The SA header names no first payload: a Proposal always follows [RFC 2408 §3.4].
    readChain(r, IsakmpPayloadType.PROPOSAL, payloadAt, "Proposal", (type, typeAt, at) => {
      if (type !== IsakmpPayloadType.PROPOSAL) fail("bad-isakmp", "Proposal.NextPayload", `${type}, only 2 or 0 inside an SA [RFC 2408 §3.5]`, typeAt);
      proposals.push(decodeProposal(r, fail, at, proposals.at(-1)?.number));
    });
    return { type: "sa", doi, situation, proposals };
  },

  encode(w, sa, fail) {
    checkSaHeader(sa.doi, sa.situation, fail);
    if (sa.proposals.length === 0) fail("bad-isakmp", "SA", "no Proposal [RFC 2408 §3.4]");
    w.u32(sa.doi).u32(sa.situation);
    writeChain(
      w,
      sa.proposals,
      () => IsakmpPayloadType.PROPOSAL,
      (p, i) => encodeProposal(w, p, fail, sa.proposals[i - 1]?.number),
    );
  },
};

function decodeProposal(r: WireReader, fail: Fail, at: number, previousNumber: number | undefined): Proposal {
  const number = r.u8("Proposal.Number");
  checkProposalNumber(number, previousNumber, fail, at + 4);
  const protocolId = r.u8("Proposal.ProtocolID");
  const spiSize = r.u8("Proposal.SPISize");
  checkSpiSize(protocolId, spiSize, "Proposal", fail, at + 5);
  const transformCount = r.u8("Proposal.#Transforms");
  const spi = copyBytes(r.bytesView(spiSize, "Proposal.SPI"));
  const transforms: Transform[] = [];
  readChain(r, IsakmpPayloadType.TRANSFORM, at, "Transform", (type, typeAt, transformAt) => {
    if (type !== IsakmpPayloadType.TRANSFORM) fail("bad-isakmp", "Transform.NextPayload", `${type}, only 3 or 0 inside a Proposal [RFC 2408 §3.6]`, typeAt);
    transforms.push(decodeTransform(r, fail, transformAt));
  });
  if (transforms.length !== transformCount)
    fail("bad-isakmp", "Proposal.#Transforms", `says ${transformCount}, the Proposal holds ${transforms.length} [RFC 2408 §3.5]`, at + 7);
  return { number, protocolId, spi, transforms };
}

function encodeProposal(w: WireWriter, p: Proposal, fail: Fail, previousNumber: number | undefined): void {
  checkProposalNumber(p.number, previousNumber, fail);
  checkSpiSize(p.protocolId, p.spi.length, "Proposal", fail);
  if (p.transforms.length === 0 || p.transforms.length > 0xff) fail("bad-isakmp", "Proposal.#Transforms", `${p.transforms.length} transforms [RFC 2408 §3.5]`);
  fieldWriter(w, fail)
    .u8(p.number, "Proposal.Number")
    .u8(p.protocolId, "Proposal.ProtocolID")
    .u8(p.spi.length, "Proposal.SPISize")
    .u8(p.transforms.length, "Proposal.#Transforms")
    .bytes(p.spi);
  writeChain(
    w,
    p.transforms,
    () => IsakmpPayloadType.TRANSFORM,
    (t) => encodeTransform(w, t, fail),
  );
}

function decodeTransform(r: WireReader, fail: Fail, at: number): Transform {
  const number = r.u8("Transform.Number");
  const transformId = r.u8("Transform.TransformID");
  if (r.u16("Transform.RESERVED2") !== 0) fail("bad-reserved", "Transform.RESERVED2", "must be 0 [RFC 2408 §3.6]", at + 6);
  const attributes = readAttributes(r);
  interpretAttributes(attributes, attributeOffsets(attributes, at + TRANSFORM_ATTRIBUTES_AT), fail);
  return { number, transformId, attributes };
}

function encodeTransform(w: WireWriter, t: Transform, fail: Fail): void {
  const at = w.pos - 4;
  interpretAttributes(t.attributes, attributeOffsets(t.attributes, at + TRANSFORM_ATTRIBUTES_AT), fail);
  fieldWriter(w, fail).u8(t.number, "Transform.Number").u8(t.transformId, "Transform.TransformID").u16(0, "Transform.RESERVED2");
  writeAttributes(w, t.attributes, fail);
}
