// XfrmSink policies against the kernel, in throwaway namespaces: batches of thousands installed,
// dumped, updated and deleted, each step cross-checked with `ip xfrm policy`; per-item results of
// a batch with failures in it; the event loop stays responsive during a 100 000-policy batch.
import { constants } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type PolicySpec, SinkError, type SinkOp } from "../../src/ipsec/sink.ts";
import { DEFAULT_RECEIVE_BUFFER, XfrmSink } from "../../src/ipsec/xfrm-sink.ts";
import { ip, withNetns } from "../helpers/netns.ts";
import { hostPolicies, ipPolicyKeys, policyKey } from "../helpers/xfrm-cases.ts";

const E = constants.errno;

async function withSink<T>(label: string, fn: (sink: XfrmSink, ns: string) => Promise<T>): Promise<T> {
  return withNetns(label, async (ns) => {
    const sink = XfrmSink.open({ netns: ns });
    try {
      return await fn(sink, ns);
    } finally {
      await sink.close();
    }
  });
}

const ipKeys = (ns: string) => ipPolicyKeys(ip(ns, "xfrm", "policy")).sort();

test("3000 policies: install, dump, update, delete in batches, each step matching `ip xfrm policy`", async () => {
  await withSink("pol", async (sink, ns) => {
    const policies = [
      ...hostPolicies(2990),
      ...hostPolicies(10, 2990).map((p, i) => ({
        ...p,
        selector: { ...p.selector, src: `2001:db8::${i + 1}`, dst: "2001:db8:ffff::1", srcPrefix: 128, dstPrefix: 128 },
      })),
    ];
    const added = await sink.batch(policies.map((policy) => ({ op: "addPolicy", policy })));
    assert.equal(
      added.filter((r) => !r.ok),
      [],
    );
    assert.equal(ipKeys(ns), policies.map(policyKey).sort(), "ip xfrm policy lists exactly what was added");

    const dumped = await sink.dumpPolicies();
    assert.is(dumped.length, policies.length);
    const byKey = new Map(dumped.map((d) => [policyKey(d), d]));
    for (const p of policies) {
      const d = byKey.get(policyKey(p));
      assert.ok(d, `dumped: ${policyKey(p)}`);
      assert.equal(d?.templates, p.templates);
      assert.is(d?.action, "allow");
    }

    const updated = policies.map((p) => ({ ...p, priority: 200 }));
    const upd = await sink.batch(updated.map((policy) => ({ op: "updatePolicy", policy })));
    assert.ok(
      upd.every((r) => r.ok),
      "every update applied",
    );
    assert.equal(ipKeys(ns), updated.map(policyKey).sort(), "ip xfrm policy shows the new priority everywhere");

    const del = await sink.batch(policies.map(({ selector, dir }) => ({ op: "deletePolicy", id: { selector, dir } })));
    assert.ok(
      del.every((r) => r.ok),
      "every delete applied",
    );
    assert.equal(ipKeys(ns), []);
    assert.equal(await sink.dumpPolicies(), []);

    const gone = policies[0] as PolicySpec;
    try {
      await sink.deletePolicy({ selector: gone.selector, dir: gone.dir });
      assert.unreachable("deleting a deleted policy fails");
    } catch (e) {
      assert.instance(e, SinkError);
      assert.is((e as SinkError).code, "not-found");
      assert.is((e as SinkError).errno, E.ENOENT);
    }
  });
});

test("a batch of 10 000 where 3 duplicate earlier items: exactly those 3 fail, with EEXIST", async () => {
  await withSink("dup", async (sink, ns) => {
    const unique = hostPolicies(9997);
    // position in the batch → index (in `unique`) of the earlier item it repeats
    const duplicateAt = new Map([
      [1234, 17],
      [5000, 4000],
      [9999, 9000],
    ]);
    const ops: SinkOp[] = [];
    for (let i = 0, u = 0; i < 10000; i++) {
      const source = duplicateAt.has(i) ? unique[duplicateAt.get(i) as number] : unique[u++];
      ops.push({ op: "addPolicy", policy: source as PolicySpec });
    }
    const results = await sink.batch(ops);
    assert.is(results.length, 10000);
    const failed = results.flatMap((r, i) => (r.ok ? [] : [{ i, code: r.error.code, errno: r.error.errno, op: r.error.op }]));
    assert.equal(
      failed,
      [...duplicateAt.keys()].map((i) => ({ i, code: "exists", errno: E.EEXIST, op: "addPolicy" })),
    );
    assert.is(ipKeys(ns).length, 9997);
  });
});

