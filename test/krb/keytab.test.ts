// Keytabs (MIT format 0x0502) against MIT krb5 itself: files written by kadmin.local ktadd and
// ktutil parse to the right principals, kvnos, enctypes and keys (keys checked against our own
// string-to-key), our files are listed by `klist -k` exactly as we expect, and broken input
// only ever raises KrbError. Also principal text forms and key selection.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { stringToKey } from "../../src/crypto/kerberos.ts";
import { KrbError, KrbErrorCode } from "../../src/krb/errors.ts";
import { findKey, type KeytabEntry, parseKeytab, readKeytabFile, serializeKeytab, writeKeytabFile } from "../../src/krb/keytab.ts";
import { NameType } from "../../src/krb/messages/types.ts";
import { formatPrincipal, parsePrincipal } from "../../src/krb/principal.ts";
import { hex, Prng, toHex } from "../helpers/bytes.ts";
import { ALL_ENCTYPES, MIT_NAME, mitKdcFixture } from "../helpers/mit-kdc.ts";

const PASSWORD = "kink keytab test pw";
const kdc = mitKdcFixture({
  principals: {
    "kink/pw.kink.test": { password: PASSWORD },
    "kink/rand.kink.test": {},
  },
});
test.before(kdc.before);
test.after(kdc.after);

const ALL_ETYPES = [18, 17, 20, 19, 16, 23, 26, 25];

function expectKrbError(fn: () => unknown, code: number, what: string): KrbError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KrbError)) throw new Error(`${what}: expected KrbError, got ${String(e)}`);
    assert.is(e.code, code, `${what}: ${e.message}`);
    return e;
  }
  throw new Error(`${what}: expected KrbError ${code}, nothing thrown`);
}

/** The "normal" salt (RFC 4120 §4): realm followed by every component, no separators. */
function normalSalt(realm: string, components: string[]): string {
  return realm + components.join("");
}

/** klist timestamp in the C locale, UTC: "%m/%d/%y %H:%M:%S". */
function klistTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** What `klist -k -t -e -K FILE` prints for these entries. */
function expectedKlist(path: string, entries: KeytabEntry[]): string {
  const lines = [
    `Keytab name: FILE:${path}`,
    "KVNO Timestamp         Principal",
    "---- ----------------- --------------------------------------------------------",
  ];
  for (const e of entries) {
    lines.push(
      `${String(e.kvno).padStart(4)} ${klistTime(e.timestamp)} ${formatPrincipal(e.principal, e.realm)} (${MIT_NAME[e.key.keytype]})  (0x${toHex(e.key.keyvalue)})`,
    );
  }
  return lines.join("\n");
}

function tidy(s: string): string {
  return s
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .join("\n");
}

// ---- principal text form ----

test("parsePrincipal / formatPrincipal: components, realm, RFC 1964 quoting", () => {
  const p = parsePrincipal("kink/host.example@REALM");
  assert.equal(p, { name: { nameType: NameType.NT_PRINCIPAL, nameString: ["kink", "host.example"] }, realm: "REALM" });
  assert.is(formatPrincipal(p.name, p.realm), "kink/host.example@REALM");
  assert.is(formatPrincipal(p.name), "kink/host.example");
  const odd = { nameType: 1, nameString: ["a/b", "c@d", "e\\f", "g\nh\ti\bj\0k", ""] };
  const text = formatPrincipal(odd, "R@/\\");
  assert.is(text, "a\\/b/c\\@d/e\\\\f/g\\nh\\ti\\bj\\0k/@R\\@\\/\\\\");
  assert.equal(parsePrincipal(text), { name: odd, realm: "R@/\\" });
  // An unquoted '/' inside the realm is literal (MIT parses it the same way).
  assert.is(parsePrincipal("x@A/B").realm, "A/B");
  assert.is(parsePrincipal("alice", { defaultRealm: "D" }).realm, "D");
  assert.is(parsePrincipal("h/x@R", { nameType: NameType.NT_SRV_HST }).name.nameType, 3);
  for (const bad of ["alice", "a@b@c", "a@", "x\\", "", "@R"]) expectKrbError(() => parsePrincipal(bad), KrbErrorCode.KRB_ERR_GENERIC, bad);
});

// ---- MIT-written keytabs ----

