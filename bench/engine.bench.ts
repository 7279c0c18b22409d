// npm run bench:engine — responder CREATE exchanges per second, in process, no sockets: a
// KinkEngine with a MemorySink answers 2-message CREATEs from 1 000 client principals, the way
// the UDP transport and the driver would feed it (batches of 64 datagrams; every SinkJob run
// through the sink and handed back with sinkDone). Per CREATE the engine verifies the AP-REQ
// (batched WASM), opens KINK_ENCRYPT, chooses the proposal, asks the sink for an SPI, derives
// KEYMAT for both directions, installs both SAs and sends the protected REPLY.
//
// Tickets are minted locally (no KDC in a bench): the same EncTicketPart a KDC issues, encrypted
// in the service key with key usage 2. Every CREATE datagram is built before the timed region,
// each with its own authenticator, initiator SPI, nonce and XID. Measured: process CPU time
// (user + system, so GC threads count) per exchange, and wall exchanges/s; each configuration is
// timed BENCH_REPS times (default 5) with a fresh engine, sink and replay cache, and the median
// is recorded. BENCH_PROFILE=1 profiles one timed pass per configuration with the V8 sampling
// profiler instead and writes bench/results/engine-profile.txt (engine.json is left alone);
// BENCH_ALLOC=1 samples what one timed pass allocates, per function, into engine-alloc.txt.

import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { encrypt, randomToKey } from "../src/crypto/kerberos.ts";
import { defaultSlotCache } from "../src/crypto/key-slots.ts";
import { authAlgorithmByName, encAlgorithmByName } from "../src/ipsec/algorithms.ts";
import { MemorySink } from "../src/ipsec/memory-sink.ts";
import { KinkEngine } from "../src/kink/engine.ts";
import { encodeCommand, flatPayloads, isakmp, sessionOf } from "../src/kink/messages.ts";
import { buildSaOffer, type SaPolicy } from "../src/kink/proposal.ts";
import type { EngineOutput, InboundDatagram, SinkJob } from "../src/kink/types.ts";
import { buildApReq } from "../src/krb/ap.ts";
import { encodeEncTicketPart } from "../src/krb/messages/index.ts";
import type { EncryptionKey, PrincipalName, Ticket } from "../src/krb/messages/types.ts";
import { parsePrincipal } from "../src/krb/principal.ts";
import { ReplayCache } from "../src/krb/replay-cache.ts";
import { MessageType, PayloadType } from "../src/wire/constants.ts";
import { openKinkMessage } from "../src/wire/decode.ts";
import { RFC_INTEROP } from "../src/wire/interop.ts";
import { ESP_POLICY, responderEntry } from "../test/helpers/kink-peers.ts";
import { AllocationSampler, CpuProfiler, formatTop } from "./profile.ts";
import { type ResultRow, row, writeReport } from "./report.ts";

const REALM = "BENCH.TEST";
const SERVER = "kink/gw.bench.test@BENCH.TEST";
const CLIENTS = 1000;
const CREATES = Number(process.env.BENCH_CREATES ?? 20_000);
const WARMUP = 4000;
const BATCH = 64;
const PROFILE = process.env.BENCH_PROFILE === "1";
const ALLOC = process.env.BENCH_ALLOC === "1";
const REPS = PROFILE || ALLOC ? 1 : Math.max(1, Number(process.env.BENCH_REPS ?? 5));
const LOCAL = { address: "192.0.2.1", port: 910 };
const PROFILE_INTERVAL_US = 100;
const TARGET_US = 50;
const STRONGSWAN_US = 1300;

// A full collection before each timed pass, so one pass's garbage (the previous engine's reply
// cache and SA table) is not collected on the next one's clock.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const aesCbc = encAlgorithmByName("aes-cbc")!;
const hmacSha1 = authAlgorithmByName("hmac-sha1-96")!;
const hmacSha256 = authAlgorithmByName("hmac-sha2-256-128")!;

/** AES-256-CBC + HMAC-SHA-256-128 first (the optimistic transform), AES-128-CBC + HMAC-SHA1-96 second. */
const ESP_POLICY_256: SaPolicy = {
  mode: "transport",
  proposals: [
    {
      protocol: "esp",
      transforms: [
        { enc: { alg: aesCbc, keyBits: 256 }, auth: hmacSha256 },
        { enc: { alg: aesCbc, keyBits: 128 }, auth: hmacSha1 },
      ],
    },
  ],
  lifeSeconds: 3600,
};

