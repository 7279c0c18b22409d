// Constant-time AES (FIPS 197) with WASM SIMD, plus CBC and Kerberos CTS (RFC 3962 §5).
//
// No memory address and no branch depends on key or data. The state is one v128 in FIPS 197
// byte order (§3.4: byte 4c + r is row r of column c). SubBytes (§5.1.1) reads the whole
// 256-byte S-box for every call, as sixteen 16-byte rows, and selects with i8x16.swizzle,
// whose lanes are register lookups: a lane whose index is ≥ 16 yields 0. The input is
// lowered by 16 before each row, so a byte x hits row ⌊x/16⌋ at lane x mod 16 and
// every other row yields 0 for it; XOR-ing the 16 row results gives S[x]. ShiftRows and the
// column rotations of MixColumns are constant shuffles; xtime (§4.2.1) is add + a masked
// XOR of 0x1b chosen by a sign compare. Two independent blocks (CBC decryption, also inside
// CTS decryption) go through the rounds together so that every S-box row is loaded once for
// both, and the CPU has two dependency chains to overlap.
//
// The key schedule is aes.ts (shared with aes-table.ts; its SubWord is subWordCt below).

import { INV_SBOX, KS_DEC, KS_NR, SBOX } from "./aes-common";

const K16: v128 = i8x16.splat(16);
const K1B: v128 = i8x16.splat(0x1b);
const ZERO: v128 = i64x2.splat(0);