test("kadmin.local ktadd -norandkey: every enctype, keys equal our string-to-key", async () => {
  const k = kdc.get();
  const path = join(k.dir, "pw.keytab");
  await k.ktadd(path, "kink/pw.kink.test", undefined, { norandkey: true });
  const bytes = new Uint8Array(await readFile(path));
  const entries = parseKeytab(bytes);
  assert.equal(
    entries.map((e) => e.key.keytype),
    ALL_ETYPES,
  );
  const salt = normalSalt("KINK.TEST", ["kink", "pw.kink.test"]);
  const now = Date.now();
  for (const e of entries) {
    assert.is(formatPrincipal(e.principal, e.realm), "kink/pw.kink.test@KINK.TEST");
    assert.is(e.principal.nameType, NameType.NT_PRINCIPAL);
    assert.is(e.kvno, 1);
    assert.ok(Math.abs(e.timestamp - now) < 120_000, "timestamp is about now");
    assert.is(toHex(e.key.keyvalue), toHex(stringToKey(e.key.keytype, PASSWORD, salt)), `key for enctype ${e.key.keytype}`);
  }
  // MIT writes exactly what we write (32-bit kvno included, no holes).
  assert.is(toHex(serializeKeytab(entries)), toHex(bytes));
});

test("ktutil addent -password … wkt: keys equal our string-to-key", async () => {
  const k = kdc.get();
  const path = join(k.dir, "ktutil.keytab");
  const script = ALL_ENCTYPES.map((e) => `addent -password -p alice/admin@KINK.TEST -k 7 -e ${e}\n${PASSWORD}\n`).join("");
  const r = await k.run("ktutil", [], { input: `${script}wkt ${path}\nquit\n` });
  assert.is(r.code, 0, r.stderr);
  const entries = await readKeytabFile(path);
  assert.is(entries.length, 8);
  const salt = normalSalt("KINK.TEST", ["alice", "admin"]);
  for (const e of entries) {
    assert.equal(e.principal.nameString, ["alice", "admin"]);
    assert.is(e.realm, "KINK.TEST");
    assert.is(e.kvno, 7);
    assert.is(toHex(e.key.keyvalue), toHex(stringToKey(e.key.keytype, PASSWORD, salt)), `enctype ${e.key.keytype}`);
  }
  assert.equal(
    entries.map((e) => e.key.keytype),
    ALL_ETYPES,
  );
});

test("our keytab is listed by klist -k -t -e -K exactly (incl. 32-bit kvno)", async () => {
  const k = kdc.get();
  const rng = new Prng(4430);
  const t = Date.UTC(2026, 0, 2, 3, 4, 5);
  const entries: KeytabEntry[] = ALL_ETYPES.map((etype, i) => ({
    principal: { nameType: i % 2 ? NameType.NT_SRV_HST : NameType.NT_PRINCIPAL, nameString: ["kink", `host${i}.kink.test`] },
    realm: "KINK.TEST",
    timestamp: t + i * 1000,
    kvno: [1, 2, 255, 256, 300, 65536, 127, 70000][i]!,
    key: { keytype: etype, keyvalue: rng.bytes(etype === 23 || etype === 17 || etype === 19 || etype === 25 ? 16 : etype === 16 ? 24 : 32) },
  }));
  entries.push({ ...entries[0]!, principal: { nameType: 1, nameString: ["we@ird/x", "a\\b"] } });
  const path = join(k.dir, "ours.keytab");
  await writeKeytabFile(path, entries);
  const r = await k.run("klist", ["-k", "-t", "-e", "-K", path]);
  assert.is(r.code, 0, r.stderr);
  assert.fixture(tidy(r.stdout), expectedKlist(path, entries));
});

