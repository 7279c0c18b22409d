// The KINK_ISAKMP codec on known bytes: the worked example of kink.md §13.1, racoon2's real
// CREATE/REPLY/DELETE plaintexts, every payload kind, every rule that refuses a chain (with the
// Notify RFC 4430 §5.5 asks for), the transform view and racoon2's attribute builder.
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KinkError } from "../../src/wire/errors.ts";
import {
  buildTransformAttributes,
  decodeIsakmpChain,
  formatAddress,
  type IsakmpPayload,
  parseAddress,
  type SaPayload,
  transformView,
} from "../../src/wire/isakmp/index.ts";
import { WireWriter } from "../../src/wire/writer.ts";
import { hex, toHex } from "../helpers/bytes.ts";
import { decodeChain, decodeOrError, encodeChain, RICH_CHAIN, WORKED_EXAMPLE_NI, workedExampleChain } from "../helpers/isakmp-bytes.ts";

/** kink.md §13.1: one ESP proposal, AES-CBC-128 + HMAC-SHA1, transport, 3600 s, then Ni. */
const NI = WORKED_EXAMPLE_NI;
const WORKED_EXAMPLE = hex(`
  0a000034 00000001 00000001
  00000028 0103040 1 0a0b0c0d
  0000001c 010c0000 80010001 80020e10 80040002 80060080 80050002
  00000014 ${toHex(NI)}`);

/** The KinkError a decode must end in, with the Notify it asks for. */
function decodeError(bytes: Uint8Array, firstType: number): KinkError {
  const r = decodeOrError(bytes, firstType);
  if (!(r instanceof KinkError)) assert.unreachable(`decoded ${toHex(bytes)} instead of failing`);
  return r as KinkError;
}

function assertMalformed(bytes: Uint8Array, firstType: number, reason: string, field?: string): void {
  const e = decodeError(bytes, firstType);
  assert.equal(e.response, { kind: "notify", notifyType: 16 }, e.message);
  assert.is(e.reason, reason, e.message);
  if (field) assert.is(e.field, field, e.message);
}

test("§13.1 worked example: built with racoon2's attribute order, encodes to the 72 octets", () => {
  assert.is(WORKED_EXAMPLE.length, 72);
  const { bytes, firstType } = encodeChain(workedExampleChain());
  assert.is(toHex(bytes), toHex(WORKED_EXAMPLE));
  assert.is(firstType, 1);
});

test("§13.1 worked example decodes to the same structure and its transform reads as negotiated", () => {
  const chain = decodeChain(WORKED_EXAMPLE, 1);
  assert.equal(chain, workedExampleChain());
  const view = transformView((chain[0] as SaPayload).proposals[0]!.transforms[0]!);
  assert.equal(view, { lifeSeconds: 3600, encapsulationMode: 2, keyLength: 128, authAlgorithm: 2, unknown: [] });
});

test("errors name octets of the enclosing datagram through origin and inner", () => {
  const framed = new Uint8Array(100);
  framed.set(WORKED_EXAMPLE, 20);
  framed[20 + 1] = 7; // the SA's RESERVED octet
  try {
    decodeIsakmpChain(framed, 1, 20, 92, 1000, true);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, KinkError);
    assert.is((e as KinkError).offset, 1021);
    assert.is((e as KinkError).inner, true);
  }
  assert.equal(decodeIsakmpChain(framed.fill(0, 21, 22), 1, 20, 92, 1000, true), workedExampleChain());
});

test("decoded SPIs and nonces are copies: the buffer can be reused once the chain is decoded", () => {
  const bytes = WORKED_EXAMPLE.slice();
  const chain = decodeChain(bytes, 1);
  bytes.fill(0xee);
  assert.equal(chain, workedExampleChain());
});

test("chains longer than the decoder counts ahead decode whole: 20 Notifies, Proposals and Transforms", () => {
  const [sa, nonce] = workedExampleChain() as [SaPayload, IsakmpPayload];
  const p = sa.proposals[0]!;
  const t = p.transforms[0]!;
  const n = Array.from({ length: 20 }, (_, i) => i);
  const chain: IsakmpPayload[] = [
    {
      ...sa,
      proposals: [
        { ...p, transforms: n.map((i) => ({ ...t, number: i + 1 })) },
        ...n.map((i) => ({ ...p, number: i + 2, spi: Uint8Array.of(1, 2, 3, i + 4) })),
      ],
    },
    nonce,
    ...n.map((i) => ({ type: "notify" as const, doi: 1, protocolId: 3, spi: new Uint8Array(0), notifyType: 24578 + i, data: Uint8Array.of(i) })),
  ];
  const { bytes, firstType } = encodeChain(chain);
  assert.equal(decodeChain(bytes, firstType), chain);
});