interface Config {
  readonly etype: number;
  readonly keyLen: number;
  readonly ename: string;
  readonly esp: string;
  readonly policy: SaPolicy;
}

const ALL_CONFIGS: Config[] = [
  { etype: 17, keyLen: 16, ename: "aes128-cts-hmac-sha1-96", esp: "ESP aes-cbc-128/hmac-sha1-96", policy: ESP_POLICY },
  { etype: 20, keyLen: 32, ename: "aes256-cts-hmac-sha384-192", esp: "ESP aes-cbc-256/hmac-sha2-256-128", policy: ESP_POLICY_256 },
];
/** BENCH_ETYPES=17 runs one configuration (while tuning); the default runs all. */
const CONFIGS = process.env.BENCH_ETYPES ? ALL_CONFIGS.filter((c) => process.env.BENCH_ETYPES!.split(",").includes(String(c.etype))) : ALL_CONFIGS;

interface Client {
  readonly cname: PrincipalName;
  readonly sessionKey: EncryptionKey;
  readonly ticket: Ticket;
  readonly address: string;
}

interface Workload {
  readonly serviceKey: EncryptionKey;
  readonly clients: Client[];
  readonly datagrams: InboundDatagram[];
}

function key(etype: number, len: number): EncryptionKey {
  return { keytype: etype, keyvalue: randomToKey(etype, randomBytes(len)) };
}

