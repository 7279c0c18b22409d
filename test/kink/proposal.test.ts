// SA proposals of a CREATE [RFC 4430 §3.2, §5.2, §6.3]: the initiator's offer on the wire
// (racoon2's layout, kink.md §13.1), the responder's choice against its policy, and the
// initiator's check of the REPLY's SA, each through the real ISAKMP codec.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { authAlgorithmByName, encAlgorithmByName } from "../../src/ipsec/algorithms.ts";
import type { IpsecProtocol } from "../../src/ipsec/sink.ts";
import {
  acceptChoice,
  buildSaChoice,
  buildSaOffer,
  chooseProposal,
  type ProposalChoice,
  type SaPolicy,
  type TransformPolicy,
} from "../../src/kink/proposal.ts";
import { KinkError } from "../../src/wire/errors.ts";
import type { Proposal, SaAttribute, SaPayload, Transform } from "../../src/wire/isakmp/index.ts";
import { hex, toHex } from "../helpers/bytes.ts";
import { decodeChain, encodeChain, WORKED_EXAMPLE_NI, workedExampleChain } from "../helpers/isakmp-bytes.ts";

const aesCbc = encAlgorithmByName("aes-cbc")!;
const tdes = encAlgorithmByName("3des-cbc")!;
const gcm16 = encAlgorithmByName("aes-gcm-16")!;
const sha1 = authAlgorithmByName("hmac-sha1-96")!;
const sha256 = authAlgorithmByName("hmac-sha2-256-128")!;

const AES128_SHA1: TransformPolicy = { enc: { alg: aesCbc, keyBits: 128 }, auth: sha1 };
const AES256_SHA1: TransformPolicy = { enc: { alg: aesCbc, keyBits: 256 }, auth: sha1 };
const TDES_SHA1: TransformPolicy = { enc: { alg: tdes, keyBits: 192 }, auth: sha1 };
const GCM256: TransformPolicy = { enc: { alg: gcm16, keyBits: 256 } };
const AH_SHA256: TransformPolicy = { auth: sha256 };

const INITIATOR_SPI = 0x0a0b0c0d;
const RESPONDER_SPI = 0x11223344;
const SPIS = { esp: INITIATOR_SPI, ah: 0x0a0b0c0e };
const respSpi = (p: IpsecProtocol): number => (p === "esp" ? RESPONDER_SPI : RESPONDER_SPI + 1);

/** kink.md §13's policy: ESP AES-CBC-128 + HMAC-SHA1, transport, 3600 s. */
const EXAMPLE: SaPolicy = { mode: "transport", proposals: [{ protocol: "esp", transforms: [AES128_SHA1] }], lifeSeconds: 3600 };

const esp = (...transforms: TransformPolicy[]): SaPolicy["proposals"][number] => ({ protocol: "esp", transforms });
const policy = (over: Partial<SaPolicy>): SaPolicy => ({ ...EXAMPLE, ...over });

/** The SA payload after a trip through the encoder and decoder. */
function wire(sa: SaPayload): SaPayload {
  const { bytes, firstType } = encodeChain([sa]);
  return decodeChain(bytes, firstType)[0] as SaPayload;
}

const offerOf = (p: SaPolicy): SaPayload => wire(buildSaOffer(p, SPIS));

/** `sa` with proposal `pi`'s transform `ti` given other attributes. */
function editTransform(sa: SaPayload, pi: number, ti: number, edit: (attributes: readonly SaAttribute[]) => SaAttribute[], transformId?: number): SaPayload {
  const proposals = sa.proposals.map((p, i) =>
    i !== pi
      ? p
      : {
          ...p,
          transforms: p.transforms.map((t, j) => (j !== ti ? t : { ...t, transformId: transformId ?? t.transformId, attributes: edit(t.attributes) })),
        },
  );
  return { ...sa, proposals };
}

const without = (cls: number) => (attributes: readonly SaAttribute[]) => attributes.filter((a) => a.class !== cls);
const setValue = (cls: number, value: number) => (attributes: readonly SaAttribute[]) =>
  attributes.map((a) => (a.class === cls ? { class: cls, value, form: "basic" as const } : a));