test("a transform decoded again is the shared, frozen Transform of the first decode; other octets decode anew", () => {
  const transformOf = (bytes: Uint8Array) => (decodeChain(bytes, 1)[0] as SaPayload).proposals[0]!.transforms[0]!;
  const first = transformOf(WORKED_EXAMPLE);
  const again = transformOf(WORKED_EXAMPLE.slice());
  assert.is(again, first);
  assert.ok(Object.isFrozen(first) && Object.isFrozen(first.attributes) && first.attributes.every((a) => Object.isFrozen(a)));
  assert.is(transformView(again), transformView(first));
  assert.ok(Object.isFrozen(transformView(first)));
  // Key Length 128 → 256 (octets 46–47): same length, another transform.
  const longer = WORKED_EXAMPLE.slice();
  longer.set([0x01, 0x00], 46);
  const other = transformOf(longer);
  assert.is.not(other, first);
  assert.equal(transformView(other), { lifeSeconds: 3600, encapsulationMode: 2, keyLength: 256, authAlgorithm: 2, unknown: [] });
  assert.is(transformView(first).keyLength, 128);
  // A Transform of its header only, or shorter than its fixed fields, is still truncated.
  for (const [length, field] of [
    [4, "Transform.Number"],
    [5, "Transform.TransformID"],
    [7, "Transform.RESERVED2"],
  ] as const) {
    const short = WORKED_EXAMPLE.slice(0, 24 + length);
    short.set([0, short.length], 2);
    short.set([0, 12 + length], 14);
    short[27] = length;
    assertMalformed(short, 1, "truncated", field);
  }
  // RESERVED2 set: the octets of a transform seen before save nothing from the check.
  const reserved = WORKED_EXAMPLE.slice();
  reserved[31] = 1;
  assertMalformed(reserved, 1, "bad-reserved", "Transform.RESERVED2");
  assert.is(transformOf(WORKED_EXAMPLE), first);
});

test("a transform with an octet-valued attribute is not shared: each decode owns its octets", () => {
  const [sa, ...rest] = workedExampleChain() as [SaPayload, ...IsakmpPayload[]];
  const p = sa.proposals[0]!;
  const t = p.transforms[0]!;
  // Life Duration 3600 in 3 octets, which RFC 2407 §4.5 allows.
  const attributes = t.attributes.map((a) => (a.class === 2 ? { class: 2, bytes: hex("000e10") } : a));
  const { bytes, firstType } = encodeChain([{ ...sa, proposals: [{ ...p, transforms: [{ ...t, attributes }] }] }, ...rest]);
  const transformOf = () => (decodeChain(bytes, firstType)[0] as SaPayload).proposals[0]!.transforms[0]!;
  const first = transformOf();
  const again = transformOf();
  assert.is.not(again, first);
  assert.not.ok(Object.isFrozen(first));
  assert.equal(again, first);
  assert.is(transformView(first).lifeSeconds, 3600);
});

interface CaptureMessage {
  type_name: string;
  encrypt?: { plaintext: string; inner: { inner_next: number; isakmp: CaptureIsakmp[] }[] };
}
interface CaptureIsakmp {
  payload: string;
  doi?: number;
  protocol?: number;
  spis?: string[];
  nonce?: string;
  proposals?: {
    num: number;
    protocol: number;
    spi: string;
    transforms: { num: number; id: number; attrs: { class: number; form: string; value: number }[] }[];
  }[];
}
const capture = JSON.parse(readFileSync(new URL("../interop/racoon2-optimistic/known-answers.json", import.meta.url), "utf8")) as {
  messages: CaptureMessage[];
};
const captured = capture.messages.filter((m) => m.encrypt?.inner.length);

