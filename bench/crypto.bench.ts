// npm run bench:crypto — the WASM Kerberos crypto core against the same profiles built on
// node:crypto (bench/node-profile.ts), measured in the same run. Writes
// bench/results/crypto.json and crypto.md and prints the table.

import { randomBytes } from "node:crypto";
import { CryptoBatch } from "../src/crypto/batch.ts";
import { enctype } from "../src/crypto/enctypes.ts";
import { decrypt, encrypt, makeChecksum, prf, verifyChecksum } from "../src/crypto/kerberos.ts";
import { defaultSlotCache } from "../src/crypto/key-slots.ts";
import { aesDefaultImpl, aesWithImpl } from "../src/crypto/primitives.ts";
import {
  NODE_ETYPES,
  nodeChecksum,
  nodeDecrypt,
  nodeDeriveCksumKey,
  nodeDeriveEncKeys,
  nodeDeriveKeys,
  nodeEncrypt,
  nodePrf,
  nodePrfKey,
} from "./node-profile.ts";
import { type RateTask, type ResultRow, ratesInterleaved, row, writeReport } from "./report.ts";

const SIZES = [100, 300, 600, 1000, 2000];
const REPS = 64;
const USAGE = 39;
const quick = process.env.BENCH_QUICK === "1";
const sizes = quick ? [300, 1000] : SIZES;
const etypes = quick ? [17] : [17, 18, 19, 20, 16, 25, 26, 23];
const results: ResultRow[] = [];
// The baseline's confounders come from a pre-filled pool too, as ours do (no RNG call per message).
const confPool = randomBytes(1 << 20);
let confAt = 0;
function nodeConfounder(n: number): Buffer {
  if (confAt + n > confPool.length) confAt = 0;
  confAt += n;
  return confPool.subarray(confAt - n, confAt);
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`benchmark self-check failed: ${what}`);
}

for (const etype of etypes) {
  const e = enctype(etype);
  if (e === undefined) continue;
  const key = randomBytes(e.keyLength);
  const hasNode = NODE_ETYPES.includes(etype);
  const nodeKeys = hasNode ? nodeDeriveKeys(etype, key, USAGE) : undefined;
  for (const size of sizes) {
    const pt = randomBytes(size);
    const ct = encrypt(etype, key, USAGE, pt);
    if (nodeKeys) check(nodeDecrypt(etype, nodeKeys, ct)?.subarray(0, size).equals(pt) === true, `${e.name} node profile decrypts WASM ciphertext`);

    const decTasks: RateTask[] = [
      {
        name: `${e.name} decrypt ${size}`,
        reps: REPS,
        fn: () => {
          for (let i = 0; i < REPS; i++) decrypt(etype, key, USAGE, ct);
        },
      },
      {
        name: `${e.name} decrypt batch ${size}`,
        reps: REPS,
        fn: () => {
          const b = new CryptoBatch();
          for (let i = 0; i < REPS; i++) b.decrypt(etype, key, USAGE, ct);
          if (b.run() !== 0) throw new Error("batch decrypt failed");
          for (let i = 0; i < REPS; i++) b.outputView(i);
        },
      },
    ];
    if (nodeKeys)
      decTasks.push({
        name: `node ${e.name} decrypt ${size}`,
        reps: REPS,
        fn: () => {
          for (let i = 0; i < REPS; i++) nodeDecrypt(etype, nodeKeys, ct);
        },
      });
    const [single = 0, batched = 0, nodeDec] = await ratesInterleaved(decTasks);
    const base = nodeDec !== undefined ? { name: "node:crypto", value: nodeDec } : undefined;
    results.push(row(`${e.name} decrypt+verify ${size} B`, "ops/s", single, base));
    results.push(row(`${e.name} decrypt+verify ${size} B, batch of 64`, "ops/s", batched, base));

    const encTasks: RateTask[] = [
      {
        name: `${e.name} encrypt ${size}`,
        reps: REPS,
        fn: () => {
          for (let i = 0; i < REPS; i++) encrypt(etype, key, USAGE, pt);
        },
      },
      {
        name: `${e.name} encrypt batch ${size}`,
        reps: REPS,
        fn: () => {
          const b = new CryptoBatch();
          for (let i = 0; i < REPS; i++) b.encrypt(etype, key, USAGE, pt);
          if (b.run() !== 0) throw new Error("batch encrypt failed");
          for (let i = 0; i < REPS; i++) b.outputView(i);
        },
      },
    ];
    if (nodeKeys)
      encTasks.push({
        name: `node ${e.name} encrypt ${size}`,
        reps: REPS,
        fn: () => {
          for (let i = 0; i < REPS; i++) nodeEncrypt(etype, nodeKeys, nodeConfounder(e.confounderLength), pt);
        },
      });
    const [encSingle = 0, encBatched = 0, nodeEnc] = await ratesInterleaved(encTasks);
    const encBase = nodeEnc !== undefined ? { name: "node:crypto", value: nodeEnc } : undefined;
    results.push(row(`${e.name} encrypt ${size} B`, "ops/s", encSingle, encBase));
    results.push(row(`${e.name} encrypt ${size} B, batch of 64`, "ops/s", encBatched, encBase));
    console.error(`${e.name} ${size} B: decrypt ${Math.round(single)}/s (node ${nodeDec ? Math.round(nodeDec) : "-"}/s)`);
  }
}

