// Byte-for-byte: the netlink message XfrmSink's addon sends for an SA or a policy equals the one
// iproute2 sends for the equivalent `ip xfrm` command. Both are captured with strace from real
// sendmsg() calls (the sink runs in a child process, through the same path the daemon uses);
// only nlmsg_seq and nlmsg_pid, which differ per process, are blanked. Where the kernel has ESP
// and AH the SAs are also installed and dumped back; where it has not, the test says so and
// checks the typed error instead.
import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { PolicyId, PolicySpec } from "../../src/ipsec/sink.ts";
import { XfrmSink } from "../../src/ipsec/xfrm-sink.ts";
import { Prng, toHex } from "../helpers/bytes.ts";
import { captureSendmsg, ip, kernelHasEsp, withNetns } from "../helpers/netns.ts";
import { type ChildOp, ipPolicyAddArgs, ipPolicyDeleteArgs, ipStateAddArgs, type SaJson, saFromJson } from "../helpers/xfrm-cases.ts";

const child = fileURLToPath(new URL("../helpers/xfrm-child.ts", import.meta.url));
const rng = new Prng(4430);
const key = (octets: number) => toHex(rng.bytes(octets));
const any4 = { proto: 0, srcPort: 0, dstPort: 0 };

const SAS: SaJson[] = [
  {
    // ESP tunnel, IPv4, AES-CBC-128 + HMAC-SHA1-96, no selector
    src: "192.0.2.1",
    dst: "192.0.2.2",
    proto: "esp",
    spi: 0x1001,
    mode: "tunnel",
    reqid: 1,
    replayWindow: 32,
    enc: { name: "aes-cbc", keyHex: key(16) },
    auth: { name: "hmac-sha1-96", keyHex: key(20) },
    lifetime: {},
  },
  {
    // ESP transport, IPv4, AES-GCM-16 (rfc4106, key + 4-octet salt), selector with ports, every lifetime, mark
    src: "192.0.2.1",
    dst: "192.0.2.3",
    proto: "esp",
    spi: 0xc0ffee01,
    mode: "transport",
    reqid: 77,
    replayWindow: 64,
    enc: { name: "aes-gcm-16", keyHex: key(16 + 4) },
    lifetime: { softSeconds: 3000, hardSeconds: 3600, softBytes: 1e9, hardBytes: 2 ** 40, softPackets: 1000000, hardPackets: 2000000 },
    selector: { src: "192.0.2.1", srcPrefix: 32, dst: "192.0.2.3", dstPrefix: 32, proto: 17, srcPort: 500, dstPort: 4500 },
    mark: { value: 5, mask: 0xff },
  },
  {
    // ESP tunnel, IPv6, AES-CTR-256 (rfc3686, key + 4-octet nonce) + HMAC-SHA2-256-128, IPv6 selector
    src: "2001:db8::1",
    dst: "2001:db8::2",
    proto: "esp",
    spi: 0x2002,
    mode: "tunnel",
    reqid: 2,
    replayWindow: 32,
    enc: { name: "aes-ctr", keyHex: key(32 + 4) },
    auth: { name: "hmac-sha2-256-128", keyHex: key(32) },
    lifetime: { hardSeconds: 28800 },
    selector: { src: "2001:db8:1::", srcPrefix: 64, dst: "2001:db8:2::", dstPrefix: 64, proto: 6, srcPort: 0, dstPort: 443 },
  },
  {
    // ESP transport, IPv6, 3DES-CBC + HMAC-SHA2-256-128
    src: "2001:db8::1",
    dst: "2001:db8::3",
    proto: "esp",
    spi: 0x2003,
    mode: "transport",
    reqid: 3,
    replayWindow: 0,
    enc: { name: "3des-cbc", keyHex: key(24) },
    auth: { name: "hmac-sha2-256-128", keyHex: key(32) },
    lifetime: { softBytes: 500000, hardBytes: 1000000 },
  },
  {
    // ESP tunnel, IPv4, AES-CCM-12 (rfc4309, key + 3-octet salt)
    src: "198.51.100.1",
    dst: "198.51.100.2",
    proto: "esp",
    spi: 0x3001,
    mode: "tunnel",
    reqid: 9,
    replayWindow: 32,
    enc: { name: "aes-ccm-12", keyHex: key(32 + 3) },
    lifetime: {},
    selector: { src: "10.1.0.0", srcPrefix: 16, dst: "10.2.0.0", dstPrefix: 16, ...any4 },
  },
  {
    // AH tunnel, IPv4, HMAC-SHA1-96
    src: "192.0.2.1",
    dst: "192.0.2.2",
    proto: "ah",
    spi: 0x4001,
    mode: "tunnel",
    reqid: 4,
    replayWindow: 32,
    auth: { name: "hmac-sha1-96", keyHex: key(20) },
    lifetime: { softSeconds: 100, hardSeconds: 120 },
  },
  {
    // AH transport, IPv6, HMAC-SHA2-512-256, mark
    src: "2001:db8::1",
    dst: "2001:db8::2",
    proto: "ah",
    spi: 0x4002,
    mode: "transport",
    reqid: 5,
    replayWindow: 16,
    auth: { name: "hmac-sha2-512-256", keyHex: key(64) },
    lifetime: {},
    mark: { value: 0x10000, mask: 0xffff0000 },
  },
];

