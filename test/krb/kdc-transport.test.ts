// KDC transport (src/krb/kdc-transport.ts) against fake KDCs on 127.0.0.1: UDP, failover,
// RESPONSE_TOO_BIG → TCP, TCP framing (incl. split replies), foreign datagrams, total failure
// naming every KDC, abort. Plus the bounded KRB-ERROR error-code walker, fuzzed.
import * as dgram from "node:dgram";
import * as net from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KrbDecodeError, KrbError, KrbErrorCode } from "../../src/krb/errors.ts";
import { krbErrorCodeOf, type SendToKdcOptions, sendToKdc } from "../../src/krb/kdc-transport.ts";
import { Prng } from "../helpers/bytes.ts";

// ---- tiny DER builders for canned KDC answers ----
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const head = len < 0x80 ? [tag, len] : len < 0x100 ? [tag, 0x81, len] : [tag, 0x82, len >> 8, len & 0xff];
  return new Uint8Array(Buffer.concat([Buffer.from(head), ...parts]));
}
function derInt(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v >>= 8;
  } while (!((v === 0 && !(bytes[0]! & 0x80)) || (v === -1 && bytes[0]! & 0x80)));
  return tlv(0x02, new Uint8Array(bytes));
}
const gstr = (s: string) => tlv(0x1b, new Uint8Array(Buffer.from(s)));
/** KRB-ERROR (RFC 4120 §5.9.1) with the given error-code; optional ctime/cusec and e-text. */
function krbErrorMsg(code: number, withClientTime = false): Uint8Array {
  const fields = [tlv(0xa0, derInt(5)), tlv(0xa1, derInt(30))];
  if (withClientTime) fields.push(tlv(0xa2, tlv(0x18, new Uint8Array(Buffer.from("20240101000000Z")))), tlv(0xa3, derInt(999999)));
  fields.push(
    tlv(0xa4, tlv(0x18, new Uint8Array(Buffer.from("20240101000001Z")))),
    tlv(0xa5, derInt(1234)),
    tlv(0xa6, derInt(code)),
    tlv(0xa9, gstr("EXAMPLE.COM")),
    tlv(0xaa, tlv(0x30, tlv(0xa0, derInt(2)), tlv(0xa1, tlv(0x30, gstr("krbtgt"), gstr("EXAMPLE.COM"))))),
    tlv(0xab, gstr("e".repeat(200))),
  );
  return tlv(0x7e, tlv(0x30, ...fields));
}
/** Something shaped like an AS-REP ([APPLICATION 11]); the transport does not look inside. */
const asRep = (marker: string) => tlv(0x6b, tlv(0x30, new Uint8Array(Buffer.from(marker))));
const asReq = (n: number, prng = new Prng(n)) => tlv(0x6a, tlv(0x30, prng.bytes(n)));
const str = (b: Uint8Array) => Buffer.from(b).toString("latin1");

// ---- fake KDCs ----
interface UdpKdc {
  port: number;
  sock: dgram.Socket;
  requests: Buffer[];
  close(): Promise<void>;
}
async function udpKdc(answer: (req: Buffer, rinfo: dgram.RemoteInfo, sock: dgram.Socket, n: number) => void, port = 0): Promise<UdpKdc> {
  const sock = dgram.createSocket("udp4");
  const requests: Buffer[] = [];
  sock.on("message", (msg, rinfo) => {
    requests.push(msg);
    answer(msg, rinfo, sock, requests.length);
  });
  await new Promise<void>((res, rej) => {
    sock.once("error", rej);
    sock.bind(port, "127.0.0.1", () => res());
  });
  return { port: sock.address().port, sock, requests, close: () => new Promise((r) => sock.close(() => r())) };
}
const reply = (sock: dgram.Socket, rinfo: dgram.RemoteInfo, b: Uint8Array) => sock.send(b, rinfo.port, rinfo.address);

