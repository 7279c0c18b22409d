// ReplayCache (src/krb/replay-cache.ts): RFC 4120 §3.2.3 replay detection with time passed in,
// bucketed expiry, the hard cap, and a 100 000-entry run with its heap growth printed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KrbErrorCode } from "../../src/krb/errors.ts";
import { formatPrincipal } from "../../src/krb/principal.ts";
import { ReplayCache, type ReplayEntry, replayEntryFor, replayError } from "../../src/krb/replay-cache.ts";
import { Prng } from "../helpers/bytes.ts";

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const base = (over: Partial<ReplayEntry> = {}): ReplayEntry => ({
  client: "alice@EXAMPLE.COM",
  server: "kink/gw.example.com@EXAMPLE.COM",
  ctime: T0,
  cusec: 123456,
  checksum: new Uint8Array([1, 2, 3, 4]),
  ...over,
});

test("first sighting accepted, exact replay rejected", () => {
  const rc = new ReplayCache();
  assert.is(rc.check(base(), T0), "ok");
  assert.is(rc.check(base(), T0 + 10), "replay");
  // A copy with equal contents but different objects is still the same authenticator.
  assert.is(rc.check({ ...base(), checksum: new Uint8Array([1, 2, 3, 4]) }, T0 + 20), "replay");
  const s = rc.stats();
  assert.equal([s.checks, s.accepted, s.replays, s.size], [3, 1, 2, 1]);
});

test("any differing field makes a new authenticator", () => {
  const rc = new ReplayCache();
  assert.is(rc.check(base(), T0), "ok");
  const variants: Partial<ReplayEntry>[] = [
    { cusec: 123457 },
    { ctime: T0 + 1000 },
    { checksum: new Uint8Array([1, 2, 3, 5]) },
    { checksum: undefined },
    { client: "bob@EXAMPLE.COM" },
    { server: "kink/other.example.com@EXAMPLE.COM" },
    // Field boundaries are length-prefixed: moving bytes between client and server differs.
    { client: "alice@EXAMPLE.COMk", server: "ink/gw.example.com@EXAMPLE.COM" },
  ];
  for (const v of variants) assert.is(rc.check(base(v), T0), "ok", JSON.stringify(Object.keys(v)));
  for (const v of variants) assert.is(rc.check(base(v), T0 + 1), "replay");
  // An empty checksum and an absent one are the same thing.
  assert.is(rc.check(base({ checksum: new Uint8Array(0) }), T0 + 2), "replay");
});

test("entries live until ctime + window, then their buckets are dropped", () => {
  const rc = new ReplayCache({ windowMs: 300_000, bucketMs: 5_000 });
  assert.is(rc.check(base(), T0), "ok");
  // Still inside the window (ctime + 299 s): replay.
  assert.is(rc.check(base(), T0 + 299_000), "replay");
  assert.is(rc.size, 1);
  // Past ctime + window (+ one bucket of slack): the entry is gone, and the authenticator
  // itself is too old to be recorded (the caller's skew check rejects it).
  assert.is(rc.check(base({ cusec: 0 }), T0 + 306_000), "stale");
  assert.is(rc.size, 0);
  const s = rc.stats();
  assert.is(s.entriesExpired, 1);
  assert.ok(s.bucketsDropped >= 1);
});

test("a ctime in the future (within the window) is kept until ctime + window", () => {
  const rc = new ReplayCache({ windowMs: 300_000 });
  const ahead = base({ ctime: T0 + 250_000 });
  assert.is(rc.check(ahead, T0), "ok");
  // At T0 + 500 s the authenticator is still within skew of the clock: must still be a replay.
  assert.is(rc.check(ahead, T0 + 500_000), "replay");
  // Too far in the future or past: refused as stale, not recorded.
  const rc2 = new ReplayCache({ windowMs: 300_000 });
  assert.is(rc2.check(base({ ctime: T0 + 301_000 }), T0), "stale");
  assert.is(rc2.check(base({ ctime: T0 - 301_000 }), T0), "stale");
  assert.is(rc2.stats().stale, 2);
  assert.is(rc2.size, 0);
});

test("the clock never runs backwards inside the cache", () => {
  const rc = new ReplayCache({ windowMs: 10_000, bucketMs: 1_000 });
  assert.is(rc.check(base(), T0), "ok");
  // A backwards step is treated as no time passing: the entry stays.
  assert.is(rc.check(base(), T0 - 5_000), "replay");
  assert.is(rc.size, 1);
});

