// Two kinkd engines talking KINK over real UDP on loopback (127.0.0.1 or ::1), each served by
// the daemon's own KinkEndpoint over a UdpTransport (so batching and socket selection are the
// production ones), with its own MemorySink and keytab, tickets from a real MIT KDC
// (mit-kdc.ts). A link filter between each driver and its endpoint's send can drop, duplicate or
// hold back datagrams, so loss, duplication and reordering are played on the real path. Every
// engine event is recorded and can be awaited.

import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { KinkEndpoint, type SendDatagrams } from "../../src/daemon/kink-endpoint.ts";
import { TransportError, UdpTransport } from "../../src/daemon/udp-transport.ts";
import type { AuthAlgorithm, EncAlgorithm } from "../../src/ipsec/algorithms.ts";
import { authAlgorithmByName, encAlgorithmByName } from "../../src/ipsec/algorithms.ts";
import { MemorySink } from "../../src/ipsec/memory-sink.ts";
import { KinkDriver, ticketsFromCache } from "../../src/kink/driver.ts";
import { KinkEngine, type KinkEngineConfig } from "../../src/kink/engine.ts";
import type { SaPolicy } from "../../src/kink/proposal.ts";
import type { EngineEvent, OutboundDatagram, PeerConfig } from "../../src/kink/types.ts";
import { KdcClient, TicketCache } from "../../src/krb/kdc-client.ts";
import { findKey, type KeytabEntry, parseKeytab } from "../../src/krb/keytab.ts";
import { type Principal, parsePrincipal } from "../../src/krb/principal.ts";
import { ReplayCache } from "../../src/krb/replay-cache.ts";
import { RFC_INTEROP } from "../../src/wire/interop.ts";
import type { MitKdc } from "./mit-kdc.ts";

export const aesCbc: EncAlgorithm = encAlgorithmByName("aes-cbc")!;
export const hmacSha1: AuthAlgorithm = authAlgorithmByName("hmac-sha1-96")!;

/** The common ESP policy: AES-128-CBC + HMAC-SHA1-96 first (optimistic), AES-256-CBC second. */
export const ESP_POLICY: SaPolicy = {
  mode: "transport",
  proposals: [
    {
      protocol: "esp",
      transforms: [
        { enc: { alg: aesCbc, keyBits: 128 }, auth: hmacSha1 },
        { enc: { alg: aesCbc, keyBits: 256 }, auth: hmacSha1 },
      ],
    },
  ],
  lifeSeconds: 3600,
};

/** What the link does with the n-th datagram a side sends (n from 1). */
export type LinkAction = "send" | "drop" | "dup" | "hold";

export interface Side {
  readonly name: string;
  readonly principal: string;
  readonly address: string;
  readonly port: number;
  readonly engine: KinkEngine;
  readonly driver: KinkDriver;
  readonly sink: MemorySink;
  readonly events: EngineEvent[];
  /** Every datagram this side put on the wire (after the link filter), for message-sequence checks. */
  readonly wire: Uint8Array[];
  /** Decides each outgoing datagram's fate; default: send. */
  link: (d: OutboundDatagram, n: number) => LinkAction;
  /** Datagrams held back by "hold", released by `release()` (reordering). */
  readonly held: OutboundDatagram[];
  release(): void;
  waitFor(pred: (e: EngineEvent) => boolean, timeoutMs?: number): Promise<EngineEvent>;
  close(): Promise<void>;
}

export interface SideOptions {
  readonly name: string;
  /** Principal name without realm, e.g. kink/a.kink.test (created in the KDC by the caller). */
  readonly principal: string;
  readonly keytab: KeytabEntry[];
  /** This side's entries for the other side, given its address and port. */
  readonly peers: (other: { address: string; port: number; principal: string }) => PeerConfig[];
  readonly engine?: Partial<KinkEngineConfig>;
  /** Clock offset of this side (ms), to play a skewed clock. */
  readonly clockOffsetMs?: number;
  /** Whether this side may accept user-to-user tickets (fetches its TGT at start). */
  readonly userToUser?: boolean;
  /** No keytab for accepting tickets: user-to-user only [RFC 4430 §3.1]. */
  readonly noKeytab?: boolean;
  readonly epoch?: number;
}

export async function keytabFor(kdc: MitKdc, principal: string, enctypes?: string[]): Promise<KeytabEntry[]> {
  const dir = await mkdtemp(join(tmpdir(), "kinkd-peer-"));
  const path = join(dir, "krb5.keytab");
  await kdc.ktadd(path, principal, enctypes);
  return parseKeytab(await readFile(path));
}

/** The transports' own log: warnings (send failures) and errors (an engine that threw on a batch) go to stderr. */
const logger = pino({ name: "kink-peers", level: "warn" }, pino.destination({ fd: 2, sync: true }));

