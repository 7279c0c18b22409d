// The KINK_ISAKMP decoder against hostile input: every truncation and every corrupted length or
// count of a rich chain ends in a KinkError; fast-check (fixed seed) shows decode(encode(x))
// equals x for generated chains, and that arbitrary or mutated bytes give a KinkError or a
// chain that re-encodes to the very same bytes (the codec is canonical).
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KinkError } from "../../src/wire/errors.ts";
import { formatAddress, type IdPayload, type IsakmpPayload, type Proposal, type SaAttribute } from "../../src/wire/isakmp/index.ts";
import { toHex } from "../helpers/bytes.ts";
import { decodeChain, decodeOrError, encodeChain, RICH_CHAIN, sizeFields } from "../helpers/isakmp-bytes.ts";

const SEED = 4430;
const rich = encodeChain(RICH_CHAIN);

/** A KinkError asking for PAYLOAD-MALFORMED, or INVALID-PAYLOAD-TYPE naming one type octet [RFC 4430 §5.5]. */
function isNotifyError(e: unknown): boolean {
  if (!(e instanceof KinkError) || e.response.kind !== "notify") return false;
  const { notifyType, data } = e.response;
  return notifyType === 16 ? data === undefined : notifyType === 1 && data?.length === 1;
}

/** Decoding ends in a Notify-bearing KinkError, or in a chain that re-encodes to exactly `bytes`. */
function assertErrorOrCanonical(bytes: Uint8Array, firstType: number): void {
  const r = decodeOrError(bytes, firstType);
  if (r instanceof KinkError) {
    assert.ok(isNotifyError(r), r.message);
    return;
  }
  const again = encodeChain(r);
  assert.is(toHex(again.bytes), toHex(bytes));
  if (bytes.length > 0) assert.is(again.firstType, firstType);
}

test("truncating the rich chain at every octet is a KinkError", () => {
  for (let n = 0; n < rich.bytes.length; n++) {
    const r = decodeOrError(rich.bytes.subarray(0, n), rich.firstType);
    assert.ok(r instanceof KinkError && isNotifyError(r), `cut at ${n}`);
  }
});

/**
 * Sizes whose change can leave a valid chain: an attribute Length moves the boundary between
 * attributes, a Notify SPI Size the one between SPI and data (RFC 2408 §3.14 sizes neither).
 */
const MAY_STAY_VALID = new Set(["attribute Length", "Notify SPI Size"]);

test("every length and count field, set to any other value, is a KinkError or a canonical chain", () => {
  const fields = sizeFields(rich.bytes, rich.firstType);
  assert.ok(fields.length >= 20, `${fields.length} fields`);
  let refused = 0;
  let tried = 0;
  for (const f of fields) {
    const original = f.width === 1 ? rich.bytes[f.at]! : (rich.bytes[f.at]! << 8) | rich.bytes[f.at + 1]!;
    const values = f.width === 1 ? Array.from({ length: 256 }, (_, v) => v) : [0, 1, 3, 4, original - 1, original + 1, original + 4, 0x100, 0x7fff, 0xffff];
    for (const v of values) {
      if (v === original || v < 0) continue;
      const b = rich.bytes.slice();
      if (f.width === 1) b[f.at] = v;
      else [b[f.at], b[f.at + 1]] = [v >> 8, v & 0xff];
      tried++;
      const r = decodeOrError(b, rich.firstType);
      if (r instanceof KinkError) refused++;
      else if (!MAY_STAY_VALID.has(f.what)) assert.unreachable(`${f.what} at ${f.at} = ${v} decoded`);
      assertErrorOrCanonical(b, rich.firstType);
    }
  }
  assert.ok(refused / tried > 0.99, `${refused}/${tried} refused`);
});

// Generators for valid chains: what the encoder accepts is exactly what the decoder accepts.

/** Records with a normal prototype, so they deep-equal what the decoder builds. */
const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(model, { noNullPrototype: true });

/** A numeric attribute, basic (16-bit value) or 4-octet variable. */
const numericForms = (cls: number, basic: fc.Arbitrary<number>, variable: fc.Arbitrary<number>): fc.Arbitrary<SaAttribute> =>
  fc.oneof(
    basic.map((v): SaAttribute => ({ class: cls, value: v, form: "basic" })),
    variable.map((v): SaAttribute => ({ class: cls, value: v, form: "variable" })),
  );

/** Any form; octet strings other than 4 long, at most 6 so interpreted classes stay numeric. */
const anyForm = (cls: number): fc.Arbitrary<SaAttribute> =>
  fc.oneof(
    numericForms(cls, fc.nat({ max: 0xffff }), fc.nat({ max: 0xffffffff })),
    fc
      .uint8Array({ maxLength: 6 })
      .filter((b) => b.length !== 4)
      .map((bytes): SaAttribute => ({ class: cls, bytes })),
  );

/** Attribute blocks: single classes at most once each, Life Type + Duration pairs at most once per unit (3 = unknown unit). */
const attributesArb: fc.Arbitrary<SaAttribute[]> = fc
  .tuple(
    fc.uniqueArray(fc.constantFrom(3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 300, 0x7fff), { maxLength: 5 }),
    fc.uniqueArray(fc.constantFrom(1, 2, 3), { maxLength: 2 }),
  )
  .chain(([classes, units]) =>
    fc.tuple(
      fc.tuple(...classes.map((c) => anyForm(c).map((a) => [a]))),
      fc.tuple(...units.map((u) => fc.tuple(numericForms(1, fc.constant(u), fc.constant(u)), anyForm(2)))),
    ),
  )
  .chain(([singles, pairs]) => {
    const blocks: SaAttribute[][] = [...singles, ...pairs];
    return fc.shuffledSubarray(blocks, { minLength: blocks.length, maxLength: blocks.length });
  })
  .map((blocks) => blocks.flat());

