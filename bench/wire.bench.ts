// npm run bench:wire — the KINK receive path's parse step and the encoder. Parsing = the WASM
// walk (header, every payload bound-checked, §6 composition rules) plus the TypeScript objects
// the engine reads (payload views, no copies); the baseline is the same checks and objects as a
// plain TypeScript DataView walk (bench/ts-kink-walk.ts), measured in the same run. Also: the
// full open (walk + Cksum verify + KINK_ENCRYPT decrypt in one WASM call), encodes/s, and the
// ISAKMP Quick Mode codec on its own.

import { MessageType, PayloadType } from "../src/wire/constants.ts";
import { decodeKinkMessage, openKinkMessage } from "../src/wire/decode.ts";
import { decodeIsakmpChain, encodeIsakmpChain, type IsakmpPayload } from "../src/wire/isakmp/index.ts";
import { encodeKinkMessage, type KinkMessage, type KinkSealer } from "../src/wire/kink-message.ts";
import { sessionKeySealer } from "../src/wire/seal.ts";
import { WireWriter } from "../src/wire/writer.ts";
import { workedExampleChain } from "../test/helpers/isakmp-bytes.ts";
import { type ResultRow, ratesInterleaved, row, writeReport } from "./report.ts";
import { tsWalkKink } from "./ts-kink-walk.ts";

const REPS = 256;
const results: ResultRow[] = [];
const session = { etype: 17, key: new Uint8Array(16).map((_, i) => i * 7 + 1) };
const sealer = sessionKeySealer(session);

/** The worked example's Quick Mode content (kink.md §13.1): one ESP proposal, AES-CBC-128 + HMAC-SHA1, Ni. */
const qmCreate: IsakmpPayload[] = workedExampleChain();
const qmReply: IsakmpPayload[] = workedExampleChain(new Uint8Array([1, 2, 3, 4]), null);

function create(apReqLength: number): KinkMessage {
  return {
    type: MessageType.CREATE,
    xid: 1,
    payloads: [
      { type: PayloadType.AP_REQ, epoch: 0x6a000000, apReq: new Uint8Array(apReqLength).fill(0x61) },
      { type: PayloadType.ENCRYPT, inner: [{ type: PayloadType.ISAKMP, qmVersion: 0x10, payloads: qmCreate }] },
    ],
  };
}

// Size the AP-REQ so the CREATE is 600 octets, as a no-PAC AES ticket gives (kink.md §13.2).
let apLen = 431;
while (encodeKinkMessage(create(apLen), sealer).length < 600) apLen++;
const createMsg = create(apLen);
const createBytes = encodeKinkMessage(createMsg, sealer);
const replyMsg: KinkMessage = {
  type: MessageType.REPLY,
  xid: 1,
  payloads: [
    { type: PayloadType.AP_REP, epoch: 0x6a000001, apRep: new Uint8Array(85).fill(0x6f) },
    { type: PayloadType.ENCRYPT, inner: [{ type: PayloadType.ISAKMP, qmVersion: 0x10, payloads: qmReply }] },
  ],
};
const replyBytes = encodeKinkMessage(replyMsg, sealer);

// Framing-only encode: the crypto is replaced by fixed outputs of the right sizes.
const ct = sealer.encrypt(new Uint8Array(84));
const mac = sealer.checksum(new Uint8Array(16));
const fixedSealer: KinkSealer = { encrypt: () => ct, checksum: () => mac };

function loop(f: () => unknown): () => void {
  return () => {
    for (let i = 0; i < REPS; i++) f();
  };
}

for (const [label, bytes] of [
  [`CREATE ${createBytes.length} B`, createBytes],
  [`REPLY ${replyBytes.length} B`, replyBytes],
] as const) {
  const [wasm = 0, ts = 0, open = 0] = await ratesInterleaved([
    { name: "wasm", reps: REPS, fn: loop(() => decodeKinkMessage(bytes)) },
    { name: "ts", reps: REPS, fn: loop(() => tsWalkKink(bytes)) },
    { name: "open", reps: REPS, fn: loop(() => openKinkMessage(bytes, session)) },
  ]);
  const base = { name: "TypeScript DataView walk, same checks and objects", value: ts };
  results.push(row(`${label} parse (WASM walk + objects)`, "datagrams/s", wasm, base));
  results.push(row(`${label} parse, per datagram`, "µs", 1e6 / wasm, { name: base.name, value: 1e6 / ts }, true));
  results.push(row(`${label} open: parse + Cksum verify + KINK_ENCRYPT decrypt (aes128-cts-hmac-sha1-96)`, "µs", 1e6 / open));
}

const [encFraming = 0, encFull = 0] = await ratesInterleaved([
  { name: "framing", reps: REPS, fn: loop(() => encodeKinkMessage(createMsg, fixedSealer)) },
  { name: "full", reps: REPS, fn: loop(() => encodeKinkMessage(createMsg, sealer)) },
]);
results.push(row(`CREATE ${createBytes.length} B encode, framing only`, "encodes/s", encFraming));
results.push(row(`CREATE ${createBytes.length} B encode with KINK_ENCRYPT + Cksum (aes128-cts-hmac-sha1-96)`, "encodes/s", encFull));

// The ISAKMP codec alone on the worked example's chain (SA + Nonce), the part of a CREATE's
// parse and encode that is TypeScript rather than WASM.
const qmWriter = new WireWriter();
const qmFirstType = encodeIsakmpChain(qmWriter, qmCreate);
const qmBytes = qmWriter.toBytes();
const [qmDecode = 0, qmEncode = 0] = await ratesInterleaved([
  { name: "isakmp decode", reps: REPS, fn: loop(() => decodeIsakmpChain(qmBytes, qmFirstType, 0, qmBytes.length, 0, false)) },
  { name: "isakmp encode", reps: REPS, fn: loop(() => encodeIsakmpChain(qmWriter.reset(), qmCreate)) },
]);
results.push(row(`ISAKMP Quick Mode decode ${qmBytes.length} B`, "µs", 1e6 / qmDecode));
results.push(row(`ISAKMP Quick Mode encode ${qmBytes.length} B`, "µs", 1e6 / qmEncode));

console.log(writeReport("wire", results));
