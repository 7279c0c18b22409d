// Recovery flows between two engines over real UDP with a real MIT KDC: a rekey collision (both
// peers CREATE for the same SA policy at once) [RFC 4430 §3.6], a user-to-user responder that
// lost its TGT [RFC 4430 §3.7.1], and dead-peer detection on idle SAs with STATUS [RFC 4430
// §3.4, §3.7].
import { randomFillSync } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { SaId, SaSpec } from "../../src/ipsec/sink.ts";
import type { SaPair } from "../../src/kink/sa-table.ts";
import type { EngineEvent, PeerConfig, TicketJob } from "../../src/kink/types.ts";
import type { Credentials } from "../../src/krb/kdc-client.ts";
import { KdcClient, TicketCache } from "../../src/krb/kdc-client.ts";
import type { KeytabEntry } from "../../src/krb/keytab.ts";
import { parsePrincipal } from "../../src/krb/principal.ts";
import { MessageType, PayloadType } from "../../src/wire/constants.ts";
import { decodeKinkMessage } from "../../src/wire/decode.ts";
import { toHex } from "../helpers/bytes.ts";
import { initiatorEntry, keytabFor, responderEntry, restartSide, type Side, type SideOptions, sleep, startPair } from "../helpers/kink-peers.ts";
import { mitKdcFixture } from "../helpers/mit-kdc.ts";

const REALM = "KINK.TEST";
const kdc = mitKdcFixture({ realm: REALM, principals: { "kink/a.kink.test": {}, "kink/b.kink.test": {} } });
test.before(kdc.before);
test.after(kdc.after);

const typeName = (t: number) => Object.entries(MessageType).find(([, v]) => v === t)![0];
const types = (s: Side, from = 0) =>
  s.wire.slice(from).map((d) => {
    const m = decodeKinkMessage(d);
    return `${typeName(m.type)}${m.ackReq ? "+ACKREQ" : ""}`;
  });
const specs = (s: Side): SaSpec[] => [...s.sink.sas.values()].map((m) => m.spec);
const sameSa = (x: SaId, y: SaId) => x.spi === y.spi && x.proto === y.proto && x.dst === y.dst;

/** Both sinks hold exactly `n` mirrored pairs: each of A's SAs has B's twin with the same SPI and keys. */
function assertMirrored(a: Side, b: Side, n = 1): void {
  const as = specs(a);
  const bs = specs(b);
  assert.is(as.length, 2 * n, `A holds ${as.length} SAs`);
  assert.is(bs.length, 2 * n, `B holds ${bs.length} SAs`);
  for (const x of as) {
    const y = bs.find((s) => sameSa(s.id, x.id));
    assert.ok(y, `B lacks SPI ${x.id.spi.toString(16)}`);
    assert.is(toHex(y!.enc!.key), toHex(x.enc!.key));
    assert.is(toHex(y!.auth!.key), toHex(x.auth!.key));
  }
}

/** `from` can send to `to`: one of its pairs has its outbound SA installed and the twin inbound at `to`. */
const canSend = (from: Side, to: Side) =>
  from.engine.pairs().some((p) => from.sink.findSa(p.outbound) !== undefined && to.sink.findSa(p.outbound) !== undefined);

/** Random octets whose 16-octet draws (the nonces) start with `first`: fixes who wins a collision. */
const noncesStartingWith =
  (first: number) =>
  (out: Uint8Array): void => {
    randomFillSync(out);
    if (out.length === 16) out[0] = first;
  };

async function keytabs(): Promise<[Awaited<ReturnType<typeof keytabFor>>, Awaited<ReturnType<typeof keytabFor>>]> {
  const k = kdc.get();
  return [await keytabFor(k, "kink/a.kink.test"), await keytabFor(k, "kink/b.kink.test")];
}

async function settle(...sides: Side[]): Promise<void> {
  for (const s of sides) await s.driver.settled();
}

async function closeAll(...sides: Side[]): Promise<void> {
  for (const s of sides) await s.close();
}

const isType = (t: MessageType) => (d: { data: Uint8Array }) => decodeKinkMessage(d.data).type === t;

/** Polls `done` every 10 ms until it holds, checking `invariant` at every poll. */
async function until(done: () => boolean, invariant: () => void, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let polls = 0;
  for (;;) {
    invariant();
    polls++;
    if (done()) return polls;
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(10);
  }
}

