// KinkEndpoint: one engine+driver served by a UdpTransport, with real sockets on 127.0.0.1 and
// ::1 (ephemeral ports), a real engine and driver, and tickets from a real MIT KDC. Datagrams
// reach the engine and its answers leave from the endpoint's port; junk is dropped by the engine
// without an answer; close() stops the driver's retransmissions and releases the port; bind
// failures are the transport's TransportError, and a driver factory that throws leaves no socket.
import { createSocket, type Socket } from "node:dgram";
import { pino } from "pino";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KinkEndpoint } from "../../src/daemon/kink-endpoint.ts";
import { type Endpoint, TransportError } from "../../src/daemon/udp-transport.ts";
import { MemorySink } from "../../src/ipsec/memory-sink.ts";
import { KinkDriver, ticketsFromCache } from "../../src/kink/driver.ts";
import { KinkEngine } from "../../src/kink/engine.ts";
import { encodeGetTgt } from "../../src/kink/messages.ts";
import type { EngineEvent, PeerConfig } from "../../src/kink/types.ts";
import { KdcClient, TicketCache } from "../../src/krb/kdc-client.ts";
import { parsePrincipal } from "../../src/krb/principal.ts";
import { ReplayCache } from "../../src/krb/replay-cache.ts";
import { KinkErrorCode, MessageType, PayloadType } from "../../src/wire/constants.ts";
import { decodeKinkMessage } from "../../src/wire/decode.ts";
import { RFC_INTEROP } from "../../src/wire/interop.ts";
import { initiatorEntry, keytabFor } from "../helpers/kink-peers.ts";
import { mitKdcFixture } from "../helpers/mit-kdc.ts";

const REALM = "KINK.TEST";
const GW = "kink/gw.kink.test";
const PEER = "kink/peer.kink.test";
const kdc = mitKdcFixture({ realm: REALM, principals: { [GW]: {}, [PEER]: {} } });
test.before(kdc.before);
test.after(kdc.after);

interface LogLine {
  level: number;
  msg: string;
}

/** Endpoints and sockets a test opened; closed after each test, so a failing one doesn't keep the process alive. */
const opened: (() => Promise<void>)[] = [];

test.after.each(async () => {
  await Promise.all(opened.splice(0).map((close) => close()));
  await new Promise((resolve) => setTimeout(resolve, 1));
});

/**
 * An endpoint for kink/gw on `address` (ephemeral port unless given) with `peers`, logging to
 * `lines` (transport and engine alike). No keytab and no TGT: it can initiate, and answers
 * GETTGT for itself with KINK_ERROR U2UDENIED [RFC 4430 §4.2.4].
 */
async function gateway(address: string, o: { port?: number; peers?: PeerConfig[] } = {}) {
  const k = kdc.get();
  const keytab = await keytabFor(k, GW);
  const lines: LogLine[] = [];
  const logger = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  const client = new KdcClient({ realm: REALM, kdcs: [{ host: "127.0.0.1", port: k.port }] });
  const cache = new TicketCache(client, parsePrincipal(GW, { defaultRealm: REALM }).name, { kind: "keys", keys: keytab.map((e) => e.key) });
  const engine = new KinkEngine({
    principal: `${GW}@${REALM}`,
    epoch: Math.floor(Date.now() / 1000),
    peers: o.peers ?? [],
    replayCache: new ReplayCache(),
    interop: RFC_INTEROP,
    retransmit: { initialMs: 100, maxIntervalMs: 100, maxTransmissions: 3 },
    logger,
  });
  const sink = new MemorySink();
  const endpoint = await KinkEndpoint.open(
    { addresses: [address], port: o.port ?? 0, logger },
    (send) => new KinkDriver({ engine, sink, tickets: ticketsFromCache(cache), send }),
  );
  opened.push(() => endpoint.close());
  const events: EngineEvent[] = [];
  endpoint.driver.on("event", (e) => events.push(e));
  return { endpoint, engine, lines, events, local: endpoint.endpoints[0]! };
}

/** A plain socket (closed after the test) playing the remote peer; received datagrams land in `inbox`. */
async function remote(address: string) {
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function udpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "UDPWrap").length;
}

/** The KINK_ERROR code of a lone-error REPLY with this XID. */
function loneKinkError(data: Uint8Array, xid: number): number {
  const m = decodeKinkMessage(data);
  assert.is(m.type, MessageType.REPLY);
  assert.is(m.xid, xid);
  const e = m.payloads.find((p) => p.type === PayloadType.ERROR);
  assert.ok(e, "a KINK_ERROR payload");
  return e.type === PayloadType.ERROR ? e.code : -1;
}

for (const address of ["127.0.0.1", "::1"]) {
  test(`a GETTGT on ${address} reaches the engine; its answer leaves from the endpoint's port to the sender`, async () => {
    const gw = await gateway(address);
    const r = await remote(address);
    r.socket.send(encodeGetTgt(0x1234, `${GW}@${REALM}`), gw.local.port, address);
    await until(() => r.inbox.length === 1, "the answer");
    assert.equal(r.inbox[0]!.from, { address, port: gw.local.port });
    assert.is(loneKinkError(r.inbox[0]!.data, 0x1234), KinkErrorCode.U2UDENIED);
    await until(() => gw.endpoint.stats.sent === 1, "the send callback");
    assert.equal(gw.endpoint.stats, { received: 1, sent: 1, sendErrors: 0, batches: 1, dropped: 0 });
  });
}

