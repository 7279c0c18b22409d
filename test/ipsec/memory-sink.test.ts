// MemorySink behaves like the kernel where the engine can tell: unique SPIs, refusals with
// typed errors, per-item batch results, lifetimes that expire, keys zeroed when SAs die.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { authAlgorithmByName, encAlgorithmByName } from "../../src/ipsec/algorithms.ts";
import { MemorySink } from "../../src/ipsec/memory-sink.ts";
import { type SaSpec, SinkError, type SinkEvent } from "../../src/ipsec/sink.ts";

const aesCbc = encAlgorithmByName("aes-cbc")!;
const sha1 = authAlgorithmByName("hmac-sha1-96")!;

function sa(spi: number, key = new Uint8Array(16).fill(7)): SaSpec {
  return {
    id: { dst: "192.0.2.1", spi, proto: "esp" },
    src: "192.0.2.2",
    mode: "transport",
    reqid: 1,
    enc: { alg: aesCbc, key },
    auth: { alg: sha1, key: new Uint8Array(20).fill(9) },
    lifetime: { softSeconds: 80, hardSeconds: 100 },
    replayWindow: 32,
  };
}

test("getSpi hands out unique SPIs ≥ 256 and retries collisions", async () => {
  let n = 0;
  const seq = [5, 5, 5, 6];
  const sink = new MemorySink({ randomSpi: () => seq[n++ % seq.length]! });
  const a = await sink.getSpi({ dst: "192.0.2.1", src: "192.0.2.2", proto: "esp", min: 0x100, max: 0x10f });
  const b = await sink.getSpi({ dst: "192.0.2.1", src: "192.0.2.2", proto: "esp", min: 0x100, max: 0x10f });
  assert.is(a, 0x105);
  assert.is(b, 0x106);
  const many = new Set<number>();
  const real = new MemorySink();
  for (let i = 0; i < 2000; i++) many.add(await real.getSpi({ dst: "192.0.2.1", src: "192.0.2.2", proto: "esp" }));
  assert.is(many.size, 2000);
  for (const s of many) assert.ok(s >= 0x100);
});

test("add, update (incl. a larval SPI), delete; refusals are typed", async () => {
  const sink = new MemorySink();
  const spi = await sink.getSpi({ dst: "192.0.2.1", src: "192.0.2.2", proto: "esp" });
  await sink.updateSa(sa(spi));
  assert.ok(sink.findSa({ dst: "192.0.2.1", spi, proto: "esp" }));
  await sink.addSa(sa(0x1000));
  const dup = await sink.addSa(sa(0x1000)).catch((e: unknown) => e);
  assert.instance(dup, SinkError);
  assert.is((dup as SinkError).code, "exists");
  const missing = await sink.deleteSa({ dst: "192.0.2.1", spi: 0x2000, proto: "esp" }).catch((e: unknown) => e);
  assert.is((missing as SinkError).code, "not-found");
  const badKey = await sink.addSa(sa(0x3000, new Uint8Array(15))).catch((e: unknown) => e);
  assert.is((badKey as SinkError).code, "invalid");
  await sink.deleteSa({ dst: "192.0.2.1", spi: 0x1000, proto: "esp" });
  assert.is(sink.sas.size, 1);
});

test("batch: one result per item, failures don't stop the rest", async () => {
  const sink = new MemorySink();
  const ops = Array.from({ length: 100 }, (_, i) => ({ op: "addSa" as const, sa: sa(0x1000 + (i === 50 || i === 70 ? 0 : i)) }));
  const results = await sink.batch(ops);
  assert.is(results.length, 100);
  const failed = results.flatMap((r, i) => (r.ok ? [] : [i]));
  assert.equal(failed, [50, 70]);
  assert.is(sink.sas.size, 98);
});

test("lifetimes: soft expiry once, hard expiry removes the SA and zeroes its keys", async () => {
  let now = 0;
  const sink = new MemorySink({ now: () => now });
  const events: SinkEvent[] = [];
  sink.subscribe((e) => events.push(e));
  await sink.addSa(sa(0x1000));
  const stored = sink.findSa({ dst: "192.0.2.1", spi: 0x1000, proto: "esp" })!;
  const key = stored.spec.enc!.key;
  now = 79_000;
  sink.tick();
  assert.is(events.length, 0);
  now = 80_000;
  sink.tick();
  sink.tick();
  assert.equal(
    events.map((e) => e.type === "expire" && e.hard),
    [false],
  );
  now = 100_000;
  sink.tick();
  assert.equal(
    events.map((e) => e.type === "expire" && e.hard),
    [false, true],
  );
  assert.is(sink.sas.size, 0);
  assert.ok(key.every((b) => b === 0));
});

test("the sink keeps its own copy of keys: the caller's buffer is not retained", async () => {
  const sink = new MemorySink();
  const key = new Uint8Array(16).fill(3);
  await sink.addSa(sa(0x1000, key));
  key.fill(0);
  assert.ok(sink.findSa({ dst: "192.0.2.1", spi: 0x1000, proto: "esp" })!.spec.enc!.key.every((b) => b === 3));
});

test("policies: add, duplicate refused, update, delete, flush; closed sink refuses", async () => {
  const sink = new MemorySink();
  const selector = { src: "10.0.0.0", srcPrefix: 24, dst: "10.0.1.0", dstPrefix: 24, proto: 0, srcPort: 0, dstPort: 0 };
  const policy = { selector, dir: "out" as const, action: "allow" as const, priority: 100, templates: [] };
  await sink.addPolicy(policy);
  assert.is(((await sink.addPolicy(policy).catch((e: unknown) => e)) as SinkError).code, "exists");
  await sink.updatePolicy({ ...policy, priority: 50 });
  assert.is([...sink.policies.values()][0]!.priority, 50);
  await sink.deletePolicy({ selector, dir: "out" });
  assert.is(sink.policies.size, 0);
  await sink.addPolicy(policy);
  await sink.flush({ policies: true });
  assert.is(sink.policies.size, 0);
  await sink.close();
  assert.is(((await sink.addPolicy(policy).catch((e: unknown) => e)) as SinkError).code, "closed");
});

test.run();
