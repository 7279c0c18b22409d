// Triple DES (EDE3, FIPS 46-3 / SP 800-67) with CBC, as used by des3-cbc-sha1-kd (RFC 3961 §6.3).
//
// Layout of the implementation (all tables are facts from FIPS 46-3; nothing here allocates):
//
// * The cipher function f(R, K) = P(S(E(R) xor K)) (FIPS 46-3, "The Cipher Function f") is
//   computed with eight combined "SP" tables: SPj[x] = P(Sj(x) placed in nibble j). Because P
//   is a bit permutation it distributes over the OR of the eight S-box outputs, so one round
//   is eight table loads ORed together. The SP tables are generated once at module start from
//   the S-box and P tables below, so the only literal constants are the standard's own tables.
// * E is never materialised: the eight 6-bit E groups of R are bits 4j..4j+5 (bit 0 = bit 32),
//   so rotr(R, 1) holds groups 0, 2, 4, 6 at bit offsets 26, 18, 10, 2 and rotl(R, 3) holds
//   groups 1, 3, 5, 7 at the same offsets. Round keys are stored pre-split in that same layout
//   (two u32 per round) and XORed straight in; masking with 0xfc yields byte offsets into SPj.
// * IP and FP (FIPS 46-3, "Initial Permutation") are done with five delta swaps each; FP is the
//   same swaps in reverse order, since FP = IP^-1 and each swap is an involution.
// * EDE3 (SP 800-67 §3.2: C = E_K3(D_K2(E_K1(P)))) runs as one 48-round Feistel network: the
//   FP at the end of one DES stage cancels the IP of the next, leaving only the L/R swap.
//   Decryption of DES is the same network with round keys in reverse order (FIPS 46-3), so
//   the 48 round keys K1[1..16], K2[16..1], K3[1..16] walked backwards are exactly
//   D_K1(E_K2(D_K3(C))). One precomputed schedule thus serves both directions: encryption walks
//   it forwards and decryption backwards, with no per-call reordering (and 384 bytes instead
//   of 768, which would not fit the 640-byte key slot budget).

/** Bytes of an expanded EDE3 key (both directions): 48 rounds x 2 u32. */
export const DES3_KS_SIZE: usize = 384;

// S-boxes S1..S8 (FIPS 46-3 Appendix 1 / SP 800-67 §3.4), each 4 rows x 16 columns.
const SBOX: usize = memory.data<u8>([
  // S1
  14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5,
  0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
  // S2
  15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2,
  15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
  // S3
  10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14,
  7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
  // S4
  7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8,
  4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
  // S5
  2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0,
  14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
  // S6
  12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11,
  6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
  // S7
  4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9,
  2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
  // S8
  13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5,
  8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
]);

// Permutation P (FIPS 46-3): output bit i (1-based, MSB first) is input bit P[i].
const PERM_P: usize = memory.data<u8>([16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25]);

// Permuted Choice 1 (FIPS 46-3, Key Schedule): the 28 bits of C0, then the 28 bits of D0,
// numbered 1..64 from the most significant bit of the first key byte. Bits 8, 16, .., 64
// (the parity bits) are never selected, which is why parity is ignored.
const PC1: usize = memory.data<u8>([
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30,
  22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
]);

// Permuted Choice 2 (FIPS 46-3): round key bit i is bit PC2[i] of C||D. The first 24 entries
// are all <= 28 (from C) and the last 24 all > 28 (from D), which the tables below rely on.
const PC2: usize = memory.data<u8>([
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34,
  53, 46, 42, 50, 36, 29, 32,
]);

// Left-shift schedule of C and D per round (FIPS 46-3).
const SHIFTS: usize = memory.data<u8>([1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1]);

/** SP[j][x], j = 0..7 (S-box j+1), x = raw 6-bit S-box input: 8 x 64 u32, generated below. */
const SP: usize = memory.data(8 * 64 * 4, 16);

/**
 * PC2 split into eight 7-bit slices (four of C, four of D): PC2T[slice][v] is the round key,
 * in the packed two-word layout, contributed by slice value v. A round key is then the OR of
 * eight loads rather than 48 single-bit moves, which keeps des3SetKey cheap enough to run
 * per call on the primitive path. 8 x 128 x 2 u32, generated below.
 */
const PC2T: usize = memory.data(8 * 128 * 8, 16);