test("racoon2 capture: every KINK_ISAKMP body decodes, matches the recorded fields and re-encodes byte for byte", () => {
  assert.is(captured.length, 4);
  for (const m of captured) {
    const plaintext = hex(m.encrypt!.plaintext);
    // Plaintext: InnerNextPload + RESERVED2 (4), then KINK_ISAKMP: header (4), InnerNextPload, QM version, RESERVED (4).
    const kinkIsakmpLength = (plaintext[6]! << 8) | plaintext[7]!;
    const recorded = m.encrypt!.inner[0]!;
    assert.is(plaintext[8], recorded.inner_next);
    const chain = decodeIsakmpChain(plaintext, plaintext[8]!, 12, 4 + kinkIsakmpLength, 0, true);
    assert.is(chain.length, recorded.isakmp.length, m.type_name);
    chain.forEach((p, i) => {
      const want = recorded.isakmp[i]!;
      if (p.type === "sa") {
        assert.is(want.payload, "SA");
        assert.equal(
          p.proposals.map((pr) => ({
            num: pr.number,
            protocol: pr.protocolId,
            spi: toHex(pr.spi),
            transforms: pr.transforms.map((t) => ({ num: t.number, id: t.transformId, attrs: t.attributes })),
          })),
          want.proposals!.map((pr) => ({
            num: pr.num,
            protocol: pr.protocol,
            spi: pr.spi,
            transforms: pr.transforms.map((t) => ({
              num: t.num,
              id: t.id,
              attrs: t.attrs.map((a) => ({ class: a.class, value: a.value, form: a.form === "TV" ? "basic" : "variable" })),
            })),
          })),
        );
        assert.equal(transformView(p.proposals[0]!.transforms[0]!), { lifeSeconds: 3600, encapsulationMode: 2, keyLength: 128, authAlgorithm: 2, unknown: [] });
      } else if (p.type === "nonce") assert.is(toHex(p.data), want.nonce);
      else if (p.type === "delete") {
        assert.equal([want.payload, want.doi, want.protocol], ["D", p.doi, p.protocolId]);
        assert.equal(p.spis.map(toHex), want.spis);
      } else assert.unreachable(`unexpected ${p.type}`);
    });
    const { bytes, firstType } = encodeChain(chain);
    assert.is(firstType, recorded.inner_next);
    assert.is(toHex(bytes), toHex(plaintext.subarray(12, 4 + kinkIsakmpLength)), m.type_name);
  }
});

test("the rich chain (every payload kind and attribute form) round-trips", () => {
  const { bytes, firstType } = encodeChain(RICH_CHAIN);
  assert.is(firstType, 1);
  assert.equal(decodeChain(bytes, firstType), RICH_CHAIN);
  assert.equal(encodeChain(decodeChain(bytes, firstType)).bytes, bytes);
});

test("each payload kind alone (or as the ID pair) round-trips", () => {
  const groups: IsakmpPayload[][] = [
    [RICH_CHAIN[0]!],
    [RICH_CHAIN[1]!],
    [RICH_CHAIN[2]!],
    [RICH_CHAIN[3]!, RICH_CHAIN[4]!],
    [RICH_CHAIN[5]!],
    [RICH_CHAIN[6]!],
  ];
  for (const g of groups) {
    const { bytes, firstType } = encodeChain(g);
    assert.equal(decodeChain(bytes, firstType), g);
  }
  assert.equal(encodeChain([]), { bytes: new Uint8Array(0), firstType: 0 });
  assert.equal(decodeChain(new Uint8Array(0), 0), []);
});

test("phase-1 and unassigned payload types are INVALID-PAYLOAD-TYPE with the type as data", () => {
  const nonce = encodeChain([RICH_CHAIN[1]!]).bytes;
  for (const type of [2, 3, 6, 7, 8, 9, 13, 14, 128, 255]) {
    const e = decodeError(nonce, type);
    assert.equal(e.response, { kind: "notify", notifyType: 1, data: Uint8Array.of(type) });
    assert.is(e.field, "KINK_ISAKMP.InnerNextPload");
    const chained = nonce.slice();
    chained[0] = type;
    const later = decodeError(new Uint8Array([...chained, ...nonce]), 10);
    assert.equal(later.response, { kind: "notify", notifyType: 1, data: Uint8Array.of(type) });
    assert.is([later.field, later.offset].join("@"), "ISAKMP.NextPayload@0");
  }
});

/** Encodes `chain`, lets `edit` change octets, and expects PAYLOAD-MALFORMED for `reason`. */
function assertEditRefused(chain: IsakmpPayload[], edit: (b: Uint8Array) => void, reason: string, field?: string): void {
  const { bytes, firstType } = encodeChain(chain);
  edit(bytes);
  assertMalformed(bytes, firstType, reason, field);
}

