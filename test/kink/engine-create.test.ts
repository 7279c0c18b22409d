// CREATE between two engines over real UDP on loopback, tickets from a real MIT KDC, SAs in
// MemorySinks [RFC 4430 §3.2]. Each flow shows its message sequence; every test checks that
// both ends hold matching SA pairs: A's outbound SA is B's inbound (same SPI, algorithms,
// keys, lifetime) and the other way round.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { MemorySink } from "../../src/ipsec/memory-sink.ts";
import type { SaSpec } from "../../src/ipsec/sink.ts";
import { MessageType } from "../../src/wire/constants.ts";
import { decodeKinkMessage } from "../../src/wire/decode.ts";
import { toHex } from "../helpers/bytes.ts";
import { ESP_POLICY, initiatorEntry, keytabFor, responderEntry, type Side, sleep, startPair } from "../helpers/kink-peers.ts";
import { mitKdcFixture } from "../helpers/mit-kdc.ts";

const REALM = "KINK.TEST";
const kdc = mitKdcFixture({ realm: REALM, principals: { "kink/a.kink.test": {}, "kink/b.kink.test": {} } });
test.before(kdc.before);
test.after(kdc.after);

async function pair(
  family: 4 | 6 = 4,
  over: { a?: Parameters<typeof initiatorEntry>[1]; b?: Parameters<typeof responderEntry>[1] } = {},
): Promise<[Side, Side]> {
  const k = kdc.get();
  const ka = await keytabFor(k, "kink/a.kink.test");
  const kb = await keytabFor(k, "kink/b.kink.test");
  return startPair(
    k,
    family,
    { name: "A", principal: "kink/a.kink.test", keytab: ka, peers: (o) => [initiatorEntry(o, over.a)] },
    { name: "B", principal: "kink/b.kink.test", keytab: kb, peers: () => [responderEntry(REALM, over.b)] },
  );
}

function types(s: Side): string[] {
  return s.wire.map((d) => {
    const m = decodeKinkMessage(d);
    return `${Object.entries(MessageType).find(([, v]) => v === m.type)![0]}${m.ackReq ? "+ACKREQ" : ""}`;
  });
}

const specs = (s: MemorySink): SaSpec[] => [...s.sas.values()].map((m) => m.spec);

/** A's SAs and B's SAs form mirrored pairs: same SPI, destination, algorithms, keys and lifetime. */
function assertMirrored(a: Side, b: Side, pairs = 1): void {
  const as = specs(a.sink);
  const bs = specs(b.sink);
  assert.is(as.length, 2 * pairs, `A holds ${as.length} SAs`);
  assert.is(bs.length, 2 * pairs, `B holds ${bs.length} SAs`);
  for (const x of as) {
    const y = bs.find((s) => s.id.spi === x.id.spi && s.id.dst === x.id.dst && s.id.proto === x.id.proto);
    assert.ok(y, `B has no SA for A's SPI ${x.id.spi.toString(16)}`);
    assert.is(y!.src, x.src);
    assert.is(y!.mode, x.mode);
    assert.is(y!.enc?.alg.name, x.enc?.alg.name);
    assert.is(toHex(y!.enc!.key), toHex(x.enc!.key));
    assert.is(y!.auth?.alg.name, x.auth?.alg.name);
    assert.is(toHex(y!.auth!.key), toHex(x.auth!.key));
    assert.equal(y!.lifetime.hardSeconds, x.lifetime.hardSeconds);
  }
  // The two directions differ (distinct SPIs give distinct KEYMAT) [RFC 4430 §7].
  assert.is.not(toHex(as[0]!.enc!.key), toHex(as[1]!.enc!.key));
}

