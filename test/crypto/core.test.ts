import { test } from "uvu";
import * as assert from "uvu/assert";
import { getCore } from "../../src/crypto/wasm.ts";

test("arena regions are disjoint, aligned and inside memory", () => {
  const c = getCore();
  const regions = [
    [c.io, c.ioSize],
    [c.desc, c.descMax * c.descSize],
    [c.rand, c.randSize],
  ] as const;
  for (const [p, n] of regions) {
    assert.is(p % 16, 0);
    assert.ok(p + n <= c.exports.memory.buffer.byteLength);
  }
  const sorted = [...regions].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as readonly [number, number];
    const cur = sorted[i] as readonly [number, number];
    assert.ok(prev[0] + prev[1] <= cur[0]);
  }
});

test("key slots grow memory on demand and do not overlap the static arena", () => {
  const c = getCore();
  const target = c.exports.getSlotCapacity() + 3000;
  assert.is(c.growSlots(target), target);
  assert.ok(c.exports.slotPtr(0) >= c.rand + c.randSize);
  assert.ok(c.exports.slotPtr(target) <= c.exports.memory.buffer.byteLength);
  // The cached views follow the growth.
  assert.is(c.bytes().buffer, c.exports.memory.buffer);
  assert.is(c.i32().buffer, c.exports.memory.buffer);
});

test.run();