const upPairs = (s: Side): SaPair[] => s.engine.pairs().filter((p) => p.state === "up");

// ---------------------------------------------------------------------------------------------
// 1. Rekey collision [RFC 4430 §3.6]

interface Collision {
  /** A's nonces are the higher: A's exchange wins. */
  readonly aWins: boolean;
  /** Nr in every REPLY: 3-message CREATEs, the responder's outbound SA waits for the ACK. */
  readonly threeMessage: boolean;
  /**
   * B also has a pair it created (Q, a duplicate of A's P for the same policy) and rekeys it;
   * otherwise B starts a fresh CREATE while A rekeys P.
   */
  readonly duplicate: boolean;
  /** Hold B's ACKs back this long: the loser must not drop its pairs before the winner's is up. */
  readonly delayBAckMs?: number;
}

/**
 * A has pair P; with `duplicate`, B has Q for the same SA policy (both sides keep the peer up).
 * A rekeys P and B rekeys Q (or CREATEs) in the same tick, and both CREATEs are on the wire
 * before either arrives. The exchange with the lower Ni loses: its new pair is deleted, every old
 * pair goes, exactly one new pair survives, and each side can send to the other throughout.
 */
async function rekeyCollision(c: Collision): Promise<void> {
  const [ka, kb] = await keytabs();
  const over: Partial<PeerConfig> = c.threeMessage ? { responderNonce: true } : {};
  const a0: SideOptions = {
    name: "A",
    principal: "kink/a.kink.test",
    keytab: ka,
    peers: (o) => [initiatorEntry(o, over)],
    engine: { random: noncesStartingWith(c.aWins ? 0xff : 0x00) },
  };
  const b0: SideOptions = {
    name: "B",
    principal: "kink/b.kink.test",
    keytab: kb,
    peers: (o) => [initiatorEntry(o, over)],
    engine: { random: noncesStartingWith(c.aWins ? 0x00 : 0xff) },
  };
  const [a, b] = await startPair(kdc.get(), 4, a0, b0);
  const timers: NodeJS.Timeout[] = [];
  try {
    a.driver.create("peer");
    await until(
      () => upPairs(a).length === 1 && upPairs(b).length === 1,
      () => {},
    );
    if (c.duplicate) {
      b.driver.create("peer");
      await until(
        () => upPairs(a).length === 2 && upPairs(b).length === 2,
        () => {},
      );
    }
    await settle(a, b);
    const p = a.engine.pairs().find((x) => x.role === "initiator")!;
    const q = b.engine.pairs().find((x) => x.role === "initiator");
    const aSent = a.wire.length;
    const bSent = b.wire.length;

    // Both CREATEs are held until both are on their way: a real crossing.
    let holding = true;
    a.link = (d) => (holding && isType(MessageType.CREATE)(d) ? "hold" : "send");
    b.link = (d) => {
      if (holding && isType(MessageType.CREATE)(d)) return "hold";
      if (c.delayBAckMs !== undefined && isType(MessageType.ACK)(d)) {
        timers.push(setTimeout(() => b.release(), c.delayBAckMs));
        return "hold";
      }
      return "send";
    };
    a.sink.emit({ type: "expire", id: p.inbound, src: a.address, reqid: 0, hard: false });
    if (q !== undefined) b.sink.emit({ type: "expire", id: q.inbound, src: b.address, reqid: 0, hard: false });
    else b.driver.create("peer");
    await until(
      () => a.held.length === 1 && b.held.length === 1,
      () => {},
    );
    holding = false;
    a.release();
    b.release();

    const newPair = (s: Side, old: SaPair | undefined) =>
      s.events.find(
        (e): e is Extract<EngineEvent, { type: "sa-up" }> =>
          e.type === "sa-up" &&
          e.pair.role === "initiator" &&
          (old === undefined ? !sameSa(e.pair.inbound, p.inbound) && e.rekeyOf === undefined : e.rekeyOf !== undefined && sameSa(e.rekeyOf, old.inbound)),
      );
    const continuity = () => {
      assert.ok(canSend(a, b), "A could not send to B");
      assert.ok(canSend(b, a), "B could not send to A");
    };
    const polls = await until(
      () => newPair(a, p) !== undefined && newPair(b, q) !== undefined && a.engine.pairs().length === 1 && b.engine.pairs().length === 1,
      continuity,
    );
    await settle(a, b);
    await sleep(100); // delete grace (50 ms) and the last DELETE REPLY
    await settle(a, b);
    continuity();
    assert.ok(polls > 3, "continuity was checked while the collision resolved");

    const pNew = newPair(a, p)!.pair;
    const qNew = newPair(b, q)!.pair;
    const [winner, loser, winnerSide, loserSide] = c.aWins ? [pNew, qNew, a, b] : [qNew, pNew, b, a];
    assertMirrored(a, b);
    // The survivor is the winner's new pair, on both ends.
    assert.ok(sameSa(winnerSide.engine.pairs()[0]!.inbound, winner.inbound), "the winner keeps its new pair");
    assert.ok(sameSa(loserSide.engine.pairs()[0]!.outbound, winner.inbound), "the loser holds the winner's pair as responder");
    // The loser's new pair and every old pair are gone on both ends.
    const gone = [loser.inbound, loser.outbound, p.inbound, p.outbound, ...(q ? [q.inbound, q.outbound] : [])];
    for (const id of gone) {
      assert.is(a.sink.findSa(id), undefined, `A still holds SPI ${id.spi.toString(16)}`);
      assert.is(b.sink.findSa(id), undefined, `B still holds SPI ${id.spi.toString(16)}`);
    }
    assert.ok(
      loserSide.events.some((e) => e.type === "sa-down" && sameSa(e.pair.inbound, loser.inbound)),
      "the loser reports its redundant pair down",
    );
    // Each side sent exactly one CREATE; the loser's pair went by DELETE.
    assert.is(types(a, aSent).filter((t) => t === "CREATE").length, 1);
    assert.is(types(b, bSent).filter((t) => t === "CREATE").length, 1);
    assert.ok(types(loserSide, loserSide === a ? aSent : bSent).includes("DELETE"));
  } finally {
    for (const t of timers) clearTimeout(t);
    await closeAll(a, b);
  }
}