test("2-message CREATE over IPv4: optimistic proposal, no Nr, no ACK", async () => {
  // A → B  CREATE {AP_REQ, ENCRYPT{ISAKMP{SA, Ni}}}      (A installed its inbound SA first)
  // B → A  REPLY  {AP_REP, ENCRYPT{ISAKMP{SA}}}          (B installs both directions)
  //                                                      (A installs its outbound SA)
  const [a, b] = await pair(4);
  try {
    a.driver.create("peer");
    await a.waitFor((e) => e.type === "sa-up");
    await b.waitFor((e) => e.type === "sa-up");
    await a.driver.settled();
    await b.driver.settled();
    assert.equal(types(a), ["CREATE"]);
    assert.equal(types(b), ["REPLY"]);
    assertMirrored(a, b);
    const up = a.events.find((e) => e.type === "sa-up")!;
    assert.is(up.type === "sa-up" && up.pair.sa.enc?.keyBits, 128);
  } finally {
    await a.close();
    await b.close();
  }
});

test("2-message CREATE over IPv6 (::1)", async () => {
  const [a, b] = await pair(6);
  try {
    a.driver.create("peer");
    await b.waitFor((e) => e.type === "sa-up");
    await a.waitFor((e) => e.type === "sa-up");
    await a.driver.settled();
    assertMirrored(a, b);
    assert.ok(specs(a.sink).every((s) => s.id.dst === "::1"));
  } finally {
    await a.close();
    await b.close();
  }
});

test("3-message CREATE: responder takes the second transform, adds Nr, asks for an ACK", async () => {
  // A → B  CREATE {AP_REQ, ENCRYPT{ISAKMP{SA(aes128, aes256), Ni}}}
  // B → A  REPLY+ACKREQ {AP_REP, ENCRYPT{ISAKMP{SA(aes256), Nr}}}   (B: inbound only)
  // A → B  ACK {AP_REQ}                                              (A rewrote its inbound SA)
  //                                                                  (B installs its outbound SA)
  const only256 = { ...ESP_POLICY, proposals: [{ protocol: "esp" as const, transforms: [ESP_POLICY.proposals[0]!.transforms[1]!] }] };
  const [a, b] = await pair(4, { b: { sas: [only256] } });
  try {
    a.driver.create("peer");
    await a.waitFor((e) => e.type === "sa-up");
    await b.waitFor((e) => e.type === "sa-up");
    await a.driver.settled();
    await b.driver.settled();
    assert.equal(types(a), ["CREATE", "ACK"]);
    assert.equal(types(b), ["REPLY+ACKREQ"]);
    assertMirrored(a, b);
    assert.ok(specs(a.sink).every((s) => s.enc!.key.length === 32));
  } finally {
    await a.close();
    await b.close();
  }
});

test("responder policy asking for Nr makes a 3-message CREATE with the optimistic transform", async () => {
  const [a, b] = await pair(4, { b: { responderNonce: true } });
  try {
    a.driver.create("peer");
    await b.waitFor((e) => e.type === "sa-up");
    await a.driver.settled();
    await b.driver.settled();
    assert.equal(types(a), ["CREATE", "ACK"]);
    assertMirrored(a, b);
  } finally {
    await a.close();
    await b.close();
  }
});

test("no proposal chosen: REPLY carries Notify NO-PROPOSAL-CHOSEN, no SA anywhere, A's SPIs released", async () => {
  const des3 = { ...ESP_POLICY, proposals: [{ protocol: "ah" as const, transforms: [{ auth: ESP_POLICY.proposals[0]!.transforms[0]!.auth! }] }] };
  const [a, b] = await pair(4, { b: { sas: [des3] } });
  try {
    a.driver.create("peer");
    const failed = await a.waitFor((e) => e.type === "exchange-failed");
    assert.match(failed.type === "exchange-failed" ? failed.reason : "", /NO_PROPOSAL_CHOSEN/);
    await a.driver.settled();
    await sleep(20);
    assert.is(a.sink.sas.size, 0);
    assert.is(b.sink.sas.size, 0);
  } finally {
    await a.close();
    await b.close();
  }
});

test.run();
