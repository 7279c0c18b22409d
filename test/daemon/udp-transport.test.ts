// The UDP edge [RFC 4430 §9, §11] with real sockets on 127.0.0.1 and ::1 (ephemeral ports):
// endpoints on both families, batching of bursts, maxBatch, send errors logged and counted,
// socket selection by `from`, bind failures, a throwing onBatch, and releasing the port.
import { createSocket, type Socket } from "node:dgram";
import { pino } from "pino";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Endpoint, type InboundDatagram, TransportError, UdpTransport, type UdpTransportOptions } from "../../src/daemon/udp-transport.ts";

interface LogLine {
  level: number;
  msg: string;
  code?: string;
  to?: string;
}

/** Sockets and transports a test opened; closed after each test, so a failing one doesn't keep the process alive. */
const opened: (() => Promise<void>)[] = [];

test.after.each(async () => {
  await Promise.all(opened.splice(0).map((close) => close()));
  await settle();
});

/** Lets the event loop finish closing handles (libuv completes a close in a later loop phase). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}

/** A logger whose JSON lines land in `lines` (pino writes to a plain { write } synchronously). */
function captureLogger() {
  const lines: LogLine[] = [];
  const logger = pino({ level: "trace" }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

/** Opens a transport (closed after the test) whose batches are collected in `batches`. */
async function openCollecting(opts: UdpTransportOptions) {
  const batches: InboundDatagram[][] = [];
  const { logger, lines } = captureLogger();
  const transport = await UdpTransport.open({ port: 0, logger, ...opts }, (batch) => batches.push(batch));
  opened.push(() => transport.close());
  return { transport, batches, lines };
}

/** A peer socket (closed after the test) bound to an ephemeral port; received datagrams land in `inbox`. */
async function peer(address: string) {
  const socket = createSocket(address.includes(":") ? { type: "udp6", ipv6Only: true } : { type: "udp4" });
  const inbox: { data: Buffer; from: Endpoint }[] = [];
  socket.on("message", (data, rinfo) => inbox.push({ data, from: { address: rinfo.address, port: rinfo.port } }));
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  opened.push(() => close(socket));
  return { socket, inbox, port: socket.address().port };
}

function close(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function seq(n: number, sender = 0): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(sender, 0);
  b.writeUInt32BE(n, 4);
  return b;
}

function udpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "UDPWrap").length;
}

for (const address of ["127.0.0.1", "::1"]) {
  test(`round trip on ${address}: from is the peer, local the bound socket, the reply leaves from it`, async () => {
    const { transport, batches } = await openCollecting({ addresses: [address] });
    const local = transport.endpoints[0]!;
    assert.is(transport.endpoints.length, 1);
    assert.is(local.address, address);
    assert.ok(local.port > 0);
    assert.ok(local.receiveBufferBytes > 0 && local.sendBufferBytes > 0);
    const p = await peer(address);
    p.socket.send(Buffer.from("request"), local.port, address);
    await until(() => batches.length === 1, "the request");
    const d = batches[0]![0]!;
    assert.is(Buffer.from(d.data).toString(), "request");
    assert.equal({ address: d.from.address, port: d.from.port }, { address, port: p.port });
    assert.is(d.local, local);
    transport.send([{ data: Buffer.from("reply"), to: d.from, from: d.local }]);
    await until(() => p.inbox.length === 1, "the reply");
    assert.is(p.inbox[0]!.data.toString(), "reply");
    assert.equal(p.inbox[0]!.from, { address, port: local.port });
    await until(() => transport.stats.sent === 1, "the send callback");
    assert.equal(transport.stats, { received: 1, sent: 1, sendErrors: 0, batches: 1, dropped: 0 });
  });
}

