// Every other exchange between two engines over real UDP with a real MIT KDC: DELETE (also when
// the peer no longer has the SA), STATUS with Notify payloads, a peer restart seen through the
// epoch, loss of each datagram, duplication and reordering, a replayed CREATE, a skewed clock,
// an unknown peer, PFS, user-to-user via GETTGT and rekeying without a gap [RFC 4430 §3, §9].
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { SaSpec } from "../../src/ipsec/sink.ts";
import { notify } from "../../src/kink/messages.ts";
import { MessageType, PayloadType } from "../../src/wire/constants.ts";
import { decodeKinkMessage } from "../../src/wire/decode.ts";
import { NotifyType } from "../../src/wire/isakmp/index.ts";
import { Prng, toHex } from "../helpers/bytes.ts";
import { ESP_POLICY, initiatorEntry, keytabFor, responderEntry, restartSide, type Side, type SideOptions, sleep, startPair } from "../helpers/kink-peers.ts";
import { mitKdcFixture } from "../helpers/mit-kdc.ts";

const REALM = "KINK.TEST";
const kdc = mitKdcFixture({ realm: REALM, principals: { "kink/a.kink.test": {}, "kink/b.kink.test": {}, "kink/c.kink.test": {} } });
test.before(kdc.before);
test.after(kdc.after);

type Over = {
  a?: Partial<SideOptions> & { entry?: Parameters<typeof initiatorEntry>[1] };
  b?: Partial<SideOptions> & { entry?: Parameters<typeof responderEntry>[1] };
};

async function options(over: Over = {}): Promise<[SideOptions, SideOptions]> {
  const k = kdc.get();
  const ka = await keytabFor(k, "kink/a.kink.test");
  const kb = await keytabFor(k, "kink/b.kink.test");
  return [
    { name: "A", principal: "kink/a.kink.test", keytab: ka, peers: (o) => [initiatorEntry(o, over.a?.entry)], ...over.a },
    { name: "B", principal: "kink/b.kink.test", keytab: kb, peers: () => [responderEntry(REALM, over.b?.entry)], ...over.b },
  ];
}

async function pair(over: Over = {}): Promise<[Side, Side]> {
  const [oa, ob] = await options(over);
  return startPair(kdc.get(), 4, oa, ob);
}

const types = (s: Side) =>
  s.wire.map((d) => {
    const m = decodeKinkMessage(d);
    return `${Object.entries(MessageType).find(([, v]) => v === m.type)![0]}${m.ackReq ? "+ACKREQ" : ""}`;
  });
const specs = (s: Side): SaSpec[] => [...s.sink.sas.values()].map((m) => m.spec);

/** Both sinks hold mirrored pairs: each of A's SAs has B's twin with the same SPI and keys. */
function assertMirrored(a: Side, b: Side, n = 1): void {
  const as = specs(a);
  const bs = specs(b);
  assert.is(as.length, 2 * n, `A holds ${as.length} SAs`);
  assert.is(bs.length, 2 * n, `B holds ${bs.length} SAs`);
  for (const x of as) {
    const y = bs.find((s) => s.id.spi === x.id.spi && s.id.proto === x.id.proto);
    assert.ok(y, `B lacks SPI ${x.id.spi.toString(16)}`);
    assert.is(toHex(y!.enc!.key), toHex(x.enc!.key));
    assert.is(toHex(y!.auth!.key), toHex(x.auth!.key));
  }
}

async function created(a: Side, b: Side): Promise<void> {
  a.driver.create("peer");
  await a.waitFor((e) => e.type === "sa-up");
  await b.waitFor((e) => e.type === "sa-up");
  await a.driver.settled();
  await b.driver.settled();
}

async function closeAll(...sides: Side[]): Promise<void> {
  for (const s of sides) await s.close();
}