const adding =
  (...extra: SaAttribute[]) =>
  (attributes: readonly SaAttribute[]) => [...attributes, ...extra];

function chosen(c: ProposalChoice) {
  if (!c.ok) throw new Error(`expected a choice, got notify ${c.notifyType}: ${c.detail}`);
  return c;
}

function refused(c: ProposalChoice, notifyType: number): string {
  if (c.ok) throw new Error(`expected notify ${notifyType}, got a choice`);
  assert.is(c.notifyType, notifyType, c.detail);
  return c.detail;
}

/** Life seconds/kilobytes as the attributes say them: [unit, duration] pairs. */
function lifePairs(t: Transform): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < t.attributes.length; i++) {
    const a = t.attributes[i]!;
    if (a.class === 1 && "value" in a) {
      const d = t.attributes[++i]!;
      out.push([a.value, "value" in d ? d.value : -1]);
    }
  }
  return out;
}

// --- the offer -------------------------------------------------------------------------------

test("offer: racoon2's layout for AES-CBC-128/HMAC-SHA1, byte for byte (kink.md §13.1), and back through the decoder", () => {
  const sa = buildSaOffer(EXAMPLE, { esp: INITIATOR_SPI });
  const { bytes, firstType } = encodeChain([sa, { type: "nonce", data: WORKED_EXAMPLE_NI }]);
  assert.is(firstType, 1);
  assert.is(
    toHex(bytes.subarray(0, 52)),
    "0a000034" +
      "00000001" +
      "00000001" +
      "00000028" +
      "01030401" +
      "0a0b0c0d" +
      "0000001c" +
      "010c0000" +
      "80010001" +
      "80020e10" +
      "80040002" +
      "80060080" +
      "80050002",
  );
  assert.equal(bytes, encodeChain(workedExampleChain()).bytes);
  assert.equal(decodeChain(bytes, firstType)[0], sa);
});

test("offer: Proposal#/Transform# in order, one SPI per protocol, AH by transform ID with its auth attribute, PFS group and ESN in every transform", () => {
  const p: SaPolicy = {
    mode: "tunnel",
    proposals: [esp(GCM256, { ...TDES_SHA1, esn: true }), { protocol: "ah", transforms: [AH_SHA256] }, esp(AES256_SHA1)],
    lifeSeconds: 100000,
    lifeKilobytes: 5000,
    pfsGroup: 19,
  };
  const sa = offerOf(p);
  assert.equal(
    sa.proposals.map((q) => [q.number, q.protocolId, toHex(q.spi), q.transforms.map((t) => [t.number, t.transformId])]),
    [
      [
        1,
        3,
        "0a0b0c0d",
        [
          [1, 20],
          [2, 3],
        ],
      ],
      [2, 2, "0a0b0c0e", [[1, 5]]],
      [3, 3, "0a0b0c0d", [[1, 12]]],
    ],
  );
  const attrs = (pi: number, ti: number) => sa.proposals[pi]!.transforms[ti]!.attributes.map((a) => ["value" in a ? a.value : -1, a.class]);
  // Life (seconds > 0xFFFF as 4-octet variable), Life KB, mode tunnel, key length, [auth], group, [esn]
  assert.equal(attrs(0, 0), [
    [1, 1],
    [100000, 2],
    [2, 1],
    [5000, 2],
    [1, 4],
    [256, 6],
    [19, 3],
  ]);
  assert.equal(attrs(0, 1), [
    [1, 1],
    [100000, 2],
    [2, 1],
    [5000, 2],
    [1, 4],
    [2, 5],
    [19, 3],
    [1, 11],
  ]); // 3DES: no Key Length
  assert.equal(attrs(1, 0), [
    [1, 1],
    [100000, 2],
    [2, 1],
    [5000, 2],
    [1, 4],
    [5, 5],
    [19, 3],
  ]);
  assert.equal(sa.proposals[0]!.transforms[0]!.attributes[1], { class: 2, value: 100000, form: "variable" });
});