interface TcpKdc {
  port: number;
  requests: Buffer[];
  prefixes: number[];
  close(): Promise<void>;
}
/** A TCP KDC: collects one length-prefixed request per connection, then lets `answer` write. */
async function tcpKdc(answer: (req: Buffer, s: net.Socket) => void, port = 0): Promise<TcpKdc> {
  const requests: Buffer[] = [];
  const prefixes: number[] = [];
  const conns = new Set<net.Socket>();
  const server = net.createServer((s) => {
    conns.add(s);
    s.on("close", () => conns.delete(s));
    s.on("error", () => {});
    let buf = Buffer.alloc(0);
    s.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        prefixes.push(buf.readUInt32BE(0));
        const req = buf.subarray(4, 4 + buf.readUInt32BE(0));
        requests.push(req);
        answer(req, s);
      }
    });
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(port, "127.0.0.1", () => res());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    prefixes,
    close: () =>
      new Promise((r) => {
        for (const c of conns) c.destroy();
        server.close(() => r());
      }),
  };
}
const frame = (b: Uint8Array) => {
  const f = Buffer.alloc(4 + b.length);
  f.writeUInt32BE(b.length, 0);
  f.set(b, 4);
  return f;
};
/** A UDP and a TCP KDC on the same port number (retries a few times if the port is taken). */
async function dualKdc(udpAnswer: Parameters<typeof udpKdc>[0], tcpAnswer: Parameters<typeof tcpKdc>[0]): Promise<[UdpKdc, TcpKdc]> {
  for (let i = 0; ; i++) {
    const t = await tcpKdc(tcpAnswer);
    try {
      return [await udpKdc(udpAnswer, t.port), t];
    } catch (e) {
      await t.close();
      if (i >= 5) throw e;
    }
  }
}
/** A port nobody listens on (bound, read, closed). */
async function deadUdpPort(): Promise<number> {
  const k = await udpKdc(() => {});
  await k.close();
  return k.port;
}
async function deadTcpPort(): Promise<number> {
  const k = await tcpKdc(() => {});
  await k.close();
  return k.port;
}
const FAST: SendToKdcOptions = { udpTimeoutMs: 100, totalTimeoutMs: 2000 };
const L = "127.0.0.1";

test("UDP: request delivered, reply returned", async () => {
  const want = asRep("hello");
  const k = await udpKdc((_req, rinfo, sock) => reply(sock, rinfo, want));
  try {
    const req = asReq(100);
    const got = await sendToKdc(req, [{ host: L, port: k.port }], FAST);
    assert.is(str(got), str(want));
    assert.is(k.requests.length, 1);
    assert.is(str(k.requests[0]!), str(req));
  } finally {
    await k.close();
  }
});

test("first KDC silent → second KDC answers after one per-attempt timeout", async () => {
  const silent = await udpKdc(() => {});
  const good = await udpKdc((_r, rinfo, sock) => reply(sock, rinfo, asRep("second")));
  try {
    const t0 = Date.now();
    const got = await sendToKdc(
      asReq(50),
      [
        { host: L, port: silent.port },
        { host: L, port: good.port },
      ],
      FAST,
    );
    const ms = Date.now() - t0;
    assert.is(str(got), str(asRep("second")));
    assert.ok(ms >= 90 && ms < 1000, `took ${ms} ms`);
    assert.is(silent.requests.length, 1);
  } finally {
    await silent.close();
    await good.close();
  }
});

test("UDP retransmission to the same KDC on the next pass", async () => {
  const k = await udpKdc((_r, rinfo, sock, n) => {
    if (n >= 2) reply(sock, rinfo, asRep("second try"));
  });
  try {
    const t0 = Date.now();
    const got = await sendToKdc(asReq(20), [{ host: L, port: k.port }], { udpTimeoutMs: 50, totalTimeoutMs: 2000 });
    assert.is(str(got), str(asRep("second try")));
    assert.is(k.requests.length, 2);
    // 50 ms per-KDC wait + 100 ms end-of-pass backoff before the resend.
    assert.ok(Date.now() - t0 >= 140, `resent after ${Date.now() - t0} ms`);
  } finally {
    await k.close();
  }
});

test("KRB_ERR_RESPONSE_TOO_BIG over UDP → same KDC retried over TCP", async () => {
  const big = asRep("x".repeat(3000));
  const [u, t] = await dualKdc(
    (_r, rinfo, sock) => reply(sock, rinfo, krbErrorMsg(KrbErrorCode.KRB_ERR_RESPONSE_TOO_BIG, true)),
    (_req, s) => s.write(frame(big)),
  );
  try {
    const req = asReq(300);
    const got = await sendToKdc(req, [{ host: L, port: u.port }], FAST);
    assert.is(got.length, big.length);
    assert.is(str(got), str(big));
    assert.is(u.requests.length, 1);
    assert.is(t.requests.length, 1);
    assert.is(str(t.requests[0]!), str(req));
  } finally {
    await u.close();
    await t.close();
  }
});