test("DELETE: A removes its outbound at once, B both directions, A its inbound after B's REPLY", async () => {
  // A → B  DELETE {AP_REQ, ENCRYPT{ISAKMP{Delete(A's inbound SPI)}}}
  // B → A  REPLY  {AP_REP, ENCRYPT{ISAKMP{Delete(B's inbound SPI)}}}
  const [a, b] = await pair();
  try {
    await created(a, b);
    a.driver.delete("peer");
    await a.waitFor((e) => e.type === "sa-down");
    await b.waitFor((e) => e.type === "sa-down");
    await a.driver.settled();
    await b.driver.settled();
    assert.equal(types(a), ["CREATE", "DELETE"]);
    assert.equal(types(b), ["REPLY", "REPLY"]);
    assert.is(a.sink.sas.size, 0);
    assert.is(b.sink.sas.size, 0);
    assert.is(a.engine.pairs().length, 0);
    assert.is(b.engine.pairs().length, 0);
  } finally {
    await closeAll(a, b);
  }
});

test("DELETE of an SA the peer no longer has: B answers Notify INVALID-SPI, A still removes its inbound", async () => {
  const [a, b] = await pair();
  try {
    await created(a, b);
    // B lost the pair (its kernel expired it): no SA, no bookkeeping.
    const bp = b.engine.pairs()[0]!;
    b.engine.sinkEvent({ type: "expire", id: bp.inbound, hard: true }, Date.now());
    await b.sink.flush();
    a.driver.delete("peer");
    await a.waitFor((e) => e.type === "sa-down");
    await a.driver.settled();
    const reply = decodeKinkMessage(b.wire[b.wire.length - 1]!);
    assert.is(reply.type, MessageType.REPLY);
    assert.is(a.sink.sas.size, 0);
    assert.is(a.engine.pairs().length, 0);
  } finally {
    await closeAll(a, b);
  }
});

test("STATUS with a Notify: B reports it, A learns B is alive", async () => {
  // A → B  STATUS {AP_REQ, ENCRYPT{ISAKMP{Notify(INITIAL-CONTACT)}}}
  // B → A  REPLY  {AP_REP}
  const [a, b] = await pair();
  try {
    a.driver.status("peer", [notify(NotifyType.INITIAL_CONTACT)]);
    const alive = await a.waitFor((e) => e.type === "peer-alive");
    assert.ok(alive.type === "peer-alive" && alive.epoch === b.engine.epoch);
    const n = await b.waitFor((e) => e.type === "notify");
    assert.ok(n.type === "notify" && n.notifyType === NotifyType.INITIAL_CONTACT && n.principal === a.principal);
    assert.equal(types(a), ["STATUS"]);
  } finally {
    await closeAll(a, b);
  }
});

test("peer restart: a changed epoch in B's AP-REP tears A's old pair down and A creates a new one", async () => {
  // A → B  CREATE / B → A REPLY                  (pair 1, B's epoch e1)
  //        B restarts (epoch e2, SAs lost)
  // A → B  STATUS / B → A REPLY (epoch e2)      (A: pair 1 gone)
  // A → B  CREATE / B → A REPLY                  (pair 2)
  const [oa, ob] = await options();
  const [a, b] = await startPair(kdc.get(), 4, oa, { ...ob, epoch: 1000 });
  let b2: Side | undefined;
  try {
    await created(a, b);
    const oldSpis = specs(a).map((s) => s.id.spi);
    b2 = await restartSide(kdc.get(), b, { ...ob, epoch: 2000 }, a);
    a.driver.status("peer");
    const restarted = await a.waitFor((e) => e.type === "peer-restarted");
    assert.ok(restarted.type === "peer-restarted" && restarted.oldEpoch === 1000 && restarted.newEpoch === 2000);
    await b2.waitFor((e) => e.type === "sa-up");
    await a.waitFor((e) => e.type === "sa-up" && !oldSpis.includes(e.pair.inbound.spi));
    await a.driver.settled();
    await b2.driver.settled();
    assertMirrored(a, b2);
    assert.ok(
      specs(a).every((s) => !oldSpis.includes(s.id.spi)),
      "old SAs are gone",
    );
  } finally {
    await closeAll(a, ...(b2 ? [b2] : []));
  }
});