test("offer: without lifetimes no Life attributes are sent (RFC 2407 §4.5 default)", () => {
  const sa = buildSaOffer(policy({ lifeSeconds: undefined }), SPIS);
  assert.equal(lifePairs(sa.proposals[0]!.transforms[0]!), []);
});

test("offer: a policy the wire cannot carry is an unencodable KinkError", () => {
  const bad: [SaPolicy, Partial<Record<IpsecProtocol, number>>][] = [
    [EXAMPLE, { ah: 0x1000 }], // no ESP SPI
    [EXAMPLE, { esp: 255 }], // reserved SPI
    [policy({ proposals: [esp({ enc: { alg: gcm16, keyBits: 256 }, auth: sha1 })] }), SPIS], // AEAD + auth
    [policy({ proposals: [{ protocol: "ah", transforms: [AES128_SHA1] }] }), SPIS], // AH with a cipher
    [policy({ proposals: [esp({ auth: sha1 })] }), SPIS], // ESP without a cipher
    [policy({ proposals: [esp({ enc: { alg: aesCbc, keyBits: 100 } })] }), SPIS],
    [policy({ proposals: [] }), SPIS],
  ];
  for (const [p, spis] of bad) {
    try {
      buildSaOffer(p, spis);
      assert.unreachable("accepted");
    } catch (e) {
      assert.instance(e, KinkError);
      assert.is((e as KinkError).reason, "unencodable");
    }
  }
});

// --- the responder's choice -----------------------------------------------------------------

test("responder: the optimistic transform, with both SPIs and what KEYMAT and the sink need", () => {
  const offer = offerOf(EXAMPLE);
  const c = chosen(chooseProposal(offer, EXAMPLE, respSpi));
  assert.ok(c.optimistic);
  const sa = c.sa;
  assert.is(sa.protocol, "esp");
  assert.is(sa.protocolId, 3);
  assert.is(sa.proposalNumber, 1);
  assert.is(sa.transform, offer.proposals[0]!.transforms[0]); // echoed unchanged
  assert.is(sa.enc!.alg, aesCbc);
  assert.is(sa.enc!.keyBits, 128);
  assert.is(sa.auth, sha1);
  assert.is(sa.esn, false);
  assert.is(sa.mode, "transport");
  assert.is(sa.lifeSeconds, 3600);
  assert.is(sa.lifeKilobytes, undefined);
  assert.is(sa.pfsGroup, undefined);
  assert.is(sa.initiatorSpi, INITIATOR_SPI);
  assert.is(sa.responderSpi, RESPONDER_SPI);
});

test("responder: a later transform or proposal is chosen in the initiator's order and is not optimistic", () => {
  const offer = offerOf(policy({ proposals: [esp(AES256_SHA1, AES128_SHA1), esp(TDES_SHA1)] }));
  const second = chosen(chooseProposal(offer, EXAMPLE, respSpi));
  assert.not.ok(second.optimistic);
  assert.is(second.sa.proposalNumber, 1);
  assert.is(second.sa.transform.number, 2);
  assert.is(second.sa.enc!.keyBits, 128);

  const byProposal = chosen(chooseProposal(offer, policy({ proposals: [esp(TDES_SHA1)] }), respSpi));
  assert.not.ok(byProposal.optimistic);
  assert.is(byProposal.sa.proposalNumber, 2);
  assert.is(byProposal.sa.enc!.alg, tdes);

  // The initiator's order wins over the responder's preference.
  const first = chosen(chooseProposal(offer, policy({ proposals: [esp(TDES_SHA1, AES128_SHA1, AES256_SHA1)] }), respSpi));
  assert.ok(first.optimistic);
  assert.is(first.sa.enc!.keyBits, 256);
});

test("responder: another encapsulation mode, or none, is NO-PROPOSAL-CHOSEN", () => {
  const offer = offerOf(EXAMPLE);
  refused(chooseProposal(offer, policy({ mode: "tunnel" }), respSpi), 14);
  refused(chooseProposal(editTransform(offer, 0, 0, without(4)), EXAMPLE, respSpi), 14);
  assert.is(chosen(chooseProposal(offerOf(policy({ mode: "tunnel" })), policy({ mode: "tunnel" }), respSpi)).sa.mode, "tunnel");
});

