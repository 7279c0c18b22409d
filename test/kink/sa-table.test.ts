// SaTable finds pairs by SPI plus the rest of their identity, also when two live pairs share
// an SPI (random SPIs collide across destinations and peers), and forgets them on remove.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { SaId } from "../../src/ipsec/sink.ts";
import { type SaPair, SaTable } from "../../src/kink/sa-table.ts";

let nextId = 1;
function pair(principal: string, inbound: SaId, outbound: SaId): SaPair {
  return {
    id: nextId++,
    config: {} as SaPair["config"],
    policyIndex: 0,
    principal,
    role: "responder",
    sa: {} as SaPair["sa"],
    local: inbound.dst,
    remote: outbound.dst,
    inbound,
    outbound,
    etype: 17,
    peerEpoch: 0,
    createdAt: 0,
    state: "up",
    timerGeneration: 0,
  };
}

test("pairs sharing an SPI are told apart by destination, protocol and principal", () => {
  const t = new SaTable();
  const a = pair("a@R", { dst: "10.0.0.1", spi: 0x1000, proto: "esp" }, { dst: "10.0.0.2", spi: 0x2000, proto: "esp" });
  // Same inbound SPI on another local address; same outbound SPI towards another peer.
  const b = pair("b@R", { dst: "10.0.0.9", spi: 0x1000, proto: "esp" }, { dst: "10.0.0.3", spi: 0x2000, proto: "esp" });
  // Same SPIs, AH instead of ESP.
  const c = pair("a@R", { dst: "10.0.0.1", spi: 0x1000, proto: "ah" }, { dst: "10.0.0.2", spi: 0x2000, proto: "ah" });
  for (const p of [a, b, c]) t.add(p);
  assert.is(t.size, 3);
  assert.is(t.byInbound({ dst: "10.0.0.1", spi: 0x1000, proto: "esp" }), a);
  assert.is(t.byInbound({ dst: "10.0.0.9", spi: 0x1000, proto: "esp" }), b);
  assert.is(t.byInbound({ dst: "10.0.0.1", spi: 0x1000, proto: "ah" }), c);
  assert.is(t.byInbound({ dst: "10.0.0.5", spi: 0x1000, proto: "esp" }), undefined);
  assert.is(t.byOutbound("a@R", "esp", 0x2000), a);
  assert.is(t.byOutbound("b@R", "esp", 0x2000), b);
  assert.is(t.byOutbound("a@R", "ah", 0x2000), c);
  assert.is(t.byOutbound("x@R", "esp", 0x2000), undefined);
  assert.is(t.byOutboundId({ dst: "10.0.0.3", spi: 0x2000, proto: "esp" }), b);
  assert.is(t.ofPrincipal("a@R").length, 2);
  assert.equal(new Set(t.all()), new Set([a, b, c]));

  // Removing the pair that holds the SPI's first place leaves the others findable.
  t.remove(a);
  assert.is(a.state, "gone");
  assert.is(t.byInbound({ dst: "10.0.0.1", spi: 0x1000, proto: "esp" }), undefined);
  assert.is(t.byInbound({ dst: "10.0.0.9", spi: 0x1000, proto: "esp" }), b);
  assert.is(t.byInbound({ dst: "10.0.0.1", spi: 0x1000, proto: "ah" }), c);
  assert.is(t.byOutbound("a@R", "esp", 0x2000), undefined);
  assert.is(t.byOutbound("b@R", "esp", 0x2000), b);
  assert.is(t.ofPrincipal("a@R").length, 1);
  t.remove(b);
  t.remove(c);
  assert.is(t.size, 0);
  assert.is(t.ofPrincipal("a@R").length, 0);
  assert.is(t.byOutboundId({ dst: "10.0.0.3", spi: 0x2000, proto: "esp" }), undefined);
});

test("a pair re-added under the same identity replaces the old one; removing the old one then keeps the new", () => {
  const t = new SaTable();
  const id = { dst: "192.0.2.1", spi: 0xdead, proto: "esp" as const };
  const out = { dst: "192.0.2.2", spi: 0xbeef, proto: "esp" as const };
  const old = pair("p@R", id, out);
  const fresh = pair("p@R", { ...id }, { ...out });
  t.add(old);
  t.add(fresh);
  assert.is(t.byInbound(id), fresh);
  t.remove(old);
  assert.is(t.byInbound(id), fresh);
  assert.is(t.byOutbound("p@R", "esp", 0xbeef), fresh);
});

test.run();
