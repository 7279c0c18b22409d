// Property tests for the KINK codec (fast-check). CI runs FUZZ_RUNS (default 10⁴) cases per
// property with a fixed seed; `npm run fuzz` runs 10⁶ with a fresh seed (printed, so a failure
// can be replayed with FUZZ_SEED). Properties: decode(encode(m)) = m for generated valid
// messages of every type; arbitrary and mutated bytes give a KinkError or a message, never
// another exception; the WASM walk and the TypeScript walk agree on every input.
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tsWalkKink } from "../../bench/ts-kink-walk.ts";
import { MessageType, PayloadType } from "../../src/wire/constants.ts";
import { type DecodedKink, decodeKinkMessage, openKinkMessage } from "../../src/wire/decode.ts";
import { KinkError } from "../../src/wire/errors.ts";
import { encodeKinkMessage, type InnerPayload, type KinkMessage, type KinkPayload } from "../../src/wire/kink-message.ts";
import { sessionKeySealer } from "../../src/wire/seal.ts";
import { RICH_CHAIN, workedExampleChain } from "../helpers/isakmp-bytes.ts";
import { plain, racoonMessages, randomSession, SESSION_ETYPES, sampleMessages } from "../helpers/kink.ts";

const runs = Number(process.env.FUZZ_RUNS ?? 10_000);
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : runs > 10_000 ? Date.now() | 0 : 0x4b494e4b;
if (runs > 10_000) console.log(`fuzz: ${runs} runs per property, seed ${seed}`);
const params = { numRuns: runs, seed };

const sessions = SESSION_ETYPES.map((e) => randomSession(e, e * 7));
const sealers = sessions.map(sessionKeySealer);

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const der = fc.uint8Array({ minLength: 1, maxLength: 700 });
const apReq = fc.record({ type: fc.constant(PayloadType.AP_REQ), epoch: u32, apReq: der });
const apRep = fc.record({ type: fc.constant(PayloadType.AP_REP), epoch: u32, apRep: der });
const krbError = fc.record({ type: fc.constant(PayloadType.KRB_ERROR), krbError: der });
const error = fc.record({ type: fc.constant(PayloadType.ERROR), code: u32 });
const isakmp = fc.record({
  type: fc.constant(PayloadType.ISAKMP),
  qmVersion: fc.constant(0x10),
  payloads: fc.constantFrom([], RICH_CHAIN, workedExampleChain()),
});
const isakmps = fc.array(isakmp, { maxLength: 3 });
const encrypt = (inner: fc.Arbitrary<InnerPayload[]>) => inner.map((i) => ({ type: PayloadType.ENCRYPT, inner: i }) as KinkPayload);

/** ISAKMP payloads either in clear or inside KINK_ENCRYPT, after the AP payload (§6). */
const protectedTail = (inner: fc.Arbitrary<InnerPayload[]>) =>
  fc.oneof(
    inner as fc.Arbitrary<KinkPayload[]>,
    encrypt(inner).map((e) => [e]),
  );

const message: fc.Arbitrary<KinkMessage> = fc.oneof(
  fc.record({
    type: fc.constantFrom(MessageType.CREATE, MessageType.DELETE, MessageType.STATUS),
    xid: u32,
    payloads: fc.tuple(apReq, protectedTail(isakmps)).map(([a, t]) => [a, ...t]),
  }),
  fc.record({ type: fc.constant(MessageType.ACK), xid: u32, payloads: apReq.map((a) => [a]) }),
  fc.record({
    type: fc.constant(MessageType.GETTGT),
    xid: u32,
    payloads: fc.string({ minLength: 1, maxLength: 80 }).map((principal) => [{ type: PayloadType.TGT_REQ, principal }]),
  }),
  fc.record({
    type: fc.constant(MessageType.REPLY),
    xid: u32,
    ackReq: fc.boolean(),
    payloads: fc.oneof(
      fc.tuple(apRep, protectedTail(fc.tuple(fc.option(error, { nil: undefined }), isakmps).map(([e, q]) => (e ? [e, ...q] : q)))).map(([a, t]) => [a, ...t]),
      fc.tuple(apRep, protectedTail(krbError.map((k) => [k]))).map(([a, t]) => [a, ...t]),
      krbError.map((k) => [k]),
      error.map((e) => [e]),
      fc.uint8Array({ minLength: 1, maxLength: 900 }).map((tgt) => [{ type: PayloadType.TGT_REP, tgt }]),
    ),
  }),
) as fc.Arbitrary<KinkMessage>;