test("responder: key size must match; an absent Key Length means the cipher's first size", () => {
  refused(chooseProposal(offerOf(policy({ proposals: [esp(AES256_SHA1)] })), EXAMPLE, respSpi), 14);
  const noKeyLength = editTransform(offerOf(EXAMPLE), 0, 0, without(6));
  assert.is(chosen(chooseProposal(noKeyLength, EXAMPLE, respSpi)).sa.enc!.keyBits, 128);
  refused(chooseProposal(noKeyLength, policy({ proposals: [esp(AES256_SHA1)] }), respSpi), 14);
});

test("responder: AEAD without integrity; an auth attribute next to a combined-mode cipher is not acceptable", () => {
  const p = policy({ proposals: [esp(GCM256)] });
  const offer = offerOf(p);
  assert.equal(offer.proposals[0]!.transforms[0]!.transformId, 20);
  const c = chosen(chooseProposal(offer, p, respSpi));
  assert.is(c.sa.enc!.alg, gcm16);
  assert.is(c.sa.enc!.keyBits, 256);
  assert.is(c.sa.auth, undefined);
  const withSha1 = editTransform(offer, 0, 0, adding({ class: 5, value: 2, form: "basic" }));
  refused(chooseProposal(withSha1, p, respSpi), 14);
  // Even against a responder policy that (wrongly) pairs the two.
  refused(chooseProposal(withSha1, policy({ proposals: [esp({ ...GCM256, auth: sha1 })] }), respSpi), 14);
  // ESP with integrity offered to a policy without it (and vice versa) does not match.
  refused(chooseProposal(offerOf(EXAMPLE), policy({ proposals: [esp({ enc: { alg: aesCbc, keyBits: 128 } })] }), respSpi), 14);
});

test("responder: AH with HMAC-SHA2-256; its auth attribute must name the same algorithm", () => {
  const p = policy({ proposals: [{ protocol: "ah", transforms: [AH_SHA256] }] });
  const offer = offerOf(p);
  const c = chosen(chooseProposal(offer, p, respSpi));
  assert.ok(c.optimistic);
  assert.is(c.sa.protocol, "ah");
  assert.is(c.sa.protocolId, 2);
  assert.is(c.sa.auth, sha256);
  assert.is(c.sa.enc, undefined);
  assert.is(c.sa.initiatorSpi, SPIS.ah);
  assert.is(c.sa.responderSpi, RESPONDER_SPI + 1);
  refused(chooseProposal(editTransform(offer, 0, 0, setValue(5, 2)), p, respSpi), 14);
  refused(chooseProposal(editTransform(offer, 0, 0, without(5)), p, respSpi), 14);
  refused(chooseProposal(editTransform(offer, 0, 0, adding({ class: 6, value: 128, form: "basic" })), p, respSpi), 14); // AH has no cipher key
  refused(chooseProposal(offer, EXAMPLE, respSpi), 14); // an ESP-only policy
});

test("responder: ESN must be what the policy says", () => {
  const withEsn = policy({ proposals: [esp({ ...AES128_SHA1, esn: true })] });
  assert.ok(chosen(chooseProposal(offerOf(withEsn), withEsn, respSpi)).sa.esn);
  refused(chooseProposal(offerOf(withEsn), EXAMPLE, respSpi), 14);
  refused(chooseProposal(offerOf(EXAMPLE), withEsn, respSpi), 14);
  // RFC 4304 §2 defines only 1; another value is not "32-bit" either.
  refused(chooseProposal(editTransform(offerOf(EXAMPLE), 0, 0, adding({ class: 11, value: 2, form: "basic" })), EXAMPLE, respSpi), 14);
});