const POLICIES: PolicySpec[] = [
  {
    selector: { src: "10.1.0.0", srcPrefix: 24, dst: "10.2.0.0", dstPrefix: 24, proto: 17, srcPort: 53, dstPort: 0 },
    dir: "out",
    action: "allow",
    priority: 100,
    mark: { value: 7, mask: 0xff },
    templates: [{ proto: "esp", mode: "tunnel", src: "192.0.2.1", dst: "192.0.2.2", reqid: 5, level: "required" }],
  },
  {
    selector: { src: "2001:db8::1", srcPrefix: 128, dst: "2001:db8::2", dstPrefix: 128, proto: 6, srcPort: 0, dstPort: 22 },
    dir: "in",
    action: "allow",
    priority: 2000,
    templates: [
      { proto: "ah", mode: "transport", reqid: 6, level: "use" },
      { proto: "esp", mode: "transport", reqid: 6, level: "required" },
    ],
  },
  { selector: { src: "10.9.0.0", srcPrefix: 16, dst: "0.0.0.0", dstPrefix: 0, ...any4 }, dir: "fwd", action: "block", priority: 1, templates: [] },
];
const DELETES: PolicyId[] = POLICIES.map(({ selector, dir, mark }) => ({ selector, dir, ...(mark ? { mark } : {}) }));

/** The XFRM messages (nlmsg_type 0x10–0x1d) in captured datagrams, seq and pid blanked. */
function xfrmMessages(datagrams: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const d of datagrams) {
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    for (let at = 0; at + 16 <= d.length; ) {
      const length = v.getUint32(at, true);
      if (length < 16 || at + length > d.length) break;
      const type = v.getUint16(at + 4, true);
      if (type >= 0x10 && type <= 0x1d) {
        const m = d.slice(at, at + length);
        m.fill(0, 8, 16);
        out.push(m);
      }
      at += (length + 3) & ~3;
    }
  }
  return out;
}

function ipMessage(ns: string, args: string[]): Uint8Array {
  const messages = xfrmMessages(captureSendmsg("ip", ["-n", ns, ...args]).datagrams);
  assert.is(messages.length, 1, `ip ${args.join(" ")} sent one XFRM message`);
  return messages[0] as Uint8Array;
}

interface ChildResult {
  readonly ok: boolean;
  readonly code?: string;
  readonly errno?: number;
  readonly message?: string;
}

function sinkMessages(ns: string, ops: ChildOp[]): { messages: Uint8Array[]; results: ChildResult[] } {
  const { datagrams, stdout } = captureSendmsg(process.execPath, ["--import", "tsx", child, ns, JSON.stringify(ops)]);
  const results = stdout
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
  assert.is(results.length, ops.length, `the child reported every operation (stdout: ${stdout})`);
  return { messages: xfrmMessages(datagrams), results };
}

function assertSameBytes(ours: Uint8Array | undefined, theirs: Uint8Array, what: string): void {
  assert.ok(ours, `${what}: the addon sent a message`);
  assert.is(Buffer.from(ours as Uint8Array).toString("hex"), Buffer.from(theirs).toString("hex"), what);
}