const keyed = (m: KinkMessage) => m.payloads.some((p) => p.type === PayloadType.AP_REQ || p.type === PayloadType.AP_REP);

function asEncoded(d: DecodedKink): unknown {
  return plain({
    type: d.type,
    xid: d.xid,
    ackReq: d.ackReq,
    payloads: d.payloads.map((p) => (p.type === PayloadType.ENCRYPT ? { type: p.type, inner: p.inner } : p)),
  });
}

test("decode(encode(m)) = m for generated messages of every type, every enctype", () => {
  fc.assert(
    fc.property(message, fc.nat({ max: sessions.length - 1 }), (m, k) => {
      const bytes = encodeKinkMessage(m, keyed(m) ? sealers[k] : undefined);
      const d = openKinkMessage(bytes, sessions[k]!);
      assert.equal(asEncoded(d), plain({ ...m, ackReq: m.ackReq ?? false }));
      assert.is(d.verified, keyed(m));
    }),
    params,
  );
});

/** Both walks on the same input: same verdict, same payloads, same failing offset. */
function agree(bytes: Uint8Array): void {
  let wasm: DecodedKink | KinkError;
  try {
    wasm = decodeKinkMessage(bytes);
  } catch (e) {
    if (!(e instanceof KinkError)) throw e;
    wasm = e;
  }
  let ts: ReturnType<typeof tsWalkKink>;
  try {
    ts = tsWalkKink(bytes);
  } catch (e) {
    // Payload contents (PrincName, ISAKMP) are decoded by the same TypeScript in both.
    if (!(e instanceof KinkError)) throw e;
    assert.instance(wasm, KinkError, `only the TS walk rejected: ${e.message}`);
    assert.is((wasm as KinkError).message, e.message);
    return;
  }
  if (wasm instanceof KinkError) {
    assert.is.not(ts.status, 0, `TS walk accepted what WASM rejected: ${wasm.message}`);
    assert.is(ts.offset, wasm.offset, wasm.message);
  } else {
    assert.is(ts.status, 0, `TS walk rejected (${ts.status}) what WASM accepted`);
    assert.equal(plain(ts.payloads), plain(wasm.payloads));
  }
}

test("arbitrary bytes: KinkError or a message, never another exception; both walks agree", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1200 }), fc.nat({ max: sessions.length - 1 }), (bytes, k) => {
      agree(bytes);
      try {
        openKinkMessage(bytes, sessions[k]!);
      } catch (e) {
        if (!(e instanceof KinkError)) throw e;
      }
    }),
    params,
  );
});

const seeds = [...racoonMessages.map((m) => m.bytes), ...sampleMessages().map((s) => encodeKinkMessage(s.msg, s.keyed ? sealers[2] : undefined))];

test("mutated valid datagrams (byte edits, splices, length rewrites): KinkError or a message; both walks agree", () => {
  const mutation = fc.record({
    seed: fc.nat({ max: seeds.length - 1 }),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    fixLength: fc.boolean(),
  });
  fc.assert(
    fc.property(mutation, ({ seed: s, edits, cut, fixLength }) => {
      let b = seeds[s]!.slice();
      for (const [at, v] of edits) b[at % b.length] = v;
      if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
      if (fixLength && b.length >= 4) new DataView(b.buffer, b.byteOffset).setUint16(2, b.length);
      agree(b);
      try {
        openKinkMessage(b, sessions[2]!);
      } catch (e) {
        if (!(e instanceof KinkError)) throw e;
      }
    }),
    params,
  );
});

test.run();