test("rekey collision, 2-message: both CREATEs cross, the higher Ni (A) wins; one mirrored pair survives, no gap", async () => {
  // (P: A → B CREATE / REPLY;  Q: B → A CREATE / REPLY)       two pairs for one SA policy
  // A → B  CREATE(rekey P, Ni high)   B → A  CREATE(rekey Q, Ni low)     (crossing, both held)
  // B → A  REPLY                      A → B  REPLY
  // B → A  DELETE(Q')  (B lost: its new pair is redundant)  / A → B REPLY
  // A → B  DELETE(P)   B → A  DELETE(Q)   (make-before-break: old pairs go) / REPLYs
  await rekeyCollision({ aWins: true, threeMessage: false, duplicate: true });
});

test("rekey collision, 2-message: the higher Ni is B's; A's new pair is the one deleted", async () => {
  // as above with the roles of the winner swapped: A → B DELETE(P') after its REPLY
  await rekeyCollision({ aWins: false, threeMessage: false, duplicate: true });
});

test("rekey collision, 3-message: the loser deletes its pair only once the winner's pair is up (after the ACK)", async () => {
  // A → B  CREATE(rekey P, Ni low)    B → A  CREATE(rekey Q, Ni high)    (crossing)
  // B → A  REPLY+ACKREQ               A → B  REPLY+ACKREQ
  // A → B  ACK                        B → A  ACK
  // A → B  DELETE(P'), DELETE(P)      B → A  DELETE(Q)   / REPLYs
  await rekeyCollision({ aWins: false, threeMessage: true, duplicate: true });
});

test("rekey against a fresh CREATE, 3-message, B's ACK late: A (lower Ni) keeps P' until B's pair is up at A", async () => {
  // A → B  CREATE(rekey P, Ni low)    B → A  CREATE(new, Ni high)     (crossing)
  // B → A  REPLY+ACKREQ               A → B  REPLY+ACKREQ
  // A → B  ACK                        B → A  ACK (held 150 ms: A's outbound SA of B's pair waits for it)
  // A → B  DELETE(P) at once (P' replaces it); DELETE(P') only after B's ACK   / REPLYs
  await rekeyCollision({ aWins: false, threeMessage: true, duplicate: false, delayBAckMs: 150 });
});