test("lifetimes, obey (default): the initiator's are adopted, longer or shorter", () => {
  const offer = offerOf(policy({ lifeSeconds: 7200, lifeKilobytes: 900 }));
  const c = chosen(chooseProposal(offer, policy({ lifeSeconds: 3600 }), respSpi));
  assert.ok(c.optimistic);
  assert.is(c.sa.lifeSeconds, 7200);
  assert.is(c.sa.lifeKilobytes, 900);
  assert.is(c.sa.transform, offer.proposals[0]!.transforms[0]);
});

test("lifetimes, strict: longer than ours is refused, shorter or equal adopted; no Life attribute reads as 28800 s", () => {
  const strict = policy({ lifetimeCheck: "strict" });
  refused(chooseProposal(offerOf(policy({ lifeSeconds: 7200 })), strict, respSpi), 14);
  assert.is(chosen(chooseProposal(offerOf(policy({ lifeSeconds: 1800 })), strict, respSpi)).sa.lifeSeconds, 1800);
  assert.is(chosen(chooseProposal(offerOf(EXAMPLE), strict, respSpi)).sa.lifeSeconds, 3600);
  refused(chooseProposal(offerOf(policy({ lifeSeconds: undefined })), strict, respSpi), 14);
  // Our kilobyte limit refuses an offer without one (unlimited).
  refused(chooseProposal(offerOf(EXAMPLE), policy({ lifetimeCheck: "strict", lifeKilobytes: 1000 }), respSpi), 14);
});

test("lifetimes, claim: a longer one is lowered to ours in the REPLY's transform and the choice stays optimistic", () => {
  const claim = policy({ lifetimeCheck: "claim", lifeSeconds: 3600, lifeKilobytes: 1000 });
  const offer = offerOf(policy({ lifeSeconds: 100000, pfsGroup: 14 }));
  const c = chosen(chooseProposal(offer, { ...claim, pfsGroup: 14 }, respSpi));
  assert.ok(c.optimistic);
  assert.is(c.sa.lifeSeconds, 3600);
  assert.is(c.sa.lifeKilobytes, 1000);
  const t = c.sa.transform;
  assert.is(t.number, 1);
  assert.is(t.transformId, 12);
  assert.equal(lifePairs(t), [
    [1, 3600],
    [2, 1000],
  ]);
  // Everything else kept, in the initiator's order.
  assert.equal(
    t.attributes.slice(4).map((a) => a.class),
    [4, 6, 5, 3],
  );
  // A shorter one is left alone.
  const short = offerOf(policy({ lifeSeconds: 600, lifeKilobytes: 10 }));
  assert.is(chosen(chooseProposal(short, claim, respSpi)).sa.transform, short.proposals[0]!.transforms[0]);
  // No Life attribute at all (28800 s) is lowered too.
  assert.equal(lifePairs(chosen(chooseProposal(offerOf(policy({ lifeSeconds: undefined })), claim, respSpi)).sa.transform), [
    [1, 3600],
    [2, 1000],
  ]);
});

test("lifetimes, exact: only equal ones", () => {
  const exact = policy({ lifetimeCheck: "exact" });
  assert.is(chosen(chooseProposal(offerOf(EXAMPLE), exact, respSpi)).sa.lifeSeconds, 3600);
  refused(chooseProposal(offerOf(policy({ lifeSeconds: 1800 })), exact, respSpi), 14);
  refused(chooseProposal(offerOf(policy({ lifeKilobytes: 50 })), exact, respSpi), 14);
  // Both without Life attributes: both mean 28800 s.
  const none = policy({ lifetimeCheck: "exact", lifeSeconds: undefined });
  assert.is(chosen(chooseProposal(offerOf(policy({ lifeSeconds: undefined })), none, respSpi)).sa.lifeSeconds, 28800);
});

test("lifetimes: a transform refused for its lifetime lets a later one be chosen", () => {
  const offer = offerOf(policy({ lifeSeconds: 7200 }));
  const shorter = editTransform(
    {
      ...offer,
      proposals: [{ ...offer.proposals[0]!, transforms: [offer.proposals[0]!.transforms[0]!, { ...offer.proposals[0]!.transforms[0]!, number: 2 }] }],
    },
    0,
    1,
    setValue(2, 600),
  );
  const c = chosen(chooseProposal(shorter, policy({ lifetimeCheck: "strict" }), respSpi));
  assert.is(c.sa.transform.number, 2);
  assert.not.ok(c.optimistic);
});