/**
 * PC1 split by key nibble: PC1T[nibble][v] is the (C0, D0) pair, as two u32, contributed by
 * value v in nibble 0..15 of the key (nibble 0 = high half of byte 0). 16 x 16 x 2 u32.
 */
const PC1T: usize = memory.data(16 * 16 * 8, 16);

/** Applies P to a 32-bit S-box output word (setup only). */
function permP(v: u32): u32 {
  let out: u32 = 0;
  for (let i = 0; i < 32; i++) {
    const src = <u32>load<u8>(PERM_P + <usize>i);
    out |= ((v >>> (32 - src)) & 1) << (31 - i);
  }
  return out;
}

/** Word (0 or 1) and bit position of round-key bit m (0-based) in the packed layout. */
function keyBitPos(m: i32): i32 {
  const g = m / 6; // S-box group 0..7
  const b = m % 6; // bit within the group, 0 = most significant
  // Even groups go to word 0, odd groups to word 1; slot g>>1 sits at bit offset 26 - 8*slot.
  return ((g & 1) << 8) | (26 - 8 * (g >> 1) + 5 - b);
}

function initTables(): void {
  // Combined S-box + P tables. The S-box row is the outer bits b1 b6 of the 6-bit input and
  // the column the middle four (FIPS 46-3); Sj's 4-bit output is bits 4j+1..4j+4 before P.
  for (let j = 0; j < 8; j++) {
    for (let x = 0; x < 64; x++) {
      const row = ((x >> 4) & 2) | (x & 1);
      const col = (x >> 1) & 15;
      const s = <u32>load<u8>(SBOX + <usize>(j * 64 + row * 16 + col));
      store<u32>(SP + <usize>((j * 64 + x) * 4), permP(s << (28 - 4 * j)));
    }
  }
  // PC1 nibble tables.
  memory.fill(PC1T, 0, 16 * 16 * 8);
  for (let i = 0; i < 56; i++) {
    const src = <i32>load<u8>(PC1 + <usize>i) - 1; // 0..63, MSB of byte 0 first
    const nibble = src >> 2;
    const bitInNibble = 3 - (src & 3);
    // C0 takes PC1 entries 0..27 and D0 entries 28..55, each as a 28-bit value, MSB first.
    const word = <usize>(i < 28 ? 0 : 4);
    const bit: u32 = 1 << (<u32>(27 - (i < 28 ? i : i - 28)));
    for (let v = 0; v < 16; v++) {
      if (((v >> bitInNibble) & 1) != 0) {
        const p = PC1T + <usize>((nibble * 16 + v) * 8) + word;
        store<u32>(p, load<u32>(p) | bit);
      }
    }
  }
  // PC2 slice tables.
  memory.fill(PC2T, 0, 8 * 128 * 8);
  for (let m = 0; m < 48; m++) {
    let src = <i32>load<u8>(PC2 + <usize>m); // 1..56 over C||D
    let half = 0;
    if (src > 28) {
      src -= 28;
      half = 1;
    }
    const slice = half * 4 + (src - 1) / 7;
    const bitInSlice = 6 - ((src - 1) % 7); // 7-bit slice value, MSB first
    const pos = keyBitPos(m);
    const word = <usize>((pos >> 8) * 4);
    const bit: u32 = 1 << (<u32>(pos & 31));
    for (let v = 0; v < 128; v++) {
      if (((v >> bitInSlice) & 1) != 0) {
        const p = PC2T + <usize>((slice * 128 + v) * 8) + word;
        store<u32>(p, load<u32>(p) | bit);
      }
    }
  }
}

initTables();

/** 28-bit rotate left (C and D registers of the key schedule). */
function rotl28(x: u32, s: u32): u32 {
  return ((x << s) | (x >>> (28 - s))) & 0x0fffffff;
}

function pc2Slice(slice: i32, v: u32): usize {
  return PC2T + <usize>(slice * 1024) + ((<usize>v) << 3);
}

/**
 * Writes the 16 round keys of one DES key (8 bytes at key) to out, 8 bytes per round, in
 * order 1..16 when forward, else 16..1 (the decryption order, FIPS 46-3).
 */