// "CREATE crypto": everything a KINK responder computes for one CREATE (see README):
// ticket decrypt 700 B (service key, usage 2), then under a new session key: authenticator
// decrypt 150 B (11), Cksum verify over 1000 B (40), KINK_ENCRYPT decrypt 400 B (39), AP-REP
// encrypt 100 B (12), reply encrypt 400 B (39), Cksum over the reply (40), 5 PRF blocks.
// Session keys are fresh for every exchange, so the 8 derivations (Ke+Ki for 11, 12, 39;
// Kc for 40; the PRF key) are part of each exchange.
for (const etype of quick ? [17] : [17, 18, 20]) {
  const e = enctype(etype);
  if (e === undefined) continue;
  const serviceKey = randomBytes(e.keyLength);
  const cksumType = e.cksumType;
  const N = 1000;
  const ex = Array.from({ length: N }, () => {
    const sk = randomBytes(e.keyLength);
    const signed = randomBytes(1000);
    return {
      sk,
      ticket: encrypt(etype, serviceKey, 2, randomBytes(700)),
      auth: encrypt(etype, sk, 11, randomBytes(150)),
      kink: encrypt(etype, sk, 39, randomBytes(400)),
      signed,
      mac: makeChecksum(cksumType, sk, 40, signed),
      apRep: randomBytes(100),
      reply: randomBytes(400),
      prfIn: Array.from({ length: 5 }, (_, i) => randomBytes(37 + i)),
    };
  });
  const cache = defaultSlotCache();
  let k = 0;
  const wasmCreate = () => {
    const x = ex[k++ % N] as (typeof ex)[number];
    decrypt(etype, serviceKey, 2, x.ticket);
    decrypt(etype, x.sk, 11, x.auth);
    if (!verifyChecksum(cksumType, x.sk, 40, x.signed, x.mac)) throw new Error("cksum");
    decrypt(etype, x.sk, 39, x.kink);
    encrypt(etype, x.sk, 12, x.apRep);
    const r = encrypt(etype, x.sk, 39, x.reply);
    makeChecksum(cksumType, x.sk, 40, r);
    for (const input of x.prfIn) prf(etype, x.sk, input);
    cache.release(x.sk);
  };
  const serviceNode = nodeDeriveEncKeys(etype, serviceKey, 2);
  let j = 0;
  const nodeCreate = () => {
    const x = ex[j++ % N] as (typeof ex)[number];
    nodeDecrypt(etype, serviceNode, x.ticket);
    const k11 = nodeDeriveEncKeys(etype, x.sk, 11);
    const k39 = nodeDeriveEncKeys(etype, x.sk, 39);
    const k12 = nodeDeriveEncKeys(etype, x.sk, 12);
    const kc = nodeDeriveCksumKey(etype, x.sk, 40);
    const pk = nodePrfKey(etype, x.sk);
    nodeDecrypt(etype, k11, x.auth);
    if (!nodeChecksum(etype, kc, x.signed).equals(Buffer.from(x.mac))) throw new Error("node cksum");
    nodeDecrypt(etype, k39, x.kink);
    nodeEncrypt(etype, k12, nodeConfounder(16), x.apRep);
    const r = nodeEncrypt(etype, k39, nodeConfounder(16), x.reply);
    nodeChecksum(etype, kc, r);
    for (const input of x.prfIn) nodePrf(etype, pk, input);
  };
  check(nodeDecrypt(etype, nodeDeriveEncKeys(etype, (ex[0] as (typeof ex)[number]).sk, 11), (ex[0] as (typeof ex)[number]).auth) !== null, "node CREATE setup");
  const [ours = 0, theirs = 0] = await ratesInterleaved(
    [
      {
        name: `CREATE crypto ${e.name}`,
        reps: 16,
        fn: () => {
          for (let i = 0; i < 16; i++) wasmCreate();
        },
      },
      {
        name: `node CREATE crypto ${e.name}`,
        reps: 16,
        fn: () => {
          for (let i = 0; i < 16; i++) nodeCreate();
        },
      },
    ],
    5,
    400,
  );
  results.push(row(`CREATE crypto (${e.name})`, "exchanges/s", ours, { name: "node:crypto", value: theirs }));
  results.push(row(`CREATE crypto (${e.name}) per exchange`, "µs", 1e6 / ours, { name: "node:crypto", value: 1e6 / theirs }, true));
}

// The two AES implementations on the same work (CTS decrypt of a 316-octet KINK-sized body,
// key schedule included): the README's security notes quote this ratio. The shipped default is
// the table one unless the constant-time one is within 2× (assembly/cipher/aes.ts).
{
  const key = randomBytes(16);
  const body = randomBytes(316);
  const [ct = 0, table = 0] = await ratesInterleaved([
    {
      name: "aes ct cts",
      reps: REPS,
      fn: () => {
        for (let i = 0; i < REPS; i++) aesWithImpl("ct", "cts", "decrypt", key, body);
      },
    },
    {
      name: "aes table cts",
      reps: REPS,
      fn: () => {
        for (let i = 0; i < REPS; i++) aesWithImpl("table", "cts", "decrypt", key, body);
      },
    },
  ]);
  results.push(row(`AES-128 CTS decrypt 316 B, constant-time (SIMD swizzle S-box)`, "ops/s", ct, { name: "table-driven AES", value: table }));
  console.error(`AES default implementation: ${aesDefaultImpl()}`);
}

console.log(writeReport("crypto", results));