test("a request over udp_preference_limit goes straight to TCP, with a correct length prefix", async () => {
  const [u, t] = await dualKdc(
    () => assert.unreachable("UDP must not be used"),
    (_req, s) => s.write(frame(asRep("tcp answer"))),
  );
  try {
    const req = asReq(2000);
    const got = await sendToKdc(req, [{ host: L, port: t.port }], FAST);
    assert.is(str(got), str(asRep("tcp answer")));
    assert.is(u.requests.length, 0);
    assert.equal(t.prefixes, [req.length]);
    assert.is(str(t.requests[0]!), str(req));
    // The limit is configurable: 1 forces TCP even for a small request (MIT's idiom).
    await sendToKdc(asReq(10), [{ host: L, port: t.port }], { ...FAST, udpPreferenceLimit: 1 });
    assert.is(u.requests.length, 0);
    assert.is(t.requests.length, 2);
  } finally {
    await u.close();
    await t.close();
  }
});

test("TCP reply split across several chunks (prefix split too) is reassembled", async () => {
  const want = asRep("y".repeat(5000));
  const t = await tcpKdc((_req, s) => {
    const f = frame(want);
    const cuts = [0, 2, 7, 100, 2500, f.length];
    let i = 0;
    const next = () => {
      if (i + 1 >= cuts.length) return;
      s.write(f.subarray(cuts[i]!, cuts[i + 1]!));
      i++;
      setTimeout(next, 15);
    };
    next();
  });
  try {
    const got = await sendToKdc(asReq(30), [{ host: L, port: t.port, transport: "tcp" }], FAST);
    assert.is(str(got), str(want));
  } finally {
    await t.close();
  }
});

test("TCP: reserved high bit in the reply length and early close are failures", async () => {
  const hi = await tcpKdc((_r, s) => s.write(Buffer.from([0x80, 0, 0, 5, 1, 2, 3, 4, 5])));
  const short = await tcpKdc((_r, s) => s.end(frame(asRep("abc")).subarray(0, 6)));
  try {
    await sendToKdc(
      asReq(10),
      [
        { host: L, port: hi.port, transport: "tcp" },
        { host: L, port: short.port, transport: "tcp" },
      ],
      { ...FAST, totalTimeoutMs: 1000 },
    );
    assert.unreachable("should fail");
  } catch (e) {
    assert.instance(e, KrbError);
    const m = (e as Error).message;
    assert.ok(m.includes(`127.0.0.1:${hi.port} tcp reply length has the reserved high bit set`), m);
    assert.ok(m.includes(`127.0.0.1:${short.port} tcp connection closed after 2 of`), m);
  } finally {
    await hi.close();
    await short.close();
  }
});

test("datagrams from an unexpected source are ignored", async () => {
  const intruder = dgram.createSocket("udp4");
  await new Promise<void>((r) => intruder.bind(0, L, () => r()));
  const k = await udpKdc((_r, rinfo, sock) => {
    // A forged answer from another port reaches the client's ephemeral port first...
    intruder.send(asRep("forged"), rinfo.port, rinfo.address);
    // ...the real one follows from the KDC's own socket.
    setTimeout(() => reply(sock, rinfo, asRep("genuine")), 30);
  });
  try {
    const got = await sendToKdc(asReq(40), [{ host: L, port: k.port }], FAST);
    assert.is(str(got), str(asRep("genuine")));
  } finally {
    await k.close();
    await new Promise<void>((r) => intruder.close(() => r()));
  }
});

test("KDC_ERR_SVC_UNAVAILABLE moves on to the next KDC", async () => {
  const busy = await udpKdc((_r, rinfo, sock) => reply(sock, rinfo, krbErrorMsg(KrbErrorCode.KDC_ERR_SVC_UNAVAILABLE)));
  const good = await udpKdc((_r, rinfo, sock) => reply(sock, rinfo, asRep("ok")));
  try {
    const t0 = Date.now();
    const got = await sendToKdc(
      asReq(10),
      [
        { host: L, port: busy.port },
        { host: L, port: good.port },
      ],
      { ...FAST, udpTimeoutMs: 500 },
    );
    assert.is(str(got), str(asRep("ok")));
    assert.ok(Date.now() - t0 < 400, "no waiting out the per-KDC timeout after an explicit refusal");
  } finally {
    await busy.close();
    await good.close();
  }
});

test("other KRB-ERRORs are replies, returned to the caller", async () => {
  const err = krbErrorMsg(KrbErrorCode.KDC_ERR_PREAUTH_REQUIRED);
  const k = await udpKdc((_r, rinfo, sock) => reply(sock, rinfo, err));
  try {
    assert.is(str(await sendToKdc(asReq(10), [{ host: L, port: k.port }], FAST)), str(err));
  } finally {
    await k.close();
  }
});