test("PFS group: required by policy, absent from policy, offered", () => {
  const pfs = policy({ pfsGroup: 14 });
  refused(chooseProposal(offerOf(EXAMPLE), pfs, respSpi), 14);
  assert.is(chosen(chooseProposal(offerOf(pfs), pfs, respSpi)).sa.pfsGroup, 14);
  refused(chooseProposal(offerOf(policy({ pfsGroup: 19 })), pfs, respSpi), 14);
  // Without a PFS policy an offered strong group is accepted, a weak one is not.
  assert.is(chosen(chooseProposal(offerOf(policy({ pfsGroup: 20 })), EXAMPLE, respSpi)).sa.pfsGroup, 20);
  refused(chooseProposal(offerOf(policy({ pfsGroup: 2 })), EXAMPLE, respSpi), 14);
});

test("bundles: an AH+ESP bundle is not acceptable, a later single proposal still is", () => {
  const offer = offerOf(policy({ proposals: [{ protocol: "ah", transforms: [AH_SHA256] }, esp(AES128_SHA1), esp(AES128_SHA1)] }));
  const bundled: SaPayload = { ...offer, proposals: [offer.proposals[0]!, { ...offer.proposals[1]!, number: 1 }, { ...offer.proposals[2]!, number: 2 }] };
  const w = wire(bundled);
  const both = policy({ proposals: [{ protocol: "ah", transforms: [AH_SHA256] }, esp(AES128_SHA1)] });
  const c = chosen(chooseProposal(w, both, respSpi));
  assert.is(c.sa.proposalNumber, 2);
  assert.is(c.sa.protocol, "esp");
  assert.not.ok(c.optimistic);
  refused(chooseProposal({ ...w, proposals: w.proposals.slice(0, 2) }, both, respSpi), 14);
});

test("SA header: DOI or Situation other than 1 is PAYLOAD-MALFORMED (RFC 4430 §5, §5.5)", () => {
  const offer = offerOf(EXAMPLE);
  refused(chooseProposal({ ...offer, doi: 2 }, EXAMPLE, respSpi), 16);
  refused(chooseProposal({ ...offer, situation: 2 }, EXAMPLE, respSpi), 16);
});

test("SPI: not 4 octets is PAYLOAD-MALFORMED, 1–255 INVALID-SPI; IPCOMP is skipped", () => {
  const offer = offerOf(EXAMPLE);
  const withSpi = (spi: Uint8Array): SaPayload => ({ ...offer, proposals: [{ ...offer.proposals[0]!, spi }] });
  refused(chooseProposal(withSpi(hex("0a0b0c")), EXAMPLE, respSpi), 16);
  refused(chooseProposal(withSpi(hex("000000ff")), EXAMPLE, respSpi), 11);
  assert.is(chosen(chooseProposal(withSpi(hex("00000100")), EXAMPLE, respSpi)).sa.initiatorSpi, 256);
  const ipcomp: Proposal = { number: 1, protocolId: 4, spi: hex("0002"), transforms: [{ number: 1, transformId: 2, attributes: [] }] };
  const c = chosen(chooseProposal(wire({ ...offer, proposals: [ipcomp, { ...offer.proposals[0]!, number: 2 }] }), EXAMPLE, respSpi));
  assert.is(c.sa.proposalNumber, 2);
});

