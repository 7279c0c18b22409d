// krb5.conf parsing (src/krb/krb5-conf.ts): MIT profile syntax, the typed subset kinkd reads,
// errors with file:line, and MIT's domain_realm lookup order.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KrbError, KrbErrorCode } from "../../src/krb/errors.ts";
import { Krb5ConfError, kdcsForRealm, parseKrb5Conf, realmForHost } from "../../src/krb/krb5-conf.ts";

const MIT_STYLE = `# /etc/krb5.conf for the test lab
; semicolon comments too

include /etc/krb5.conf.d/extra.conf
includedir /etc/krb5.conf.d/

[libdefaults]
    default_realm = EXAMPLE.COM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    clockskew = 5m
    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
    permitted_enctypes = aes256-cts-hmac-sha384-192
    default_tgs_enctypes = aes256-cts-hmac-sha1-96,aes128-cts-hmac-sha1-96
    default_tkt_enctypes = aes256-cts-hmac-sha1-96
    udp_preference_limit = 1
    kdc_timeout = 3
    ticket_lifetime = 24h
    default_realm = IGNORED.LATER.VALUE

[realms]
    EXAMPLE.COM = {
        kdc = kdc1.example.com
        kdc = kdc2.example.com:750
        kdc = 192.0.2.10:8888
        kdc = [2001:db8::10]:88
        kdc = [::1]
        kdc = tcp/kdc3.example.com:89
        kdc = https://kdcproxy.example.com/KdcProxy
        admin_server = kadmin.example.com
        default_domain = example.com
        auth_to_local = {
            nested = deeper
        }
    }
    OTHER.ORG = {
        kdc = kdc.other.org
    } *

[domain_realm]
    .example.com = EXAMPLE.COM
    example.com = EXAMPLE.COM
    .lab.example.com = LAB.EXAMPLE.COM
    special.lab.example.com = OTHER.ORG
    .Other.ORG = OTHER.ORG

[appdefaults]*
    pam = {
        debug = "false # not a comment"
        ticket_lifetime = 36000
    }
`;

test("a realistic MIT-style file", () => {
  const c = parseKrb5Conf(MIT_STYLE, "/etc/krb5.conf");
  assert.is(c.fileName, "/etc/krb5.conf");
  assert.equal(c.libdefaults, {
    clockskewSec: 300,
    udpPreferenceLimit: 1,
    defaultRealm: "EXAMPLE.COM",
    dnsLookupKdc: false,
    permittedEnctypes: ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96", "aes256-cts-hmac-sha384-192"],
    defaultTgsEnctypes: ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"],
    defaultTktEnctypes: ["aes256-cts-hmac-sha1-96"],
    kdcTimeoutMs: 3000,
  });
  assert.equal(kdcsForRealm(c, "EXAMPLE.COM"), [
    { host: "kdc1.example.com", port: 88 },
    { host: "kdc2.example.com", port: 750 },
    { host: "192.0.2.10", port: 8888 },
    { host: "2001:db8::10", port: 88 },
    { host: "::1", port: 88 },
    { host: "kdc3.example.com", port: 89, transport: "tcp" },
  ]);
  assert.equal(kdcsForRealm(c, "OTHER.ORG"), [{ host: "kdc.other.org", port: 88 }]);
  assert.equal(kdcsForRealm(c, "NOWHERE"), []);
  assert.equal(kdcsForRealm(c, "example.com"), [], "realm names are case-sensitive");
  const r = c.realms.get("EXAMPLE.COM")!;
  assert.equal(r.adminServer, ["kadmin.example.com"]);
  assert.is(r.defaultDomain, "example.com");
  assert.equal(
    c.includes.map((i) => [i.kind, i.path, i.line]),
    [
      ["include", "/etc/krb5.conf.d/extra.conf", 4],
      ["includedir", "/etc/krb5.conf.d/", 5],
    ],
  );
  assert.is(c.warnings.length, 1);
  assert.match(c.warnings[0]!, /^\/etc\/krb5\.conf:29: kdc https:/);
  // The raw tree keeps what kinkd does not map, quoted values unescaped.
  const pam = c.profile.get("appdefaults")!.relations[0]!;
  assert.is(pam.tag, "pam");
  assert.equal(typeof pam.value === "object" && pam.value.relations.map((x) => [x.tag, x.value]), [
    ["debug", "false # not a comment"],
    ["ticket_lifetime", "36000"],
  ]);
});

test("defaults when libdefaults is absent; durations in MIT forms", () => {
  const c = parseKrb5Conf("[realms]\n R = {\n kdc = localhost\n }\n");
  assert.is(c.libdefaults.clockskewSec, 300);
  assert.is(c.libdefaults.udpPreferenceLimit, 1465);
  assert.is(c.libdefaults.defaultRealm, undefined);
  for (const [v, secs] of [
    ["300", 300],
    ["5m", 300],
    ["1h30m", 5400],
    ["1d 2h", 93600],
    ["0:05", 300],
    ["1:00:30", 3630],
    ["45s", 45],
  ] as const) {
    assert.is(parseKrb5Conf(`[libdefaults]\nclockskew = ${v}\n`).libdefaults.clockskewSec, secs, v);
  }
});

