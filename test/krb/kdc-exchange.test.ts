// The Kerberos layer against a real MIT KDC (krb5 1.20, started by the test on 127.0.0.1):
// our AS client (keytab and password), our TGS client for every enctype MIT issues, user-to-user,
// the AP exchange both ways with MIT-made tickets and keytabs, MIT tools reading what we write,
// and each failure answered with the right RFC 4120 code.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildApRep, buildApReq, buildKrbError, type Principal, readKrbError, verifyApRep, verifyApReq, verifyApReqBatch } from "../../src/krb/ap.ts";
import { parseCcache, ticketCredentials, writeCcacheFile } from "../../src/krb/ccache.ts";
import { KrbError, KrbErrorCode } from "../../src/krb/errors.ts";
import { fromCcacheCredential, KdcClient, TicketCache, toCcacheCredential } from "../../src/krb/kdc-client.ts";
import { findKey, type KeytabEntry, parseKeytab } from "../../src/krb/keytab.ts";
import { parseKrb5Conf } from "../../src/krb/krb5-conf.ts";
import { decodeKdcRep, decodeKdcReq, decodeKrbError, encodeKdcRep, encodeKdcReq, encodeKrbError, peekApplicationTag } from "../../src/krb/messages/index.ts";
import type { EncryptionKey } from "../../src/krb/messages/types.ts";
import { parsePrincipal } from "../../src/krb/principal.ts";
import { ReplayCache } from "../../src/krb/replay-cache.ts";
import { mitKdcFixture } from "../helpers/mit-kdc.ts";

const REALM = "KINK.TEST";
const ETYPES: Record<number, string> = {
  17: "aes128-cts-hmac-sha1-96",
  18: "aes256-cts-hmac-sha1-96",
  19: "aes128-cts-hmac-sha256-128",
  20: "aes256-cts-hmac-sha384-192",
  16: "des3-cbc-sha1",
  23: "arcfour-hmac",
  25: "camellia128-cts-cmac",
  26: "camellia256-cts-cmac",
};
const principals: Record<string, { password?: string; keysalts?: string[]; sessionEnctypes?: string[] }> = {
  "kink/initiator.kink.test": {},
  "kink/responder.kink.test": {},
  alice: { password: "correct horse battery staple" },
  bob: { password: "tr0ub4dor&3" },
};
for (const [n, name] of Object.entries(ETYPES)) principals[`kink/responder-${n}.kink.test`] = { keysalts: [`${name}:normal`], sessionEnctypes: [name] };
const kdc = mitKdcFixture({ realm: REALM, principals });
test.before(kdc.before);
test.after(kdc.after);

let dir = "";
let initiatorKeys: KeytabEntry[] = [];
let responderKeys: KeytabEntry[] = [];
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kinkd-kdc-"));
  const k = kdc.get();
  await k.ktadd(join(dir, "initiator.keytab"), "kink/initiator.kink.test");
  await k.ktadd(join(dir, "responder.keytab"), "kink/responder.kink.test");
  // ktadd makes new random keys: keep each per-enctype responder to its one enctype.
  for (const [n, ename] of Object.entries(ETYPES)) await k.ktadd(join(dir, "responder.keytab"), `kink/responder-${n}.kink.test`, [`${ename}:normal`]);
  // alice must pre-authenticate (PA-ENC-TIMESTAMP); bob need not (MIT's default).
  await k.kadmin("modprinc +requires_preauth alice");
  initiatorKeys = parseKeytab(await readFile(join(dir, "initiator.keytab")));
  responderKeys = parseKeytab(await readFile(join(dir, "responder.keytab")));
});

function client(): KdcClient {
  const k = kdc.get();
  return new KdcClient({ realm: REALM, kdcs: [{ host: "127.0.0.1", port: k.port }], enctypes: [18, 17, 20, 19, 16, 23, 26, 25] });
}
const name = (s: string) => parsePrincipal(s, { defaultRealm: REALM }).name;
const keysOf = (entries: KeytabEntry[], principal: string): EncryptionKey[] =>
  entries.filter((e) => e.principal.nameString.join("/") === principal).map((e) => e.key);