test("loss of the CREATE: A retransmits with a new authenticator", async () => {
  const [a, b] = await pair();
  try {
    a.link = (_d, n) => (n === 1 ? "drop" : "send");
    await created(a, b);
    assert.equal(types(a), ["CREATE"]); // the dropped one never reached the wire
    assert.is(a.wire.length, 1);
    assertMirrored(a, b);
  } finally {
    await closeAll(a, b);
  }
});

test("loss of the REPLY: the retransmitted CREATE gets the cached REPLY byte for byte, and B makes no second SA", async () => {
  const [a, b] = await pair();
  try {
    b.link = (_d, n) => (n === 1 ? "drop" : "send");
    await created(a, b);
    assert.equal(types(a), ["CREATE", "CREATE"]);
    assert.is(b.wire.length, 1);
    assertMirrored(a, b);
    // The REPLY that did arrive answers the first authenticator: A matched an earlier one [RFC 4430 §9].
    assert.is(b.engine.pairs().length, 1);
  } finally {
    await closeAll(a, b);
  }
});

test("loss of the ACK (3-message): B retransmits its REPLY, A acknowledges again, B installs its outbound SA", async () => {
  const [a, b] = await pair({ b: { entry: { responderNonce: true } } });
  try {
    a.link = (_d, n) => (n === 2 ? "drop" : "send");
    a.driver.create("peer");
    await b.waitFor((e) => e.type === "sa-up", 5000);
    await a.driver.settled();
    await b.driver.settled();
    assert.equal(types(a), ["CREATE", "ACK"]);
    assert.equal(types(b), ["REPLY+ACKREQ", "REPLY+ACKREQ"]);
    assert.is(toHex(b.wire[0]!), toHex(b.wire[1]!));
    assertMirrored(a, b);
  } finally {
    await closeAll(a, b);
  }
});

test("duplicated and reordered datagrams: one pair, every duplicate absorbed", async () => {
  const [a, b] = await pair({ b: { entry: { responderNonce: true } } });
  try {
    // The first CREATE is held back and arrives after its retransmission; every datagram B sends is duplicated.
    a.link = (_d, n) => (n === 1 ? "hold" : n === 3 ? "dup" : "send");
    b.link = () => "dup";
    a.driver.create("peer");
    await sleep(200);
    a.release();
    await b.waitFor((e) => e.type === "sa-up");
    await a.waitFor((e) => e.type === "sa-up");
    await sleep(100);
    await a.driver.settled();
    await b.driver.settled();
    assert.is(a.engine.pairs().length, 1);
    assert.is(b.engine.pairs().length, 1);
    assertMirrored(a, b);
  } finally {
    await closeAll(a, b);
  }
});

test("replayed CREATE: B drops it (KRB_AP_ERR_REPEAT), sends nothing, makes no SA", async () => {
  const [a, b] = await pair();
  try {
    await created(a, b);
    const sentBefore = b.wire.length;
    const create = a.wire[0]!;
    b.driver.receive([{ data: create, from: { address: a.address, port: a.port }, local: { address: b.address, port: b.port } }]);
    await b.driver.settled();
    await sleep(20);
    assert.is(b.wire.length, sentBefore);
    assert.is(b.engine.pairs().length, 1);
    assert.is(b.sink.sas.size, 2);
  } finally {
    await closeAll(a, b);
  }
});