/** The tickets and CREATE datagrams of one configuration (untimed). */
function workload(c: Config): Workload {
  const server = parsePrincipal(SERVER);
  const serviceKey = key(c.etype, c.keyLen);
  const now = Date.now();
  const authtime = Math.floor(now / 1000) * 1000 - 60_000;
  const clients: Client[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const sessionKey = key(c.etype, c.keyLen);
    const cname: PrincipalName = { nameType: 1, nameString: [`client-${String(i).padStart(4, "0")}`] };
    const part = encodeEncTicketPart({
      flags: 0x40a00000, // forwardable, renewable, pre-authent
      key: sessionKey,
      crealm: REALM,
      cname,
      transited: { trType: 1, contents: new Uint8Array(0) },
      authtime,
      endtime: authtime + 10 * 3600_000,
    });
    const ticket: Ticket = { realm: REALM, sname: server.name, encPart: { etype: c.etype, kvno: 2, cipher: encrypt(c.etype, serviceKey.keyvalue, 2, part) } };
    clients.push({ cname, sessionKey, ticket, address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) + 1}` });
  }
  // Authenticator times step 1 ms per CREATE and end in the past: all distinct, all well inside
  // the 300 s skew and the replay window for the whole run.
  const first = now - CREATES - 5000;
  const usedSpis = new Set<number>();
  const epoch = Math.floor(now / 1000) - 3600;
  const datagrams: InboundDatagram[] = [];
  for (let i = 0; i < CREATES; i++) {
    const cl = clients[i % CLIENTS]!;
    let spi: number;
    do spi = randomBytes(4).readUInt32BE(0);
    while (spi < 256 || usedSpis.has(spi));
    usedSpis.add(spi);
    const offer = buildSaOffer(c.policy, { esp: spi });
    const ap = buildApReq({ ticket: cl.ticket, sessionKey: cl.sessionKey, client: { realm: REALM, name: cl.cname }, now: first + i });
    const inner = [isakmp([offer, { type: "nonce", data: randomBytes(16) }])];
    const data = encodeCommand(MessageType.CREATE, i + 1, epoch, ap.bytes, inner, sessionOf(cl.sessionKey));
    datagrams.push({ data, from: { address: cl.address, port: 910 }, local: LOCAL });
  }
  return { serviceKey, clients, datagrams };
}

function responder(w: Workload, policy: SaPolicy, creates: number): { engine: KinkEngine; sink: MemorySink } {
  const sink = new MemorySink();
  const engine = new KinkEngine({
    principal: SERVER,
    serviceKey: (_server, _kvno, etype) => {
      if (etype !== w.serviceKey.keytype) throw new Error(`no service key of enctype ${etype}`);
      return w.serviceKey;
    },
    epoch: Math.floor(Date.now() / 1000),
    peers: [responderEntry(REALM, { sas: [policy] })],
    replayCache: new ReplayCache({ maxEntries: creates + 1000 }),
    interop: RFC_INTEROP,
  });
  return { engine, sink };
}

interface Outcome {
  readonly replies: Uint8Array[];
  saUp: number;
  sinkErrors: number;
}

/** Feeds the datagrams in batches and runs every sink job to completion, as the driver does. */
async function exchange(engine: KinkEngine, sink: MemorySink, datagrams: readonly InboundDatagram[]): Promise<Outcome> {
  const outcome: Outcome = { replies: [], saUp: 0, sinkErrors: 0 };
  const queue: SinkJob[] = [];
  const take = (out: EngineOutput) => {
    for (const d of out.send) if (d.data[0] === MessageType.REPLY) outcome.replies.push(d.data);
    for (const j of out.sink) queue.push(j);
    for (const e of out.events) {
      if (e.type === "sa-up") outcome.saUp++;
      else if (e.type === "sink-error") outcome.sinkErrors++;
    }
  };
  for (let i = 0; i < datagrams.length; i += BATCH) {
    take(engine.receive(datagrams.slice(i, i + BATCH), Date.now()));
    for (let q = 0; q < queue.length; q++) {
      const job = queue[q]!;
      const results = await sink.batch(job.ops);
      take(engine.sinkDone(job.id, results, Date.now()));
    }
    queue.length = 0;
  }
  return outcome;
}

/** Every CREATE answered once, both SAs of every exchange in the sink, the REPLY really carries the choice. */
function check(label: string, w: Workload, o: Outcome, sink: MemorySink, n: number): void {
  const fail = (what: string) => {
    throw new Error(`${label}: ${what}`);
  };
  if (o.replies.length !== n) fail(`${o.replies.length} REPLYs for ${n} CREATEs`);
  const xids = new Set(o.replies.map((r) => new DataView(r.buffer, r.byteOffset).getUint32(8)));
  if (xids.size !== n) fail(`REPLYs answer ${xids.size} distinct XIDs, expected ${n}`);
  if (sink.sas.size !== 2 * n) fail(`the sink holds ${sink.sas.size} SAs, expected ${2 * n}`);
  if (o.saUp !== n) fail(`${o.saUp} sa-up events, expected ${n}`);
  if (o.sinkErrors !== 0) fail(`${o.sinkErrors} sink errors`);
  for (const r of [o.replies[0]!, o.replies[n - 1]!]) {
    const xid = new DataView(r.buffer, r.byteOffset).getUint32(8);
    const cl = w.clients[(xid - 1) % CLIENTS]!;
    const opened = openKinkMessage(r, sessionOf(cl.sessionKey), RFC_INTEROP);
    const chain = flatPayloads(opened).find((p) => p.type === PayloadType.ISAKMP);
    if (opened.type !== MessageType.REPLY || chain?.type !== PayloadType.ISAKMP || chain.payloads[0]?.type !== "sa") fail(`REPLY ${xid} carries no SA choice`);
  }
}

interface Timed {
  readonly cpuUs: number;
  readonly wallMs: number;
}

async function timedPass(
  w: Workload,
  c: Config,
  profiler: CpuProfiler | undefined,
  sampler: AllocationSampler | undefined,
  profileOut: string[],
): Promise<Timed> {
  const { engine, sink } = responder(w, c.policy, CREATES);
  gc();
  await profiler?.start(PROFILE_INTERVAL_US);
  await sampler?.start();
  const slots = defaultSlotCache();
  const [hits0, misses0, evictions0] = [slots.hits, slots.misses, slots.evictions];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const outcome = await exchange(engine, sink, w.datagrams);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const [hits, misses, evictions] = [slots.hits - hits0, slots.misses - misses0, slots.evictions - evictions0];
  console.error(
    `  derived-key slots per exchange: ${(hits / CREATES).toFixed(2)} hits, ${(misses / CREATES).toFixed(2)} misses, ` +
      `${(evictions / CREATES).toFixed(2)} evictions (capacity ${slots.capacity}, ${slots.size} live)`,
  );
  if (sampler !== undefined) {
    const { total, functions } = await sampler.stop();
    const perExchange: [string, number][] = functions.map(([k, v]) => [k, Math.round(v / CREATES)]);
    const head = `CREATE responder, ${c.ename}, ${c.esp}: ${Math.round(total / CREATES)} B allocated per exchange (sampled), by function`;
    const table = (n: number) =>
      perExchange
        .slice(0, n)
        .map(([k, v]) => `${String(v).padStart(7)} B  ${k}`)
        .join("\n");
    console.log(`\n${head}, top 15:\n${table(15)}`);
    profileOut.push(`${head}, top 60:\n${table(60)}\n`);
  }
  if (profiler !== undefined) {
    const raw = join(tmpdir(), `kinkd-engine-${c.etype}.cpuprofile`);
    const { total, functions, files } = await profiler.stop(raw);
    console.error(`raw profile: ${raw}`);
    const head = `CREATE responder, ${c.ename}, ${c.esp}: ${total} samples (${PROFILE_INTERVAL_US} µs interval), self time`;
    console.log(`\n${head}, top 15:\n${formatTop(functions, total, 15)}`);
    profileOut.push(`${head}, top 40:\n${formatTop(functions, total, 40)}\n\nSelf time by file:\n${formatTop(files, total, 20)}\n`);
  }
  check(`${c.ename} timed`, w, outcome, sink, CREATES);
  return { cpuUs: cpu.user + cpu.system, wallMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const results: ResultRow[] = [];
const profileOut: string[] = [];
const profiler = PROFILE ? new CpuProfiler() : undefined;
const sampler = ALLOC ? new AllocationSampler() : undefined;

for (const c of CONFIGS) {
  const t = performance.now();
  const w = workload(c);
  console.error(`${c.ename}: built ${CREATES} CREATEs (${w.datagrams[0]!.data.length} B each) in ${Math.round(performance.now() - t)} ms`);
  {
    // Warm-up on its own engine and sink: the JIT has seen the whole path before timing.
    const { engine, sink } = responder(w, c.policy, WARMUP);
    const warm = w.datagrams.slice(0, WARMUP);
    check(`${c.ename} warm-up`, w, await exchange(engine, sink, warm), sink, WARMUP);
  }
  const cpuPer: number[] = [];
  const rates: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const { cpuUs, wallMs } = await timedPass(w, c, profiler, sampler, profileOut);
    cpuPer.push(cpuUs / CREATES);
    rates.push((CREATES * 1000) / wallMs);
    console.error(`${c.ename} pass ${r + 1}: ${(cpuUs / CREATES).toFixed(1)} µs CPU/exchange, ${Math.round((CREATES * 1000) / wallMs)} exchanges/s wall`);
  }
  const cpu = median(cpuPer);
  const rate = median(rates);
  console.error(
    `${c.ename}: CPU ${Math.min(...cpuPer).toFixed(1)}–${Math.max(...cpuPer).toFixed(1)} µs/exchange (median ${cpu.toFixed(1)}), ` +
      `wall ${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))}/s (median ${Math.round(rate)})`,
  );
  const name = `CREATE responder, ${c.ename}, ${c.esp}`;
  results.push(row(`${name}, CPU per exchange`, "µs", cpu, { name: `target (≤ ${TARGET_US} µs)`, value: TARGET_US }, true));
  results.push(
    row(
      `${name}, CPU per exchange vs strongSwan (quoted, not measured here)`,
      "µs",
      cpu,
      { name: "strongSwan 5.9.8 IKEv2 ≈ 1.3 ms CPU per SA pair per side (quoted figure)", value: STRONGSWAN_US },
      true,
    ),
  );
  results.push(row(`${name}, exchanges/s (wall, one thread)`, "exchanges/s", rate));
}

if (sampler !== undefined) {
  sampler.close();
  const path = new URL("./results/engine-alloc.txt", import.meta.url);
  writeFileSync(
    path,
    `# npm run bench:engine with BENCH_ALLOC=1: V8 sampling heap profile of one timed pass per configuration (${CREATES} CREATEs)\n\n${profileOut.join("\n")}`,
  );
  console.error("allocation-sampled run: CPU figures above include sampler overhead; engine.json not written");
} else if (profiler !== undefined) {
  profiler.close();
  const path = new URL("./results/engine-profile.txt", import.meta.url);
  writeFileSync(
    path,
    `# npm run bench:engine with BENCH_PROFILE=1: V8 sampling profile of one timed pass per configuration (${CREATES} CREATEs)\n\n${profileOut.join("\n")}`,
  );
  console.error("profiled run: CPU figures above include profiler overhead; engine.json not written");
} else {
  console.log(writeReport("engine", results));
}