test("all KDCs down → KrbError naming each KDC and why", async () => {
  const refusedUdp = await deadUdpPort();
  const refusedTcp = await deadTcpPort();
  const silent = await udpKdc(() => {});
  const t0 = Date.now();
  try {
    await sendToKdc(
      asReq(10),
      [
        { host: L, port: refusedUdp },
        { host: L, port: silent.port },
        { host: L, port: refusedTcp, transport: "tcp" },
        { host: "kdc.invalid", port: 88 },
      ],
      {
        udpTimeoutMs: 50,
        totalTimeoutMs: 600,
        lookup: async () => {
          throw Object.assign(new Error("getaddrinfo ENOTFOUND kdc.invalid"), { code: "ENOTFOUND" });
        },
      },
    );
    assert.unreachable("should fail");
  } catch (e) {
    assert.instance(e, KrbError);
    const err = e as KrbError;
    assert.is(err.code, KrbErrorCode.KRB_ERR_GENERIC);
    const m = err.message;
    console.log(`    ${m}`);
    assert.ok(m.includes(`127.0.0.1:${refusedUdp} udp ECONNREFUSED`), m);
    assert.match(m, new RegExp(`127\\.0\\.0\\.1:${silent.port} udp timeout after \\d+ ms \\(3 sends\\)`));
    assert.ok(m.includes(`127.0.0.1:${refusedTcp} tcp ECONNREFUSED`), m);
    assert.ok(m.includes("kdc.invalid:88 dns ENOTFOUND"), m);
    assert.ok(Date.now() - t0 < 1500, "bounded by the total deadline");
    assert.ok(silent.requests.length === 3, `silent KDC got ${silent.requests.length} sends`);
  } finally {
    await silent.close();
  }
});

test("KDCs not reached before the deadline are listed as such", async () => {
  const silent = await udpKdc(() => {});
  try {
    await sendToKdc(
      asReq(10),
      [
        { host: L, port: silent.port },
        { host: L, port: 9 },
      ],
      { udpTimeoutMs: 300, totalTimeoutMs: 100 },
    );
    assert.unreachable("should fail");
  } catch (e) {
    const m = (e as Error).message;
    assert.match(m, new RegExp(`127\\.0\\.0\\.1:${silent.port} udp timeout after \\d+ ms \\(1 send\\); 127\\.0\\.0\\.1:9 not tried \\(deadline reached\\)`));
  } finally {
    await silent.close();
  }
});

test("host names are resolved (all addresses tried in turn)", async () => {
  const k = await udpKdc((_r, rinfo, sock) => reply(sock, rinfo, asRep("by name")));
  try {
    const lookups: string[] = [];
    const got = await sendToKdc(asReq(10), [{ host: "kdc.test", port: k.port }], {
      ...FAST,
      lookup: async (h) => {
        lookups.push(h);
        return [
          { address: "127.0.0.2", family: 4 }, // nothing listens there: refused
          { address: L, family: 4 },
        ];
      },
    });
    assert.is(str(got), str(asRep("by name")));
    assert.equal(lookups, ["kdc.test"]);
  } finally {
    await k.close();
  }
});

test("AbortSignal aborts a pending exchange and an already-aborted one", async () => {
  const silent = await udpKdc(() => {});
  try {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(new Error("shutting down")), 50);
    try {
      await sendToKdc(asReq(10), [{ host: L, port: silent.port }], { ...FAST, signal: ac.signal });
      assert.unreachable("should abort");
    } catch (e) {
      assert.is((e as Error).message, "shutting down");
    }
    assert.ok(Date.now() - t0 < 500, "aborted promptly");
    try {
      await sendToKdc(asReq(10), [{ host: L, port: silent.port }], { ...FAST, signal: AbortSignal.abort() });
      assert.unreachable("should abort");
    } catch (e) {
      assert.is((e as Error).name, "AbortError");
    }
  } finally {
    await silent.close();
  }
});

test("no KDCs → KrbError", async () => {
  try {
    await sendToKdc(asReq(10), [], FAST);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, KrbError);
    assert.match((e as Error).message, /no KDC addresses/);
  }
});