const [SA, NONCE, KE, IDCI, IDCR, NOTIFY, DELETE] = RICH_CHAIN as [SaPayload, ...IsakmpPayload[]];

test("SA: DOI and Situation must be 1; proposal structure must add up", () => {
  assertEditRefused([SA], (b) => (b[7] = 2), "bad-doi", "SA.DOI");
  assertEditRefused([SA], (b) => (b[11] = 2), "bad-isakmp", "SA.Situation");
  // First proposal's Next Payload says 3 instead of 2.
  assertEditRefused([SA], (b) => (b[12] = 3), "bad-isakmp", "Proposal.NextPayload");
  // #Transforms of the first proposal says 2, it holds 1.
  assertEditRefused([SA], (b) => (b[19] = 2), "bad-isakmp", "Proposal.#Transforms");
  // SPI size 4 → 2 for AH.
  assertEditRefused([SA], (b) => (b[18] = 2), "bad-isakmp", "Proposal.SPISize");
  // Protocol ISAKMP has no phase-2 SA.
  assertEditRefused([SA], (b) => (b[17] = 1), "bad-isakmp", "Proposal.ProtocolID");
  // Second proposal numbered 0 after #1.
  const bytes = encodeChain([SA]).bytes;
  const second = 12 + ((bytes[14]! << 8) | bytes[15]!);
  assertEditRefused([SA], (b) => (b[second + 4] = 0), "bad-isakmp", "Proposal.Number");
  // Transform RESERVED2.
  assertEditRefused([SA], (b) => (b[12 + 8 + 4 + 7] = 1), "bad-reserved", "Transform.RESERVED2");
});

test("SA attributes: Life Duration pairing and duplicates are malformed; unknown classes are only reported", () => {
  const saWith = (attributes: SaPayload["proposals"][0]["transforms"][0]["attributes"]): SaPayload => ({
    ...SA,
    proposals: [{ number: 1, protocolId: 3, spi: hex("01020304"), transforms: [{ number: 1, transformId: 12, attributes }] }],
  });
  const basic = (cls: number, value: number) => ({ class: cls, value, form: "basic" as const });
  const cases: [string, SaPayload["proposals"][0]["transforms"][0]["attributes"]][] = [
    ["Duration without Type", [basic(2, 60)]],
    ["Type without Duration", [basic(1, 1), basic(4, 1)]],
    ["Type at the end", [basic(4, 1), basic(1, 1)]],
    ["seconds twice", [basic(1, 1), basic(2, 60), basic(1, 1), basic(2, 90)]],
    ["class twice", [basic(4, 1), basic(4, 2)]],
    ["oversized numeric value", [{ class: 6, bytes: hex("0102030405060708") }]],
  ];
  for (const [what, attributes] of cases) {
    const bytes = saBytesWithAttributes(attributes);
    const e = decodeError(bytes, 1);
    assert.equal(e.response, { kind: "notify", notifyType: 16 }, what);
    assert.is(e.reason, "bad-isakmp", what);
    try {
      encodeChain([saWith(attributes)]);
      assert.unreachable(what);
    } catch (err) {
      assert.is((err as KinkError).reason, "unencodable", what);
    }
    try {
      transformView(saWith(attributes).proposals[0]!.transforms[0]!);
      assert.unreachable(what);
    } catch (err) {
      assert.equal((err as KinkError).response, { kind: "notify", notifyType: 16 }, what);
    }
  }
  const odd = [
    basic(1, 7),
    basic(2, 5),
    basic(4, 1),
    basic(9, 1),
    { class: 300, bytes: hex("ff") },
    basic(1, 2),
    { class: 2, value: 100000, form: "variable" as const },
  ];
  const chain = [saWith(odd)];
  assert.equal(decodeChain(encodeChain(chain).bytes, 1), chain);
  assert.equal(transformView(chain[0]!.proposals[0]!.transforms[0]!), {
    lifeKilobytes: 100000,
    encapsulationMode: 1,
    unknown: [basic(1, 7), basic(2, 5), basic(9, 1), { class: 300, bytes: hex("ff") }],
  });
});