function desSchedule(key: usize, out: usize, forward: bool): void {
  // PC1 through the nibble tables: two loads per key nibble.
  let c: u32 = 0;
  let d: u32 = 0;
  for (let n = 0; n < 8; n++) {
    const b = <u32>load<u8>(key + <usize>n);
    const hi = PC1T + <usize>(n * 256) + ((<usize>(b >>> 4)) << 3);
    const lo = PC1T + <usize>(n * 256 + 128) + ((<usize>(b & 15)) << 3);
    c |= load<u32>(hi) | load<u32>(lo);
    d |= load<u32>(hi, 4) | load<u32>(lo, 4);
  }
  for (let r = 0; r < 16; r++) {
    const s = <u32>load<u8>(SHIFTS + <usize>r);
    c = rotl28(c, s);
    d = rotl28(d, s);
    const p0 = pc2Slice(0, c >>> 21);
    const p1 = pc2Slice(1, (c >>> 14) & 127);
    const p2 = pc2Slice(2, (c >>> 7) & 127);
    const p3 = pc2Slice(3, c & 127);
    const p4 = pc2Slice(4, d >>> 21);
    const p5 = pc2Slice(5, (d >>> 14) & 127);
    const p6 = pc2Slice(6, (d >>> 7) & 127);
    const p7 = pc2Slice(7, d & 127);
    const k0 = load<u32>(p0) | load<u32>(p1) | load<u32>(p2) | load<u32>(p3) | load<u32>(p4) | load<u32>(p5) | load<u32>(p6) | load<u32>(p7);
    const k1 =
      load<u32>(p0, 4) | load<u32>(p1, 4) | load<u32>(p2, 4) | load<u32>(p3, 4) | load<u32>(p4, 4) | load<u32>(p5, 4) | load<u32>(p6, 4) | load<u32>(p7, 4);
    const idx: i32 = forward ? r : 15 - r;
    const dst = out + <usize>(idx * 8);
    store<u32>(dst, k0);
    store<u32>(dst, k1, 4);
  }
}

/** key: 24 bytes (parity bits ignored). */
export function des3SetKey(ks: usize, key: usize): void {
  // Round keys in EDE3 encryption order (SP 800-67 §3.2): E_K1, then D_K2, then E_K3.
  desSchedule(key, ks, true);
  desSchedule(key + 8, ks + 128, false);
  desSchedule(key + 16, ks + 256, true);
}

/**
 * One EDE3 block: IP, 48 rounds, FP. Blocks are big-endian per FIPS 46-3 (bit 1 is the most
 * significant bit of the first byte), hence the byte swaps around the little-endian loads.
 */
