// Table-driven AES (FIPS 197) with CBC and Kerberos CTS (RFC 3962 §5).
//
// Each full round is 16 T-table lookups (aes-common.ts: SubBytes + ShiftRows + MixColumns
// folded together) plus 4 round-key words; the rounds are fully unrolled for Nr = 10/12/14
// (FIPS 197 §5, Fig. 4: Nr depends only on the key length). State words are little-endian
// columns, so inputs are loaded with plain `load<u32>` and no byte swaps are needed.
// Table addresses are static, so every lookup is a single `load` with the table base as
// its constant offset.
//
// NOT constant-time: the table index is secret state, so the memory access pattern depends
// on key and data (cache-timing). aes-ct.ts is the alternative without that property; the
// switch between them is AES_CONSTANT_TIME in aes.ts.

import { INV_SBOX, KS_DEC, KS_NR, SBOX, TD0, TD1, TD2, TD3, TE0, TE1, TE2, TE3 } from "./aes-common";

// Static 16-byte blocks: an all-zero XOR mask, and scratch for the CBC/CTS edges.
const ZERO_BLOCK: usize = memory.data(16, 16);
const SAVE: usize = memory.data(16, 16);
const CTS_A: usize = memory.data(16, 16);
const CTS_B: usize = memory.data(16, 16);

