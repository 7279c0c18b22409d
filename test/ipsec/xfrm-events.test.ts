// XFRM multicast events through XfrmSink: ACQUIRE when traffic hits a policy whose required ESP
// template has no SA; EXPIRE when a state's lifetime ends (a larval SA from ALLOCSPI, whose life
// is net.core.xfrm_acq_expires, and — where the kernel has ESP — a keyed SA with a 1-second
// hard lifetime); and a resync after the event socket overflows.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { authAlgorithmByName, encAlgorithmByName } from "../../src/ipsec/algorithms.ts";
import type { SinkEvent } from "../../src/ipsec/sink.ts";
import { XfrmSink } from "../../src/ipsec/xfrm-sink.ts";
import { Prng } from "../helpers/bytes.ts";
import { addVeth, inNetns, ip, kernelHasEsp, withNetns } from "../helpers/netns.ts";

async function withSink<T>(label: string, options: { eventReceiveBuffer?: number }, fn: (sink: XfrmSink, ns: string) => Promise<T>): Promise<T> {
  return withNetns(label, async (ns) => {
    const sink = XfrmSink.open({ netns: ns, ...options });
    try {
      return await fn(sink, ns);
    } finally {
      await sink.close();
    }
  });
}

/** Resolves with the first event `accept` takes, or rejects after `ms`. */
function nextEvent<E extends SinkEvent>(sink: XfrmSink, accept: (e: SinkEvent) => e is E, ms: number): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching event within ${ms} ms`));
    }, ms);
    const stop = sink.subscribe((e) => {
      if (!accept(e)) return;
      clearTimeout(timer);
      stop();
      resolve(e);
    });
  });
}

/** Sends one UDP datagram to each address from inside the namespace; send errors (larval drop) are expected. */
function sendUdp(ns: string, addresses: string[]): void {
  const script = [
    "import socket, sys",
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
    "for a in sys.argv[1:]:",
    "    try: s.sendto(b'kinkd', (a, 9))",
    "    except OSError: pass",
  ].join("\n");
  const r = inNetns(ns, "python3", ["-c", script, ...addresses]);
  assert.is(r.status, 0, `python3 sender: ${r.stderr}`);
}

const udpPolicy = (src: string, srcPrefix: number, dst: string, dstPrefix: number) => ({
  selector: { src, srcPrefix, dst, dstPrefix, proto: 17, srcPort: 0, dstPort: 0 },
  dir: "out" as const,
  action: "allow" as const,
  priority: 10,
  templates: [{ proto: "esp" as const, mode: "transport" as const, reqid: 42, level: "required" as const }],
});

test("ACQUIRE: a packet for a policy with a required ESP template and no SA", async () => {
  await withSink("acq", {}, async (sink, ns) => {
    addVeth(ns, "10.77.0.1/24");
    await sink.addPolicy(udpPolicy("10.77.0.1", 32, "10.77.0.2", 32));
    const [policy] = await sink.dumpPolicies();
    const acquired = nextEvent(sink, (e): e is SinkEvent & { type: "acquire" } => e.type === "acquire", 5000);
    sendUdp(ns, ["10.77.0.2"]);
    const e = await acquired;
    assert.equal(e.template, { proto: "esp", mode: "transport", src: "10.77.0.1", dst: "10.77.0.2", reqid: 42, level: "required" });
    assert.is(e.selector.src, "10.77.0.1");
    assert.is(e.selector.dst, "10.77.0.2");
    assert.is(e.selector.proto, 17);
    assert.is(e.selector.dstPort, 9);
    assert.is(e.policyIndex, policy?.index);
  });
});

test("EXPIRE: a larval SA from getSpi expires (hard) after net.core.xfrm_acq_expires", async () => {
  await withSink("exp", {}, async (sink, ns) => {
    const sysctl = inNetns(ns, "sysctl", ["-q", "-w", "net.core.xfrm_acq_expires=1"]);
    assert.is(sysctl.status, 0, sysctl.stderr);
    const spi = await sink.getSpi({ src: "192.0.2.1", dst: "192.0.2.2", proto: "esp", reqid: 5 });
    const e = await nextEvent(sink, (x): x is SinkEvent & { type: "expire" } => x.type === "expire" && x.id.spi === spi, 5000);
    assert.equal(e, { type: "expire", id: { dst: "192.0.2.2", spi, proto: "esp" }, src: "192.0.2.1", reqid: 5, hard: true });
    assert.not.match(ip(ns, "xfrm", "state"), `0x${spi.toString(16).padStart(8, "0")}`, "the larval SA is gone");
  });
});

test("EXPIRE of a keyed SA's 1-second hard lifetime, where the kernel has ESP", async () => {
  await withSink("exp-sa", {}, async (sink, ns) => {
    const esp = kernelHasEsp(ns);
    if (!esp.ok) {
      console.log(`  XFRM: no ESP in this kernel ("${esp.reason}"): keyed-SA lifetime expiry not testable here; larval expiry is`);
      return;
    }
    const rng = new Prng(9);
    const expired = nextEvent(sink, (x): x is SinkEvent & { type: "expire" } => x.type === "expire" && x.hard && x.id.spi === 0x5151, 5000);
    await sink.addSa({
      id: { dst: "192.0.2.2", spi: 0x5151, proto: "esp" },
      src: "192.0.2.1",
      mode: "transport",
      reqid: 6,
      replayWindow: 32,
      lifetime: { hardSeconds: 1 },
      enc: { alg: encAlgorithmByName("aes-cbc")!, key: rng.bytes(16) },
      auth: { alg: authAlgorithmByName("hmac-sha1-96")!, key: rng.bytes(20) },
    });
    const e = await expired;
    assert.is(e.reqid, 6);
  });
});

test("an overflowing event socket triggers a resync that counts what the kernel has", async () => {
  // The smallest receive buffer the kernel allows (SOCK_MIN_RCVBUF) holds a couple of ACQUIREs;
  // 3000 packets to distinct addresses each create a larval SA and an ACQUIRE, faster than one
  // reader thread drains them.
  await withSink("resync", { eventReceiveBuffer: 1 }, async (sink, ns) => {
    addVeth(ns, "10.78.0.1/16");
    await sink.addPolicy(udpPolicy("10.78.0.1", 32, "10.78.0.0", 16));
    const resynced = nextEvent(sink, (e): e is SinkEvent & { type: "resync" } => e.type === "resync", 10000);
    sendUdp(
      ns,
      Array.from({ length: 3000 }, (_, i) => `10.78.${1 + (i >> 8)}.${i & 255}`),
    );
    const e = await resynced;
    assert.is(e.policies, 1);
    assert.ok(e.sas > 0, `larval SAs counted (${e.sas})`);
  });
});

test.run();