test("a burst of GETTGTs from 20 senders is answered, each to its own sender, in fewer engine batches than datagrams", async () => {
  const gw = await gateway("127.0.0.1");
  const remotes = await Promise.all(Array.from({ length: 20 }, () => remote("127.0.0.1")));
  for (const [i, r] of remotes.entries()) r.socket.send(encodeGetTgt(1000 + i, `${GW}@${REALM}`), gw.local.port, "127.0.0.1");
  await until(() => remotes.every((r) => r.inbox.length === 1), "20 answers");
  for (const [i, r] of remotes.entries()) assert.is(loneKinkError(r.inbox[0]!.data, 1000 + i), KinkErrorCode.U2UDENIED);
  assert.is(gw.endpoint.stats.received, 20);
  assert.ok(gw.endpoint.stats.batches < 20, `${gw.endpoint.stats.batches} batches`);
});

test("junk does not crash the endpoint and gets no answer; a GETTGT after it still does", async () => {
  const gw = await gateway("127.0.0.1");
  const r = await remote("127.0.0.1");
  // Shorter than a KINK header (no XID to answer to), and empty.
  for (const junk of [Buffer.from("junk"), Buffer.alloc(0), Buffer.alloc(11, 0xff)]) r.socket.send(junk, gw.local.port, "127.0.0.1");
  await until(() => gw.endpoint.stats.received === 3, "the junk");
  await sleep(50);
  r.socket.send(encodeGetTgt(7, `${GW}@${REALM}`), gw.local.port, "127.0.0.1");
  await until(() => r.inbox.length === 1, "the answer to the GETTGT");
  await sleep(50);
  assert.is(r.inbox.length, 1, "nothing but the GETTGT's answer came back");
  assert.is(loneKinkError(r.inbox[0]!.data, 7), KinkErrorCode.U2UDENIED);
  // The engine dropped each one (logged at info), and nothing threw into the transport.
  assert.is(gw.lines.filter((l) => l.msg.startsWith("malformed KINK datagram")).length, 3);
  assert.is(gw.lines.filter((l) => l.level >= 50).length, 0, "no error logged");
});

test("close() stops the driver: a CREATE that was being retransmitted goes quiet, and no exchange-failed follows", async () => {
  const r = await remote("127.0.0.1");
  const peer = initiatorEntry({ address: "127.0.0.1", port: r.port, principal: `${PEER}@${REALM}` });
  const gw = await gateway("127.0.0.1", { peers: [peer] });
  gw.endpoint.driver.create("peer");
  // A real CREATE (ticket from the KDC), then its retransmission after 100 ms: nobody answers.
  // Left running, the driver would send once more and report exchange-failed at about 300 ms.
  await until(() => r.inbox.length >= 2, "the CREATE and one retransmission");
  const [first, again] = r.inbox.map((d) => decodeKinkMessage(d.data));
  assert.is(first!.type, MessageType.CREATE);
  assert.is(again!.type, MessageType.CREATE);
  assert.is(again!.xid, first!.xid, "the same exchange");
  await gw.endpoint.close();
  const after = r.inbox.length;
  await sleep(400);
  assert.is(r.inbox.length, after, "no datagram after close");
  assert.is(gw.endpoint.stats.dropped, 0, "nothing was handed to the closed transport either");
  assert.equal(
    gw.events.map((e) => e.type),
    [],
  );
  // Closed twice is closed once.
  await gw.endpoint.close();
});

test("close() releases the port: an endpoint opened on it next answers there", async () => {
  const before = udpHandles();
  const first = await gateway("::1");
  const port = first.local.port;
  assert.is(udpHandles(), before + 1);
  await first.endpoint.close();
  await new Promise((resolve) => setTimeout(resolve, 1));
  assert.is(udpHandles(), before);
  const second = await gateway("::1", { port });
  assert.is(second.local.port, port);
  const r = await remote("::1");
  r.socket.send(encodeGetTgt(9, `${GW}@${REALM}`), port, "::1");
  await until(() => r.inbox.length === 1, "the answer from the second endpoint");
  assert.is(loneKinkError(r.inbox[0]!.data, 9), KinkErrorCode.U2UDENIED);
  assert.is(first.endpoint.stats.received, 0);
  assert.is(second.endpoint.stats.received, 1);
});

test("a port in use rejects open with the transport's TransportError, before any driver is built", async () => {
  const taken = await gateway("127.0.0.1");
  let built = 0;
  const error = await KinkEndpoint.open({ addresses: ["127.0.0.1"], port: taken.local.port, logger: pino({ level: "silent" }) }, () => {
    built++;
    throw new Error("not reached");
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, TransportError);
  assert.is((error as TransportError).code, "EADDRINUSE");
  assert.is(built, 0);
});

test("a driver factory that throws rejects open with its error and leaves no socket bound", async () => {
  const before = udpHandles();
  const error = await KinkEndpoint.open({ addresses: ["127.0.0.1"], port: 0, logger: pino({ level: "silent" }) }, () => {
    throw new Error("bad config");
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, Error);
  assert.is((error as Error).message, "bad config");
  await new Promise((resolve) => setTimeout(resolve, 1));
  assert.is(udpHandles(), before);
});

test.run();