// The two round-function cores, inlined into every caller.
// AssemblyScript's @inline is written on class members because that is the decorator syntax
// the TypeScript tooling (biome) parses; the class is only a namespace, never instantiated.
// biome-ignore lint/complexity/noStaticOnlyClass: namespace for @inline functions
class Core {
  /**
   * Cipher (FIPS 197 §5.1) of the 16 bytes at src, XORed first with (m0..m3) (the CBC
   * chaining value, or zeros), written to dst. All input is read before dst is written.
   */
  @inline static encCore(ks: usize, src: usize, dst: usize, m0: u32, m1: u32, m2: u32, m3: u32): void {
    const nr = load<i32>(ks, KS_NR);
    // AddRoundKey with w[0..3] (§5.1.4)
    let s0 = load<u32>(src, 0) ^ m0 ^ load<u32>(ks, 0);
    let s1 = load<u32>(src, 4) ^ m1 ^ load<u32>(ks, 4);
    let s2 = load<u32>(src, 8) ^ m2 ^ load<u32>(ks, 8);
    let s3 = load<u32>(src, 12) ^ m3 ^ load<u32>(ks, 12);
    let t0: u32, t1: u32, t2: u32, t3: u32;
    // round 1
    t0 =
      load<u32>((s0 << 2) & 0x3fc, TE0) ^
      load<u32>((s1 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s2 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s3 >>> 24) << 2, TE3) ^
      load<u32>(ks, 16);
    t1 =
      load<u32>((s1 << 2) & 0x3fc, TE0) ^
      load<u32>((s2 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s3 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s0 >>> 24) << 2, TE3) ^
      load<u32>(ks, 20);
    t2 =
      load<u32>((s2 << 2) & 0x3fc, TE0) ^
      load<u32>((s3 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s0 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s1 >>> 24) << 2, TE3) ^
      load<u32>(ks, 24);
    t3 =
      load<u32>((s3 << 2) & 0x3fc, TE0) ^
      load<u32>((s0 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s1 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s2 >>> 24) << 2, TE3) ^
      load<u32>(ks, 28);
    // round 2
    s0 =
      load<u32>((t0 << 2) & 0x3fc, TE0) ^
      load<u32>((t1 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t2 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t3 >>> 24) << 2, TE3) ^
      load<u32>(ks, 32);
    s1 =
      load<u32>((t1 << 2) & 0x3fc, TE0) ^
      load<u32>((t2 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t3 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t0 >>> 24) << 2, TE3) ^
      load<u32>(ks, 36);
    s2 =
      load<u32>((t2 << 2) & 0x3fc, TE0) ^
      load<u32>((t3 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t0 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t1 >>> 24) << 2, TE3) ^
      load<u32>(ks, 40);
    s3 =
      load<u32>((t3 << 2) & 0x3fc, TE0) ^
      load<u32>((t0 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t1 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t2 >>> 24) << 2, TE3) ^
      load<u32>(ks, 44);
    // round 3
    t0 =
      load<u32>((s0 << 2) & 0x3fc, TE0) ^
      load<u32>((s1 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s2 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s3 >>> 24) << 2, TE3) ^
      load<u32>(ks, 48);
    t1 =
      load<u32>((s1 << 2) & 0x3fc, TE0) ^
      load<u32>((s2 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s3 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s0 >>> 24) << 2, TE3) ^
      load<u32>(ks, 52);
    t2 =
      load<u32>((s2 << 2) & 0x3fc, TE0) ^
      load<u32>((s3 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s0 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s1 >>> 24) << 2, TE3) ^
      load<u32>(ks, 56);
    t3 =
      load<u32>((s3 << 2) & 0x3fc, TE0) ^
      load<u32>((s0 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s1 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s2 >>> 24) << 2, TE3) ^
      load<u32>(ks, 60);
    // round 4
    s0 =
      load<u32>((t0 << 2) & 0x3fc, TE0) ^
      load<u32>((t1 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t2 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t3 >>> 24) << 2, TE3) ^
      load<u32>(ks, 64);
    s1 =
      load<u32>((t1 << 2) & 0x3fc, TE0) ^
      load<u32>((t2 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t3 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t0 >>> 24) << 2, TE3) ^
      load<u32>(ks, 68);
    s2 =
      load<u32>((t2 << 2) & 0x3fc, TE0) ^
      load<u32>((t3 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t0 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t1 >>> 24) << 2, TE3) ^
      load<u32>(ks, 72);
    s3 =
      load<u32>((t3 << 2) & 0x3fc, TE0) ^
      load<u32>((t0 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t1 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t2 >>> 24) << 2, TE3) ^
      load<u32>(ks, 76);
    // round 5
    t0 =
      load<u32>((s0 << 2) & 0x3fc, TE0) ^
      load<u32>((s1 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s2 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s3 >>> 24) << 2, TE3) ^
      load<u32>(ks, 80);
    t1 =
      load<u32>((s1 << 2) & 0x3fc, TE0) ^
      load<u32>((s2 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s3 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s0 >>> 24) << 2, TE3) ^
      load<u32>(ks, 84);
    t2 =
      load<u32>((s2 << 2) & 0x3fc, TE0) ^
      load<u32>((s3 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s0 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s1 >>> 24) << 2, TE3) ^
      load<u32>(ks, 88);
    t3 =
      load<u32>((s3 << 2) & 0x3fc, TE0) ^
      load<u32>((s0 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s1 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s2 >>> 24) << 2, TE3) ^
      load<u32>(ks, 92);
    // round 6
    s0 =
      load<u32>((t0 << 2) & 0x3fc, TE0) ^
      load<u32>((t1 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t2 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t3 >>> 24) << 2, TE3) ^
      load<u32>(ks, 96);
    s1 =
      load<u32>((t1 << 2) & 0x3fc, TE0) ^
      load<u32>((t2 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t3 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t0 >>> 24) << 2, TE3) ^
      load<u32>(ks, 100);
    s2 =
      load<u32>((t2 << 2) & 0x3fc, TE0) ^
      load<u32>((t3 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t0 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t1 >>> 24) << 2, TE3) ^
      load<u32>(ks, 104);
    s3 =
      load<u32>((t3 << 2) & 0x3fc, TE0) ^
      load<u32>((t0 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t1 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t2 >>> 24) << 2, TE3) ^
      load<u32>(ks, 108);
    // round 7
    t0 =
      load<u32>((s0 << 2) & 0x3fc, TE0) ^
      load<u32>((s1 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s2 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s3 >>> 24) << 2, TE3) ^
      load<u32>(ks, 112);
    t1 =
      load<u32>((s1 << 2) & 0x3fc, TE0) ^
      load<u32>((s2 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s3 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s0 >>> 24) << 2, TE3) ^
      load<u32>(ks, 116);
    t2 =
      load<u32>((s2 << 2) & 0x3fc, TE0) ^
      load<u32>((s3 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s0 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s1 >>> 24) << 2, TE3) ^
      load<u32>(ks, 120);
    t3 =
      load<u32>((s3 << 2) & 0x3fc, TE0) ^
      load<u32>((s0 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s1 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s2 >>> 24) << 2, TE3) ^
      load<u32>(ks, 124);
    // round 8
    s0 =
      load<u32>((t0 << 2) & 0x3fc, TE0) ^
      load<u32>((t1 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t2 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t3 >>> 24) << 2, TE3) ^
      load<u32>(ks, 128);
    s1 =
      load<u32>((t1 << 2) & 0x3fc, TE0) ^
      load<u32>((t2 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t3 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t0 >>> 24) << 2, TE3) ^
      load<u32>(ks, 132);
    s2 =
      load<u32>((t2 << 2) & 0x3fc, TE0) ^
      load<u32>((t3 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t0 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t1 >>> 24) << 2, TE3) ^
      load<u32>(ks, 136);
    s3 =
      load<u32>((t3 << 2) & 0x3fc, TE0) ^
      load<u32>((t0 >>> 6) & 0x3fc, TE1) ^
      load<u32>((t1 >>> 14) & 0x3fc, TE2) ^
      load<u32>((t2 >>> 24) << 2, TE3) ^
      load<u32>(ks, 140);
    // round 9
    t0 =
      load<u32>((s0 << 2) & 0x3fc, TE0) ^
      load<u32>((s1 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s2 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s3 >>> 24) << 2, TE3) ^
      load<u32>(ks, 144);
    t1 =
      load<u32>((s1 << 2) & 0x3fc, TE0) ^
      load<u32>((s2 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s3 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s0 >>> 24) << 2, TE3) ^
      load<u32>(ks, 148);
    t2 =
      load<u32>((s2 << 2) & 0x3fc, TE0) ^
      load<u32>((s3 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s0 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s1 >>> 24) << 2, TE3) ^
      load<u32>(ks, 152);
    t3 =
      load<u32>((s3 << 2) & 0x3fc, TE0) ^
      load<u32>((s0 >>> 6) & 0x3fc, TE1) ^
      load<u32>((s1 >>> 14) & 0x3fc, TE2) ^
      load<u32>((s2 >>> 24) << 2, TE3) ^
      load<u32>(ks, 156);
    if (nr > 10) {
      s0 =
        load<u32>((t0 << 2) & 0x3fc, TE0) ^
        load<u32>((t1 >>> 6) & 0x3fc, TE1) ^
        load<u32>((t2 >>> 14) & 0x3fc, TE2) ^
        load<u32>((t3 >>> 24) << 2, TE3) ^
        load<u32>(ks, 160);
      s1 =
        load<u32>((t1 << 2) & 0x3fc, TE0) ^
        load<u32>((t2 >>> 6) & 0x3fc, TE1) ^
        load<u32>((t3 >>> 14) & 0x3fc, TE2) ^
        load<u32>((t0 >>> 24) << 2, TE3) ^
        load<u32>(ks, 164);
      s2 =
        load<u32>((t2 << 2) & 0x3fc, TE0) ^
        load<u32>((t3 >>> 6) & 0x3fc, TE1) ^
        load<u32>((t0 >>> 14) & 0x3fc, TE2) ^
        load<u32>((t1 >>> 24) << 2, TE3) ^
        load<u32>(ks, 168);
      s3 =
        load<u32>((t3 << 2) & 0x3fc, TE0) ^
        load<u32>((t0 >>> 6) & 0x3fc, TE1) ^
        load<u32>((t1 >>> 14) & 0x3fc, TE2) ^
        load<u32>((t2 >>> 24) << 2, TE3) ^
        load<u32>(ks, 172);
      t0 =
        load<u32>((s0 << 2) & 0x3fc, TE0) ^
        load<u32>((s1 >>> 6) & 0x3fc, TE1) ^
        load<u32>((s2 >>> 14) & 0x3fc, TE2) ^
        load<u32>((s3 >>> 24) << 2, TE3) ^
        load<u32>(ks, 176);
      t1 =
        load<u32>((s1 << 2) & 0x3fc, TE0) ^
        load<u32>((s2 >>> 6) & 0x3fc, TE1) ^
        load<u32>((s3 >>> 14) & 0x3fc, TE2) ^
        load<u32>((s0 >>> 24) << 2, TE3) ^
        load<u32>(ks, 180);
      t2 =
        load<u32>((s2 << 2) & 0x3fc, TE0) ^
        load<u32>((s3 >>> 6) & 0x3fc, TE1) ^
        load<u32>((s0 >>> 14) & 0x3fc, TE2) ^
        load<u32>((s1 >>> 24) << 2, TE3) ^
        load<u32>(ks, 184);
      t3 =
        load<u32>((s3 << 2) & 0x3fc, TE0) ^
        load<u32>((s0 >>> 6) & 0x3fc, TE1) ^
        load<u32>((s1 >>> 14) & 0x3fc, TE2) ^
        load<u32>((s2 >>> 24) << 2, TE3) ^
        load<u32>(ks, 188);
      if (nr > 12) {
        s0 =
          load<u32>((t0 << 2) & 0x3fc, TE0) ^
          load<u32>((t1 >>> 6) & 0x3fc, TE1) ^
          load<u32>((t2 >>> 14) & 0x3fc, TE2) ^
          load<u32>((t3 >>> 24) << 2, TE3) ^
          load<u32>(ks, 192);
        s1 =
          load<u32>((t1 << 2) & 0x3fc, TE0) ^
          load<u32>((t2 >>> 6) & 0x3fc, TE1) ^
          load<u32>((t3 >>> 14) & 0x3fc, TE2) ^
          load<u32>((t0 >>> 24) << 2, TE3) ^
          load<u32>(ks, 196);
        s2 =
          load<u32>((t2 << 2) & 0x3fc, TE0) ^
          load<u32>((t3 >>> 6) & 0x3fc, TE1) ^
          load<u32>((t0 >>> 14) & 0x3fc, TE2) ^
          load<u32>((t1 >>> 24) << 2, TE3) ^
          load<u32>(ks, 200);
        s3 =
          load<u32>((t3 << 2) & 0x3fc, TE0) ^
          load<u32>((t0 >>> 6) & 0x3fc, TE1) ^
          load<u32>((t1 >>> 14) & 0x3fc, TE2) ^
          load<u32>((t2 >>> 24) << 2, TE3) ^
          load<u32>(ks, 204);
        t0 =
          load<u32>((s0 << 2) & 0x3fc, TE0) ^
          load<u32>((s1 >>> 6) & 0x3fc, TE1) ^
          load<u32>((s2 >>> 14) & 0x3fc, TE2) ^
          load<u32>((s3 >>> 24) << 2, TE3) ^
          load<u32>(ks, 208);
        t1 =
          load<u32>((s1 << 2) & 0x3fc, TE0) ^
          load<u32>((s2 >>> 6) & 0x3fc, TE1) ^
          load<u32>((s3 >>> 14) & 0x3fc, TE2) ^
          load<u32>((s0 >>> 24) << 2, TE3) ^
          load<u32>(ks, 212);
        t2 =
          load<u32>((s2 << 2) & 0x3fc, TE0) ^
          load<u32>((s3 >>> 6) & 0x3fc, TE1) ^
          load<u32>((s0 >>> 14) & 0x3fc, TE2) ^
          load<u32>((s1 >>> 24) << 2, TE3) ^
          load<u32>(ks, 216);
        t3 =
          load<u32>((s3 << 2) & 0x3fc, TE0) ^
          load<u32>((s0 >>> 6) & 0x3fc, TE1) ^
          load<u32>((s1 >>> 14) & 0x3fc, TE2) ^
          load<u32>((s2 >>> 24) << 2, TE3) ^
          load<u32>(ks, 220);
      }
    }
    // final round (no MixColumns)
    const kf = ks + ((<usize>nr) << 4);
    store<u32>(
      dst,
      (<u32>load<u8>(t0 & 0xff, SBOX) |
        ((<u32>load<u8>((t1 >>> 8) & 0xff, SBOX)) << 8) |
        ((<u32>load<u8>((t2 >>> 16) & 0xff, SBOX)) << 16) |
        ((<u32>load<u8>(t3 >>> 24, SBOX)) << 24)) ^
        load<u32>(kf, 0),
      0,
    );
    store<u32>(
      dst,
      (<u32>load<u8>(t1 & 0xff, SBOX) |
        ((<u32>load<u8>((t2 >>> 8) & 0xff, SBOX)) << 8) |
        ((<u32>load<u8>((t3 >>> 16) & 0xff, SBOX)) << 16) |
        ((<u32>load<u8>(t0 >>> 24, SBOX)) << 24)) ^
        load<u32>(kf, 4),
      4,
    );
    store<u32>(
      dst,
      (<u32>load<u8>(t2 & 0xff, SBOX) |
        ((<u32>load<u8>((t3 >>> 8) & 0xff, SBOX)) << 8) |
        ((<u32>load<u8>((t0 >>> 16) & 0xff, SBOX)) << 16) |
        ((<u32>load<u8>(t1 >>> 24, SBOX)) << 24)) ^
        load<u32>(kf, 8),
      8,
    );
    store<u32>(
      dst,
      (<u32>load<u8>(t3 & 0xff, SBOX) |
        ((<u32>load<u8>((t0 >>> 8) & 0xff, SBOX)) << 8) |
        ((<u32>load<u8>((t1 >>> 16) & 0xff, SBOX)) << 16) |
        ((<u32>load<u8>(t2 >>> 24, SBOX)) << 24)) ^
        load<u32>(kf, 12),
      12,
    );
  }