function des3Block(ks: usize, src: usize, dst: usize, decrypt: bool): void {
  let l = bswap<u32>(load<u32>(src));
  let r = bswap<u32>(load<u32>(src, 4));
  let t: u32;

  // IP as five delta swaps (checked bit by bit against the FIPS 46-3 IP table).
  t = ((l >>> 4) ^ r) & 0x0f0f0f0f;
  r ^= t;
  l ^= t << 4;
  t = ((l >>> 16) ^ r) & 0x0000ffff;
  r ^= t;
  l ^= t << 16;
  t = ((r >>> 2) ^ l) & 0x33333333;
  l ^= t;
  r ^= t << 2;
  t = ((r >>> 8) ^ l) & 0x00ff00ff;
  l ^= t;
  r ^= t << 8;
  t = ((l >>> 1) ^ r) & 0x55555555;
  r ^= t;
  l ^= t << 1;

  // Three DES stages of 16 rounds, two rounds per step (L ^= f(R), R ^= f(L) alternate, so no
  // per-round swap). Each stage ends with the swap that DES applies before FP (R16 L16);
  // between stages FP and the next IP cancel out. Decryption walks the same 48 round keys
  // from last to first.
  //
  // f(R, K) = P(S(E(R) xor K)) is written out twice below rather than called (AssemblyScript's
  // @inline decorator does not pass the linter, and Binaryen leaves a function this size alone).
  // Two details matter for speed, since a round is a serial dependency chain: the eight SP
  // loads are ORed as a balanced tree (depth 3, not a chain of 7; about 12% faster), and the
  // table base is the load's constant offset rather than an add.
  let k = decrypt ? ks + 376 : ks;
  const step: usize = decrypt ? <usize>-8 : 8;
  for (let stage = 0; stage < 3; stage++) {
    for (let i = 0; i < 8; i++) {
      let x = rotr<u32>(r, 1) ^ load<u32>(k);
      let y = rotl<u32>(r, 3) ^ load<u32>(k, 4);
      l ^=
        load<u32>(<usize>((x >>> 24) & 0xfc), SP) |
        load<u32>(<usize>((y >>> 24) & 0xfc), SP + 256) |
        (load<u32>(<usize>((x >>> 16) & 0xfc), SP + 512) | load<u32>(<usize>((y >>> 16) & 0xfc), SP + 768)) |
        (load<u32>(<usize>((x >>> 8) & 0xfc), SP + 1024) |
          load<u32>(<usize>((y >>> 8) & 0xfc), SP + 1280) |
          (load<u32>(<usize>(x & 0xfc), SP + 1536) | load<u32>(<usize>(y & 0xfc), SP + 1792)));
      k += step;
      x = rotr<u32>(l, 1) ^ load<u32>(k);
      y = rotl<u32>(l, 3) ^ load<u32>(k, 4);
      r ^=
        load<u32>(<usize>((x >>> 24) & 0xfc), SP) |
        load<u32>(<usize>((y >>> 24) & 0xfc), SP + 256) |
        (load<u32>(<usize>((x >>> 16) & 0xfc), SP + 512) | load<u32>(<usize>((y >>> 16) & 0xfc), SP + 768)) |
        (load<u32>(<usize>((x >>> 8) & 0xfc), SP + 1024) |
          load<u32>(<usize>((y >>> 8) & 0xfc), SP + 1280) |
          (load<u32>(<usize>(x & 0xfc), SP + 1536) | load<u32>(<usize>(y & 0xfc), SP + 1792)));
      k += step;
    }
    t = l;
    l = r;
    r = t;
  }

  // FP = IP^-1: the same swaps in reverse order.
  t = ((l >>> 1) ^ r) & 0x55555555;
  r ^= t;
  l ^= t << 1;
  t = ((r >>> 8) ^ l) & 0x00ff00ff;
  l ^= t;
  r ^= t << 8;
  t = ((r >>> 2) ^ l) & 0x33333333;
  l ^= t;
  r ^= t << 2;
  t = ((l >>> 16) ^ r) & 0x0000ffff;
  r ^= t;
  l ^= t << 16;
  t = ((l >>> 4) ^ r) & 0x0f0f0f0f;
  r ^= t;
  l ^= t << 4;

  store<u32>(dst, bswap<u32>(l));
  store<u32>(dst, bswap<u32>(r), 4);
}

export function des3EncryptBlock(ks: usize, src: usize, dst: usize): void {
  des3Block(ks, src, dst, false);
}

export function des3DecryptBlock(ks: usize, src: usize, dst: usize): void {
  des3Block(ks, src, dst, true);
}

/** CBC over len bytes (len % 8 == 0); iv (8 bytes) updated to the last ciphertext block; src may equal dst. */
export function des3CbcEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  // C_i = E(P_i xor C_{i-1}), C_0 = IV (SP 800-38A §6.2). XOR is bytewise, so the words stay in
  // memory order here; the chaining value is the ciphertext just written to dst.
  let v0 = load<u32>(iv);
  let v1 = load<u32>(iv, 4);
  for (let off = 0; off < len; off += 8) {
    const s = src + <usize>off;
    const d = dst + <usize>off;
    store<u32>(d, load<u32>(s) ^ v0);
    store<u32>(d, load<u32>(s, 4) ^ v1, 4);
    des3Block(ks, d, d, false);
    v0 = load<u32>(d);
    v1 = load<u32>(d, 4);
  }
  store<u32>(iv, v0);
  store<u32>(iv, v1, 4);
}

export function des3CbcDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  // P_i = D(C_i) xor C_{i-1} (SP 800-38A §6.2). C_i is saved before the block is decrypted so
  // that src == dst works.
  let v0 = load<u32>(iv);
  let v1 = load<u32>(iv, 4);
  for (let off = 0; off < len; off += 8) {
    const s = src + <usize>off;
    const d = dst + <usize>off;
    const c0 = load<u32>(s);
    const c1 = load<u32>(s, 4);
    des3Block(ks, s, d, true);
    store<u32>(d, load<u32>(d) ^ v0);
    store<u32>(d, load<u32>(d, 4) ^ v1, 4);
    v0 = c0;
    v1 = c1;
  }
  store<u32>(iv, v0);
  store<u32>(iv, v1, 4);
}