test("unknown attributes, Key Rounds and unknown transform IDs make a transform unacceptable, not the payload malformed", () => {
  const offer = offerOf(policy({ proposals: [esp(AES128_SHA1, AES128_SHA1)] }));
  const unknown = editTransform(offer, 0, 0, adding({ class: 20, value: 1, form: "basic" }));
  const c = chosen(chooseProposal(wire(unknown), EXAMPLE, respSpi));
  assert.is(c.sa.transform.number, 2);
  assert.not.ok(c.optimistic);
  refused(chooseProposal(editTransform(offerOf(EXAMPLE), 0, 0, adding({ class: 20, value: 1, form: "basic" })), EXAMPLE, respSpi), 14);
  refused(chooseProposal(editTransform(offerOf(EXAMPLE), 0, 0, adding({ class: 7, value: 16, form: "basic" })), EXAMPLE, respSpi), 14);
  // A Life pair of an unknown unit [RFC 2407 §4.5].
  const oddLife = adding({ class: 1, value: 3, form: "basic" }, { class: 2, value: 5, form: "basic" });
  refused(chooseProposal(editTransform(offerOf(EXAMPLE), 0, 0, oddLife), EXAMPLE, respSpi), 14);
  assert.is(
    chosen(
      chooseProposal(
        editTransform(offer, 0, 0, (a) => [...a], 99),
        EXAMPLE,
        respSpi,
      ),
    ).sa.transform.number,
    2,
  );
});

test("malformed attributes come back as the PAYLOAD-MALFORMED refusal", () => {
  const offer = editTransform(offerOf(EXAMPLE), 0, 0, (a) => [{ class: 2, value: 5, form: "basic" }, ...a]);
  const detail = refused(chooseProposal(offer, EXAMPLE, respSpi), 16);
  assert.match(detail, /Life Duration/);
});

test("nothing acceptable is NO-PROPOSAL-CHOSEN", () => {
  const offer = offerOf(policy({ proposals: [esp(TDES_SHA1), { protocol: "ah", transforms: [AH_SHA256] }] }));
  const detail = refused(chooseProposal(offer, policy({ proposals: [esp(GCM256)] }), respSpi), 14);
  assert.match(detail, /2 proposal/);
});

test("buildSaChoice: one proposal with the responder's SPI and exactly the chosen transform; needs that SPI", () => {
  const offer = offerOf(policy({ proposals: [esp(AES256_SHA1), esp(AES128_SHA1, TDES_SHA1)] }));
  const c = chosen(chooseProposal(offer, policy({ proposals: [esp(TDES_SHA1)] }), respSpi));
  const reply = wire(buildSaChoice(c.sa));
  assert.is(reply.doi, 1);
  assert.is(reply.situation, 1);
  assert.is(reply.proposals.length, 1);
  const p = reply.proposals[0]!;
  assert.is(p.number, 2);
  assert.is(p.protocolId, 3);
  assert.is(toHex(p.spi), "11223344");
  assert.equal(p.transforms, [offer.proposals[1]!.transforms[1]]);
  assert.throws(
    () => buildSaChoice({ ...c.sa, responderSpi: undefined }),
    (e: unknown) => e instanceof KinkError,
  );
});

// --- the initiator's check ------------------------------------------------------------------

/** Initiator offers, responder chooses, both SA payloads cross the wire. */
function exchange(initiator: SaPolicy, responder: SaPolicy) {
  const sent = buildSaOffer(initiator, SPIS);
  const c = chosen(chooseProposal(wire(sent), responder, respSpi));
  return { sent, reply: wire(buildSaChoice(c.sa)), responder: c };
}

test("initiator: accepts what the responder chose, with both SPIs and the same optimistic verdict", () => {
  const { sent, reply, responder } = exchange(EXAMPLE, EXAMPLE);
  const c = chosen(acceptChoice(sent, reply, EXAMPLE));
  assert.ok(c.optimistic);
  assert.equal(c.sa, responder.sa);
  assert.is(c.sa.initiatorSpi, INITIATOR_SPI);
  assert.is(c.sa.responderSpi, RESPONDER_SPI);

  const offered = policy({ proposals: [esp(AES256_SHA1), esp(GCM256, AES128_SHA1)] });
  const second = exchange(offered, EXAMPLE);
  const c2 = chosen(acceptChoice(second.sent, second.reply, offered));
  assert.not.ok(c2.optimistic);
  assert.is(c2.sa.proposalNumber, 2);
  assert.is(c2.sa.enc!.keyBits, 128);
  assert.is(c2.sa.auth, sha1);
});