const lookup = (entries: KeytabEntry[]) => (server: Principal, kvno: number | undefined, etype: number) =>
  findKey(entries, { principal: server.name, realm: server.realm, ...(kvno !== undefined ? { kvno } : {}), etype }).key;

function expectKrb(fn: () => unknown, code: number): KrbError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, KrbError);
    assert.is((e as KrbError).code, code, (e as Error).message);
    return e as KrbError;
  }
  throw new Error(`expected KrbError ${code}`);
}

test("AS exchange with a keytab key and with a password (with and without pre-authentication) yields TGTs", async () => {
  const c = client();
  const tgt = await c.getInitialCredentials(name("kink/initiator.kink.test"), { kind: "keys", keys: keysOf(initiatorKeys, "kink/initiator.kink.test") });
  assert.equal(tgt.server.name.nameString, ["krbtgt", REALM]);
  assert.is(tgt.client.realm, REALM);
  assert.ok(tgt.endtime > Date.now());
  const pw = await c.getInitialCredentials(name("alice"), { kind: "password", password: "correct horse battery staple" });
  assert.equal(pw.client.name.nameString, ["alice"]);
  try {
    await c.getInitialCredentials(name("alice"), { kind: "password", password: "wrong" });
    assert.unreachable("wrong password accepted");
  } catch (e) {
    assert.instance(e, KrbError);
    assert.is((e as KrbError).code, KrbErrorCode.KDC_ERR_PREAUTH_FAILED);
  }
  const bob = await c.getInitialCredentials(name("bob"), { kind: "password", password: "tr0ub4dor&3" });
  assert.equal(bob.client.name.nameString, ["bob"]);
  // Without pre-authentication the KDC answers anyone; a wrong password shows when the reply does not decrypt.
  try {
    await c.getInitialCredentials(name("bob"), { kind: "password", password: "wrong" });
    assert.unreachable("wrong password accepted");
  } catch (e) {
    assert.instance(e, KrbError);
    assert.is((e as KrbError).code, KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
  }
});

test("TGS exchange for every enctype MIT issues; our AP-REQ is accepted and the AP-REP verified", async () => {
  const c = client();
  const tgt = await c.getInitialCredentials(name("kink/initiator.kink.test"), { kind: "keys", keys: keysOf(initiatorKeys, "kink/initiator.kink.test") });
  for (const n of Object.keys(ETYPES).map(Number)) {
    const svc = `kink/responder-${n}.kink.test`;
    const st = await c.getServiceTicket(tgt, name(svc));
    assert.is(st.ticket.encPart.etype, n, `${svc} ticket enctype`);
    assert.is(st.sessionKey.keytype, n, `${svc} session key enctype`);
    const req = buildApReq({ ticket: st.ticket, sessionKey: st.sessionKey, client: st.client, now: Date.now() });
    const v = verifyApReq(req.bytes, { serviceKey: lookup(responderKeys), now: Date.now(), replayCache: new ReplayCache() });
    assert.equal(v.client.name.nameString, ["kink", "initiator.kink.test"]);
    assert.equal(Buffer.from(v.sessionKey.keyvalue), Buffer.from(st.sessionKey.keyvalue));
    const rep = buildApRep(v.sessionKey, v.ctime, v.cusec);
    assert.is(verifyApRep(rep, st.sessionKey, [{ ctime: 0, cusec: 0 }, req]), 1);
  }
});

test("a ticket MIT kinit+kvno put in a FILE ccache is read by us and accepted with the MIT keytab; klist reads our ccache", async () => {
  const k = kdc.get();
  const cc = join(dir, "mit.ccache");
  await k.kinit("kink/initiator.kink.test", { keytab: join(dir, "initiator.keytab") }, cc);
  await k.kvno("kink/responder.kink.test", cc);
  const cache = parseCcache(await readFile(cc));
  const cred = ticketCredentials(cache).find((x) => x.server.name.nameString.join("/") === "kink/responder.kink.test");
  if (cred === undefined) throw new Error("no service ticket in the MIT ccache");
  const mit = fromCcacheCredential(cred);
  const req = buildApReq({ ticket: mit.ticket, sessionKey: mit.sessionKey, client: mit.client, now: Date.now() });
  const v = verifyApReq(req.bytes, {
    serviceKey: lookup(responderKeys),
    acceptedServers: [{ realm: REALM, name: name("kink/responder.kink.test") }],
    now: Date.now(),
  });
  assert.equal(v.client.name.nameString, ["kink", "initiator.kink.test"]);
  // Our credentials, written as a ccache, are listed by MIT klist.
  const c = client();
  const tgt = await c.getInitialCredentials(name("kink/initiator.kink.test"), { kind: "keys", keys: keysOf(initiatorKeys, "kink/initiator.kink.test") });
  const st = await c.getServiceTicket(tgt, name("kink/responder.kink.test"));
  const ours = join(dir, "ours.ccache");
  await writeCcacheFile(ours, { version: 4, defaultPrincipal: tgt.client, credentials: [toCcacheCredential(tgt), toCcacheCredential(st)] });
  const listed = await k.run("klist", ["-e", "-c", `FILE:${ours}`]);
  assert.is(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, "Default principal: kink/initiator.kink.test@KINK.TEST");
  assert.match(listed.stdout, `krbtgt/${REALM}@${REALM}`);
  assert.match(listed.stdout, "kink/responder.kink.test@KINK.TEST");
});

test("user-to-user: a ticket in the responder's TGT session key is accepted with that key", async () => {
  const c = client();
  const responderTgt = await c.getInitialCredentials(name("kink/responder.kink.test"), {
    kind: "keys",
    keys: keysOf(responderKeys, "kink/responder.kink.test"),
  });
  const initiatorTgt = await c.getInitialCredentials(name("kink/initiator.kink.test"), {
    kind: "keys",
    keys: keysOf(initiatorKeys, "kink/initiator.kink.test"),
  });
  const u2u = await c.getServiceTicket(initiatorTgt, name("kink/responder.kink.test"), responderTgt.ticket);
  assert.is(u2u.ticket.encPart.etype, responderTgt.sessionKey.keytype);
  const req = buildApReq({ ticket: u2u.ticket, sessionKey: u2u.sessionKey, client: u2u.client, now: Date.now(), useSessionKey: true });
  const v = verifyApReq(req.bytes, { serviceKey: () => expectNever(), tgtSessionKey: responderTgt.sessionKey, now: Date.now() });
  assert.equal(Buffer.from(v.sessionKey.keyvalue), Buffer.from(u2u.sessionKey.keyvalue));
  expectKrb(() => verifyApReq(req.bytes, { serviceKey: lookup(responderKeys), now: Date.now() }), KrbErrorCode.KRB_AP_ERR_NO_TGT);
});

test("error paths: wrong key, wrong kvno, expired ticket, skewed clock, replay, unknown principals", async () => {
  const c = client();
  const tgt = await c.getInitialCredentials(name("kink/initiator.kink.test"), { kind: "keys", keys: keysOf(initiatorKeys, "kink/initiator.kink.test") });
  const st = await c.getServiceTicket(tgt, name("kink/responder.kink.test"));
  const now = Date.now();
  const req = buildApReq({ ticket: st.ticket, sessionKey: st.sessionKey, client: st.client, now });
  // Wrong key: same enctype, other bytes.
  const wrong = (_s: Principal, _k: number | undefined, etype: number) => ({
    keytype: etype,
    keyvalue: new Uint8Array(lookup(responderKeys)(_s, _k, etype).keyvalue.length).fill(7),
  });
  expectKrb(() => verifyApReq(req.bytes, { serviceKey: wrong, now }), KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
  // Wrong kvno: a keytab that only has other kvnos.
  const bumped = responderKeys.map((e) => ({ ...e, kvno: e.kvno + 5 }));
  const e44 = expectKrb(() => verifyApReq(req.bytes, { serviceKey: lookup(bumped), now }), KrbErrorCode.KRB_AP_ERR_BADKEYVER);
  assert.ok(e44.hint && /kvno/.test(e44.hint));
  // Expired: the acceptor's clock is past the ticket's end (and the authenticator is fresh for it).
  const later = st.endtime + 3_600_000;
  const late = buildApReq({ ticket: st.ticket, sessionKey: st.sessionKey, client: st.client, now: later });
  expectKrb(() => verifyApReq(late.bytes, { serviceKey: lookup(responderKeys), now: later }), KrbErrorCode.KRB_AP_ERR_TKT_EXPIRED);
  // Skew: the initiator's clock is 10 minutes fast; the hint names the difference.
  const fast = buildApReq({ ticket: st.ticket, sessionKey: st.sessionKey, client: st.client, now: now + 600_000 });
  const skew = expectKrb(() => verifyApReq(fast.bytes, { serviceKey: lookup(responderKeys), now }), KrbErrorCode.KRB_AP_ERR_SKEW);
  assert.match(skew.hint ?? "", "600 s");
  // Replay: the same AP-REQ twice.
  const rc = new ReplayCache();
  verifyApReq(req.bytes, { serviceKey: lookup(responderKeys), now, replayCache: rc });
  expectKrb(() => verifyApReq(req.bytes, { serviceKey: lookup(responderKeys), now, replayCache: rc }), KrbErrorCode.KRB_AP_ERR_REPEAT);
  // Ticket for someone else.
  expectKrb(
    () => verifyApReq(req.bytes, { serviceKey: lookup(responderKeys), acceptedServers: [{ realm: REALM, name: name("kink/other.kink.test") }], now }),
    KrbErrorCode.KRB_AP_ERR_NOT_US,
  );
  // Unknown principals at the KDC.
  for (const [fn, code] of [
    [() => c.getServiceTicket(tgt, name("kink/nobody.kink.test")), KrbErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN],
    [() => c.getInitialCredentials(name("nobody"), { kind: "password", password: "x" }), KrbErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN],
  ] as const) {
    try {
      await fn();
      assert.unreachable("unknown principal accepted");
    } catch (e) {
      assert.instance(e, KrbError);
      assert.is((e as KrbError).code, code);
    }
  }
});

test("ticket cache: concurrent requests share one KDC exchange; a near-expiry ticket is refetched", async () => {
  let clock = Date.now();
  const c = client();
  const cache = new TicketCache(
    c,
    name("kink/initiator.kink.test"),
    { kind: "keys", keys: keysOf(initiatorKeys, "kink/initiator.kink.test") },
    { now: () => clock },
  );
  const [a, b] = await Promise.all([cache.serviceTicket(name("kink/responder.kink.test")), cache.serviceTicket(name("kink/responder.kink.test"))]);
  assert.is(a, b);
  assert.is(cache.fetches, 2); // the TGT and the service ticket, once each
  await cache.serviceTicket(name("kink/responder.kink.test"));
  assert.is(cache.fetches, 2);
  clock = a.endtime - 1000; // within the renewal margin
  await cache.serviceTicket(name("kink/responder.kink.test")).catch(() => undefined);
  assert.ok(cache.fetches > 2);
});

test("the client configured from the harness's krb5.conf works over UDP and, forced, over TCP", async () => {
  const k = kdc.get();
  const conf = parseKrb5Conf(await readFile(k.krb5ConfPath, "utf8"), k.krb5ConfPath);
  const keys = { kind: "keys" as const, keys: keysOf(initiatorKeys, "kink/initiator.kink.test") };
  const viaConf = KdcClient.fromKrb5Conf(conf, { realm: REALM });
  const tgt = await viaConf.getInitialCredentials(name("kink/initiator.kink.test"), keys);
  assert.is(tgt.client.realm, REALM);
  // udp_preference_limit 1: every request goes over TCP (RFC 4120 §7.2.2 framing).
  const tcp = KdcClient.fromKrb5Conf(conf, { realm: REALM, transport: { udpPreferenceLimit: 1 } });
  const st = await tcp.getServiceTicket(await tcp.getInitialCredentials(name("kink/initiator.kink.test"), keys), name("kink/responder.kink.test"));
  assert.equal(st.server.name.nameString, ["kink", "responder.kink.test"]);
});

test("the batched AP-REQ verifier gives the single verifier's results, errors included", async () => {
  const c = client();
  const tgt = await c.getInitialCredentials(name("kink/initiator.kink.test"), { kind: "keys", keys: keysOf(initiatorKeys, "kink/initiator.kink.test") });
  const reqs: Uint8Array[] = [];
  for (const n of [17, 18, 16, 23, 25, 20]) {
    const st = await c.getServiceTicket(tgt, name(`kink/responder-${n}.kink.test`));
    reqs.push(buildApReq({ ticket: st.ticket, sessionKey: st.sessionKey, client: st.client, now: Date.now() }).bytes);
  }
  const bad = (reqs[2] as Uint8Array).slice();
  bad[bad.length - 3] = (bad[bad.length - 3] as number) ^ 1; // inside the authenticator's MAC
  reqs.push(bad, new Uint8Array([0x6e, 0x03, 1, 2]));
  const now = Date.now();
  const batch = verifyApReqBatch(reqs, { serviceKey: lookup(responderKeys), now, replayCache: new ReplayCache() });
  const single = reqs.map((r) => {
    try {
      return verifyApReq(r, { serviceKey: lookup(responderKeys), now, replayCache: new ReplayCache() });
    } catch (e) {
      return e as KrbError;
    }
  });
  assert.is(batch.length, reqs.length);
  for (let i = 0; i < reqs.length; i++) {
    const b = batch[i];
    const s = single[i];
    if (s instanceof KrbError) {
      assert.instance(b, KrbError);
      assert.is((b as KrbError).code, s.code);
    } else {
      assert.not.instance(b, Error);
      assert.equal(Buffer.from((b as { sessionKey: EncryptionKey }).sessionKey.keyvalue), Buffer.from(s?.sessionKey.keyvalue ?? []));
    }
  }
  assert.instance(batch[6], KrbError);
  assert.is((batch[6] as KrbError).code, KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
});

test("golden bytes: MIT's AS-REP, TGS-REP, KRB-ERROR and our requests, captured live, decode and re-encode byte for byte", async () => {
  const k = kdc.get();
  const seen: { req: Uint8Array; rep: Uint8Array }[] = [];
  const c = new KdcClient({ realm: REALM, kdcs: [{ host: "127.0.0.1", port: k.port }], onExchange: (req, rep) => seen.push({ req, rep }) });
  const tgt = await c.getInitialCredentials(name("alice"), { kind: "password", password: "correct horse battery staple" });
  await c.getServiceTicket(tgt, name("kink/responder.kink.test"));
  await c.getServiceTicket(tgt, name("kink/nobody.kink.test")).catch(() => undefined);
  const tags = seen.map((x) => peekApplicationTag(x.rep));
  // PREAUTH_REQUIRED error, AS-REP, TGS-REP, S_PRINCIPAL_UNKNOWN error.
  assert.equal(tags, [30, 11, 13, 30]);
  for (const { req, rep } of seen) {
    const t = peekApplicationTag(rep);
    const again = t === 30 ? encodeKrbError(decodeKrbError(rep)) : encodeKdcRep(decodeKdcRep(rep));
    assert.equal(Buffer.from(again), Buffer.from(rep), `reply tag ${t}`);
    assert.equal(Buffer.from(encodeKdcReq(decodeKdcReq(req))), Buffer.from(req));
  }
  assert.is(decodeKrbError((seen[0] as { rep: Uint8Array }).rep).errorCode, KrbErrorCode.KDC_ERR_PREAUTH_REQUIRED);
});

test("KRB-ERROR: built with the echoed authenticator time, read back as a typed error", () => {
  const server = { realm: REALM, name: name("kink/responder.kink.test") };
  const bytes = buildKrbError({
    errorCode: KrbErrorCode.KRB_AP_ERR_SKEW,
    now: 1_700_000_000_123,
    server,
    ctime: 1_700_000_600_000,
    cusec: 42,
    eText: "clock skew too great",
  });
  const { message, error } = readKrbError(bytes);
  assert.is(message.errorCode, 37);
  assert.is(message.stime, 1_700_000_000_000);
  assert.is(message.susec, 123_000);
  assert.is(message.ctime, 1_700_000_600_000);
  assert.is(message.cusec, 42);
  assert.equal(message.sname.nameString, ["kink", "responder.kink.test"]);
  assert.instance(error, KrbError);
  assert.is(error.codeName, "KRB_AP_ERR_SKEW");
  assert.match(error.message, "clock skew too great");
});

function expectNever(): never {
  throw new Error("service key lookup must not be consulted for user-to-user");
}

test.run();