test("rekey against a fresh CREATE, 2-message: A (higher Ni) wins, B deletes its new pair", async () => {
  // A → B  CREATE(rekey P, Ni high)   B → A  CREATE(new, Ni low)      (crossing)
  // B → A  REPLY                      A → B  REPLY
  // B → A  DELETE(B's new pair)   A → B  DELETE(P)   / REPLYs
  await rekeyCollision({ aWins: true, threeMessage: false, duplicate: false });
});

// ---------------------------------------------------------------------------------------------
// 2. A user-to-user responder that lost its TGT [RFC 4430 §3.7.1]

/** A TGT of `principal` from a fresh AS exchange: a new session key, as after a renewal or a restart. */
async function newTgt(keytab: KeytabEntry[], principal: string): Promise<Credentials> {
  const k = kdc.get();
  const client = new KdcClient({ realm: REALM, kdcs: [{ host: "127.0.0.1", port: k.port }], enctypes: [18, 17] });
  const keys = keytab.filter((e) => e.principal.nameString.join("/") === principal).map((e) => e.key);
  return new TicketCache(client, parsePrincipal(principal, { defaultRealm: REALM }).name, { kind: "keys", keys }).tgt();
}

/** Every TicketJob the engine hands out from its receive path (where a REPLY leads to one). */
function ticketJobs(s: Side): TicketJob[] {
  const jobs: TicketJob[] = [];
  const receive = s.engine.receive.bind(s.engine);
  s.engine.receive = (batch, now) => {
    const out = receive(batch, now);
    jobs.push(...out.tickets);
    return out;
  };
  return jobs;
}

const tgtRepOf = (d: Uint8Array): Uint8Array | undefined => {
  const m = decodeKinkMessage(d);
  const p = m.payloads.find((x) => x.type === PayloadType.TGT_REP);
  return p?.type === PayloadType.TGT_REP ? p.tgt : undefined;
};

async function u2uPair(aOver: Partial<SideOptions> = {}, bEpoch?: number): Promise<{ a: Side; b: Side; a0: SideOptions; b0: SideOptions; kb: KeytabEntry[] }> {
  const [ka, kb] = await keytabs();
  const a0: SideOptions = { name: "A", principal: "kink/a.kink.test", keytab: ka, peers: (o) => [initiatorEntry(o, { userToUser: true })], ...aOver };
  const b0: SideOptions = {
    name: "B",
    principal: "kink/b.kink.test",
    keytab: kb,
    peers: () => [responderEntry(REALM)],
    noKeytab: true,
    userToUser: true,
    ...(bEpoch !== undefined && { epoch: bEpoch }),
  };
  const [a, b] = await startPair(kdc.get(), 4, a0, b0);
  a.driver.create("peer");
  await a.waitFor((e) => e.type === "sa-up");
  await b.waitFor((e) => e.type === "sa-up");
  await settle(a, b);
  return { a, b, a0, b0, kb };
}