test("ktadd (random keys) twice + ktremove old: holes are skipped; findKey picks kvnos", async () => {
  const k = kdc.get();
  const path = join(k.dir, "rand.keytab");
  await k.ktadd(path, "kink/rand.kink.test", ["aes256-cts-hmac-sha1-96:normal", "camellia128-cts-cmac:normal"]);
  await k.ktadd(path, "kink/rand.kink.test", ["aes256-cts-hmac-sha1-96:normal", "camellia128-cts-cmac:normal"]);
  await k.addPrincipal("kink/one.kink.test", { keysalts: ["aes128-cts-hmac-sha1-96:normal"] });
  await k.ktadd(path, "kink/one.kink.test", undefined, { norandkey: true });
  let entries = await readKeytabFile(path);
  assert.equal(
    entries.map((e) => [e.principal.nameString[1], e.kvno, e.key.keytype]),
    [
      ["rand.kink.test", 2, 18],
      ["rand.kink.test", 2, 25],
      ["rand.kink.test", 3, 18],
      ["rand.kink.test", 3, 25],
      ["one.kink.test", 1, 17],
    ],
  );
  // `ktremove … old` keeps only the highest kvno; MIT turns removed entries into holes (negative lengths).
  await k.kadmin(`ktremove -k ${path} kink/rand.kink.test old`);
  const bytes = new Uint8Array(await readFile(path));
  assert.ok(new DataView(bytes.buffer, bytes.byteOffset).getInt32(2) < 0, "first record is a hole");
  entries = parseKeytab(bytes);
  assert.equal(
    entries.map((e) => [e.principal.nameString[1], e.kvno, e.key.keytype]),
    [
      ["rand.kink.test", 3, 18],
      ["rand.kink.test", 3, 25],
      ["one.kink.test", 1, 17],
    ],
  );
  const klist = await k.run("klist", ["-k", "-e", path]);
  assert.is((klist.stdout.match(/rand\.kink\.test/g) ?? []).length, 2);
});

test("kvno ≥ 256 from MIT (modprinc -kvno 300) reads through the 32-bit extension", async () => {
  const k = kdc.get();
  await k.addPrincipal("kink/big.kink.test", { keysalts: ["aes256-cts-hmac-sha1-96:normal"] });
  await k.kadmin("modprinc -kvno 300 kink/big.kink.test");
  const path = join(k.dir, "big.keytab");
  await k.ktadd(path, "kink/big.kink.test", undefined, { norandkey: true });
  const bytes = new Uint8Array(await readFile(path));
  const [e] = parseKeytab(bytes);
  assert.is(e!.kvno, 300);
  assert.is(toHex(serializeKeytab([e!])), toHex(bytes));
});

// ---- racoon2 capture keytabs ----

test("racoon2 interop keytabs parse", async () => {
  const dir = new URL("../interop/racoon2-optimistic/", import.meta.url);
  for (const [file, host] of [
    ["responder.keytab", "responder"],
    ["initiator.keytab", "initiator"],
  ] as const) {
    const entries = parseKeytab(new Uint8Array(await readFile(new URL(file, dir))));
    assert.ok(entries.length >= 1, file);
    // The main principal (kvno 2, every enctype); the responder's file also has one principal per enctype.
    const main = entries.filter((e) => formatPrincipal(e.principal, e.realm) === `kink/${host}.kink.test@KINK.TEST`);
    assert.equal(
      main.map((e) => [e.kvno, e.key.keytype]),
      [18, 17, 20, 19, 16, 26, 25, 23].map((t) => [2, t]),
    );
    for (const e of entries) assert.match(formatPrincipal(e.principal, e.realm), new RegExp(`^kink/${host}(-[a-z0-9-]+)?\\.kink\\.test@KINK\\.TEST$`));
    const aes = findKey(entries, { principal: `kink/${host}.kink.test@KINK.TEST`, etype: 18 });
    assert.is(aes.key.keyvalue.length, 32);
    assert.is(toHex(serializeKeytab(entries)), toHex(new Uint8Array(await readFile(new URL(file, dir)))));
  }
});

// ---- format details ----

/** One hand-built record: 8-bit kvno `vno8`, optional 32-bit kvno, optional padding. */
function record(vno8: number, kvno32?: number, pad = 0): Uint8Array {
  const body = [
    ...[0, 1], // one component
    ...[0, 1, 0x52], // realm "R"
    ...[0, 1, 0x78], // "x"
    ...[0, 0, 0, 1], // NT-PRINCIPAL
    ...[0x60, 0, 0, 0], // timestamp
    vno8,
    ...[0, 17, 0, 16],
    ...new Array(16).fill(0xaa),
  ];
  if (kvno32 !== undefined) body.push(kvno32 >>> 24, (kvno32 >>> 16) & 0xff, (kvno32 >>> 8) & 0xff, kvno32 & 0xff);
  for (let i = 0; i < pad; i++) body.push(0);
  const n = body.length;
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, ...body]);
}