/** An SA with one ESP transform holding `attributes` as given, bypassing the encoder's checks. */
function saBytesWithAttributes(attributes: SaPayload["proposals"][0]["transforms"][0]["attributes"]): Uint8Array {
  const w = new WireWriter();
  const sa = w.beginPayload(0);
  w.u32(1).u32(1);
  const proposal = w.beginPayload(0);
  w.u8(1).u8(3).u8(4).u8(1).u32(0x01020304);
  const transform = w.beginPayload(0);
  w.u8(1).u8(12).u16(0);
  for (const a of attributes) {
    if ("bytes" in a) w.u16(a.class).u16(a.bytes.length).bytes(a.bytes);
    else if (a.form === "basic") w.u16(0x8000 | a.class).u16(a.value);
    else w.u16(a.class).u16(4).u32(a.value);
  }
  for (const at of [transform, proposal, sa]) w.endPayload(at);
  return w.toBytes();
}

test("transformView: no Life Type means 28800 s [RFC 2407 §4.5]; the builder uses 4-octet TLV above 0xFFFF", () => {
  assert.equal(transformView({ number: 1, transformId: 3, attributes: [] }), { lifeSeconds: 28800, unknown: [] });
  const attributes = buildTransformAttributes({ lifeSeconds: 86400, lifeKilobytes: 1000, encapsulationMode: 1, authAlgorithm: 5, groupDescription: 14 });
  assert.equal(attributes, [
    { class: 1, value: 1, form: "basic" },
    { class: 2, value: 86400, form: "variable" },
    { class: 1, value: 2, form: "basic" },
    { class: 2, value: 1000, form: "basic" },
    { class: 4, value: 1, form: "basic" },
    { class: 5, value: 5, form: "basic" },
    { class: 3, value: 14, form: "basic" },
  ]);
  assert.equal(transformView({ number: 1, transformId: 3, attributes }), {
    lifeSeconds: 86400,
    lifeKilobytes: 1000,
    encapsulationMode: 1,
    authAlgorithm: 5,
    groupDescription: 14,
    unknown: [],
  });
  assert.throws(
    () => buildTransformAttributes({ lifeSeconds: 2 ** 32 }),
    (e: unknown) => e instanceof KinkError && e.reason === "unencodable",
  );
});

test("Nonce is 8–256 octets, KE is non-empty [RFC 2409 §5, RFC 2408 §3.7]", () => {
  for (const n of [8, 256]) assert.is(decodeChain(encodeChain([{ type: "nonce", data: new Uint8Array(n) }]).bytes, 10).length, 1);
  for (const n of [0, 7, 257]) {
    assertMalformed(hex(`0000${(4 + n).toString(16).padStart(4, "0")}${"00".repeat(n)}`), 10, "bad-isakmp", "Nonce.Data");
    assert.throws(
      () => encodeChain([{ type: "nonce", data: new Uint8Array(n) }]),
      (e: unknown) => e instanceof KinkError && e.reason === "unencodable",
    );
  }
  assertMalformed(hex("00000004"), 4, "bad-isakmp", "KE.Data");
});

test("ID: data length per type, contiguous masks, ordered ranges, KINK's address types only", () => {
  const v4 = (idType: number, data: string) =>
    hex(`0000${(8 + data.length / 2).toString(16).padStart(4, "0")}${idType.toString(16).padStart(2, "0")}000000${data}`);
  const pair = (id: Uint8Array) => new Uint8Array([...id.slice(0, 1).fill(5), ...id.slice(1), ...id]);
  assert.equal(decodeChain(pair(v4(4, "0a000000ffff0000")), 5)[0], {
    type: "id",
    idType: 4,
    protocol: 0,
    port: 0,
    address: { kind: "subnet", addr: "10.0.0.0", prefix: 16 },
  });
  assertMalformed(pair(v4(4, "0a000000ff00ff00")), 5, "bad-isakmp", "ID.Data");
  assertMalformed(pair(v4(7, "0a0000020a000001")), 5, "bad-isakmp", "ID.Data");
  assertMalformed(pair(v4(1, "0a00000001")), 5, "bad-payload-length", "ID.PayloadLength");
  assertMalformed(pair(v4(2, "0a000000")), 5, "bad-isakmp", "ID.IDType");
  assert.throws(
    () => encodeChain([{ ...IDCI, type: "id", idType: 5, protocol: 0, port: 0, address: { kind: "addr", addr: "10.0.0.1" } }, IDCR!]),
    (e: unknown) => e instanceof KinkError && e.reason === "unencodable",
  );
});