test("a synchronous burst from two senders arrives complete, in order per sender, in few batches", async () => {
  const { transport, batches } = await openCollecting({ addresses: ["127.0.0.1"] });
  const port = transport.endpoints[0]!.port;
  const a = await peer("127.0.0.1");
  const b = await peer("127.0.0.1");
  for (let i = 0; i < 100; i++) {
    a.socket.send(seq(i, 1), port, "127.0.0.1");
    b.socket.send(seq(i, 2), port, "127.0.0.1");
  }
  await until(() => transport.stats.received === 200, "200 datagrams");
  await new Promise((resolve) => setImmediate(resolve));
  const all = batches.flat();
  assert.is(all.length, 200);
  assert.ok(batches.length < 200, `${batches.length} batches`);
  assert.is(transport.stats.batches, batches.length);
  for (const [sender, from] of [
    [1, a.port],
    [2, b.port],
  ] as const) {
    const numbers = all.filter((d) => d.from.port === from).map((d) => Buffer.from(d.data).readUInt32BE(4));
    assert.equal(numbers, [...Array(100).keys()], `sender ${sender}`);
  }
});

test("maxBatch bounds every onBatch call; nothing is lost or reordered", async () => {
  const { transport, batches } = await openCollecting({ addresses: ["::1"], maxBatch: 10 });
  const p = await peer("::1");
  for (let i = 0; i < 200; i++) p.socket.send(seq(i), transport.endpoints[0]!.port, "::1");
  await until(() => batches.flat().length === 200, "200 datagrams");
  assert.ok(batches.every((batch) => batch.length >= 1 && batch.length <= 10));
  assert.ok(batches.some((batch) => batch.length === 10));
  assert.equal(
    batches.flat().map((d) => Buffer.from(d.data).readUInt32BE(4)),
    [...Array(200).keys()],
  );
});

test("an empty datagram is delivered", async () => {
  const { transport, batches } = await openCollecting({ addresses: ["127.0.0.1"] });
  const p = await peer("127.0.0.1");
  p.socket.send(new Uint8Array(0), transport.endpoints[0]!.port, "127.0.0.1");
  await until(() => batches.length === 1, "the empty datagram");
  assert.is(batches[0]![0]!.data.length, 0);
});

test("send errors (unroutable, broadcast, oversize, not an address, bad port) are counted and logged, never thrown", async () => {
  const { transport, lines } = await openCollecting({ addresses: ["127.0.0.1"] });
  const data = Buffer.from("x");
  transport.send([
    // From a socket bound to loopback nothing outside the host is reachable: EINVAL.
    { data, to: { address: "192.0.2.1", port: 910 } },
    // No SO_BROADCAST: EACCES.
    { data, to: { address: "255.255.255.255", port: 910 } },
    { data: Buffer.alloc(70000), to: { address: "127.0.0.1", port: 910 } },
    { data, to: { address: "kdc.example", port: 910 } },
    { data, to: { address: "127.0.0.1", port: 0 } },
  ]);
  await until(() => transport.stats.sendErrors === 5, "five send errors");
  assert.is(transport.stats.sent, 0);
  const warnings = lines.filter((l) => l.level === 40 && l.msg.startsWith("UDP send failed"));
  assert.equal(
    warnings.map((l) => [l.code, l.to]).sort(),
    [
      ["EACCES", "255.255.255.255:910"],
      ["EINVAL", "192.0.2.1:910"],
      ["EINVAL", "kdc.example:910"],
      ["EMSGSIZE", "127.0.0.1:910"],
      ["ERR_SOCKET_BAD_PORT", "127.0.0.1:0"],
    ].sort(),
  );
});

test("from selects the socket: the v6 socket by address, the first of the family by default, none if unbound", async () => {
  const { transport, lines } = await openCollecting({ addresses: ["127.0.0.1", "::1", "::"] });
  const [v4, loop6, any6] = transport.endpoints;
  assert.equal(
    transport.endpoints.map((e) => e.address),
    ["127.0.0.1", "::1", "::"],
  );
  const p = await peer("::1");
  const to = { address: "::1", port: p.port };
  transport.send([{ data: Buffer.from("any"), to, from: any6 }]);
  await until(() => p.inbox.length === 1, "the datagram from ::");
  transport.send([{ data: Buffer.from("loop"), to, from: loop6 }]);
  await until(() => p.inbox.length === 2, "the datagram from ::1");
  transport.send([{ data: Buffer.from("default"), to }]);
  await until(() => p.inbox.length === 3, "the default datagram");
  assert.equal(
    p.inbox.map((m) => [m.data.toString(), m.from.port]),
    [
      ["any", any6!.port],
      ["loop", loop6!.port],
      ["default", loop6!.port],
    ],
  );
  // A v4 `from` for a v6 target, and an address no socket holds: dropped with a warning.
  transport.send([
    { data: Buffer.from("x"), to, from: v4 },
    { data: Buffer.from("x"), to, from: { address: "::2", port: 910 } },
  ]);
  assert.is(transport.stats.dropped, 2);
  assert.is(lines.filter((l) => l.level === 40 && l.msg.startsWith("no UDP socket")).length, 2);
});