function keytab(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat([Buffer.from([5, 2]), ...parts.map((p) => Buffer.from(p))]));
}

test("kvno: 8-bit alone, 32-bit zero (ignored), 32-bit overriding, short trailer ignored", () => {
  assert.is(parseKeytab(keytab(record(5)))[0]!.kvno, 5);
  assert.is(parseKeytab(keytab(record(5, 0)))[0]!.kvno, 5);
  assert.is(parseKeytab(keytab(record(44, 300)))[0]!.kvno, 300);
  assert.is(parseKeytab(keytab(record(5, undefined, 3)))[0]!.kvno, 5);
  // We write the 8-bit field as kvno mod 256 and always add the 32-bit one.
  const out = serializeKeytab([{ ...parseKeytab(keytab(record(5)))[0]!, kvno: 0x1_0001 }]);
  assert.is(toHex(out.subarray(out.length - 4)), "00010001");
  assert.is(out[out.length - 4 - 16 - 4 - 1], 0x01);
  assert.is(parseKeytab(out)[0]!.kvno, 0x1_0001);
});

test("holes (negative lengths) are skipped; a zero length ends the file", () => {
  const hole = new Uint8Array([0xff, 0xff, 0xff, 0xf0, ...new Array(16).fill(0)]);
  const entries = parseKeytab(keytab(hole, record(1), hole, record(2), new Uint8Array([0, 0, 0, 0, 9, 9, 9])));
  assert.equal(
    entries.map((e) => e.kvno),
    [1, 2],
  );
  assert.equal(parseKeytab(hex("0502")), []);
  // A record longer than its entry (an entry written into a bigger hole).
  assert.is(parseKeytab(keytab(record(3, 3, 20)))[0]!.kvno, 3);
});

test("round trip: parse(serialize(x)) = x for random entries", () => {
  const rng = new Prng(502);
  for (let round = 0; round < 50; round++) {
    const entries: KeytabEntry[] = [];
    const n = rng.int(6);
    for (let i = 0; i < n; i++) {
      const comps = rng.int(4) + 1;
      entries.push({
        principal: {
          nameType: [0, 1, 2, 3, 10, -128][rng.int(6)]!,
          nameString: Array.from({ length: comps }, () => Buffer.from(rng.bytes(rng.int(12))).toString("base64")),
        },
        realm: rng.int(2) ? "KINK.TEST" : "ÉXAMPLE.ORG",
        timestamp: rng.u32() * 1000,
        kvno: [0, 1, 255, 256, rng.u32(), 0xffffffff][rng.int(6)]!,
        key: { keytype: ALL_ETYPES[rng.int(8)]!, keyvalue: rng.bytes(rng.int(40)) },
      });
    }
    assert.equal(parseKeytab(serializeKeytab(entries)), entries);
  }
});

test("truncation at every offset and corrupted lengths: KrbError, never anything else", async () => {
  const bytes = new Uint8Array(await readFile(new URL("../interop/racoon2-optimistic/responder.keytab", import.meta.url)));
  const full = parseKeytab(bytes);
  // Record boundaries are the only prefixes that are themselves valid keytabs.
  const boundaries = new Set<number>([2]);
  for (let at = 2; at < bytes.length; ) {
    at += 4 + new DataView(bytes.buffer, bytes.byteOffset).getInt32(at);
    boundaries.add(at);
  }
  for (let i = 0; i < bytes.length; i++) {
    const prefix = bytes.subarray(0, i);
    if (boundaries.has(i)) {
      assert.equal(parseKeytab(prefix), full.slice(0, [...boundaries].filter((b) => b > 2 && b <= i).length));
    } else {
      const e = expectKrbError(() => parseKeytab(prefix), KrbErrorCode.KRB_ERR_GENERIC, `prefix ${i}`);
      assert.match(e.message, /offset \d+/);
    }
  }
  // Every single-octet corruption either still parses or fails with KrbError.
  const rng = new Prng(45);
  for (let i = 0; i < bytes.length; i++) {
    for (const v of [0x00, 0xff, 0x7f, 0x80, rng.u32() & 0xff]) {
      const m = bytes.slice();
      m[i] = v;
      try {
        parseKeytab(m);
      } catch (e) {
        if (!(e instanceof KrbError)) throw new Error(`octet ${i} = ${v}: ${String(e)}`);
      }
    }
  }
  const e = expectKrbError(() => parseKeytab(hex("0502 00000100 0001")), KrbErrorCode.KRB_ERR_GENERIC, "long record");
  assert.match(e.message, /record 1 \(length 256\) at offset 6: truncated/);
  expectKrbError(() => parseKeytab(hex("0501 00000000")), KrbErrorCode.KRB_ERR_GENERIC, "v1");
  expectKrbError(() => parseKeytab(hex("0503")), KrbErrorCode.KRB_ERR_GENERIC, "v3");
  expectKrbError(() => parseKeytab(hex("")), KrbErrorCode.KRB_ERR_GENERIC, "empty");
  expectKrbError(() => parseKeytab(hex("0502 80000000")), KrbErrorCode.KRB_ERR_GENERIC, "min hole");
  // Component longer than its record.
  const r = record(1);
  r[10] = 0xff;
  expectKrbError(() => parseKeytab(keytab(r)), KrbErrorCode.KRB_ERR_GENERIC, "component length");
  // Values that do not fit their fields are refused when writing.
  const big = { ...full[0]!, key: { keytype: 18, keyvalue: new Uint8Array(70000) } };
  expectKrbError(() => serializeKeytab([big]), KrbErrorCode.KRB_ERR_GENERIC, "70000-octet key");
});