test("an item that cannot be encoded fails alone; a kernel refusal carries the kernel's words", async () => {
  await withSink("bad", async (sink) => {
    const [a, b] = hostPolicies(2) as [PolicySpec, PolicySpec];
    const bad = { ...a, selector: { ...a.selector, src: "10.0.0.256" } };
    // An optional ("use") tunnel template is refused for outbound policies (xfrm_user.c validate_tmpl).
    const optionalTunnel = {
      ...b,
      selector: { ...b.selector, src: "10.200.0.1" },
      templates: [{ proto: "esp" as const, mode: "tunnel" as const, src: "192.0.2.1", dst: "192.0.2.2", reqid: 1, level: "use" as const }],
    };
    const results = await sink.batch([
      { op: "addPolicy", policy: a },
      { op: "addPolicy", policy: bad },
      { op: "addPolicy", policy: optionalTunnel },
      { op: "addPolicy", policy: b },
    ]);
    assert.ok(results[0]?.ok);
    assert.ok(results[3]?.ok);
    const [, encodeError, kernelError] = results.map((r) => (r.ok ? undefined : r.error));
    assert.is(encodeError?.code, "invalid");
    assert.match(encodeError?.message ?? "", "10.0.0.256");
    assert.is(kernelError?.code, "invalid");
    assert.is(kernelError?.errno, E.EINVAL);
    assert.match(kernelError?.message ?? "", /kernel rejected policy out 10\.200\.0\.1\/32 → 172\.16\.0\.1\/32 as invalid: \S/);
  });
});

test("a batch of many slices reaches the kernel in order: 5000 adds, then deletes of the same 5000", async () => {
  await withSink("order", async (sink, ns) => {
    const policies = hostPolicies(5000);
    const ops: SinkOp[] = [
      ...policies.map((policy): SinkOp => ({ op: "addPolicy", policy })),
      ...policies.map(({ selector, dir }): SinkOp => ({ op: "deletePolicy", id: { selector, dir } })),
    ];
    const results = await sink.batch(ops);
    assert.is(results.length, 10_000);
    assert.equal(
      results.flatMap((r, i) => (r.ok ? [] : [i])),
      [],
      "every add before its delete",
    );
    assert.equal(ipKeys(ns), []);
  });
});

test("concurrent single calls all land (queued calls go to the kernel together)", async () => {
  await withSink("burst", async (sink, ns) => {
    const policies = hostPolicies(500);
    await Promise.all(policies.map((p) => sink.addPolicy(p)));
    assert.is(ipKeys(ns).length, 500);
    await sink.flush({ policies: true });
    assert.equal(ipKeys(ns), []);
  });
});

test("receive buffer: 8 MiB by default (forced past rmem_max as root), configurable", async () => {
  await withNetns("rcvbuf", async (ns) => {
    const byDefault = XfrmSink.open({ netns: ns });
    const small = XfrmSink.open({ netns: ns, receiveBuffer: 1 << 20, eventReceiveBuffer: 1 << 18 });
    try {
      // The kernel doubles SO_RCVBUF for its bookkeeping and getsockopt reports the doubled value.
      assert.is(byDefault.info().receiveBuffer, 2 * DEFAULT_RECEIVE_BUFFER);
      assert.ok(byDefault.info().receiveBufferForced, "SO_RCVBUFFORCE as root");
      assert.is(small.info().receiveBuffer, 2 << 20);
      assert.is(small.info().eventReceiveBuffer, 2 << 18);
    } finally {
      await byDefault.close();
      await small.close();
    }
  });
});

test("opening a namespace that does not exist is a typed error", () => {
  try {
    XfrmSink.open({ netns: "kinkd-no-such-namespace" });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, SinkError);
    assert.is((e as SinkError).code, "invalid");
    assert.match((e as SinkError).message, 'network namespace "kinkd-no-such-namespace" does not exist');
  }
});

test("a 100 000-policy batch leaves the event loop responsive", async () => {
  await withSink("big", async (sink, ns) => {
    const policies = hostPolicies(100_000);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const results = await sink.batch(policies.map((policy) => ({ op: "addPolicy", policy })));
    delay.disable();
    assert.ok(
      results.every((r) => r.ok),
      "every policy installed",
    );
    assert.is((await sink.dumpPolicies()).length, 100_000);
    // bench:xfrm measures against the 5 ms target. Here, on a shared 2-CPU machine, one run's p99
    // was 2–6 ms with the machine quiet and up to 7 ms while other jobs kept both CPUs busy (the
    // event loop then waits behind their threads); 15 ms still fails a batch encoded in one go,
    // at the 0.4–1.2 µs of main-thread CPU per policy bench:xfrm measures.
    const p99 = delay.percentile(99) / 1e6;
    assert.ok(p99 < 15, `event-loop delay p99 ${p99.toFixed(1)} ms during the batch`);
    await sink.flush();
    assert.is(ip(ns, "xfrm", "policy").trim(), "");
  });
});

test.run();
