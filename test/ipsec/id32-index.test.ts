// Id32Index: entries by a 32-bit number (SPI, XID) plus the rest of their identity; two identities
// sharing a number both stay reachable, and no sequence of sets and deletes leaves two entries for one identity.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Id32Index } from "../../src/ipsec/id32-index.ts";

interface Id {
  dst: string;
  spi: number;
}
const index = () =>
  new Id32Index<Id, { id: Id; n: number }>(
    (v, k) => v.id.dst === k.dst,
    (k) => `${k.dst}|${k.spi >>> 0}`,
  );

test("identities sharing an SPI are kept apart; SPIs ≥ 2^31 work", () => {
  const ix = index();
  const a = { dst: "192.0.2.1", spi: 0x8000_0001 };
  const b = { dst: "192.0.2.2", spi: 0x8000_0001 };
  ix.set(a.spi, a, { id: a, n: 1 });
  ix.set(b.spi, b, { id: b, n: 2 });
  assert.is(ix.size, 2);
  assert.is(ix.get(a.spi, a)?.n, 1);
  assert.is(ix.get(b.spi, b)?.n, 2);
  assert.is(ix.get(a.spi, { dst: "192.0.2.3", spi: a.spi }), undefined);
  assert.ok(ix.has(b.spi, b));
  assert.equal(
    [...ix.values()].map((v) => v.n),
    [1, 2],
  );
});

test("set replaces the entry of its identity wherever it sits; delete with a value only removes that value", () => {
  const ix = index();
  const a = { dst: "192.0.2.1", spi: 7 };
  const b = { dst: "192.0.2.2", spi: 7 };
  ix.set(7, a, { id: a, n: 1 });
  ix.set(7, b, { id: b, n: 2 }); // the second identity goes to the shared map
  assert.ok(ix.delete(7, a));
  ix.set(7, b, { id: b, n: 3 }); // replaces b's shared entry, not a second copy under the SPI
  assert.is(ix.size, 1);
  assert.is(ix.get(7, b)?.n, 3);
  const other = { id: b, n: 9 };
  assert.not.ok(ix.delete(7, b, other));
  assert.is(ix.size, 1);
  assert.ok(ix.delete(7, b));
  assert.is(ix.size, 0);
  assert.not.ok(ix.delete(7, b));
});

test.run();
