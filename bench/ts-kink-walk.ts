// Baseline for bench:wire and a differential oracle for the WASM walk: the same header and
// outer-chain checks as assembly/kink/walk.ts (RFC 4430 §4, §4.1, §6), written as a plain
// TypeScript DataView walk, building the same payload objects. It returns the walk status
// numbers of walk.ts (0 = ok) so the test can compare the two on arbitrary input.

import { payloadAt } from "../src/wire/decode.ts";
import type { KinkPayload } from "../src/wire/kink-message.ts";

export interface TsWalk {
  status: number;
  offset: number;
  entries: [type: number, offset: number, length: number][];
  payloads: KinkPayload[];
}

const MIN_LENGTH = [0, 9, 9, 5, 5, 5, 8, 5, 8];

function allowed(type: number): number {
  if (type === 1 || type === 2 || type === 6) return (1 << 1) | (1 << 6) | (1 << 7);
  if (type === 5) return 1 << 1;
  if (type === 4) return 1 << 4;
  return (1 << 2) | (1 << 3) | (1 << 8) | (1 << 6) | (1 << 7) | (1 << 5);
}

export function tsWalkKink(b: Uint8Array, maxLength = 0xffff): TsWalk {
  const r: TsWalk = { status: 0, offset: 0, entries: [], payloads: [] };
  const fail = (status: number, offset: number) => {
    r.status = status;
    r.offset = offset;
    return r;
  };
  if (b.length < 16) return fail(1, 0);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const type = b[0]!;
  const length = v.getUint16(2);
  const cksumLen = v.getUint16(14);
  if (length > maxLength) return fail(3, 2);
  if (length < 16 || length > b.length) return fail(2, 2);
  if (b[1]! >> 4 !== 1) return fail(4, 1);
  if (v.getUint32(4) !== 1) return fail(6, 4);
  if (type < 1 || type > 6) return fail(7, 0);
  const end = length - cksumLen;
  if (cksumLen > length - 16 || (end & 3) !== 0) return fail(8, 14);
  const ok = allowed(type);
  let seen = 0;
  let off = 16;
  let next = b[12]!;
  while (next !== 0) {
    const t = next;
    if (t < 1 || t > 8) return fail(11, off);
    if ((ok & (1 << t)) === 0) return fail(12, off);
    if (t !== 6 && (seen & (1 << t)) !== 0) return fail(13, off);
    if (r.entries.length >= 32) return fail(19, off);
    if (end - off < 4) return fail(9, off);
    next = b[off]!;
    const plen = v.getUint16(off + 2);
    if (plen > end - off) return fail(9, off + 2);
    if (plen < MIN_LENGTH[t]! || (t === 8 && plen !== 8)) return fail(10, off + 2);
    if (t === 7 && next !== 0) return fail(14, off);
    if (t === 6 && b[off + 5] !== 0x10) return fail(18, off + 5);
    r.entries.push([t, off, plen]);
    seen |= 1 << t;
    off = (off + plen + 3) & ~3;
    if (next !== 0 && off > end) return fail(9, end);
  }
  if (off < end) return fail(16, off);
  const auth = seen & 6;
  if ((auth !== 0) !== (cksumLen !== 0)) return fail(15, 14);
  if ((seen & (1 << 7)) !== 0 && auth === 0) return fail(12, 16);
  const required = type === 4 ? 1 << 4 : type === 3 ? (1 << 2) | (1 << 3) | (1 << 8) | (1 << 5) : 1 << 1;
  if ((seen & required) === 0) return fail(17, 12);
  for (const [t, o, l] of r.entries) r.payloads.push(payloadAt(b, t, o, l, false));
  return r;
}