// ---- key selection ----

test("findKey: highest kvno, exact kvno, NOKEY and BADKEYVER with hints", () => {
  const mk = (name: string, kvno: number, keytype: number): KeytabEntry => {
    const p = parsePrincipal(name);
    return { principal: p.name, realm: p.realm, timestamp: 0, kvno, key: { keytype, keyvalue: new Uint8Array([kvno, keytype]) } };
  };
  const kt = [mk("kink/a@R", 2, 18), mk("kink/a@R", 3, 18), mk("kink/a@R", 3, 17), mk("kink/b@R", 9, 18), mk("kink/a@R", 1, 23)];
  assert.equal(findKey(kt, { principal: "kink/a@R" }).key.keyvalue, new Uint8Array([3, 18]));
  assert.equal(findKey(kt, { principal: "kink/a", realm: "R", etype: 23 }).kvno, 1);
  assert.equal(findKey(kt, { principal: { nameType: 3, nameString: ["kink", "a"] }, realm: "R", kvno: 2, etype: 18 }).kvno, 2);
  assert.equal(findKey(kt, { principal: "kink/a@R", kvno: 3, etype: 17 }).key.keytype, 17);

  let e = expectKrbError(() => findKey(kt, { principal: "kink/c@R" }), KrbErrorCode.KRB_AP_ERR_NOKEY, "unknown principal");
  assert.match(e.message, /no key for kink\/c@R/);
  assert.match(e.hint!, /kink\/a@R, kink\/b@R/);
  e = expectKrbError(() => findKey([], { principal: "kink/c@R" }), KrbErrorCode.KRB_AP_ERR_NOKEY, "empty keytab");
  assert.match(e.hint!, /empty/);
  e = expectKrbError(() => findKey(kt, { principal: "kink/a@R", kvno: 5, etype: 18 }), KrbErrorCode.KRB_AP_ERR_BADKEYVER, "kvno 5");
  assert.match(e.hint!, /keytab has kvno 1, 2, 3 for kink\/a@R .*kvno 5/);
  assert.match(e.hint!, /older than the KDC's key/);
  e = expectKrbError(() => findKey(kt, { principal: "kink/b@R", kvno: 4 }), KrbErrorCode.KRB_AP_ERR_BADKEYVER, "kvno 4 < 9");
  assert.match(e.hint!, /before the key change/);
  e = expectKrbError(() => findKey(kt, { principal: "kink/a@R", kvno: 2, etype: 17 }), KrbErrorCode.KRB_AP_ERR_NOKEY, "etype 17 kvno 2");
  assert.match(e.message, /no aes128-cts-hmac-sha1-96 key for kink\/a@R kvno 2/);
  assert.match(e.hint!, /kvno 3 aes128-cts-hmac-sha1-96/);
  // An 8-bit-only kvno matches the low octet of a larger ticket kvno (as MIT's lookup allows).
  assert.is(findKey([mk("x@R", 44, 18)], { principal: "x@R", kvno: 300 }).kvno, 44);
});

test.run();