const spiFor = (protocolId: number) =>
  fc.uint8Array({ minLength: 4, maxLength: 4 }).chain((spi) => (protocolId === 4 ? fc.constantFrom(spi, spi.slice(0, 2)) : fc.constant(spi)));
const protocolArb = fc.constantFrom(2, 3, 4);

const proposalsArb: fc.Arbitrary<Proposal[]> = fc
  .array(
    record({
      number: fc.nat({ max: 255 }),
      protocolId: protocolArb,
      transforms: fc.array(record({ number: fc.nat({ max: 255 }), transformId: fc.nat({ max: 255 }), attributes: attributesArb }), {
        minLength: 1,
        maxLength: 3,
      }),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .chain((ps) => fc.tuple(...ps.map((p) => spiFor(p.protocolId).map((spi) => ({ ...p, spi })))))
  .map((ps) => {
    const numbers = ps.map((p) => p.number).sort((a, b) => a - b);
    return ps.map((p, i) => ({ ...p, number: numbers[i]! }));
  });

const saArb = proposalsArb.map((proposals): IsakmpPayload => ({ type: "sa", doi: 1, situation: 1, proposals }));

const idArb: fc.Arbitrary<IdPayload> = fc.constantFrom(1, 4, 5, 6, 7, 8).chain((idType) => {
  const octets = idType <= 4 || idType === 7 ? 4 : 16;
  const addr = fc.uint8Array({ minLength: octets, maxLength: octets });
  const address =
    idType === 1 || idType === 5
      ? addr.map((a) => ({ kind: "addr" as const, addr: formatAddress(a) }))
      : idType === 4 || idType === 6
        ? fc.tuple(addr, fc.nat({ max: octets * 8 })).map(([a, prefix]) => ({ kind: "subnet" as const, addr: formatAddress(a), prefix }))
        : fc.tuple(addr, addr).map(([a, b]) => {
            const [start, end] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
            return { kind: "range" as const, start: formatAddress(start), end: formatAddress(end) };
          });
  return record({ type: fc.constant("id" as const), idType: fc.constant(idType), protocol: fc.nat({ max: 255 }), port: fc.nat({ max: 0xffff }), address });
});

const notifyArb = record({
  type: fc.constant("notify" as const),
  doi: fc.constantFrom(0, 1),
  protocolId: fc.nat({ max: 255 }),
  spi: fc.uint8Array({ maxLength: 16 }),
  notifyType: fc.nat({ max: 0xffff }),
  data: fc.uint8Array({ maxLength: 24 }),
});

const deleteArb = protocolArb.chain((protocolId) =>
  fc.constantFrom(...(protocolId === 4 ? [2, 4] : [4])).chain((spiSize) =>
    record({
      type: fc.constant("delete" as const),
      doi: fc.constant(1),
      protocolId: fc.constant(protocolId),
      spiSize: fc.constant(spiSize),
      spis: fc.array(fc.uint8Array({ minLength: spiSize, maxLength: spiSize }), { minLength: 1, maxLength: 4 }),
    }),
  ),
);

/** Optional SA first; then, in any order, an optional Nonce, KE and ID pair, and any Notifies and Deletes. */
const chainArb: fc.Arbitrary<IsakmpPayload[]> = fc
  .record({
    sa: fc.option(saArb, { nil: undefined }),
    nonce: fc.option(
      fc.uint8Array({ minLength: 8, maxLength: 256 }).map((data): IsakmpPayload => ({ type: "nonce", data })),
      { nil: undefined },
    ),
    ke: fc.option(
      fc.uint8Array({ minLength: 1, maxLength: 48 }).map((data): IsakmpPayload => ({ type: "ke", data })),
      { nil: undefined },
    ),
    ids: fc.option(fc.tuple(idArb, idArb), { nil: undefined }),
    others: fc.array(fc.oneof(notifyArb, deleteArb), { maxLength: 3 }),
  })
  .chain(({ sa, nonce, ke, ids, others }) => {
    const rest: IsakmpPayload[] = [...(nonce ? [nonce] : []), ...(ke ? [ke] : []), ...(ids ?? []), ...others];
    return fc.shuffledSubarray(rest, { minLength: rest.length, maxLength: rest.length }).map((shuffled) => [...(sa ? [sa] : []), ...shuffled]);
  });

test("property: decode(encode(x)) deep-equals x, and re-encoding gives the same octets", () => {
  fc.assert(
    fc.property(chainArb, (chain) => {
      const { bytes, firstType } = encodeChain(chain);
      const back = decodeChain(bytes, firstType);
      assert.equal(back, chain);
      assert.is(toHex(encodeChain(back).bytes), toHex(bytes));
    }),
    { seed: SEED, numRuns: 300 },
  );
});

test("property: arbitrary octets are a KinkError or a canonical chain", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 96 }), fc.nat({ max: 15 }), (bytes, firstType) => assertErrorOrCanonical(bytes, firstType)),
    { seed: SEED, numRuns: 2000 },
  );
});

test("property: valid chains with octets overwritten are a KinkError or a canonical chain", () => {
  fc.assert(
    fc.property(
      chainArb.filter((c) => c.length > 0),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 3 }),
      (chain, edits) => {
        const { bytes, firstType } = encodeChain(chain);
        for (const [at, v] of edits) bytes[at % bytes.length] = v;
        assertErrorOrCanonical(bytes, firstType);
      },
    ),
    { seed: SEED, numRuns: 1000 },
  );
});

test.run();