test("u2u responder renewed its TGT: STATUS gets REPLY{TGT_REP}, A retries once with a new u2u ticket; nothing torn down", async () => {
  // A → B  GETTGT / B → A REPLY{TGT_REP(T0)} / A → B CREATE (u2u under T0) / B → A REPLY
  //        B renews its TGT: T1 (same epoch, same SAs)
  // A → B  STATUS (u2u ticket under T0, XID x1)
  // B → A  REPLY {TGT_REP(T1)}                     (unauthenticated: B cannot read the ticket)
  //        A ↔ KDC  TGS-REQ enc-tkt-in-skey with T1 (TicketJob peerTgt=T1, refresh "peer-tgt")
  // A → B  STATUS (u2u ticket under T1, XID x2) / B → A REPLY {AP_REP}   → peer-alive
  // A → B  STATUS (T1 remembered: no GETTGT)   / B → A REPLY {AP_REP}
  const { a, b, kb } = await u2uPair();
  try {
    const jobs = ticketJobs(a);
    const t1 = await newTgt(kb, "kink/b.kink.test");
    b.engine.setTgt(t1);
    const aSent = a.wire.length;
    const bSent = b.wire.length;
    a.driver.status("peer");
    await a.waitFor((e) => e.type === "peer-alive");
    await settle(a, b);
    assert.equal(types(a, aSent), ["STATUS", "STATUS"]);
    assert.equal(types(b, bSent), ["REPLY", "REPLY"]);
    const [x1, x2] = a.wire.slice(aSent).map((d) => decodeKinkMessage(d).xid);
    assert.is.not(x1, x2, "the retry is a new transaction");
    const tgtReply = decodeKinkMessage(b.wire[bSent]!);
    assert.is(tgtReply.xid, x1);
    assert.is(tgtReply.cksum, undefined, "the TGT_REP is unauthenticated");
    assert.is(toHex(tgtRepOf(b.wire[bSent]!)!), toHex(t1.ticket.raw!));
    assert.ok(decodeKinkMessage(b.wire[bSent + 1]!).cksum !== undefined, "the retry is answered under the new ticket");
    assert.is(jobs.length, 1);
    assert.is(jobs[0]!.refresh, "peer-tgt");
    assert.is(toHex(jobs[0]!.peerTgt!.raw!), toHex(t1.ticket.raw!));
    // Nothing torn down, nobody declared dead or restarted.
    assert.not.ok(a.events.some((e) => e.type === "peer-dead" || e.type === "sa-down" || e.type === "peer-restarted"));
    assert.is(a.engine.pairs().length, 1);
    assertMirrored(a, b);

    // The new TGT is remembered once its ticket worked: the next command needs no GETTGT.
    const again = a.wire.length;
    a.driver.status("peer");
    await until(
      () => a.events.filter((e) => e.type === "peer-alive").length === 2,
      () => {},
    );
    await sleep(50);
    await settle(a, b);
    assert.equal(types(a, again), ["STATUS"]);
  } finally {
    await closeAll(a, b);
  }
});

test("u2u TGT_REP is followed once per transaction: a peer whose TGT keeps changing cannot make A loop", async () => {
  // A → B  STATUS (ticket under T0, x1)   / B → A REPLY{TGT_REP(T1)}   (B then switches to T2)
  // A → B  STATUS (ticket under T1, x2)   / B → A REPLY{TGT_REP(T2)}   ignored: already retried
  // A → B  STATUS x2 retransmitted (3 transmissions in all), each answered by TGT_REP(T2), ignored
  //        A gives up: exchange-failed; its SAs stay
  const { a, b, kb } = await u2uPair({ engine: { retransmit: { initialMs: 40, maxIntervalMs: 80, maxTransmissions: 3 } } });
  try {
    const jobs = ticketJobs(a);
    const t1 = await newTgt(kb, "kink/b.kink.test");
    const t2 = await newTgt(kb, "kink/b.kink.test");
    b.engine.setTgt(t1);
    let switched = false;
    b.link = (d) => {
      if (!switched && tgtRepOf(d.data) !== undefined) {
        switched = true;
        b.engine.setTgt(t2);
      }
      return "send";
    };
    const aSent = a.wire.length;
    a.driver.status("peer");
    const f = await a.waitFor((e) => e.type === "exchange-failed" && /no reply/.test(e.reason));
    assert.ok(f.type === "exchange-failed" && f.exchange === "status");
    await sleep(100);
    await settle(a, b);
    const xids = a.wire.slice(aSent).map((d) => decodeKinkMessage(d).xid);
    assert.equal(types(a, aSent), ["STATUS", "STATUS", "STATUS", "STATUS"]);
    assert.is(new Set(xids).size, 2, "one retry transaction, then only its retransmissions");
    assert.is(jobs.filter((j) => j.refresh === "peer-tgt").length, 1);
    assert.not.ok(a.events.some((e) => e.type === "sa-down" || e.type === "peer-restarted"));
    assert.is(a.engine.pairs().length, 1);
  } finally {
    await closeAll(a, b);
  }
});