test("initiator: a lowered lifetime is adopted and still optimistic; a longer one is NO-PROPOSAL-CHOSEN", () => {
  const initiator = policy({ lifeSeconds: 7200 });
  const { sent, reply } = exchange(initiator, policy({ lifetimeCheck: "claim", lifeSeconds: 3600, lifeKilobytes: 500 }));
  const c = chosen(acceptChoice(sent, reply, initiator));
  assert.ok(c.optimistic);
  assert.is(c.sa.lifeSeconds, 3600);
  assert.is(c.sa.lifeKilobytes, 500);

  const ok = exchange(EXAMPLE, EXAMPLE);
  const longer = editTransform(ok.reply, 0, 0, setValue(2, 7200));
  assert.match(refused(acceptChoice(ok.sent, longer, EXAMPLE), 14), /longer/);
  // Dropping the Life attributes claims the 28800 s default: longer than 3600.
  refused(
    acceptChoice(
      ok.sent,
      editTransform(ok.reply, 0, 0, (a) => a.slice(2)),
      EXAMPLE,
    ),
    14,
  );
});

test("initiator: attribute order does not matter", () => {
  const { sent, reply } = exchange(EXAMPLE, EXAMPLE);
  const reversed = wire(editTransform(reply, 0, 0, (a) => [a[4]!, a[3]!, a[2]!, a[0]!, a[1]!]));
  assert.not.equal(reversed.proposals[0]!.transforms[0]!.attributes, reply.proposals[0]!.transforms[0]!.attributes);
  assert.ok(chosen(acceptChoice(sent, reversed, EXAMPLE)).optimistic);
});

test("initiator: a transform not offered, a changed or added attribute is NO-PROPOSAL-CHOSEN", () => {
  const { sent, reply } = exchange(EXAMPLE, EXAMPLE);
  refused(acceptChoice(sent, editTransform(reply, 0, 0, without(6), 3), EXAMPLE), 14); // 3DES
  refused(acceptChoice(sent, editTransform(reply, 0, 0, setValue(6, 256)), EXAMPLE), 14);
  refused(acceptChoice(sent, editTransform(reply, 0, 0, setValue(4, 1)), EXAMPLE), 14);
  refused(acceptChoice(sent, editTransform(reply, 0, 0, without(5)), EXAMPLE), 14);
  refused(acceptChoice(sent, editTransform(reply, 0, 0, adding({ class: 3, value: 14, form: "basic" })), EXAMPLE), 14);
  refused(acceptChoice(sent, editTransform(reply, 0, 0, adding({ class: 20, value: 1, form: "basic" })), EXAMPLE), 14);
});

test("initiator: proposal shape — two proposals, wrong number or protocol, transform count, SPI, SA header", () => {
  const { sent, reply } = exchange(EXAMPLE, EXAMPLE);
  const p = reply.proposals[0]!;
  refused(acceptChoice(sent, { ...reply, proposals: [p, { ...p, number: 2 }] }, EXAMPLE), 14);
  refused(acceptChoice(sent, { ...reply, proposals: [{ ...p, number: 2 }] }, EXAMPLE), 14);
  refused(acceptChoice(sent, { ...reply, proposals: [{ ...p, protocolId: 2 }] }, EXAMPLE), 14);
  refused(acceptChoice(sent, { ...reply, proposals: [] }, EXAMPLE), 16);
  refused(acceptChoice(sent, { ...reply, proposals: [{ ...p, transforms: [p.transforms[0]!, p.transforms[0]!] }] }, EXAMPLE), 16);
  refused(acceptChoice(sent, { ...reply, proposals: [{ ...p, spi: hex("000000ff") }] }, EXAMPLE), 11);
  refused(acceptChoice(sent, { ...reply, proposals: [{ ...p, spi: hex("0102") }] }, EXAMPLE), 16);
  refused(acceptChoice(sent, { ...reply, doi: 0 }, EXAMPLE), 16);
  refused(acceptChoice(sent, { ...reply, situation: 4 }, EXAMPLE), 16);
});

test.run();