  /**
   * Equivalent inverse cipher (FIPS 197 §5.3.5) of the 16 bytes at src, the result XORed
   * with the 16 bytes at m (CBC: the previous ciphertext block), written to dst. src is read
   * before m, and both before dst is written, so src == dst is fine. The mask comes from
   * memory rather than registers: the round function already needs more registers than x64
   * has (8 state words, the schedule pointer, the memory base), and 4 more would spill.
   */
  @inline static decCore(ks: usize, src: usize, dst: usize, m: usize): void {
    const nr = load<i32>(ks, KS_NR);
    let s0 = load<u32>(src, 0) ^ load<u32>(ks, KS_DEC + 0);
    let s1 = load<u32>(src, 4) ^ load<u32>(ks, KS_DEC + 4);
    let s2 = load<u32>(src, 8) ^ load<u32>(ks, KS_DEC + 8);
    let s3 = load<u32>(src, 12) ^ load<u32>(ks, KS_DEC + 12);
    let t0: u32, t1: u32, t2: u32, t3: u32;
    // round 1
    t0 =
      load<u32>((s0 << 2) & 0x3fc, TD0) ^
      load<u32>((s3 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s2 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s1 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 16);
    t1 =
      load<u32>((s1 << 2) & 0x3fc, TD0) ^
      load<u32>((s0 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s3 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s2 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 20);
    t2 =
      load<u32>((s2 << 2) & 0x3fc, TD0) ^
      load<u32>((s1 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s0 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s3 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 24);
    t3 =
      load<u32>((s3 << 2) & 0x3fc, TD0) ^
      load<u32>((s2 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s1 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s0 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 28);
    // round 2
    s0 =
      load<u32>((t0 << 2) & 0x3fc, TD0) ^
      load<u32>((t3 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t2 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t1 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 32);
    s1 =
      load<u32>((t1 << 2) & 0x3fc, TD0) ^
      load<u32>((t0 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t3 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t2 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 36);
    s2 =
      load<u32>((t2 << 2) & 0x3fc, TD0) ^
      load<u32>((t1 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t0 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t3 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 40);
    s3 =
      load<u32>((t3 << 2) & 0x3fc, TD0) ^
      load<u32>((t2 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t1 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t0 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 44);
    // round 3
    t0 =
      load<u32>((s0 << 2) & 0x3fc, TD0) ^
      load<u32>((s3 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s2 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s1 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 48);
    t1 =
      load<u32>((s1 << 2) & 0x3fc, TD0) ^
      load<u32>((s0 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s3 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s2 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 52);
    t2 =
      load<u32>((s2 << 2) & 0x3fc, TD0) ^
      load<u32>((s1 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s0 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s3 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 56);
    t3 =
      load<u32>((s3 << 2) & 0x3fc, TD0) ^
      load<u32>((s2 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s1 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s0 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 60);
    // round 4
    s0 =
      load<u32>((t0 << 2) & 0x3fc, TD0) ^
      load<u32>((t3 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t2 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t1 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 64);
    s1 =
      load<u32>((t1 << 2) & 0x3fc, TD0) ^
      load<u32>((t0 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t3 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t2 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 68);
    s2 =
      load<u32>((t2 << 2) & 0x3fc, TD0) ^
      load<u32>((t1 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t0 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t3 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 72);
    s3 =
      load<u32>((t3 << 2) & 0x3fc, TD0) ^
      load<u32>((t2 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t1 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t0 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 76);
    // round 5
    t0 =
      load<u32>((s0 << 2) & 0x3fc, TD0) ^
      load<u32>((s3 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s2 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s1 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 80);
    t1 =
      load<u32>((s1 << 2) & 0x3fc, TD0) ^
      load<u32>((s0 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s3 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s2 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 84);
    t2 =
      load<u32>((s2 << 2) & 0x3fc, TD0) ^
      load<u32>((s1 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s0 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s3 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 88);
    t3 =
      load<u32>((s3 << 2) & 0x3fc, TD0) ^
      load<u32>((s2 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s1 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s0 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 92);
    // round 6
    s0 =
      load<u32>((t0 << 2) & 0x3fc, TD0) ^
      load<u32>((t3 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t2 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t1 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 96);
    s1 =
      load<u32>((t1 << 2) & 0x3fc, TD0) ^
      load<u32>((t0 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t3 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t2 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 100);
    s2 =
      load<u32>((t2 << 2) & 0x3fc, TD0) ^
      load<u32>((t1 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t0 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t3 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 104);
    s3 =
      load<u32>((t3 << 2) & 0x3fc, TD0) ^
      load<u32>((t2 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t1 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t0 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 108);
    // round 7
    t0 =
      load<u32>((s0 << 2) & 0x3fc, TD0) ^
      load<u32>((s3 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s2 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s1 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 112);
    t1 =
      load<u32>((s1 << 2) & 0x3fc, TD0) ^
      load<u32>((s0 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s3 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s2 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 116);
    t2 =
      load<u32>((s2 << 2) & 0x3fc, TD0) ^
      load<u32>((s1 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s0 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s3 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 120);
    t3 =
      load<u32>((s3 << 2) & 0x3fc, TD0) ^
      load<u32>((s2 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s1 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s0 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 124);
    // round 8
    s0 =
      load<u32>((t0 << 2) & 0x3fc, TD0) ^
      load<u32>((t3 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t2 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t1 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 128);
    s1 =
      load<u32>((t1 << 2) & 0x3fc, TD0) ^
      load<u32>((t0 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t3 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t2 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 132);
    s2 =
      load<u32>((t2 << 2) & 0x3fc, TD0) ^
      load<u32>((t1 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t0 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t3 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 136);
    s3 =
      load<u32>((t3 << 2) & 0x3fc, TD0) ^
      load<u32>((t2 >>> 6) & 0x3fc, TD1) ^
      load<u32>((t1 >>> 14) & 0x3fc, TD2) ^
      load<u32>((t0 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 140);
    // round 9
    t0 =
      load<u32>((s0 << 2) & 0x3fc, TD0) ^
      load<u32>((s3 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s2 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s1 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 144);
    t1 =
      load<u32>((s1 << 2) & 0x3fc, TD0) ^
      load<u32>((s0 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s3 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s2 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 148);
    t2 =
      load<u32>((s2 << 2) & 0x3fc, TD0) ^
      load<u32>((s1 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s0 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s3 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 152);
    t3 =
      load<u32>((s3 << 2) & 0x3fc, TD0) ^
      load<u32>((s2 >>> 6) & 0x3fc, TD1) ^
      load<u32>((s1 >>> 14) & 0x3fc, TD2) ^
      load<u32>((s0 >>> 24) << 2, TD3) ^
      load<u32>(ks, KS_DEC + 156);
    if (nr > 10) {
      s0 =
        load<u32>((t0 << 2) & 0x3fc, TD0) ^
        load<u32>((t3 >>> 6) & 0x3fc, TD1) ^
        load<u32>((t2 >>> 14) & 0x3fc, TD2) ^
        load<u32>((t1 >>> 24) << 2, TD3) ^
        load<u32>(ks, KS_DEC + 160);
      s1 =
        load<u32>((t1 << 2) & 0x3fc, TD0) ^
        load<u32>((t0 >>> 6) & 0x3fc, TD1) ^
        load<u32>((t3 >>> 14) & 0x3fc, TD2) ^
        load<u32>((t2 >>> 24) << 2, TD3) ^
        load<u32>(ks, KS_DEC + 164);
      s2 =
        load<u32>((t2 << 2) & 0x3fc, TD0) ^
        load<u32>((t1 >>> 6) & 0x3fc, TD1) ^
        load<u32>((t0 >>> 14) & 0x3fc, TD2) ^
        load<u32>((t3 >>> 24) << 2, TD3) ^
        load<u32>(ks, KS_DEC + 168);
      s3 =
        load<u32>((t3 << 2) & 0x3fc, TD0) ^
        load<u32>((t2 >>> 6) & 0x3fc, TD1) ^
        load<u32>((t1 >>> 14) & 0x3fc, TD2) ^
        load<u32>((t0 >>> 24) << 2, TD3) ^
        load<u32>(ks, KS_DEC + 172);
      t0 =
        load<u32>((s0 << 2) & 0x3fc, TD0) ^
        load<u32>((s3 >>> 6) & 0x3fc, TD1) ^
        load<u32>((s2 >>> 14) & 0x3fc, TD2) ^
        load<u32>((s1 >>> 24) << 2, TD3) ^
        load<u32>(ks, KS_DEC + 176);
      t1 =
        load<u32>((s1 << 2) & 0x3fc, TD0) ^
        load<u32>((s0 >>> 6) & 0x3fc, TD1) ^
        load<u32>((s3 >>> 14) & 0x3fc, TD2) ^
        load<u32>((s2 >>> 24) << 2, TD3) ^
        load<u32>(ks, KS_DEC + 180);
      t2 =
        load<u32>((s2 << 2) & 0x3fc, TD0) ^
        load<u32>((s1 >>> 6) & 0x3fc, TD1) ^
        load<u32>((s0 >>> 14) & 0x3fc, TD2) ^
        load<u32>((s3 >>> 24) << 2, TD3) ^
        load<u32>(ks, KS_DEC + 184);
      t3 =
        load<u32>((s3 << 2) & 0x3fc, TD0) ^
        load<u32>((s2 >>> 6) & 0x3fc, TD1) ^
        load<u32>((s1 >>> 14) & 0x3fc, TD2) ^
        load<u32>((s0 >>> 24) << 2, TD3) ^
        load<u32>(ks, KS_DEC + 188);
      if (nr > 12) {
        s0 =
          load<u32>((t0 << 2) & 0x3fc, TD0) ^
          load<u32>((t3 >>> 6) & 0x3fc, TD1) ^
          load<u32>((t2 >>> 14) & 0x3fc, TD2) ^
          load<u32>((t1 >>> 24) << 2, TD3) ^
          load<u32>(ks, KS_DEC + 192);
        s1 =
          load<u32>((t1 << 2) & 0x3fc, TD0) ^
          load<u32>((t0 >>> 6) & 0x3fc, TD1) ^
          load<u32>((t3 >>> 14) & 0x3fc, TD2) ^
          load<u32>((t2 >>> 24) << 2, TD3) ^
          load<u32>(ks, KS_DEC + 196);
        s2 =
          load<u32>((t2 << 2) & 0x3fc, TD0) ^
          load<u32>((t1 >>> 6) & 0x3fc, TD1) ^
          load<u32>((t0 >>> 14) & 0x3fc, TD2) ^
          load<u32>((t3 >>> 24) << 2, TD3) ^
          load<u32>(ks, KS_DEC + 200);
        s3 =
          load<u32>((t3 << 2) & 0x3fc, TD0) ^
          load<u32>((t2 >>> 6) & 0x3fc, TD1) ^
          load<u32>((t1 >>> 14) & 0x3fc, TD2) ^
          load<u32>((t0 >>> 24) << 2, TD3) ^
          load<u32>(ks, KS_DEC + 204);
        t0 =
          load<u32>((s0 << 2) & 0x3fc, TD0) ^
          load<u32>((s3 >>> 6) & 0x3fc, TD1) ^
          load<u32>((s2 >>> 14) & 0x3fc, TD2) ^
          load<u32>((s1 >>> 24) << 2, TD3) ^
          load<u32>(ks, KS_DEC + 208);
        t1 =
          load<u32>((s1 << 2) & 0x3fc, TD0) ^
          load<u32>((s0 >>> 6) & 0x3fc, TD1) ^
          load<u32>((s3 >>> 14) & 0x3fc, TD2) ^
          load<u32>((s2 >>> 24) << 2, TD3) ^
          load<u32>(ks, KS_DEC + 212);
        t2 =
          load<u32>((s2 << 2) & 0x3fc, TD0) ^
          load<u32>((s1 >>> 6) & 0x3fc, TD1) ^
          load<u32>((s0 >>> 14) & 0x3fc, TD2) ^
          load<u32>((s3 >>> 24) << 2, TD3) ^
          load<u32>(ks, KS_DEC + 216);
        t3 =
          load<u32>((s3 << 2) & 0x3fc, TD0) ^
          load<u32>((s2 >>> 6) & 0x3fc, TD1) ^
          load<u32>((s1 >>> 14) & 0x3fc, TD2) ^
          load<u32>((s0 >>> 24) << 2, TD3) ^
          load<u32>(ks, KS_DEC + 220);
      }
    }
    // final round (no MixColumns)
    const kf = ks + KS_DEC + ((<usize>nr) << 4);
    store<u32>(
      dst,
      (<u32>load<u8>(t0 & 0xff, INV_SBOX) |
        ((<u32>load<u8>((t3 >>> 8) & 0xff, INV_SBOX)) << 8) |
        ((<u32>load<u8>((t2 >>> 16) & 0xff, INV_SBOX)) << 16) |
        ((<u32>load<u8>(t1 >>> 24, INV_SBOX)) << 24)) ^
        load<u32>(kf, 0) ^
        load<u32>(m, 0),
      0,
    );
    store<u32>(
      dst,
      (<u32>load<u8>(t1 & 0xff, INV_SBOX) |
        ((<u32>load<u8>((t0 >>> 8) & 0xff, INV_SBOX)) << 8) |
        ((<u32>load<u8>((t3 >>> 16) & 0xff, INV_SBOX)) << 16) |
        ((<u32>load<u8>(t2 >>> 24, INV_SBOX)) << 24)) ^
        load<u32>(kf, 4) ^
        load<u32>(m, 4),
      4,
    );
    store<u32>(
      dst,
      (<u32>load<u8>(t2 & 0xff, INV_SBOX) |
        ((<u32>load<u8>((t1 >>> 8) & 0xff, INV_SBOX)) << 8) |
        ((<u32>load<u8>((t0 >>> 16) & 0xff, INV_SBOX)) << 16) |
        ((<u32>load<u8>(t3 >>> 24, INV_SBOX)) << 24)) ^
        load<u32>(kf, 8) ^
        load<u32>(m, 8),
      8,
    );
    store<u32>(
      dst,
      (<u32>load<u8>(t3 & 0xff, INV_SBOX) |
        ((<u32>load<u8>((t2 >>> 8) & 0xff, INV_SBOX)) << 8) |
        ((<u32>load<u8>((t1 >>> 16) & 0xff, INV_SBOX)) << 16) |
        ((<u32>load<u8>(t0 >>> 24, INV_SBOX)) << 24)) ^
        load<u32>(kf, 12) ^
        load<u32>(m, 12),
      12,
    );
  }
}

export function aesTableEncryptBlock(ks: usize, src: usize, dst: usize): void {
  Core.encCore(ks, src, dst, 0, 0, 0, 0);
}

export function aesTableDecryptBlock(ks: usize, src: usize, dst: usize): void {
  Core.decCore(ks, src, dst, ZERO_BLOCK);
}

/** CBC encryption (NIST SP 800-38A §6.2): C_i = E(P_i ⊕ C_{i-1}), C_0 = iv. iv ← last C. */
export function aesTableCbcEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  let v0 = load<u32>(iv, 0);
  let v1 = load<u32>(iv, 4);
  let v2 = load<u32>(iv, 8);
  let v3 = load<u32>(iv, 12);
  for (let off = 0; off < len; off += 16) {
    const o = dst + <usize>off;
    Core.encCore(ks, src + <usize>off, o, v0, v1, v2, v3);
    v0 = load<u32>(o, 0);
    v1 = load<u32>(o, 4);
    v2 = load<u32>(o, 8);
    v3 = load<u32>(o, 12);
  }
  store<u32>(iv, v0, 0);
  store<u32>(iv, v1, 4);
  store<u32>(iv, v2, 8);
  store<u32>(iv, v3, 12);
}

/**
 * CBC decryption: P_i = D(C_i) ⊕ C_{i-1}, C_0 = iv; iv ← last C. Runs from the last block to
 * the first: each C_{i-1} is then still in place in memory when block i needs it, even when
 * src == dst, so nothing has to be carried in registers between blocks.
 */
export function aesTableCbcDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  if (len <= 0) return;
  v128.store(SAVE, v128.load(src + <usize>(len - 16))); // the next iv, before it can be overwritten
  for (let off = <usize>(len - 16); off > 0; off -= 16) {
    Core.decCore(ks, src + off, dst + off, src + off - 16);
  }
  Core.decCore(ks, src, dst, iv);
  v128.store(iv, v128.load(SAVE));
}

/**
 * RFC 3962 §5 ciphertext stealing, encryption. With n = ⌈len/16⌉ blocks and r = len − 16(n−1)
 * bytes in the last one (1..16): CBC over P_1..P_{n-1} giving E_{n-1}; C_n = E(pad0(P_n) ⊕ E_{n-1});
 * output … C_{n-2} ‖ C_n ‖ E_{n-1}[0..r) — the last two blocks always swapped (CBC-CS3),
 * even when r = 16. The next cipher state is C_n, the last full ciphertext block (RFC 3962 §5).
 */
export function aesTableCtsEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  if (len <= 16) {
    aesTableCbcEncrypt(ks, iv, src, dst, 16);
    return;
  }
  const head = ((len - 1) >> 4) - 1; // full blocks before the last two
  const h = <usize>(head << 4);
  const r = len - (head << 4) - 16;
  aesTableCbcEncrypt(ks, iv, src, dst, head << 4); // iv ← C_{n-2}
  // E_{n-1} = E(P_{n-1} ⊕ C_{n-2})
  Core.encCore(ks, src + h, CTS_A, load<u32>(iv, 0), load<u32>(iv, 4), load<u32>(iv, 8), load<u32>(iv, 12));
  // P_n zero-padded; read before anything is written at dst + h (src may equal dst)
  v128.store(CTS_B, i64x2.splat(0));
  memory.copy(CTS_B, src + h + 16, <usize>r);
  // C_n = E(pad0(P_n) ⊕ E_{n-1})
  Core.encCore(ks, CTS_B, dst + h, load<u32>(CTS_A, 0), load<u32>(CTS_A, 4), load<u32>(CTS_A, 8), load<u32>(CTS_A, 12));
  memory.copy(dst + h + 16, CTS_A, <usize>r);
  v128.store(iv, v128.load(dst + h));
}

/**
 * RFC 3962 §5 ciphertext stealing, decryption. The input ends X ‖ Y with X = C_n (16 bytes)
 * and Y = E_{n-1}[0..r). D(X) = pad0(P_n) ⊕ E_{n-1}, so P_n = D(X)[0..r) ⊕ Y and the missing
 * tail of E_{n-1} is D(X)[r..16) (those plaintext bytes were zero padding); then
 * P_{n-1} = D(E_{n-1}) ⊕ C_{n-2}. Next cipher state: X, as for encryption.
 */
export function aesTableCtsDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  if (len <= 16) {
    aesTableCbcDecrypt(ks, iv, src, dst, 16);
    return;
  }
  const head = ((len - 1) >> 4) - 1;
  const h = <usize>(head << 4);
  const r = len - (head << 4) - 16;
  aesTableCbcDecrypt(ks, iv, src, dst, head << 4); // iv ← C_{n-2}
  const x = src + h;
  Core.decCore(ks, x, CTS_A, ZERO_BLOCK); // A = D(X)
  v128.store(SAVE, v128.load(x)); // next cipher state, saved before dst + h is written
  v128.store(CTS_B, v128.load(CTS_A));
  memory.copy(CTS_B, x + 16, <usize>r); // B = Y ‖ D(X)[r..16) = E_{n-1}
  v128.store(CTS_A, v128.xor(v128.load(CTS_A), v128.load(CTS_B))); // A[0..r) = P_n
  Core.decCore(ks, CTS_B, dst + h, iv);
  memory.copy(dst + h + 16, CTS_A, <usize>r);
  v128.store(iv, v128.load(SAVE));
}