test("u2u responder restarted (new TGT and epoch): TGT_REP, retried STATUS shows the new epoch, A re-CREATEs without GETTGT", async () => {
  // (pair 1 as above; B's epoch 1000)       B restarts: TGT T1, epoch 2000, no SAs
  // A → B  STATUS (ticket under T0) / B → A REPLY{TGT_REP(T1)}
  // A → B  STATUS (ticket under T1, new XID) / B → A REPLY{AP_REP, epoch 2000}   → peer-restarted
  // A → B  CREATE (ticket under T1: no GETTGT) / B → A REPLY                     (pair 2)
  const { a, b, b0 } = await u2uPair({}, 1000);
  let b2: Side | undefined;
  try {
    const oldSpis = specs(a).map((x) => x.id.spi);
    b2 = await restartSide(kdc.get(), b, { ...b0, epoch: 2000 }, a);
    const aSent = a.wire.length;
    a.driver.status("peer");
    const r = await a.waitFor((e) => e.type === "peer-restarted");
    assert.ok(r.type === "peer-restarted" && r.oldEpoch === 1000 && r.newEpoch === 2000);
    await a.waitFor((e) => e.type === "sa-up" && !oldSpis.includes(e.pair.inbound.spi));
    await b2.waitFor((e) => e.type === "sa-up");
    await settle(a, b2);
    assert.equal(types(a, aSent), ["STATUS", "STATUS", "CREATE"]);
    assert.equal(types(b2), ["REPLY", "REPLY", "REPLY"]);
    assert.not.ok(a.events.some((e) => e.type === "peer-dead"));
    assertMirrored(a, b2);
  } finally {
    await closeAll(a, ...(b2 ? [b2] : [b]));
  }
});

// ---------------------------------------------------------------------------------------------
// 3. Dead-peer detection on idle SAs [RFC 4430 §3.4, §3.7]

const DPD_RETRANSMIT = { initialMs: 50, maxIntervalMs: 100, maxTransmissions: 3 };
const DPD_IDLE_S = 0.3;

/** A initiates to B and watches it (STATUS after 0.3 s without an authenticated message); B answers. */
async function dpdPair(entry: Partial<PeerConfig> = {}, bEpoch?: number): Promise<{ a: Side; b: Side; b0: SideOptions }> {
  const [ka, kb] = await keytabs();
  const a0: SideOptions = {
    name: "A",
    principal: "kink/a.kink.test",
    keytab: ka,
    peers: (o) => [initiatorEntry(o, { dpdIdleSeconds: DPD_IDLE_S, ...entry })],
    engine: { retransmit: DPD_RETRANSMIT },
  };
  const b0: SideOptions = {
    name: "B",
    principal: "kink/b.kink.test",
    keytab: kb,
    peers: () => [responderEntry(REALM)],
    ...(bEpoch !== undefined && { epoch: bEpoch }),
  };
  const [a, b] = await startPair(kdc.get(), 4, a0, b0);
  a.driver.create("peer");
  await a.waitFor((e) => e.type === "sa-up");
  await b.waitFor((e) => e.type === "sa-up");
  await settle(a, b);
  return { a, b, b0 };
}

const xidsOf = (s: Side, from: number, t: MessageType) =>
  s.wire
    .slice(from)
    .map((d) => decodeKinkMessage(d))
    .filter((m) => m.type === t)
    .map((m) => m.xid);

test("DPD, live peer: after each idle period A probes with STATUS, B answers, peer-alive, SAs kept", async () => {
  // A → B  CREATE / B → A REPLY
  //        0.3 s without an authenticated message from B
  // A → B  STATUS / B → A REPLY{AP_REP}   → peer-alive
  //        0.3 s more
  // A → B  STATUS / B → A REPLY{AP_REP}   → peer-alive
  const { a, b } = await dpdPair();
  try {
    const t0 = Date.now();
    await until(
      () => a.events.filter((e) => e.type === "peer-alive").length >= 2,
      () => {},
    );
    const elapsed = Date.now() - t0;
    await settle(a, b);
    assert.ok(elapsed >= 2 * DPD_IDLE_S * 1000 - 50, `two probes took ${elapsed} ms`);
    const probes = xidsOf(a, 1, MessageType.STATUS);
    assert.ok(probes.length >= 2 && new Set(probes).size === probes.length, "each probe is its own transaction, none retransmitted");
    const alive = a.events.find((e) => e.type === "peer-alive");
    assert.ok(alive?.type === "peer-alive" && alive.epoch === b.engine.epoch);
    assert.not.ok(a.events.some((e) => e.type === "peer-dead" || e.type === "sa-down"));
    assertMirrored(a, b);
  } finally {
    await closeAll(a, b);
  }
});