test("IPv6 text is canonical RFC 5952 and parses back to the same octets", () => {
  const cases: [string, string][] = [
    ["20010db8000000000000000000000001", "2001:db8::1"],
    ["20010db8000000010000000000000001", "2001:db8:0:1::1"],
    ["20010db8000000000001000000000001", "2001:db8::1:0:0:1"],
    ["20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"],
    ["00000000000000000000000000000000", "::"],
    ["00000000000000000000000000000001", "::1"],
    ["fe800000000000000000000000000000", "fe80::"],
    ["00000000000000000000ffffc0000201", "::ffff:192.0.2.1"],
    ["000000000000000000000000c0000201", "::c000:201"],
  ];
  for (const [octets, text] of cases) {
    assert.is(formatAddress(hex(octets)), text);
    assert.is(toHex(parseAddress(text, 16)!), octets);
  }
  assert.is(toHex(parseAddress("2001:DB8:0:0:0::0001", 16)!), "20010db8000000000000000000000001");
  for (const bad of ["1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::12345", "1.2.3.4::", "::1.2.3", "1:2:3:4:5:6:7::8"])
    assert.is(parseAddress(bad, 16), undefined, bad);
  for (const bad of ["1.2.3", "256.1.1.1", "01.2.3.4", "1.2.3.4.5"]) assert.is(parseAddress(bad, 4), undefined, bad);
});

test("Notify keeps DOI 0 or 1; Delete needs DOI 1, SPIs that fill it exactly, and at least one", () => {
  const notifyDoi0: IsakmpPayload = { type: "notify", doi: 0, protocolId: 0, spi: new Uint8Array(0), notifyType: 14, data: new Uint8Array(0) };
  assert.equal(decodeChain(encodeChain([notifyDoi0]).bytes, 11), [notifyDoi0]);
  assertEditRefused([NOTIFY!], (b) => (b[7] = 2), "bad-doi", "Notify.DOI");
  assertEditRefused([DELETE!], (b) => (b[7] = 0), "bad-doi", "Delete.DOI");
  assertEditRefused([DELETE!], (b) => (b[11] = 3), "bad-payload-length", "Delete.#SPIs");
  assertEditRefused([DELETE!], (b) => (b[9] = 2), "bad-isakmp", "Delete.SPISize");
  assertMalformed(hex("0000000c 00000001 03040000"), 12, "bad-isakmp", "Delete.#SPIs");
});

test("chain rules: one SA and first, one Nonce, one KE, IDs as a pair [RFC 4430 §5, §5.3]", () => {
  const refused: [IsakmpPayload[], string][] = [
    [[NONCE!, SA], "bad-isakmp"],
    [[SA, SA], "duplicate-payload"],
    [[SA, NONCE!, NONCE!], "duplicate-payload"],
    [[KE!, KE!], "duplicate-payload"],
    [[IDCI!], "missing-payload"],
    [[IDCI!, IDCR!, IDCI!], "duplicate-payload"],
  ];
  for (const [chain, reason] of refused) {
    assert.throws(
      () => encodeChain(chain),
      (e: unknown) => e instanceof KinkError && e.reason === "unencodable",
    );
    const { bytes, firstType } = encodeChainPieces(chain);
    assertMalformed(bytes, firstType, reason);
  }
  const { bytes, firstType } = encodeChain([NOTIFY!, DELETE!, NOTIFY!]);
  assert.is(decodeChain(bytes, firstType).length, 3);
});

/** Encodes each payload on its own (an ID as half of a pair) and chains the pieces, so chain-level rules are not applied. */
function encodeChainPieces(chain: IsakmpPayload[]): { bytes: Uint8Array; firstType: number } {
  const pieces = chain.map((p) => {
    const { bytes, firstType } = encodeChain(p.type === "id" ? [p, p] : [p]);
    return { bytes: bytes.slice(0, (bytes[2]! << 8) | bytes[3]!), firstType };
  });
  pieces.forEach((piece, i) => {
    piece.bytes[0] = pieces[i + 1]?.firstType ?? 0;
  });
  return { bytes: new Uint8Array(pieces.flatMap((p) => [...p.bytes])), firstType: pieces[0]!.firstType };
}

test("length fields: zero, short, past the end, and octets after the last payload", () => {
  const { bytes } = encodeChain([NONCE!]);
  for (const length of [0, 3, 21, 0xffff]) {
    const b = bytes.slice();
    b[2] = length >> 8;
    b[3] = length & 0xff;
    assertMalformed(b, 10, "bad-payload-length", "ISAKMP.PayloadLength");
  }
  assertMalformed(new Uint8Array([...bytes, 0]), 10, "trailing-octets");
  assertMalformed(bytes, 0, "trailing-octets");
});

test.run();