test("IPv6 loopback KDC when available", async () => {
  const sock = dgram.createSocket("udp6");
  const ok = await new Promise<boolean>((r) => {
    sock.once("error", () => r(false));
    sock.bind(0, "::1", () => r(true));
  });
  if (!ok) {
    console.log("    (no ::1 on this host; IPv6 test skipped)");
    return;
  }
  sock.on("message", (_m, rinfo) => sock.send(asRep("v6"), rinfo.port, rinfo.address));
  try {
    assert.is(str(await sendToKdc(asReq(10), [{ host: "::1", port: sock.address().port }], FAST)), str(asRep("v6")));
  } finally {
    await new Promise<void>((r) => sock.close(() => r()));
  }
});

// ---- KRB-ERROR error-code walker ----
test("krbErrorCodeOf: codes, optional fields, non-errors", () => {
  for (const code of [0, 6, 25, 52, 60, 127, 128, 255, 256, 70000, 0x7fffffff, -1, -129]) {
    assert.is(krbErrorCodeOf(krbErrorMsg(code)), code, String(code));
    assert.is(krbErrorCodeOf(krbErrorMsg(code, true)), code);
  }
  assert.is(krbErrorCodeOf(asRep("x")), undefined);
  assert.is(krbErrorCodeOf(new Uint8Array(0)), undefined);
});

test("krbErrorCodeOf: malformed input → KrbDecodeError only", () => {
  const bad: Uint8Array[] = [
    new Uint8Array([0x7e]),
    new Uint8Array([0x7e, 0x05, 0x30]),
    new Uint8Array([0x7e, 0x80, 0x30, 0x00, 0x00, 0x00]), // indefinite length
    new Uint8Array([0x7e, 0x85, 1, 0, 0, 0, 0]), // 5 length octets
    new Uint8Array([0x7e, 0x02, 0x31, 0x00]), // SET, not SEQUENCE
    tlv(0x7e, tlv(0x30, tlv(0xa0, derInt(5)), tlv(0xa9, gstr("R")))), // no error-code
    tlv(0x7e, tlv(0x30, tlv(0xa6, tlv(0x04, new Uint8Array([1]))))), // error-code not INTEGER
    tlv(0x7e, tlv(0x30, tlv(0xa6, tlv(0x02, new Uint8Array(5))))), // too wide for Int32
    tlv(0x7e, tlv(0x30, tlv(0xa6, tlv(0x02, new Uint8Array(0))))), // empty INTEGER
    tlv(0x7e, tlv(0x30, tlv(0x02, new Uint8Array([1])))), // universal tag where a field belongs
    tlv(0x7e, tlv(0x30, new Uint8Array([0xbf, 0x1f, 0x01, 0x00]))), // high-tag-number form
  ];
  for (const b of bad)
    assert.throws(
      () => krbErrorCodeOf(b),
      (e: unknown) => e instanceof KrbDecodeError,
      Buffer.from(b).toString("hex"),
    );
  // Inner length running past the outer element (but not past the buffer) is caught too.
  const inner = tlv(0x7e, tlv(0x30, tlv(0xa6, derInt(52))));
  const lying = new Uint8Array([...inner, 0, 0, 0]);
  lying[3] = inner.length; // SEQUENCE claims more than [APPLICATION 30] holds
  assert.throws(
    () => krbErrorCodeOf(lying),
    (e: unknown) => e instanceof KrbDecodeError,
  );
});

test("krbErrorCodeOf fuzz: truncations and byte flips never throw anything but KrbDecodeError", () => {
  const prng = new Prng(52);
  const seeds = [krbErrorMsg(52), krbErrorMsg(6, true), krbErrorMsg(-1)];
  let decoded = 0;
  for (let i = 0; i < 20_000; i++) {
    const src = seeds[i % seeds.length]!;
    let m = src.slice(0, i % 3 === 0 ? prng.int(src.length + 1) : src.length);
    const flips = 1 + prng.int(4);
    for (let f = 0; f < flips && m.length > 0; f++) m[prng.int(m.length)] = prng.u32() & 0xff;
    if (prng.int(4) === 0 && m.length > 0) m[0] = 0x7e;
    if (prng.int(8) === 0) m = new Uint8Array([...m, ...prng.bytes(prng.int(8))]);
    try {
      const code = krbErrorCodeOf(m);
      if (code !== undefined) {
        assert.ok(Number.isInteger(code) && code >= -0x80000000 && code <= 0x7fffffff);
        decoded++;
      }
    } catch (e) {
      if (!(e instanceof KrbDecodeError)) throw e;
    }
  }
  assert.ok(decoded > 0);
});

test.run();
