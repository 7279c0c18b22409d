// Address text ↔ xfrm_address_t, checked against node:net's parser and RFC 5952 examples.
import { isIP } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AF_INET, AF_INET6, formatAddress, writeAddress } from "../../src/wire/ip-address.ts";

function bytesOf(text: string): { family: number; bytes: Uint8Array } {
  const bytes = new Uint8Array(20).fill(0xee);
  const family = writeAddress(text, bytes, 2);
  return { family, bytes };
}

test("IPv4: four octets, rest of the 16 zeroed, nothing outside touched", () => {
  const { family, bytes } = bytesOf("192.0.2.255");
  assert.is(family, AF_INET);
  assert.equal([...bytes], [0xee, 0xee, 192, 0, 2, 255, ...new Array(12).fill(0), 0xee, 0xee]);
});

test("IPv6 forms of RFC 4291 §2.2, formatted back in RFC 5952 form", () => {
  const cases: [string, string][] = [
    ["2001:DB8:0:0:8:800:200C:417A", "2001:db8::8:800:200c:417a"],
    ["2001:db8::1", "2001:db8::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::", "fe80::"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["0:0:0:0:0:ffff:10.1.2.3", "::ffff:10.1.2.3"],
  ];
  for (const [text, canonical] of cases) {
    const { family, bytes } = bytesOf(text);
    assert.is(family, AF_INET6, text);
    assert.is(bytes[18], 0xee, `${text}: nothing written past 16 octets`);
    assert.is(formatAddress(bytes, 2, AF_INET6), canonical, text);
  }
});

test("invalid addresses are refused, exactly where node:net refuses them", () => {
  const samples = [
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1..2.3",
    "a.b.c.d",
    ":::",
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "::g",
    "1.2.3.4::",
    "::1.2.3",
    "10.0.0.1/24",
  ];
  for (const text of samples) assert.is(writeAddress(text, new Uint8Array(16), 0), 0, text);
  for (const text of samples) assert.is(isIP(text), 0, `node:net agrees that ${JSON.stringify(text)} is invalid`);
});

test("random addresses round-trip and agree with node:net", () => {
  let seed = 99;
  const next = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 16;
  };
  for (let i = 0; i < 2000; i++) {
    const groups = Array.from({ length: 8 }, () => (next() % 4 === 0 ? 0 : next()).toString(16));
    const text = groups.join(":");
    const out = new Uint8Array(16);
    assert.is(writeAddress(text, out, 0), AF_INET6);
    const formatted = formatAddress(out, 0, AF_INET6);
    assert.is(isIP(formatted), 6, formatted);
    const again = new Uint8Array(16);
    writeAddress(formatted, again, 0);
    assert.equal([...again], [...out], `${text} → ${formatted}`);
  }
});

test.run();
