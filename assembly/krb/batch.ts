// One WASM call for many operations (the worker pool and the engine send batches, so the
// boundary is crossed once per batch, not once per message).
//
// Descriptor (DESC_SIZE = 32 octets, i32 fields):
//   0 op   4 slot   8 input offset   12 input length   16 output offset
//   20 result (written: output length ≥ 0, or a negative status)
//   24 aux offset (encrypt: confounder; verify: expected MAC), or for prf+ the octets wanted
//   28 aux value  (verify: MAC length; prf, prf+: 1 = racoon2 AES-SHA1 variant)

import { kinkOpen } from "../kink/walk";
import { DESC, DESC_MAX, DESC_SIZE } from "../mem";
import { krbChecksum, krbDecrypt, krbEncrypt, krbPrf, krbPrfPlus, krbVerify, slotAddr } from "./profile";
import { ST_BAD_ARG, ST_BAD_OP, ST_BAD_SLOT } from "./slots";

export const OP_ENCRYPT: i32 = 1;
export const OP_DECRYPT: i32 = 2;
export const OP_CHECKSUM: i32 = 3;
export const OP_VERIFY: i32 = 4;
export const OP_PRF: i32 = 5;
/** KINK datagram walk + Cksum + KINK_ENCRYPT (kink/walk.ts): slot = Cksum slot, aux = encryption slot, aux value = options. */
export const OP_KINK_OPEN: i32 = 6;
/** prf+ (profile.ts krbPrfPlus): aux offset = octets wanted, aux value = 1 for the racoon2 AES-SHA1 PRF. */
export const OP_PRF_PLUS: i32 = 7;

/** Runs descriptors 0..n-1. Returns how many failed (their result fields say why). */
export function krbBatch(n: i32): i32 {
  if (n < 0 || n > DESC_MAX) return ST_BAD_ARG;
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const d = DESC + <usize>(i * DESC_SIZE);
    const p = slotAddr(load<i32>(d, 4));
    const src = <usize>load<i32>(d, 8);
    const len = load<i32>(d, 12);
    const dst = <usize>load<i32>(d, 16);
    const aux = <usize>load<i32>(d, 24);
    let r: i32 = ST_BAD_SLOT;
    if (load<i32>(d) == OP_KINK_OPEN) {
      // A walk status is positive; batch failures are negative, so report it negated.
      r = -kinkOpen(src, len, load<i32>(d, 4), <i32>aux, dst, load<i32>(d, 28));
    } else if (p != 0) {
      switch (load<i32>(d)) {
        case OP_ENCRYPT:
          r = krbEncrypt(p, src, len, aux, dst);
          break;
        case OP_DECRYPT:
          r = krbDecrypt(p, src, len, dst);
          break;
        case OP_CHECKSUM:
          r = krbChecksum(p, src, len, dst);
          break;
        case OP_VERIFY:
          r = krbVerify(p, src, len, aux, load<i32>(d, 28));
          break;
        case OP_PRF:
          r = krbPrf(p, src, len, dst, load<i32>(d, 28) != 0);
          break;
        case OP_PRF_PLUS:
          r = krbPrfPlus(p, src, len, dst, <i32>aux, load<i32>(d, 28) != 0);
          break;
        default:
          r = ST_BAD_OP;
      }
    }
    store<i32>(d, r, 20);
    if (r < 0) failed++;
  }
  return failed;
}