test("DPD, silent peer (keepUp): STATUS retransmitted to the limit, peer-dead, SAs dropped, re-CREATE once B is back", async () => {
  // A → B  CREATE / B → A REPLY                    (pair 1)
  //        B's link goes dead (B receives, nothing it sends arrives)
  // A → B  STATUS ×3 (one XID: 50, 100 ms back-off) → no reply → peer-dead; pair 1 dropped
  // A → B  CREATE (retransmitted)                  B's link back: B → A REPLY (pair 2)
  const { a, b } = await dpdPair();
  try {
    const first = a.engine.pairs()[0]!;
    const sent = a.wire.length;
    b.link = () => "drop";
    const t0 = Date.now();
    await a.waitFor((e) => e.type === "peer-dead", 5000);
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= DPD_IDLE_S * 1000 - 50 + 150, `peer-dead after ${elapsed} ms`);
    const probes = xidsOf(a, sent, MessageType.STATUS);
    assert.is(probes.length, DPD_RETRANSMIT.maxTransmissions, "STATUS sent up to the retransmission limit");
    assert.is(new Set(probes).size, 1, "retransmissions of one transaction");
    const down = a.events.find((e) => e.type === "sa-down");
    assert.ok(down?.type === "sa-down" && down.reason === "peer dead" && sameSa(down.pair.inbound, first.inbound));
    assert.is(a.sink.findSa(first.inbound), undefined);
    assert.is(a.sink.findSa(first.outbound), undefined);
    // Policy keeps the peer up: a new CREATE is under way; it gets through once B's link is back.
    b.link = () => "send";
    const up = await a.waitFor((e) => e.type === "sa-up" && !sameSa(e.pair.inbound, first.inbound), 5000);
    await settle(a, b);
    assert.ok(types(a, sent).includes("CREATE"));
    assert.ok(up.type === "sa-up");
    assert.is(a.engine.pairs().length, 1);
    for (const x of specs(a)) {
      const y = b.sink.findSa(x.id);
      assert.ok(y, `B lacks SPI ${x.id.spi.toString(16)}`);
      assert.is(toHex(y!.spec.enc!.key), toHex(x.enc!.key));
    }
    // B never heard of pair 1's end (it has no DPD here): it keeps it until its lifetime runs out.
    assert.is(b.engine.pairs().length, 2);
  } finally {
    await closeAll(a, b);
  }
});

test("DPD, silent peer without keepUp: peer-dead is only reported, SAs kept; probing goes on and finds B alive again", async () => {
  // A → B  STATUS ×3 (B's link dead) → peer-dead, nothing dropped, no CREATE
  //        B's link back
  // A → B  STATUS / B → A REPLY → peer-alive
  const { a, b } = await dpdPair({ keepUp: false });
  try {
    const sent = a.wire.length;
    b.link = () => "drop";
    await a.waitFor((e) => e.type === "peer-dead", 5000);
    b.link = () => "send";
    await a.waitFor((e) => e.type === "peer-alive", 5000);
    await settle(a, b);
    assert.not.ok(types(a, sent).includes("CREATE"));
    assert.not.ok(a.events.some((e) => e.type === "sa-down"));
    assertMirrored(a, b);
  } finally {
    await closeAll(a, b);
  }
});

test("DPD, peer restarted: the probe's REPLY carries a new epoch; A drops the old pair and re-CREATEs", async () => {
  // A → B  CREATE / B → A REPLY (epoch 1000)       B restarts: epoch 2000, no SAs
  // A → B  STATUS (idle probe) / B → A REPLY{AP_REP, epoch 2000} → peer-restarted, pair 1 gone
  // A → B  CREATE / B → A REPLY                                  (pair 2)
  const { a, b, b0 } = await dpdPair({}, 1000);
  let b2: Side | undefined;
  try {
    const oldSpis = specs(a).map((x) => x.id.spi);
    const sent = a.wire.length;
    b2 = await restartSide(kdc.get(), b, { ...b0, epoch: 2000 }, a);
    const r = await a.waitFor((e) => e.type === "peer-restarted", 5000);
    assert.ok(r.type === "peer-restarted" && r.oldEpoch === 1000 && r.newEpoch === 2000);
    await a.waitFor((e) => e.type === "sa-up" && !oldSpis.includes(e.pair.inbound.spi));
    await b2.waitFor((e) => e.type === "sa-up");
    await settle(a, b2);
    assert.equal(types(a, sent).slice(0, 2), ["STATUS", "CREATE"]);
    assert.not.ok(a.events.some((e) => e.type === "peer-dead"));
    assertMirrored(a, b2);
  } finally {
    await closeAll(a, ...(b2 ? [b2] : [b]));
  }
});

test.run();
