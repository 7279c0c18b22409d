// ALLOCSPI through XfrmSink: SPIs in bulk are distinct and in range and show up as larval SAs in
// `ip xfrm state`; an exhausted range is a typed error; updateSa fills a larval SA in (or, on a
// kernel without ESP, fails with the typed error).
import { constants } from "node:os";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { authAlgorithmByName, encAlgorithmByName } from "../../src/ipsec/algorithms.ts";
import { SinkError, type SpiRequest } from "../../src/ipsec/sink.ts";
import { XfrmSink } from "../../src/ipsec/xfrm-sink.ts";
import { Prng } from "../helpers/bytes.ts";
import { ip, kernelHasEsp, withNetns } from "../helpers/netns.ts";

const E = constants.errno;

async function withSink<T>(label: string, fn: (sink: XfrmSink, ns: string) => Promise<T>): Promise<T> {
  return withNetns(label, async (ns) => {
    const sink = XfrmSink.open({ netns: ns, events: false });
    try {
      return await fn(sink, ns);
    } finally {
      await sink.close();
    }
  });
}

const ipSpis = (ns: string) => [...ip(ns, "xfrm", "state").matchAll(/spi (0x[0-9a-f]+)/g)].map((m) => Number(m[1]));

test("2000 SPIs in one batch: distinct, in range, each a larval SA in ip xfrm state", async () => {
  await withSink("spi", async (sink, ns) => {
    const req: SpiRequest = { src: "192.0.2.1", dst: "192.0.2.2", proto: "esp", reqid: 7, min: 0x1000, max: 0x7fffffff };
    const results = await sink.batch(Array.from({ length: 2000 }, () => ({ op: "getSpi" as const, req })));
    const spis = results.map((r) => (r.ok ? r.spi : undefined));
    assert.ok(
      spis.every((s) => s !== undefined && s >= 0x1000 && s <= 0x7fffffff),
      "every SPI allocated within the range",
    );
    assert.is(new Set(spis).size, 2000, "SPIs are distinct");
    assert.equal(ipSpis(ns).sort(), (spis as number[]).sort(), "ip xfrm state shows exactly those SPIs");
    const one = await sink.getSpi({ ...req, proto: "ah" });
    assert.ok(one >= 0x100, "single call, default range (RFC 4301 §4.1 reserves 1-255)");
    assert.ok(ipSpis(ns).includes(one));
  });
});

test("an exhausted SPI range is a typed no-spi error", async () => {
  await withSink("spi-full", async (sink) => {
    const req: SpiRequest = { src: "192.0.2.1", dst: "192.0.2.2", proto: "esp", min: 0x4242, max: 0x4242 };
    assert.is(await sink.getSpi(req), 0x4242);
    try {
      await sink.getSpi(req);
      assert.unreachable("the only SPI of the range is taken");
    } catch (e) {
      assert.instance(e, SinkError);
      assert.is((e as SinkError).code, "no-spi");
      assert.is((e as SinkError).errno, E.ENOENT);
      assert.is((e as SinkError).op, "getSpi");
    }
  });
});

test("updateSa on an SPI from getSpi installs the keyed SA, or fails typed where the kernel has no ESP", async () => {
  await withSink("spi-upd", async (sink, ns) => {
    const esp = kernelHasEsp(ns);
    const spi = await sink.getSpi({ src: "192.0.2.1", dst: "192.0.2.2", proto: "esp", reqid: 3 });
    const rng = new Prng(7);
    const sa = {
      id: { dst: "192.0.2.2", spi, proto: "esp" as const },
      src: "192.0.2.1",
      mode: "transport" as const,
      reqid: 3,
      replayWindow: 32,
      lifetime: { hardSeconds: 600 },
      enc: { alg: encAlgorithmByName("aes-cbc")!, key: rng.bytes(16) },
      auth: { alg: authAlgorithmByName("hmac-sha1-96")!, key: rng.bytes(20) },
    };
    if (esp.ok) {
      await sink.updateSa(sa);
      const [dumped] = (await sink.dumpSas()).filter((d) => d.id.spi === spi);
      assert.equal(dumped?.enc, { xfrmName: "cbc(aes)", keyBits: 128 });
      assert.equal(dumped?.auth, { xfrmName: "hmac(sha1)", keyBits: 160, truncBits: 96 });
      assert.equal(dumped?.lifetime, { hardSeconds: 600 });
    } else {
      try {
        await sink.updateSa(sa);
        assert.unreachable("no ESP in this kernel");
      } catch (e) {
        assert.instance(e, SinkError);
        assert.is((e as SinkError).code, "no-kernel-support");
        assert.is((e as SinkError).op, "updateSa");
        assert.match((e as SinkError).message, "kernel has no ESP support (CONFIG_INET_ESP)");
      }
    }
  });
});

test.run();