test("bucket dropping is amortised O(1): one drop per elapsed bucket, none while time stands still", () => {
  const rc = new ReplayCache({ windowMs: 60_000, bucketMs: 1_000 });
  const prng = new Prng(1);
  // One entry per second over 60 s, all at different expiry buckets.
  for (let i = 0; i < 60; i++) assert.is(rc.check(base({ ctime: T0 + i * 1000, cusec: prng.int(1e6) }), T0 + i * 1000), "ok");
  const before = rc.stats().bucketsDropped;
  // 1000 checks at one instant: no bucket work at all.
  for (let i = 0; i < 1000; i++) rc.check(base({ ctime: T0 + 59_000, cusec: i }), T0 + 59_000);
  assert.is(rc.stats().bucketsDropped, before);
  // Advance 30 s past the first expiry: exactly the buckets passed over are dropped.
  const s0 = rc.stats();
  rc.check(base({ ctime: T0 + 90_000, cusec: 1 }), T0 + 90_000);
  const s1 = rc.stats();
  assert.is(s1.bucketsDropped - s0.bucketsDropped, 30, "buckets whose span ended in (59 s, 90 s]");
  assert.is(s1.entriesExpired - s0.entriesExpired, 30);
  // A jump far ahead empties everything with one pass over the ring.
  rc.check(base({ ctime: T0 + 10_000_000 }), T0 + 10_000_000);
  assert.is(rc.size, 1);
  assert.is(rc.stats().entriesExpired, s1.entriesExpired + (s1.size - 0));
});

test("the cap fails closed with 'full' and is counted", () => {
  const rc = new ReplayCache({ maxEntries: 10, windowMs: 10_000, bucketMs: 1_000 });
  for (let i = 0; i < 10; i++) assert.is(rc.check(base({ cusec: i }), T0), "ok");
  assert.is(rc.check(base({ cusec: 10 }), T0), "full");
  assert.is(rc.check(base({ cusec: 11 }), T0), "full");
  // Known authenticators are still reported as replays at the cap.
  assert.is(rc.check(base({ cusec: 3 }), T0), "replay");
  assert.is(rc.stats().capacityRejections, 2);
  assert.is(rc.size, 10);
  // Once the entries expire there is room again.
  assert.is(rc.check(base({ ctime: T0 + 12_000, cusec: 10 }), T0 + 12_000), "ok");
  assert.is(rc.size, 1);
});

test("100 000 live entries: all recorded, all detected as replays; heap growth printed", () => {
  const rc = new ReplayCache({ windowMs: 300_000 });
  const prng = new Prng(100_000);
  const entries: ReplayEntry[] = [];
  for (let i = 0; i < 100_000; i++) {
    entries.push({
      client: `user${prng.int(5000)}@EXAMPLE.COM`,
      server: "kink/gw.example.com@EXAMPLE.COM",
      ctime: T0 + Math.floor(i / 400) * 1000,
      cusec: prng.int(1_000_000),
      checksum: prng.bytes(12),
    });
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let ok = 0;
  for (let i = 0; i < entries.length; i++) if (rc.check(entries[i]!, T0 + Math.floor(i / 400) * 1000) === "ok") ok++;
  const insertMs = performance.now() - t0;
  gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  assert.is(ok, 100_000);
  assert.is(rc.size, 100_000);
  const t1 = performance.now();
  let replays = 0;
  const now = T0 + 250_000;
  for (const e of entries) if (rc.check(e, now) === "replay") replays++;
  const checkMs = performance.now() - t1;
  assert.is(replays, 100_000);
  const deltaMb = (heap1 - heap0) / 2 ** 20;
  console.log(
    `    replay cache: 100000 inserts ${insertMs.toFixed(0)} ms, 100000 replay checks ${checkMs.toFixed(0)} ms, heapUsed delta ${deltaMb.toFixed(1)} MiB${gc ? "" : " (no --expose-gc: includes garbage)"}`,
  );
  // Loose sanity bound only (the exact figure depends on GC timing).
  assert.ok(deltaMb < 64, `heap grew ${deltaMb} MiB`);
});

test("formatPrincipal, replayEntryFor and replayError", () => {
  assert.is(formatPrincipal({ nameType: 1, nameString: ["alice"] }, "EXAMPLE.COM"), "alice@EXAMPLE.COM");
  assert.is(formatPrincipal({ nameType: 2, nameString: ["kink", "gw.example.com"] }, "EXAMPLE.COM"), "kink/gw.example.com@EXAMPLE.COM");
  assert.is(formatPrincipal({ nameType: 1, nameString: ["a/b@c\\d"] }, "R"), "a\\/b\\@c\\\\d@R");
  const e = replayEntryFor(
    { crealm: "EXAMPLE.COM", cname: { nameType: 1, nameString: ["alice"] }, cusec: 5, ctime: T0, cksum: { cksumtype: 16, checksum: new Uint8Array([9]) } },
    { nameType: 2, nameString: ["kink", "gw"] },
    "EXAMPLE.COM",
  );
  assert.equal(e, { client: "alice@EXAMPLE.COM", server: "kink/gw@EXAMPLE.COM", ctime: T0, cusec: 5, checksum: new Uint8Array([9]) });
  assert.is(replayError("ok", "x"), undefined);
  assert.is(replayError("replay", "x")?.code, KrbErrorCode.KRB_AP_ERR_REPEAT);
  assert.is(replayError("full", "x")?.code, KrbErrorCode.KRB_AP_ERR_REPEAT);
  assert.match(replayError("full", "x")!.message, /cache full/);
  assert.is(replayError("stale", "x")?.code, KrbErrorCode.KRB_AP_ERR_SKEW);
  assert.throws(() => new ReplayCache({ windowMs: 0 }), /windowMs/);
});

test.run();
