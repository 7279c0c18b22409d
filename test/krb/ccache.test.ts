// FILE credential caches against MIT krb5: caches written by kinit (password and keytab) and
// kvno parse to the right principals, enctypes, times and DER tickets and re-serialize to the
// same bytes; caches we write are listed by klist exactly as we expect; version 3 caches (MIT
// ccache_type = 3) read; broken input only ever raises KrbError.
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type Ccache,
  type Credential,
  configEntries,
  isConfigEntry,
  parseCcache,
  readCcacheFile,
  serializeCcache,
  ticketCredentials,
  writeCcacheFile,
} from "../../src/krb/ccache.ts";
import { KrbError, KrbErrorCode } from "../../src/krb/errors.ts";
import { TicketFlag } from "../../src/krb/messages/types.ts";
import { formatPrincipal, parsePrincipal } from "../../src/krb/principal.ts";
import { hex, Prng, toHex } from "../helpers/bytes.ts";
import { MIT_NAME, mitKdcFixture } from "../helpers/mit-kdc.ts";

const kdc = mitKdcFixture({
  principals: {
    alice: { password: "alice pw" },
    "kink/initiator.kink.test": {},
    // Ticket encrypted in Camellia, session key aes128-sha256: both enctypes are visible in klist -e.
    "kink/cam.kink.test": { keysalts: ["camellia256-cts-cmac:normal"], sessionEnctypes: ["aes128-cts-hmac-sha256-128"] },
  },
});
test.before(kdc.before);
test.after(kdc.after);

function expectKrbError(fn: () => unknown, what: string): KrbError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KrbError)) throw new Error(`${what}: expected KrbError, got ${String(e)}`);
    assert.is(e.code, KrbErrorCode.KRB_ERR_GENERIC, `${what}: ${e.message}`);
    return e;
  }
  throw new Error(`${what}: expected KrbError, nothing thrown`);
}

const flag = (bit: number) => (0x80000000 >>> bit) >>> 0;

function klistTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

// klist's flag letters, in the order it prints them.
const FLAG_LETTERS: [number, string][] = [
  [TicketFlag.forwardable, "F"],
  [TicketFlag.forwarded, "f"],
  [TicketFlag.proxiable, "P"],
  [TicketFlag.proxy, "p"],
  [TicketFlag.mayPostdate, "D"],
  [TicketFlag.postdated, "d"],
  [TicketFlag.invalid, "i"],
  [TicketFlag.renewable, "R"],
  [TicketFlag.initial, "I"],
  [TicketFlag.hwAuthent, "H"],
  [TicketFlag.preAuthent, "A"],
  [TicketFlag.transitedPolicyChecked, "T"],
  [TicketFlag.okAsDelegate, "O"],
  [14, "a"],
];

/**
 * What `klist -c FILE:path -e -f` prints for a cache (config entries hidden). `tktEtype` is the
 * enctype of each ticket's enc-part, which klist reads from the DER (we know it from the setup).
 */