// Vector building blocks, inlined into every caller.
// AssemblyScript's @inline is written on class members because that is the decorator syntax
// the TypeScript tooling (biome) parses; the class is only a namespace, never instantiated.
// biome-ignore lint/complexity/noStaticOnlyClass: namespace for @inline functions
class V {
  /** 256-entry byte table lookup in registers: tab[x] for each lane (see header). */
  @inline static lookup(tab: usize, x: v128): v128 {
    const tb0 = v128.load(tab, 0);
    let y = i8x16.swizzle(tb0, x);
    const tb1 = v128.load(tab, 16);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb1, x));
    const tb2 = v128.load(tab, 32);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb2, x));
    const tb3 = v128.load(tab, 48);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb3, x));
    const tb4 = v128.load(tab, 64);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb4, x));
    const tb5 = v128.load(tab, 80);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb5, x));
    const tb6 = v128.load(tab, 96);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb6, x));
    const tb7 = v128.load(tab, 112);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb7, x));
    const tb8 = v128.load(tab, 128);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb8, x));
    const tb9 = v128.load(tab, 144);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb9, x));
    const tb10 = v128.load(tab, 160);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb10, x));
    const tb11 = v128.load(tab, 176);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb11, x));
    const tb12 = v128.load(tab, 192);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb12, x));
    const tb13 = v128.load(tab, 208);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb13, x));
    const tb14 = v128.load(tab, 224);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb14, x));
    const tb15 = v128.load(tab, 240);
    x = i8x16.sub(x, K16);
    y = v128.xor(y, i8x16.swizzle(tb15, x));
    return y;
  }

  /** Multiplication by x (FIPS 197 §4.2.1) in each byte lane. */
  @inline static xtime(t: v128): v128 {
    return v128.xor(i8x16.add(t, t), v128.and(i8x16.lt_s(t, ZERO), K1B));
  }

  /**
   * ShiftRows (§5.1.2), MixColumns (§5.1.3) and AddRoundKey (§5.1.4) of a SubBytes output.
   * With x = ShiftRows(s) and ρ^k rotating each column up by k rows, MixColumns is
   *   b = 2·x ⊕ 3·ρx ⊕ ρ²x ⊕ ρ³x = 2·t ⊕ ρx ⊕ ρ²t,  t = x ⊕ ρx,
   * and ρ∘ShiftRows is itself a single byte shuffle.
   */
  @inline static mixEnc(s: v128, k: v128): v128 {
    const x = i8x16.shuffle(s, s, 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11);
    const y = i8x16.shuffle(s, s, 5, 10, 15, 0, 9, 14, 3, 4, 13, 2, 7, 8, 1, 6, 11, 12);
    const t = v128.xor(x, y);
    const z = i8x16.shuffle(t, t, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    return v128.xor(v128.xor(V.xtime(t), y), v128.xor(z, k));
  }

  /** Last encryption round: ShiftRows and AddRoundKey, no MixColumns (§5.1). */
  @inline static lastEnc(s: v128, k: v128): v128 {
    return v128.xor(i8x16.shuffle(s, s, 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11), k);
  }

  /**
   * InvShiftRows (§5.3.1), InvMixColumns (§5.3.3) and AddRoundKey with the equivalent
   * inverse cipher's round key (§5.3.5). InvMixColumns factors as MixColumns after the
   * circulant (05 00 04 00): x' = x ⊕ 4·(x ⊕ ρ²x), so it reuses the MixColumns code.
   */
  @inline static mixDec(s: v128, k: v128): v128 {
    let x = i8x16.shuffle(s, s, 0, 13, 10, 7, 4, 1, 14, 11, 8, 5, 2, 15, 12, 9, 6, 3);
    const q = v128.xor(x, i8x16.shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
    x = v128.xor(x, V.xtime(V.xtime(q)));
    const y = i8x16.shuffle(x, x, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
    const t = v128.xor(x, y);
    const z = i8x16.shuffle(t, t, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    return v128.xor(v128.xor(V.xtime(t), y), v128.xor(z, k));
  }

  /** Last decryption round: InvShiftRows and AddRoundKey (§5.3). */
  @inline static lastDec(s: v128, k: v128): v128 {
    return v128.xor(i8x16.shuffle(s, s, 0, 13, 10, 7, 4, 1, 14, 11, 8, 5, 2, 15, 12, 9, 6, 3), k);
  }

  @inline static encrypt1(ks: usize, s: v128): v128 {
    const kend = ks + ((<usize>load<i32>(ks, KS_NR)) << 4);
    let xa = v128.xor(s, v128.load(ks));
    for (let k = ks + 16; k < kend; k += 16) {
      xa = V.mixEnc(V.lookup(SBOX, xa), v128.load(k));
    }
    return V.lastEnc(V.lookup(SBOX, xa), v128.load(kend));
  }

  @inline static decrypt1(ks: usize, s: v128): v128 {
    const kd = ks + KS_DEC;
    const kend = kd + ((<usize>load<i32>(ks, KS_NR)) << 4);
    let xa = v128.xor(s, v128.load(kd));
    for (let k = kd + 16; k < kend; k += 16) {
      xa = V.mixDec(V.lookup(INV_SBOX, xa), v128.load(k));
    }
    return V.lastDec(V.lookup(INV_SBOX, xa), v128.load(kend));
  }

  /**
   * Two blocks through the equivalent inverse cipher together: D(src[0..16)) ⊕ ma → dst,
   * D(src[16..32)) ⊕ mb → dst + 16. All input is read before dst is written.
   */
  @inline static decrypt2(ks: usize, src: usize, dst: usize, ma: v128, mb: v128): void {
    const kd = ks + KS_DEC;
    const kend = kd + ((<usize>load<i32>(ks, KS_NR)) << 4);
    const k0 = v128.load(kd);
    let xa = v128.xor(v128.load(src, 0), k0);
    let xb = v128.xor(v128.load(src, 16), k0);
    let ya: v128, yb: v128, tb: v128;
    for (let k = kd + 16; k < kend; k += 16) {
      tb = v128.load(INV_SBOX, 0);
      ya = i8x16.swizzle(tb, xa);
      yb = i8x16.swizzle(tb, xb);
      tb = v128.load(INV_SBOX, 16);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 32);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 48);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 64);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 80);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 96);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 112);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 128);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 144);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 160);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 176);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 192);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 208);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 224);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      tb = v128.load(INV_SBOX, 240);
      xa = i8x16.sub(xa, K16);
      ya = v128.xor(ya, i8x16.swizzle(tb, xa));
      xb = i8x16.sub(xb, K16);
      yb = v128.xor(yb, i8x16.swizzle(tb, xb));
      const rk = v128.load(k);
      xa = V.mixDec(ya, rk);
      xb = V.mixDec(yb, rk);
    }
    tb = v128.load(INV_SBOX, 0);
    ya = i8x16.swizzle(tb, xa);
    yb = i8x16.swizzle(tb, xb);
    tb = v128.load(INV_SBOX, 16);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 32);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 48);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 64);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 80);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 96);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 112);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 128);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 144);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 160);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 176);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 192);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 208);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 224);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    tb = v128.load(INV_SBOX, 240);
    xa = i8x16.sub(xa, K16);
    ya = v128.xor(ya, i8x16.swizzle(tb, xa));
    xb = i8x16.sub(xb, K16);
    yb = v128.xor(yb, i8x16.swizzle(tb, xb));
    const kl = v128.load(kend);
    v128.store(dst, v128.xor(V.lastDec(ya, kl), ma), 0);
    v128.store(dst, v128.xor(V.lastDec(yb, kl), mb), 16);
  }
}