test("skewed clock: B answers a protected KRB_AP_ERR_SKEW, A adopts B's time and succeeds in a new transaction", async () => {
  // A → B  CREATE (authenticator 10 min ahead)
  // B → A  REPLY {AP_REP, ENCRYPT{KRB_ERROR(SKEW)}}   (protected: A trusts stime)
  // A → B  CREATE (new XID, corrected time) / B → A REPLY
  const [a, b] = await pair({ a: { clockOffsetMs: 600_000 } });
  try {
    await created(a, b);
    assert.equal(types(a), ["CREATE", "CREATE"]);
    const x1 = decodeKinkMessage(a.wire[0]!).xid;
    const x2 = decodeKinkMessage(a.wire[1]!).xid;
    assert.is.not(x1, x2);
    const err = decodeKinkMessage(b.wire[0]!);
    assert.ok(err.cksum !== undefined, "the skew error is protected");
    assertMirrored(a, b);
  } finally {
    await closeAll(a, b);
  }
});

test("unknown peer: an authenticated principal no entry covers is refused with Notify AUTHENTICATION-FAILED", async () => {
  const [a, b] = await pair({
    b: { peers: () => [{ name: "only-c", principal: `kink/c.kink.test@${REALM}`, sas: [ESP_POLICY] }] },
  });
  try {
    a.driver.create("peer");
    const f = await a.waitFor((e) => e.type === "exchange-failed");
    assert.match(f.type === "exchange-failed" ? f.reason : "", /AUTHENTICATION_FAILED/);
    await a.driver.settled();
    await sleep(20);
    assert.is(a.sink.sas.size, 0);
    assert.is(b.sink.sas.size, 0);
  } finally {
    await closeAll(a, b);
  }
});

test("ticket for a principal the responder has no key for: lone unauthenticated KRB_ERROR, which A does not act on", async () => {
  const k = kdc.get();
  const [oa, ob] = await options({ a: { engine: { retransmit: { initialMs: 40, maxIntervalMs: 80, maxTransmissions: 3 } } } });
  // B's keytab holds only C's key.
  const [a, b] = await startPair(k, 4, oa, { ...ob, keytab: await keytabFor(k, "kink/c.kink.test") });
  try {
    a.driver.create("peer");
    const f = await a.waitFor((e) => e.type === "exchange-failed");
    assert.match(f.type === "exchange-failed" ? f.reason : "", /no reply after 3/);
    const err = decodeKinkMessage(b.wire[0]!);
    assert.is(err.cksum, undefined);
    assert.is(err.payloads[0]!.type, PayloadType.KRB_ERROR);
    assert.equal(types(a), ["CREATE", "CREATE", "CREATE"]);
  } finally {
    await closeAll(a, b);
  }
});

test("PFS CREATE with ECP-256: KE both ways, 3 messages, mirrored keys", async () => {
  // A → B  CREATE {AP_REQ, ENCRYPT{ISAKMP{SA(group 19), Ni, KEi}}}
  // B → A  REPLY+ACKREQ {AP_REP, ENCRYPT{ISAKMP{SA, Nr, KEr}}}
  // A → B  ACK
  const pfs = { ...ESP_POLICY, pfsGroup: 19 };
  const [a, b] = await pair({ a: { entry: { sas: [pfs] } }, b: { entry: { sas: [pfs] } } });
  try {
    await created(a, b);
    await sleep(30);
    await b.driver.settled();
    assert.equal(types(a), ["CREATE", "ACK"]);
    assert.equal(types(b), ["REPLY+ACKREQ"]);
    assertMirrored(a, b);
  } finally {
    await closeAll(a, b);
  }
});

test("user-to-user: B has no keytab; A fetches B's TGT with GETTGT and CREATEs with a u2u ticket", async () => {
  // A → B  GETTGT {TGT_REQ(kink/b)}
  // B → A  REPLY  {TGT_REP(B's TGT)}
  //        A ↔ KDC  TGS-REQ enc-tkt-in-skey
  // A → B  CREATE (AP-REQ use-session-key) / B → A REPLY
  const [a, b] = await pair({ a: { entry: { userToUser: true } }, b: { noKeytab: true, userToUser: true } });
  try {
    await created(a, b);
    assert.equal(types(a), ["GETTGT", "CREATE"]);
    assert.equal(types(b), ["REPLY", "REPLY"]);
    assertMirrored(a, b);
  } finally {
    await closeAll(a, b);
  }
});