test("SAs: the addon's NEWSA equals iproute2's, byte for byte; installed and dumped where the kernel has ESP/AH", async () => {
  await withNetns("enc-sa", async (ns) => {
    const probe = kernelHasEsp(ns);
    const kernelHasIpsec = probe.ok;
    const theirs = SAS.map((sa) => ipMessage(ns, ipStateAddArgs(sa)));
    ip(ns, "xfrm", "state", "flush");
    const { messages, results } = sinkMessages(
      ns,
      SAS.map((sa) => ({ op: "addSa", sa })),
    );
    assert.is(messages.length, SAS.length, "one NEWSA per SA");
    for (const [i, sa] of SAS.entries())
      assertSameBytes(messages[i], theirs[i] as Uint8Array, `SA ${i}: ${sa.proto} ${sa.mode} ${sa.enc?.name ?? ""} ${sa.auth?.name ?? ""}`);

    if (kernelHasIpsec) {
      for (const r of results) assert.ok(r.ok, `SA installed: ${r.message}`);
      const sink = XfrmSink.open({ netns: ns, events: false });
      try {
        const dumped = await sink.dumpSas();
        assert.is(dumped.length, SAS.length);
        for (const sa of SAS) {
          const d = dumped.find((x) => x.id.spi === sa.spi && x.id.proto === sa.proto);
          assert.ok(d, `SA 0x${sa.spi.toString(16)} dumped`);
          assert.is(d?.reqid, sa.reqid);
          assert.is(d?.mode, sa.mode);
          assert.equal(d?.lifetime, sa.lifetime);
        }
        assert.is((ip(ns, "xfrm", "state").match(/^src /gm) ?? []).length, SAS.length, "ip xfrm state lists every SA");
      } finally {
        await sink.close();
      }
    } else {
      console.log(`  XFRM: this kernel has no ESP/AH transforms ("${probe.reason}"): SA encoding compared with iproute2, no SA installed`);
      // The kernel checks the algorithms before the transform type (xfrm_state_construct()), so
      // an SA whose cipher its crypto API lacks fails on that first (ENOSYS).
      for (const [i, r] of results.entries()) {
        const sa = saFromJson(SAS[i] as SaJson);
        if (r.code === "unsupported-algorithm") {
          assert.is(r.errno, constants.errno.ENOSYS);
          assert.match(r.message ?? "", `kernel has no ${[sa.enc?.alg.xfrmName, sa.auth?.alg.xfrmName].filter(Boolean).join(" + ")} (crypto API)`);
          continue;
        }
        const option = `CONFIG_INET${sa.id.dst.includes(":") ? "6" : ""}_${sa.id.proto.toUpperCase()}`;
        assert.is(r.code, "no-kernel-support", `SA ${i}: typed error (${r.message})`);
        assert.is(r.errno, constants.errno.EPROTONOSUPPORT);
        assert.match(r.message ?? "", `kernel has no ${sa.id.proto.toUpperCase()} support (${option})`);
      }
      assert.is(results[0]?.code, "no-kernel-support", "AES-CBC + HMAC-SHA1 (in every kernel's crypto API) fails on the missing ESP");
    }
  });
});

test("policies: the addon's NEWPOLICY and DELPOLICY equal iproute2's, byte for byte", async () => {
  await withNetns("enc-pol", async (ns) => {
    const theirAdds = POLICIES.map((p) => ipMessage(ns, ipPolicyAddArgs(p)));
    const theirDeletes = DELETES.map((id) => ipMessage(ns, ipPolicyDeleteArgs(id)));
    assert.not.match(ip(ns, "xfrm", "policy"), "src", "iproute2 deleted what it added");
    const ops: ChildOp[] = [...POLICIES.map((policy) => ({ op: "addPolicy" as const, policy })), ...DELETES.map((id) => ({ op: "deletePolicy" as const, id }))];
    const { messages, results } = sinkMessages(ns, ops);
    for (const [i, r] of results.entries()) assert.ok(r.ok, `operation ${i}: ${r.message}`);
    for (const [i, theirs] of [...theirAdds, ...theirDeletes].entries()) assertSameBytes(messages[i], theirs, `policy message ${i} (${ops[i]?.op})`);
  });
});

test.run();