/** SubWord (FIPS 197 §5.2) for the key schedule in aes.ts: the S-box on 4 bytes, constant-time. */
export function subWordCt(w: u32): u32 {
  return i32x4.extract_lane(V.lookup(SBOX, i32x4.splat(w)), 0);
}

export function aesCtEncryptBlock(ks: usize, src: usize, dst: usize): void {
  v128.store(dst, V.encrypt1(ks, v128.load(src)));
}

export function aesCtDecryptBlock(ks: usize, src: usize, dst: usize): void {
  v128.store(dst, V.decrypt1(ks, v128.load(src)));
}

/** CBC encryption (NIST SP 800-38A §6.2): inherently serial, one block at a time. iv ← last C. */
export function aesCtCbcEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  let v = v128.load(iv);
  for (let off = 0; off < len; off += 16) {
    v = V.encrypt1(ks, v128.xor(v128.load(src + <usize>off), v));
    v128.store(dst + <usize>off, v);
  }
  v128.store(iv, v);
}

/** CBC decryption: P_i = D(C_i) ⊕ C_{i-1}; independent blocks, so two at a time. iv ← last C. */
export function aesCtCbcDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  let v = v128.load(iv);
  let off = 0;
  for (; off + 32 <= len; off += 32) {
    const i = src + <usize>off;
    const ca = v128.load(i, 0);
    const cb = v128.load(i, 16);
    V.decrypt2(ks, i, dst + <usize>off, v, ca);
    v = cb;
  }
  if (off < len) {
    const c = v128.load(src + <usize>off);
    v128.store(dst + <usize>off, v128.xor(V.decrypt1(ks, c), v));
    v = c;
  }
  v128.store(iv, v);
}

// Scratch for the last two CTS blocks.
const CTS_A: usize = memory.data(32, 16);

/** RFC 3962 §5 CTS encryption; see aesTableCtsEncrypt for the construction. iv ← C_n. */
export function aesCtCtsEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  if (len <= 16) {
    aesCtCbcEncrypt(ks, iv, src, dst, 16);
    return;
  }
  const head = ((len - 1) >> 4) - 1; // full blocks before the last two
  const h = <usize>(head << 4);
  const r = len - (head << 4) - 16;
  aesCtCbcEncrypt(ks, iv, src, dst, head << 4); // iv ← C_{n-2}
  const e = V.encrypt1(ks, v128.xor(v128.load(src + h), v128.load(iv))); // E_{n-1}
  // P_n zero-padded, read before dst + h is written (src may equal dst)
  v128.store(CTS_A, ZERO);
  memory.copy(CTS_A, src + h + 16, <usize>r);
  const c = V.encrypt1(ks, v128.xor(v128.load(CTS_A), e)); // C_n
  v128.store(CTS_A, e);
  v128.store(dst + h, c);
  memory.copy(dst + h + 16, CTS_A, <usize>r);
  v128.store(iv, c);
}

/**
 * RFC 3962 §5 CTS decryption; see aesTableCtsDecrypt. D(C_n) must come before
 * D(E_{n-1}) (it supplies E_{n-1}'s stolen tail), so the last two blocks are serial.
 */
export function aesCtCtsDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  if (len <= 16) {
    aesCtCbcDecrypt(ks, iv, src, dst, 16);
    return;
  }
  const head = ((len - 1) >> 4) - 1;
  const h = <usize>(head << 4);
  const r = len - (head << 4) - 16;
  aesCtCbcDecrypt(ks, iv, src, dst, head << 4); // iv ← C_{n-2}
  const x = v128.load(src + h); // C_n, also the next cipher state
  const d = V.decrypt1(ks, x); // pad0(P_n) ⊕ E_{n-1}
  v128.store(CTS_A, d);
  memory.copy(CTS_A, src + h + 16, <usize>r); // Y ‖ d[r..16) = E_{n-1}
  const e = v128.load(CTS_A);
  v128.store(CTS_A, v128.xor(d, e), 16); // [0..r) = P_n
  v128.store(dst + h, v128.xor(V.decrypt1(ks, e), v128.load(iv)));
  memory.copy(dst + h + 16, CTS_A + 16, <usize>r);
  v128.store(iv, x);
}