test("CRLF line endings and repeated sections merge", () => {
  const c = parseKrb5Conf("[realms]\r\nA = {\r\n kdc = a1\r\n}\r\n[libdefaults]\r\ndefault_realm = A\r\n[realms]\r\nA = {\r\n kdc = a2:99\r\n}\r\n");
  assert.is(c.libdefaults.defaultRealm, "A");
  assert.equal(kdcsForRealm(c, "A"), [
    { host: "a1", port: 88 },
    { host: "a2", port: 99 },
  ]);
});

const bad: [string, string, number, RegExp][] = [
  ["relation before any section", "default_realm = X\n", 1, /before the first \[section\]/],
  ["unclosed brace", "[realms]\nA = {\n  kdc = x\n\n", 2, /never closed/],
  ["stray closing brace", "[realms]\n}\n", 2, /without a matching/],
  ["missing '='", "[libdefaults]\n# fine\ndefault_realm EXAMPLE.COM\n", 3, /expected "tag = value"/],
  ["malformed header", "[libdefaults\n", 1, /malformed section header/],
  ["header inside braces", "[realms]\nA = {\n[libdefaults]\n}\n", 3, /inside an unclosed/],
  ["bad port", "[realms]\nA = {\n kdc = host:99999\n}\n", 3, /bad port/],
  ["port not a number", "[realms]\nA = {\n kdc = host:kerberos\n}\n", 3, /bad port/],
  ["bad IPv6 literal", "[realms]\nA = {\n kdc = [not:v6]:88\n}\n", 3, /not an IPv6 address/],
  ["unbracketed junk with colons", "[realms]\nA = {\n kdc = a:b:c\n}\n", 3, /not an IPv6 address/],
  ["bad duration", "[libdefaults]\nclockskew = soon\n", 2, /not a duration/],
  ["bad boolean", "[libdefaults]\ndns_lookup_kdc = perhaps\n", 2, /not a boolean/],
  ["bad udp_preference_limit", "[libdefaults]\nudp_preference_limit = -1\n", 2, /non-negative integer/],
  ["realm not a block", "[realms]\nA = kdc.example.com\n", 2, /must be a \{ \.\.\. \} block/],
  ["unterminated quote", '[libdefaults]\ndefault_realm = "A\n', 2, /unterminated quoted value/],
  ["empty tag", "[libdefaults]\n = x\n", 2, /bad tag/],
];
for (const [name, text, line, re] of bad) {
  test(`malformed: ${name} → error at line ${line}`, () => {
    try {
      parseKrb5Conf(text, "lab.conf");
      assert.unreachable("should throw");
    } catch (e) {
      assert.instance(e, Krb5ConfError);
      assert.instance(e, KrbError);
      const err = e as Krb5ConfError;
      assert.is(err.code, KrbErrorCode.KRB_ERR_GENERIC);
      assert.is(err.line, line);
      assert.is(err.fileName, "lab.conf");
      assert.ok(err.message.includes(`lab.conf:${line}: `), err.message);
      assert.match(err.message, re);
    }
  });
}

test("realmForHost: exact host first, then .domain suffixes from longest", () => {
  const c = parseKrb5Conf(MIT_STYLE);
  const cases: [string, string | undefined][] = [
    ["host.example.com", "EXAMPLE.COM"],
    ["example.com", "EXAMPLE.COM"], // exact "example.com" tag
    ["a.b.example.com", "EXAMPLE.COM"],
    ["gw.lab.example.com", "LAB.EXAMPLE.COM"], // .lab.example.com beats .example.com
    ["x.y.lab.example.com", "LAB.EXAMPLE.COM"],
    ["special.lab.example.com", "OTHER.ORG"], // exact host beats every domain
    ["SPECIAL.Lab.Example.COM.", "OTHER.ORG"], // case and a trailing dot do not matter
    ["lab.example.com", "EXAMPLE.COM"], // ".lab.example.com" covers hosts under it, not itself
    ["kdc.other.org", "OTHER.ORG"], // domain_realm keys are lower-cased
    ["other.org", undefined], // only ".other.org" is listed
    ["example.net", undefined],
    ["localhost", undefined],
    ["", undefined],
  ];
  for (const [host, realm] of cases) assert.is(realmForHost(c, host), realm, host);
});

test("kdcsForRealm returns copies", () => {
  const c = parseKrb5Conf("[realms]\nA = {\nkdc = h\n}\n");
  kdcsForRealm(c, "A")[0]!.port = 1;
  assert.is(kdcsForRealm(c, "A")[0]!.port, 88);
});

test.run();