function expectedKlist(path: string, cache: Ccache, tktEtype: (c: Credential) => number, ticketServer: (c: Credential) => string): string {
  const lines = [
    `Ticket cache: FILE:${path}`,
    `Default principal: ${formatPrincipal(cache.defaultPrincipal.name, cache.defaultPrincipal.realm)}`,
    "Valid starting     Expires            Service principal",
  ];
  for (const c of ticketCredentials(cache)) {
    lines.push(`${klistTime(c.starttime || c.authtime)}  ${klistTime(c.endtime)}  ${formatPrincipal(c.server.name, c.server.realm)}`);
    // klist puts "renew until", "Flags" and "Etype" on one tab-indented line, breaking it
    // after the flags when "renew until" is there.
    const fields: string[] = [];
    if (c.renewTill) fields.push(`renew until ${klistTime(c.renewTill)}`);
    const letters = FLAG_LETTERS.filter(([bit]) => c.flags & flag(bit))
      .map(([, l]) => l)
      .join("");
    if (letters) fields.push(`Flags: ${letters}`);
    const etypes = `Etype (skey, tkt): ${MIT_NAME[c.key.keytype]}, ${MIT_NAME[tktEtype(c)]}`;
    if (c.renewTill && letters) {
      lines.push(`\t${fields.join(", ")}`, `\t${etypes}`);
    } else {
      lines.push(`\t${[...fields, etypes].join(", ")}`);
    }
    // klist decodes the ticket and says so when its sname is not the credential's server.
    const server = formatPrincipal(c.server.name, c.server.realm);
    if (ticketServer(c) !== server) lines.push(`\tTicket server: ${ticketServer(c)}`);
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

/** kinit alice + kvno kink/cam: a cache with a TGT, a service ticket and MIT's config entries. */
async function aliceCache(name: string): Promise<{ path: string; bytes: Uint8Array; cache: Ccache }> {
  const k = kdc.get();
  const path = join(k.dir, name);
  await k.kinit("alice", { password: "alice pw" }, path);
  await k.kvno("kink/cam.kink.test", path);
  const bytes = new Uint8Array(await readFile(path));
  return { path, bytes, cache: parseCcache(bytes) };
}

test("kinit (password) + kvno: MIT's cache parses; re-serializes to the same bytes", async () => {
  const before = Date.now();
  const { bytes, cache } = await aliceCache("alice.cc");
  assert.is(cache.version, 4);
  assert.ok(cache.kdcOffset, "MIT writes the KDC time offset header field");
  assert.is(formatPrincipal(cache.defaultPrincipal.name, cache.defaultPrincipal.realm), "alice@KINK.TEST");
  const tickets = ticketCredentials(cache);
  assert.equal(
    tickets.map((c) => formatPrincipal(c.server.name, c.server.realm)),
    ["krbtgt/KINK.TEST@KINK.TEST", "kink/cam.kink.test@KINK.TEST"],
  );
  for (const c of tickets) {
    assert.is(formatPrincipal(c.client.name, c.client.realm), "alice@KINK.TEST");
    assert.is(c.ticket[0], 0x61, "Ticket is [APPLICATION 1]");
    assert.is(c.secondTicket.length, 0);
    assert.is(c.isSkey, false);
    assert.ok(Math.abs(c.authtime - before) < 120_000, "authtime is about now");
    assert.ok(c.endtime > c.authtime + 3600_000 && c.endtime <= c.authtime + 10 * 3600_000, "endtime within max_life");
    assert.ok(c.renewTill >= c.endtime);
    assert.ok(c.flags & flag(TicketFlag.renewable));
  }
  assert.is(tickets[0]!.key.keytype, 18);
  assert.is(tickets[0]!.key.keyvalue.length, 32);
  assert.ok(tickets[0]!.flags & flag(TicketFlag.initial));
  // session_enctypes on kink/cam picks the service ticket's session key enctype.
  assert.is(tickets[1]!.key.keytype, 19);
  assert.is(tickets[1]!.key.keyvalue.length, 16);
  // MIT records FAST availability as a config entry; it is kept, not shown as a ticket.
  assert.ok(cache.credentials.some(isConfigEntry));
  assert.ok(configEntries(cache).some((e) => e.key === "fast_avail" && e.principal === "krbtgt/KINK.TEST@KINK.TEST"));
  assert.is(toHex(serializeCcache(cache)), toHex(bytes));
});

test("kinit -k -t keytab: default principal is the service", async () => {
  const k = kdc.get();
  const kt = join(k.dir, "initiator.keytab");
  await k.ktadd(kt, "kink/initiator.kink.test", ["aes256-cts-hmac-sha384-192:normal"]);
  const path = join(k.dir, "initiator.cc");
  await k.kinit("kink/initiator.kink.test", { keytab: kt }, path);
  const cache = await readCcacheFile(`FILE:${path}`);
  assert.is(formatPrincipal(cache.defaultPrincipal.name, cache.defaultPrincipal.realm), "kink/initiator.kink.test@KINK.TEST");
  const [tgt] = ticketCredentials(cache);
  assert.is(formatPrincipal(tgt!.server.name, tgt!.server.realm), "krbtgt/KINK.TEST@KINK.TEST");
  assert.is(tgt!.ticket[0], 0x61);
  // The TGT session key: the first permitted enctype the client (only aes256-sha384 here) supports.
  assert.is(tgt!.key.keytype, 20);
});

test("our cache (v4 and v3) is listed by klist -e -f exactly; config entries hidden", async () => {
  const k = kdc.get();
  const { cache } = await aliceCache("alice2.cc");
  const [tgt, svc] = ticketCredentials(cache);
  const base = Date.UTC(2030, 4, 6, 7, 8, 9);
  // The enc-part enctype and sname of each ticket (what klist reads from the DER), known from the setup.
  const tkt = new Map<Credential, number>();
  const creds: Credential[] = [
    {
      ...tgt!,
      authtime: base,
      starttime: base + 1000,
      endtime: base + 3600_000,
      renewTill: base + 86400_000,
      flags: flag(TicketFlag.renewable) | flag(TicketFlag.initial),
    },
    {
      ...svc!,
      authtime: base,
      starttime: 0,
      endtime: base + 7200_000,
      renewTill: 0,
      flags: flag(TicketFlag.forwardable) | flag(TicketFlag.preAuthent) | flag(TicketFlag.okAsDelegate),
    },
    // Server names are not checked against the ticket by klist: exercise quoting in the listing.
    { ...svc!, server: parsePrincipal("kink/we\\@ird\\/name@KINK.TEST"), authtime: base, starttime: base, endtime: base + 60_000, renewTill: 0, flags: 0 },
    ...cache.credentials.filter(isConfigEntry),
  ];
  tkt.set(creds[0]!, 18);
  tkt.set(creds[1]!, 26);
  tkt.set(creds[2]!, 26);
  for (const version of [4, 3] as const) {
    const ours: Ccache = { version, defaultPrincipal: cache.defaultPrincipal, credentials: creds };
    if (version === 4) ours.kdcOffset = { seconds: -5, microseconds: 250_000 };
    const path = join(k.dir, `ours-v${version}.cc`);
    await writeCcacheFile(path, ours);
    assert.is((await stat(path)).mode & 0o777, 0o600);
    const r = await k.run("klist", ["-c", `FILE:${path}`, "-e", "-f"]);
    assert.is(r.code, 0, r.stderr);
    const sname = (c: Credential) => (c === creds[2] ? "kink/cam.kink.test@KINK.TEST" : formatPrincipal(c.server.name, c.server.realm));
    assert.fixture(
      tidy(r.stdout),
      expectedKlist(path, ours, (c) => tkt.get(c)!, sname),
    );
    assert.equal(await readCcacheFile(path), ours);
  }
});

test("version 3 (ccache_type = 3): kinit writes it, we read it and write the same bytes", async () => {
  const k = kdc.get();
  const conf = join(k.dir, "v3.conf");
  await writeFile(conf, "[libdefaults]\n  ccache_type = 3\n");
  const path = join(k.dir, "v3.cc");
  const env = { KRB5_CONFIG: `${conf}:${k.krb5ConfPath}` };
  let r = await k.run("kinit", ["-c", `FILE:${path}`, "alice"], { input: "alice pw\n", env });
  assert.is(r.code, 0, r.stderr);
  r = await k.run("kvno", ["-c", `FILE:${path}`, "kink/cam.kink.test"], { env });
  assert.is(r.code, 0, r.stderr);
  const bytes = new Uint8Array(await readFile(path));
  assert.is(toHex(bytes.subarray(0, 2)), "0503");
  const cache = parseCcache(bytes);
  assert.is(cache.version, 3);
  assert.is(cache.kdcOffset, undefined);
  assert.equal(
    ticketCredentials(cache).map((c) => [formatPrincipal(c.server.name, c.server.realm), c.key.keytype]),
    [
      ["krbtgt/KINK.TEST@KINK.TEST", 18],
      ["kink/cam.kink.test@KINK.TEST", 19],
    ],
  );
  assert.is(toHex(serializeCcache(cache)), toHex(bytes));
});

function randomCache(rng: Prng): Ccache {
  const principal = () => ({
    name: {
      nameType: [0, 1, 2, 3, 10][rng.int(5)]!,
      nameString: Array.from({ length: rng.int(3) + 1 }, () => Buffer.from(rng.bytes(rng.int(9))).toString("hex")),
    },
    realm: rng.int(2) ? "KINK.TEST" : "ÜNICODE.TEST",
  });
  const cache: Ccache = { version: rng.int(2) ? 4 : 3, defaultPrincipal: principal(), credentials: [] };
  if (cache.version === 4 && rng.int(2)) cache.kdcOffset = { seconds: (rng.u32() | 0) >> 8, microseconds: rng.int(1_000_000) };
  if (cache.version === 4 && rng.int(3) === 0) cache.otherHeaderTags = [{ tag: 7, value: rng.bytes(rng.int(10)) }];
  const n = rng.int(4);
  for (let i = 0; i < n; i++) {
    cache.credentials.push({
      client: principal(),
      server: rng.int(4) ? principal() : { name: { nameType: 0, nameString: ["krb5_ccache_conf_data", "pa_type"] }, realm: "X-CACHECONF:" },
      key: { keytype: rng.int(30), keyvalue: rng.bytes(rng.int(33)) },
      authtime: rng.u32() * 1000,
      starttime: rng.u32() * 1000,
      endtime: rng.u32() * 1000,
      renewTill: rng.int(2) ? 0 : rng.u32() * 1000,
      isSkey: rng.int(5) === 0,
      flags: rng.u32(),
      addresses: Array.from({ length: rng.int(3) }, () => ({ addrType: rng.int(2) ? 2 : 24, address: rng.bytes(rng.int(2) ? 4 : 16) })),
      authData: Array.from({ length: rng.int(2) }, () => ({ adType: rng.int(0x10000), adData: rng.bytes(rng.int(20)) })),
      ticket: rng.bytes(rng.int(200)),
      secondTicket: rng.int(4) ? new Uint8Array(0) : rng.bytes(rng.int(100)),
    });
  }
  return cache;
}

test("round trip: parse(serialize(x)) = x for random caches (v3 and v4)", () => {
  const rng = new Prng(1510);
  for (let i = 0; i < 100; i++) {
    const c = randomCache(rng);
    assert.equal(parseCcache(serializeCcache(c)), c);
  }
});

test("truncation at every offset, junk and corrupted octets: KrbError, never anything else", async () => {
  const { bytes } = await aliceCache("trunc.cc").catch(() => ({ bytes: serializeCcache(randomCache(new Prng(7))) }));
  const full = parseCcache(bytes);
  // Credential boundaries (where a prefix is itself a complete, shorter cache).
  const boundaries = new Set<number>();
  for (let n = 0; n <= full.credentials.length; n++) {
    boundaries.add(serializeCcache({ ...full, credentials: full.credentials.slice(0, n) }).length);
  }
  for (let i = 0; i < bytes.length; i++) {
    const prefix = bytes.subarray(0, i);
    if (boundaries.has(i)) {
      assert.ok(parseCcache(prefix).credentials.length < full.credentials.length);
    } else {
      const e = expectKrbError(() => parseCcache(prefix), `prefix ${i}`);
      assert.match(e.message, /ccache .* at offset \d+/);
    }
  }
  const rng = new Prng(1964);
  for (let i = 0; i < bytes.length; i++) {
    const m = bytes.slice();
    m[i] = [0x00, 0xff, 0x80, rng.u32() & 0xff][rng.int(4)]!;
    try {
      parseCcache(m);
    } catch (e) {
      if (!(e instanceof KrbError)) throw new Error(`octet ${i}: ${String(e)}`);
    }
  }
  for (let i = 0; i < 300; i++) {
    const junk = rng.bytes(rng.int(200));
    if (junk.length >= 2 && rng.int(2)) junk.set([5, 3 + rng.int(2)]);
    try {
      parseCcache(junk);
    } catch (e) {
      if (!(e instanceof KrbError)) throw new Error(`junk ${toHex(junk)}: ${String(e)}`);
    }
  }
  expectKrbError(() => parseCcache(hex("")), "empty");
  expectKrbError(() => parseCcache(hex("0502")), "v2");
  expectKrbError(() => parseCcache(hex("0501")), "v1");
  expectKrbError(() => parseCcache(hex("0505")), "v5");
  expectKrbError(() => parseCcache(hex("0504 0004 0001 0008")), "header field longer than the header");
  // A component count that cannot fit is refused before looping over it.
  const e = expectKrbError(() => parseCcache(hex("0503 00000001 ffffffff 00000000")), "huge count");
  assert.match(e.message, /component count at offset 6/);
  // A v3 keyblock whose repeated enctype disagrees.
  const v3 = serializeCcache({ ...full, version: 3, credentials: full.credentials.slice(0, 1) });
  const at = serializeCcache({ ...full, version: 3, credentials: [] }).length;
  const p = { ...full.credentials[0]! };
  // Offset of the keyblock: after the cache's default principal and the credential's two principals.
  const principalLength = (pr: typeof p.client) => serializeCcache({ version: 3, defaultPrincipal: pr, credentials: [] }).length - 2;
  const repeated = at + principalLength(p.client) + principalLength(p.server) + 2;
  const bad = v3.slice();
  bad[repeated + 1] = bad[repeated + 1]! ^ 1;
  expectKrbError(() => parseCcache(bad), "v3 enctype repeated differently");
});

test("writeCcacheFile replaces atomically with mode 0600", async () => {
  const k = kdc.get();
  const path = join(k.dir, "atomic.cc");
  await writeFile(path, "old", { mode: 0o644 });
  const c = randomCache(new Prng(3));
  await writeCcacheFile(path, c);
  assert.is((await stat(path)).mode & 0o777, 0o600);
  assert.equal(await readCcacheFile(path), c);
});

test.run();