/** Opens both endpoints on ephemeral ports, each engine knowing the other's port. */
export async function startPair(kdc: MitKdc, family: 4 | 6, a: SideOptions, b: SideOptions): Promise<[Side, Side]> {
  const address = family === 4 ? "127.0.0.1" : "::1";
  const realm = kdc.realm;
  const full = (p: string) => `${p}@${realm}`;
  // A's engine is built when A's endpoint opens and must know B's port by then, and B's the
  // other way round: B's port is found by binding port 0 and closing again, then B opens on it.
  // Another process may take that port in between; then the pair is started again.
  for (let attempt = 1; ; attempt++) {
    const portB = await freePort(address);
    const A = await side(kdc, address, 0, a, { address, port: portB, principal: full(b.principal) });
    try {
      const B = await side(kdc, address, portB, b, { address, port: A.port, principal: full(a.principal) });
      return [A, B];
    } catch (error) {
      await A.close();
      if (!(error instanceof TransportError && error.code === "EADDRINUSE") || attempt === 5) throw error;
    }
  }
}

async function freePort(address: string): Promise<number> {
  const t = await UdpTransport.open({ addresses: [address], port: 0, logger }, () => {});
  const port = t.endpoints[0]!.port;
  await t.close();
  return port;
}

/** A side started again on the same address and port (a daemon restart: new engine, new epoch, empty sink). */
export async function restartSide(kdc: MitKdc, old: Side, o: SideOptions, other: Side): Promise<Side> {
  await old.close();
  return side(kdc, old.address, old.port, o, { address: other.address, port: other.port, principal: other.principal });
}

async function side(kdc: MitKdc, address: string, port: number, o: SideOptions, other: { address: string; port: number; principal: string }): Promise<Side> {
  const realm = kdc.realm;
  const me: Principal = parsePrincipal(o.principal, { defaultRealm: realm });
  const offset = o.clockOffsetMs ?? 0;
  const now = () => Date.now() + offset;
  // The skewed clock is the engine's only: the KDC exchanges keep the real one.
  const kdcClient = new KdcClient({ realm, kdcs: [{ host: "127.0.0.1", port: kdc.port }], enctypes: [18, 17, 20, 19, 16, 23, 26, 25] });
  const keys = o.keytab.filter((e) => e.principal.nameString.join("/") === o.principal).map((e) => e.key);
  const cache = new TicketCache(kdcClient, me.name, { kind: "keys", keys });
  const sink = new MemorySink();
  const engine = new KinkEngine({
    principal: `${o.principal}@${realm}`,
    ...(!o.noKeytab && {
      serviceKey: (server: Principal, kvno: number | undefined, etype: number) =>
        findKey(o.keytab, { principal: server.name, realm: server.realm, ...(kvno !== undefined && { kvno }), etype }).key,
    }),
    epoch: o.epoch ?? Math.floor(now() / 1000),
    peers: o.peers(other),
    replayCache: new ReplayCache(),
    interop: RFC_INTEROP,
    retransmit: { initialMs: 150, maxIntervalMs: 1000, maxTransmissions: 5 },
    deleteGraceMs: 50,
    ...o.engine,
  });
  if (o.userToUser) engine.setTgt(await cache.tgt());
  const events: EngineEvent[] = [];
  const waiters: { pred: (e: EngineEvent) => boolean; resolve: (e: EngineEvent) => void }[] = [];
  const wire: Uint8Array[] = [];
  const held: OutboundDatagram[] = [];
  let sent = 0;
  let link: Side["link"] = () => "send";
  // The endpoint's send, handed to the driver factory below; the link filter sits in front of it.
  let transmit: SendDatagrams = () => {};
  const put = (d: OutboundDatagram) => {
    wire.push(d.data);
    transmit([d]);
  };
  const endpoint = await KinkEndpoint.open({ addresses: [address], port, logger }, (send) => {
    transmit = send;
    return new KinkDriver({
      engine,
      sink,
      tickets: ticketsFromCache(cache),
      now,
      send: (out) => {
        for (const d of out) {
          const action = link(d, ++sent);
          if (action === "drop") continue;
          if (action === "hold") {
            held.push(d);
            continue;
          }
          put(d);
          if (action === "dup") put(d);
        }
      },
    });
  });
  const driver = endpoint.driver;
  driver.on("event", (e) => {
    events.push(e);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.pred(e)) {
        waiters[i]!.resolve(e);
        waiters.splice(i, 1);
      }
    }
  });
  return {
    name: o.name,
    principal: `${o.principal}@${realm}`,
    address,
    port: endpoint.endpoints[0]!.port,
    engine,
    driver,
    sink,
    events,
    wire,
    held,
    get link() {
      return link;
    },
    set link(f) {
      link = f;
    },
    release() {
      for (const d of held.splice(0)) put(d);
    },
    waitFor(pred, timeoutMs = 5000) {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${o.name}: timed out waiting; events: ${events.map((e) => e.type).join(", ")}`)), timeoutMs);
        waiters.push({
          pred,
          resolve: (e) => {
            clearTimeout(t);
            resolve(e);
          },
        });
      });
    },
    close: () => endpoint.close(),
  };
}

/** A peer entry for the other side, initiating to it. */
export function initiatorEntry(other: { address: string; port: number; principal: string }, over: Partial<PeerConfig> = {}): PeerConfig {
  return { name: "peer", principal: other.principal, address: other.address, localAddress: other.address, port: other.port, sas: [ESP_POLICY], ...over };
}

/** A responder entry covering every principal of the realm. */
export function responderEntry(realm: string, over: Partial<PeerConfig> = {}): PeerConfig {
  return { name: "clients", principal: `*@${realm}`, sas: [ESP_POLICY], ...over };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
