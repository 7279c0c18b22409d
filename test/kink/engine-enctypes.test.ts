// CREATE with a ticket of every enctype the MIT KDC issues: the responder principal for each
// only has keys and session keys of that one enctype, so the ticket session key (SKEYID_d, the
// Cksum and KINK_ENCRYPT key [RFC 4430 §7]) is of that enctype. Both ends must hold mirrored
// SA pairs with identical keys.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toHex } from "../helpers/bytes.ts";
import { initiatorEntry, keytabFor, responderEntry, startPair } from "../helpers/kink-peers.ts";
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
const principals: Record<string, { keysalts?: string[]; sessionEnctypes?: string[] }> = { "kink/a.kink.test": {} };
for (const [n, name] of Object.entries(ETYPES)) principals[`kink/b-${n}.kink.test`] = { keysalts: [`${name}:normal`], sessionEnctypes: [name] };
const kdc = mitKdcFixture({ realm: REALM, principals });
test.before(kdc.before);
test.after(kdc.after);

for (const [n, name] of Object.entries(ETYPES)) {
  test(`CREATE with a ${name} ticket (etype ${n}), IPv4 and IPv6`, async () => {
    const k = kdc.get();
    const ka = await keytabFor(k, "kink/a.kink.test");
    const kb = await keytabFor(k, `kink/b-${n}.kink.test`, [`${name}:normal`]);
    for (const family of [4, 6] as const) {
      const [a, b] = await startPair(
        k,
        family,
        { name: "A", principal: "kink/a.kink.test", keytab: ka, peers: (o) => [initiatorEntry(o)] },
        { name: "B", principal: `kink/b-${n}.kink.test`, keytab: kb, peers: () => [responderEntry(REALM)] },
      );
      try {
        a.driver.create("peer");
        await a.waitFor((e) => e.type === "sa-up");
        await b.waitFor((e) => e.type === "sa-up");
        await a.driver.settled();
        await b.driver.settled();
        assert.is(a.engine.pairs()[0]!.etype, Number(n), "the ticket's session key has the responder's only enctype");
        const as = [...a.sink.sas.values()].map((m) => m.spec);
        const bs = [...b.sink.sas.values()].map((m) => m.spec);
        assert.is(as.length, 2);
        assert.is(bs.length, 2);
        for (const x of as) {
          const y = bs.find((s) => s.id.spi === x.id.spi && s.id.dst === x.id.dst);
          assert.ok(y, `B lacks SPI ${x.id.spi}`);
          assert.is(toHex(y!.enc!.key), toHex(x.enc!.key));
          assert.is(toHex(y!.auth!.key), toHex(x.auth!.key));
          assert.is(y!.lifetime.hardSeconds, 3600);
        }
      } finally {
        await a.close();
        await b.close();
      }
    }
  });
}

test.run();