test("EADDRINUSE rejects open with a TransportError naming the address, and closes the sockets already bound", async () => {
  const blocker = await peer("::1");
  await settle();
  const before = udpHandles();
  const { logger } = captureLogger();
  try {
    await UdpTransport.open({ addresses: ["127.0.0.1", "::1"], port: blocker.port, logger }, () => {});
    assert.unreachable("open should fail");
  } catch (error) {
    assert.instance(error, TransportError);
    const e = error as TransportError;
    assert.is(e.code, "EADDRINUSE");
    assert.ok(e.message.startsWith(`cannot bind UDP [::1]:${blocker.port}: address already in use`), e.message);
  }
  await settle();
  assert.is(udpHandles(), before);
  // The IPv4 socket that did bind was closed: its port is free again.
  const again = createSocket({ type: "udp4" });
  opened.push(() => close(again));
  await new Promise<void>((resolve) => again.bind(blocker.port, "127.0.0.1", resolve));
});

test("a non-IP address and bad options reject open with EINVAL", async () => {
  const { logger } = captureLogger();
  for (const opts of [{ addresses: ["localhost"] }, { addresses: [] }, { maxBatch: 0 }, { port: 65536 }, { receiveBufferBytes: -1 }]) {
    try {
      await UdpTransport.open({ addresses: ["127.0.0.1"], port: 0, logger, ...opts }, () => {});
      assert.unreachable(`open should fail for ${JSON.stringify(opts)}`);
    } catch (error) {
      assert.instance(error, TransportError);
      assert.is((error as TransportError).code, "EINVAL");
    }
  }
});

test("an onBatch that throws is logged at error level and later datagrams still arrive", async () => {
  const { logger, lines } = captureLogger();
  const seen: string[] = [];
  const transport = await UdpTransport.open({ addresses: ["127.0.0.1"], port: 0, logger }, (batch) => {
    for (const d of batch) seen.push(Buffer.from(d.data).toString());
    if (seen.length === 1) throw new Error("engine bug");
  });
  opened.push(() => transport.close());
  const p = await peer("127.0.0.1");
  p.socket.send(Buffer.from("first"), transport.endpoints[0]!.port, "127.0.0.1");
  await until(() => seen.length === 1, "the first datagram");
  p.socket.send(Buffer.from("second"), transport.endpoints[0]!.port, "127.0.0.1");
  await until(() => seen.length === 2, "the second datagram");
  assert.equal(seen, ["first", "second"]);
  assert.is(lines.filter((l) => l.level === 50).length, 1);
  assert.is(transport.stats.batches, 2);
});

test("close releases the port, drops later sends, and is idempotent", async () => {
  const { transport: first } = await openCollecting({ addresses: ["127.0.0.1", "::1"] });
  const ports = first.endpoints.map((e) => e.port);
  await first.close();
  await first.close();
  first.send([{ data: Buffer.from("late"), to: { address: "127.0.0.1", port: 9 } }]);
  assert.is(first.stats.dropped, 1);
  const { transport: v4 } = await openCollecting({ addresses: ["127.0.0.1"], port: ports[0]! });
  const { transport: v6 } = await openCollecting({ addresses: ["::1"], port: ports[1]! });
  assert.is(v4.endpoints[0]!.port, ports[0]);
  assert.is(v6.endpoints[0]!.port, ports[1]);
});

test.run();