test("GETTGT to a responder without user-to-user is refused with KINK_U2UDENIED", async () => {
  const [a, b] = await pair({ a: { entry: { userToUser: true } } });
  try {
    a.driver.create("peer");
    const f = await a.waitFor((e) => e.type === "exchange-failed");
    assert.match(f.type === "exchange-failed" ? f.reason : "", /user-to-user/);
  } finally {
    await closeAll(a, b);
  }
});

test("rekey without a gap: the new pair is up before the old one goes, and some SA pair is installed throughout", async () => {
  const short = { ...ESP_POLICY, lifeSeconds: 3 };
  const [a, b] = await pair({ a: { entry: { sas: [short] } }, b: { entry: { sas: [short] } } });
  try {
    await created(a, b);
    const first = a.engine.pairs()[0]!.inbound.spi;
    const deadline = Date.now() + 4500;
    let checks = 0;
    while (Date.now() < deadline) {
      a.sink.tick();
      b.sink.tick();
      // A can send to B and B to A: an outbound SA on each side whose twin is B's/A's inbound.
      const aOut = specs(a).filter((s) => s.id.dst === b.address && b.sink.findSa(s.id) !== undefined);
      assert.ok(aOut.length > 0, `no usable A→B SA at check ${checks}`);
      checks++;
      await sleep(25);
    }
    const rekeyed = a.events.filter((e) => e.type === "sa-up" && e.rekeyOf !== undefined);
    assert.ok(rekeyed.length >= 1, "at least one rekey happened");
    assert.ok(!a.engine.pairs().some((p) => p.inbound.spi === first), "the first pair is gone");
    assert.ok(checks > 100);
  } finally {
    await closeAll(a, b);
  }
});

test("hostile datagrams: 3000 mutated CREATEs, REPLYs and junk neither crash an engine nor change its SAs", async () => {
  const [a, b] = await pair();
  try {
    await created(a, b);
    const prng = new Prng(4430);
    const mutate = (src: Uint8Array): Uint8Array => {
      const kind = prng.u32() % 4;
      if (kind === 0) return src.subarray(0, prng.u32() % src.length); // truncation
      if (kind === 1) return Uint8Array.from({ length: prng.u32() % 700 }, () => prng.u32() & 0xff); // junk
      const m = Uint8Array.from(src);
      if (kind === 2)
        m[prng.u32() % m.length]! ^= 1 << (prng.u32() % 8); // one bit
      else m[2 + (prng.u32() % 2)] = prng.u32() & 0xff; // header Length
      return m;
    };
    const create = a.wire[0]!;
    const reply = b.wire[0]!;
    for (let round = 0; round < 1500 / 50; round++) {
      const toB = Array.from({ length: 50 }, () => ({
        data: mutate(create),
        from: { address: a.address, port: a.port },
        local: { address: b.address, port: b.port },
      }));
      const toA = Array.from({ length: 50 }, () => ({
        data: mutate(reply),
        from: { address: b.address, port: b.port },
        local: { address: a.address, port: a.port },
      }));
      b.driver.receive(toB);
      a.driver.receive(toA);
    }
    await a.driver.settled();
    await b.driver.settled();
    assert.is(a.engine.pairs().length, 1);
    assert.is(b.engine.pairs().length, 1);
    assert.is(a.sink.sas.size, 2);
    assert.is(b.sink.sas.size, 2);
    // Nothing was authenticated, so nothing was answered under a key; only lone errors may have gone out.
    for (const d of b.wire.slice(1)) assert.is(decodeKinkMessage(d).cksum, undefined);
  } finally {
    await closeAll(a, b);
  }
});

test.run();
