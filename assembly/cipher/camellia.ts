// Camellia (RFC 3713) with CBC, CTS (as RFC 6803 uses it) and CMAC (NIST SP 800-38B).
//
// Representation. RFC 3713 is written in big-endian 64-bit halves (D1 = left, D2 = right);
// WASM is little-endian, so each 64-bit half is loaded with one bswap and from then on every
// value (data halves, subkeys, sigma constants) is a plain u64 whose high 32 bits are the
// first four octets. Only block input/output and the CMAC subkeys touch octet order.
//
// F-function. RFC 3713 §2.4.1 defines F as P(S(x ^ k)) with eight S-box lookups and the byte
// mixing P. P splits into a part fed by the left input word (t1..t4) and a part fed by the
// right word (t5..t8):
//   D = contributions of t1..t4 to (y1..y4), U = contributions of t5..t8 to (y1..y4);
//   t5..t8 contribute the same U to (y5..y8), and t1..t4 contribute D ^ (D >>> 8) there.
// Each of D and U is four lookups in 32-bit "SP" tables that already hold S-box output copied
// into the octets P sends it to, so F costs 8 lookups and a handful of XORs. The tables are
// computed once at module start from SBOX1 (the other three S-boxes are rotations of it,
// RFC 3713 §2.4.3). Table lookups are data dependent; like every table-based block cipher this
// is not hardened against cache-timing observers sharing the host.

/**
 * Layout of an expanded key (all offsets in bytes):
 *   0   u32 number of 6-round groups (3 for 128-bit keys, 4 for 192/256-bit keys)
 *   16  subkeys as u64 values in encryption order: kw1 kw2 | k1..k6 | ke1 ke2 | k7..k12 |
 *       ke3 ke4 | k13..k18 | (ke5 ke6 | k19..k24) | kw3 kw4 -- 26 or 34 entries.
 *       Decryption walks the same list backwards (RFC 3713 §2.3.3: decryption is encryption
 *       with the subkeys in reverse order), so one list serves both directions.
 *   288 CMAC subkey K1 (16 octets, as octets)  -- SP 800-38B §6.1
 *   304 CMAC subkey K2 (16 octets, as octets)
 */
export const CAMELLIA_KS_SIZE: usize = 320;

const KS_GROUPS: usize = 0;
const KS_SUB: usize = 16;
const KS_K1: usize = 288;
const KS_K2: usize = 304;

// RFC 3713 §2.4.3, SBOX1; SBOX2..4 are derived from it (same section).
// biome-ignore format: 16 per row mirrors the RFC table
const SBOX1 = memory.data<u8>([
  112, 130, 44, 236, 179, 39, 192, 229, 228, 133, 87, 53, 234, 12, 174, 65,
  35, 239, 107, 147, 69, 25, 165, 33, 237, 14, 79, 78, 29, 101, 146, 189,
  134, 184, 175, 143, 124, 235, 31, 206, 62, 48, 220, 95, 94, 197, 11, 26,
  166, 225, 57, 202, 213, 71, 93, 61, 217, 1, 90, 214, 81, 86, 108, 77,
  139, 13, 154, 102, 251, 204, 176, 45, 116, 18, 43, 32, 240, 177, 132, 153,
  223, 76, 203, 194, 52, 126, 118, 5, 109, 183, 169, 49, 209, 23, 4, 215,
  20, 88, 58, 97, 222, 27, 17, 28, 50, 15, 156, 22, 83, 24, 242, 34,
  254, 68, 207, 178, 195, 181, 122, 145, 36, 8, 232, 168, 96, 252, 105, 80,
  170, 208, 160, 125, 161, 137, 98, 151, 84, 91, 30, 149, 224, 255, 100, 210,
  16, 196, 0, 72, 163, 247, 117, 219, 138, 3, 230, 218, 9, 63, 221, 148,
  135, 92, 131, 2, 205, 74, 144, 51, 115, 103, 246, 243, 157, 127, 191, 226,
  82, 155, 216, 38, 200, 55, 198, 59, 129, 150, 111, 75, 19, 190, 99, 46,
  233, 121, 167, 140, 159, 110, 188, 142, 41, 245, 249, 182, 47, 253, 180, 89,
  120, 152, 6, 106, 231, 70, 113, 186, 212, 37, 171, 66, 136, 162, 141, 250,
  114, 7, 185, 85, 248, 238, 172, 10, 54, 73, 42, 104, 60, 56, 241, 164,
  64, 40, 211, 123, 187, 201, 67, 193, 21, 227, 173, 244, 119, 199, 128, 158,
]);

// SP tables, 256 u32 each. Octet 0 of a word here means its most significant octet (y1 / y5).
//   SP1[x] = s1(x) in octets 0,1,2   (t1 feeds y1,y2,y3; t8 feeds y1,y2,y3 / y5,y6,y7)
//   SP2[x] = s2(x) in octets 1,2,3   (t2 feeds y2,y3,y4; t5 likewise)
//   SP3[x] = s3(x) in octets 0,2,3   (t3 feeds y1,y3,y4; t6 likewise)
//   SP4[x] = s4(x) in octets 0,1,3   (t4 feeds y1,y2,y4; t7 likewise)
// These octet sets are read off the P equations of RFC 3713 §2.4.1.
const SP: usize = memory.data(4 * 1024, 16);
const SP1: usize = SP;
const SP2: usize = SP + 1024;
const SP3: usize = SP + 2048;
const SP4: usize = SP + 3072;

function initTables(): void {
  for (let x: u32 = 0; x < 256; x++) {
    const s1 = <u32>load<u8>(SBOX1 + <usize>x);
    const s2 = ((s1 << 1) | (s1 >> 7)) & 0xff; // SBOX2[x] = SBOX1[x] <<< 1
    const s3 = ((s1 >> 1) | (s1 << 7)) & 0xff; // SBOX3[x] = SBOX1[x] <<< 7
    const s4 = <u32>load<u8>(SBOX1 + <usize>(((x << 1) | (x >> 7)) & 0xff)); // SBOX4[x] = SBOX1[x <<< 1]
    store<u32>(SP1 + ((<usize>x) << 2), (s1 << 24) | (s1 << 16) | (s1 << 8));
    store<u32>(SP2 + ((<usize>x) << 2), (s2 << 16) | (s2 << 8) | s2);
    store<u32>(SP3 + ((<usize>x) << 2), (s3 << 24) | (s3 << 8) | s3);
    store<u32>(SP4 + ((<usize>x) << 2), (s4 << 24) | (s4 << 16) | s4);
  }
}
initTables();

// Key-schedule constants Sigma1..Sigma6, RFC 3713 §2.2.
const SIGMA1: u64 = ((<u64>0xa09e667f) << 32) | 0x3bcc908b;
const SIGMA2: u64 = ((<u64>0xb67ae858) << 32) | 0x4caa73b2;
const SIGMA3: u64 = ((<u64>0xc6ef372f) << 32) | 0xe94f82be;
const SIGMA4: u64 = ((<u64>0x54ff53a5) << 32) | 0xf1d36f1c;
const SIGMA5: u64 = ((<u64>0x10e527fa) << 32) | 0xde682d1d;
const SIGMA6: u64 = ((<u64>0xb05688c2) << 32) | 0xb3e6c1fd;

// Round functions. They live in a class only because AssemblyScript's @inline decorator is
// written on class members in syntax the TypeScript tooling (biome) parses; without it binaryen
// leaves F out of line and the hot loop pays a call per round.
// biome-ignore lint/complexity/noStaticOnlyClass: namespace for @inline round functions
class R {
  /** F(x, k), RFC 3713 §2.4.1, via the SP tables (see the header comment for the D/U split). */
  @inline static f(x: u64, k: u64): u64 {
    x ^= k;
    const a = <u32>(x >>> 32);
    const b = <u32>x;
    const d =
      load<u32>(SP1 + ((<usize>(a >>> 24)) << 2)) ^
      load<u32>(SP2 + ((<usize>((a >>> 16) & 0xff)) << 2)) ^
      load<u32>(SP3 + ((<usize>((a >>> 8) & 0xff)) << 2)) ^
      load<u32>(SP4 + ((<usize>(a & 0xff)) << 2));
    const u =
      load<u32>(SP2 + ((<usize>(b >>> 24)) << 2)) ^
      load<u32>(SP3 + ((<usize>((b >>> 16) & 0xff)) << 2)) ^
      load<u32>(SP4 + ((<usize>((b >>> 8) & 0xff)) << 2)) ^
      load<u32>(SP1 + ((<usize>(b & 0xff)) << 2));
    const yl = d ^ u;
    const yr = yl ^ rotr<u32>(d, 8);
    return ((<u64>yl) << 32) | <u64>yr;
  }

  /** FL, RFC 3713 §2.4.2. */
  @inline static fl(x: u64, k: u64): u64 {
    let x1 = <u32>(x >>> 32);
    let x2 = <u32>x;
    x2 ^= rotl<u32>(x1 & <u32>(k >>> 32), 1);
    x1 ^= x2 | <u32>k;
    return ((<u64>x1) << 32) | <u64>x2;
  }

  /** FL^-1, RFC 3713 §2.4.2. */
  @inline static flInv(y: u64, k: u64): u64 {
    let y1 = <u32>(y >>> 32);
    let y2 = <u32>y;
    y1 ^= y2 | <u32>k;
    y2 ^= rotl<u32>(y1 & <u32>(k >>> 32), 1);
    return ((<u64>y1) << 32) | <u64>y2;
  }
}

// Result of core(): the output block as two big-endian-valued halves.
let outHi: u64 = 0;
let outLo: u64 = 0;

/**
 * One block through the data randomizing part (RFC 3713 §2.3.1 for 18 rounds, §2.3.2 for 24). The input is
 * (hi, lo) = (D1, D2) as values; the result lands in outHi/outLo. Decryption is the same
 * network with the subkey list read backwards and the whitening pairs exchanged
 * (kw1<->kw3, kw2<->kw4), exactly the substitution RFC 3713 §2.3.3 prescribes.
 */
function core(ks: usize, hi: u64, lo: u64, decrypt: bool): void {
  const groups = <i32>load<u32>(ks + KS_GROUPS);
  const sub = ks + KS_SUB;
  const last = sub + ((<usize>(groups * 8)) << 3); // kw3 (kw4 follows): 8 * groups + 2 entries in all
  let pre = sub;
  let post = last;
  let p = sub + 16; // k1
  let step: isize = 8;
  if (decrypt) {
    pre = last;
    post = sub;
    p = last - 8; // k18 or k24
    step = -8;
  }
  let d1 = hi ^ load<u64>(pre);
  let d2 = lo ^ load<u64>(pre + 8);
  for (let g = 0; g < groups; g++) {
    if (g > 0) {
      // FL/FL^-1 layer between each group of six rounds.
      d1 = R.fl(d1, load<u64>(p));
      p += step;
      d2 = R.flInv(d2, load<u64>(p));
      p += step;
    }
    d2 ^= R.f(d1, load<u64>(p));
    p += step;
    d1 ^= R.f(d2, load<u64>(p));
    p += step;
    d2 ^= R.f(d1, load<u64>(p));
    p += step;
    d1 ^= R.f(d2, load<u64>(p));
    p += step;
    d2 ^= R.f(d1, load<u64>(p));
    p += step;
    d1 ^= R.f(d2, load<u64>(p));
    p += step;
  }
  // Final swap and post-whitening: C = (D2 ^ kw3) || (D1 ^ kw4).
  outHi = d2 ^ load<u64>(post);
  outLo = d1 ^ load<u64>(post + 8);
}

// 128-bit left rotation of (h, l) by n (0..127), RFC 3713's "<<<" on KL/KR/KA/KB.
function rotHi(h: u64, l: u64, n: i32): u64 {
  if (n >= 64) {
    const t = h;
    h = l;
    l = t;
    n -= 64;
  }
  if (n == 0) return h;
  return (h << (<u64>n)) | (l >>> <u64>(64 - n));
}

function rotLo(h: u64, l: u64, n: i32): u64 {
  if (n >= 64) {
    const t = h;
    h = l;
    l = t;
    n -= 64;
  }
  if (n == 0) return l;
  return (l << (<u64>n)) | (h >>> <u64>(64 - n));
}

/** Writes (X <<< n) as two consecutive subkeys starting at list index i. */
function putRot(sub: usize, i: i32, h: u64, l: u64, n: i32): void {
  store<u64>(sub + ((<usize>i) << 3), rotHi(h, l, n));
  store<u64>(sub + ((<usize>(i + 1)) << 3), rotLo(h, l, n));
}

/** CMAC subkey doubling in GF(2^128), SP 800-38B §6.1: shift left, XOR Rb = 0x87 on carry. */
function dbl(srcHi: u64, srcLo: u64, dst: usize): void {
  const carry = srcHi >>> 63;
  const hi = (srcHi << 1) | (srcLo >>> 63);
  const lo = (srcLo << 1) ^ (0x87 & (0 - carry));
  store<u64>(dst, bswap<u64>(hi));
  store<u64>(dst + 8, bswap<u64>(lo));
}

/** keyLen: 16, 24 or 32. Also precomputes the CMAC subkeys. */
export function camelliaSetKey(ks: usize, key: usize, keyLen: i32): void {
  assert(keyLen == 16 || keyLen == 24 || keyLen == 32, "camellia key length");
  // RFC 3713 §2.2: KL is the first 128 bits; KR is the rest (zero for 128-bit keys, and for
  // 192-bit keys the 64 given bits followed by their complement).
  const klh = bswap<u64>(load<u64>(key));
  const kll = bswap<u64>(load<u64>(key + 8));
  let krh: u64 = 0;
  let krl: u64 = 0;
  if (keyLen == 24) {
    krh = bswap<u64>(load<u64>(key + 16));
    krl = ~krh;
  } else if (keyLen == 32) {
    krh = bswap<u64>(load<u64>(key + 16));
    krl = bswap<u64>(load<u64>(key + 24));
  }
  // KA from KL and KR with four F rounds (RFC 3713 §2.2).
  let d1 = klh ^ krh;
  let d2 = kll ^ krl;
  d2 ^= R.f(d1, SIGMA1);
  d1 ^= R.f(d2, SIGMA2);
  d1 ^= klh;
  d2 ^= kll;
  d2 ^= R.f(d1, SIGMA3);
  d1 ^= R.f(d2, SIGMA4);
  const kah = d1;
  const kal = d2;

  const sub = ks + KS_SUB;
  if (keyLen == 16) {
    // 18-round schedule, RFC 3713 §2.2 (first table).
    store<u32>(ks + KS_GROUPS, 3);
    putRot(sub, 0, klh, kll, 0); // kw1, kw2
    putRot(sub, 2, kah, kal, 0); // k1, k2
    putRot(sub, 4, klh, kll, 15); // k3, k4
    putRot(sub, 6, kah, kal, 15); // k5, k6
    putRot(sub, 8, kah, kal, 30); // ke1, ke2
    putRot(sub, 10, klh, kll, 45); // k7, k8
    putRot(sub, 12, kah, kal, 45); // k9 (k10 overwritten next)
    store<u64>(sub + (13 << 3), rotLo(klh, kll, 60)); // k10 = (KL <<< 60) & MASK64
    putRot(sub, 14, kah, kal, 60); // k11, k12
    putRot(sub, 16, klh, kll, 77); // ke3, ke4
    putRot(sub, 18, klh, kll, 94); // k13, k14
    putRot(sub, 20, kah, kal, 94); // k15, k16
    putRot(sub, 22, klh, kll, 111); // k17, k18
    putRot(sub, 24, kah, kal, 111); // kw3, kw4
  } else {
    // KB from KA and KR with two more F rounds, then the 24-round schedule (second table).
    d1 = kah ^ krh;
    d2 = kal ^ krl;
    d2 ^= R.f(d1, SIGMA5);
    d1 ^= R.f(d2, SIGMA6);
    const kbh = d1;
    const kbl = d2;
    store<u32>(ks + KS_GROUPS, 4);
    putRot(sub, 0, klh, kll, 0); // kw1, kw2
    putRot(sub, 2, kbh, kbl, 0); // k1, k2
    putRot(sub, 4, krh, krl, 15); // k3, k4
    putRot(sub, 6, kah, kal, 15); // k5, k6
    putRot(sub, 8, krh, krl, 30); // ke1, ke2
    putRot(sub, 10, kbh, kbl, 30); // k7, k8
    putRot(sub, 12, klh, kll, 45); // k9, k10
    putRot(sub, 14, kah, kal, 45); // k11, k12
    putRot(sub, 16, klh, kll, 60); // ke3, ke4
    putRot(sub, 18, krh, krl, 60); // k13, k14
    putRot(sub, 20, kbh, kbl, 60); // k15, k16
    putRot(sub, 22, klh, kll, 77); // k17, k18
    putRot(sub, 24, kah, kal, 77); // ke5, ke6
    putRot(sub, 26, krh, krl, 94); // k19, k20
    putRot(sub, 28, kah, kal, 94); // k21, k22
    putRot(sub, 30, klh, kll, 111); // k23, k24
    putRot(sub, 32, kbh, kbl, 111); // kw3, kw4
  }

  // CMAC subkeys (SP 800-38B §6.1): L = E_K(0^128), K1 = dbl(L), K2 = dbl(K1). Precomputed
  // here because RFC 6803 keys Ki/Kc are long-lived and every checksum needs one of them.
  core(ks, 0, 0, false);
  dbl(outHi, outLo, ks + KS_K1);
  dbl(bswap<u64>(load<u64>(ks + KS_K1)), bswap<u64>(load<u64>(ks + KS_K1 + 8)), ks + KS_K2);
}

export function camelliaEncryptBlock(ks: usize, src: usize, dst: usize): void {
  core(ks, bswap<u64>(load<u64>(src)), bswap<u64>(load<u64>(src + 8)), false);
  store<u64>(dst, bswap<u64>(outHi));
  store<u64>(dst + 8, bswap<u64>(outLo));
}

export function camelliaDecryptBlock(ks: usize, src: usize, dst: usize): void {
  core(ks, bswap<u64>(load<u64>(src)), bswap<u64>(load<u64>(src + 8)), true);
  store<u64>(dst, bswap<u64>(outHi));
  store<u64>(dst + 8, bswap<u64>(outLo));
}

/**
 * CBC over len bytes (len % 16 == 0). iv (16 bytes) is updated to the last ciphertext block.
 * src may equal dst: each block is read before its output is written.
 */
export function camelliaCbcEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  assert(len % 16 == 0, "camellia-cbc length");
  let ch = bswap<u64>(load<u64>(iv));
  let cl = bswap<u64>(load<u64>(iv + 8));
  for (let off: usize = 0; off < <usize>len; off += 16) {
    core(ks, ch ^ bswap<u64>(load<u64>(src + off)), cl ^ bswap<u64>(load<u64>(src + off + 8)), false);
    ch = outHi;
    cl = outLo;
    store<u64>(dst + off, bswap<u64>(ch));
    store<u64>(dst + off + 8, bswap<u64>(cl));
  }
  store<u64>(iv, bswap<u64>(ch));
  store<u64>(iv + 8, bswap<u64>(cl));
}

export function camelliaCbcDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  assert(len % 16 == 0, "camellia-cbc length");
  let ph = bswap<u64>(load<u64>(iv));
  let pl = bswap<u64>(load<u64>(iv + 8));
  for (let off: usize = 0; off < <usize>len; off += 16) {
    const ch = bswap<u64>(load<u64>(src + off));
    const cl = bswap<u64>(load<u64>(src + off + 8));
    core(ks, ch, cl, true);
    store<u64>(dst + off, bswap<u64>(outHi ^ ph));
    store<u64>(dst + off + 8, bswap<u64>(outLo ^ pl));
    ph = ch;
    pl = cl;
  }
  store<u64>(iv, bswap<u64>(ph));
  store<u64>(iv + 8, bswap<u64>(pl));
}

// 16 octets for partial-block staging in CTS and CMAC (single-threaded module, never reentered).
const TMP: usize = memory.data(16, 16);

/**
 * RFC 3962 §5 CBC ciphertext stealing, which RFC 6803 adopts for camellia*-cts-cmac
 * (NIST SP 800-38A Addendum's CBC-CS3: the last two blocks are always swapped, even when the
 * input is a whole number of blocks). len >= 16; len == 16 is one plain CBC block.
 *
 * With n = ceil(len / 16) and r = len - 16(n - 1) octets in the last block:
 *   C[1..n-2] = ordinary CBC;  C[n-1] = E(P[n-1] ^ C[n-2]);  C[n] = E(pad0(P[n]) ^ C[n-1]);
 *   output = C[1..n-2] || C[n] || first r octets of C[n-1].
 * The next cipher state (RFC 3962 §5 "cipher state") is C[n], i.e. the last full ciphertext
 * block of the output; iv is updated to it. src may equal dst.
 */
export function camelliaCtsEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  assert(len >= 16, "camellia-cts length");
  if (len == 16) {
    camelliaCbcEncrypt(ks, iv, src, dst, 16);
    return;
  }
  const n = (len + 15) >> 4;
  const r = len - ((n - 1) << 4);
  const head = (n - 2) << 4;
  // Plain CBC for all but the final two blocks; leaves C[n-2] in iv.
  if (head > 0) camelliaCbcEncrypt(ks, iv, src, dst, head);
  const pn1 = src + <usize>head;
  const pn = pn1 + 16;
  // C[n-1]
  core(ks, bswap<u64>(load<u64>(iv)) ^ bswap<u64>(load<u64>(pn1)), bswap<u64>(load<u64>(iv + 8)) ^ bswap<u64>(load<u64>(pn1 + 8)), false);
  const c1h = outHi;
  const c1l = outLo;
  // C[n] = E(pad0(P[n]) ^ C[n-1]); read P[n] before anything is written over it.
  store<u64>(TMP, 0);
  store<u64>(TMP + 8, 0);
  memory.copy(TMP, pn, <usize>r);
  core(ks, c1h ^ bswap<u64>(load<u64>(TMP)), c1l ^ bswap<u64>(load<u64>(TMP + 8)), false);
  const out = dst + <usize>head;
  store<u64>(TMP, bswap<u64>(c1h));
  store<u64>(TMP + 8, bswap<u64>(c1l));
  store<u64>(out, bswap<u64>(outHi));
  store<u64>(out + 8, bswap<u64>(outLo));
  memory.copy(out + 16, TMP, <usize>r);
  store<u64>(iv, bswap<u64>(outHi));
  store<u64>(iv + 8, bswap<u64>(outLo));
}

/** Inverse of camelliaCtsEncrypt; iv ends as the same cipher state (C[n]) on both sides. */
export function camelliaCtsDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  assert(len >= 16, "camellia-cts length");
  if (len == 16) {
    camelliaCbcDecrypt(ks, iv, src, dst, 16);
    return;
  }
  const n = (len + 15) >> 4;
  const r = len - ((n - 1) << 4);
  const head = (n - 2) << 4;
  if (head > 0) camelliaCbcDecrypt(ks, iv, src, dst, head);
  const cin = src + <usize>head;
  // The full block at position n-1 is C[n]; decrypting it gives pad0(P[n]) ^ C[n-1].
  const cnh = bswap<u64>(load<u64>(cin));
  const cnl = bswap<u64>(load<u64>(cin + 8));
  core(ks, cnh, cnl, true);
  // C[n-1] = its r transmitted octets || the last 16 - r octets of that decryption
  // (P[n] was zero-padded there, so those octets are C[n-1]'s own).
  store<u64>(TMP, bswap<u64>(outHi));
  store<u64>(TMP + 8, bswap<u64>(outLo));
  memory.copy(TMP, cin + 16, <usize>r);
  const c1h = bswap<u64>(load<u64>(TMP));
  const c1l = bswap<u64>(load<u64>(TMP + 8));
  const out = dst + <usize>head;
  // P[n] = first r octets of (D(C[n]) ^ C[n-1]).
  store<u64>(TMP, bswap<u64>(outHi ^ c1h));
  store<u64>(TMP + 8, bswap<u64>(outLo ^ c1l));
  memory.copy(out + 16, TMP, <usize>r);
  // P[n-1] = D(C[n-1]) ^ C[n-2] (C[n-2] is in iv after the CBC head, or the caller's iv).
  core(ks, c1h, c1l, true);
  store<u64>(out, bswap<u64>(outHi ^ bswap<u64>(load<u64>(iv))));
  store<u64>(out + 8, bswap<u64>(outLo ^ bswap<u64>(load<u64>(iv + 8))));
  store<u64>(iv, bswap<u64>(cnh));
  store<u64>(iv + 8, bswap<u64>(cnl));
}

/**
 * CMAC over src[0..len) with the key in ks; writes 16 bytes at dst (SP 800-38B §6.2, the
 * construction RFC 4493 spells out for AES, here with Camellia as RFC 6803 requires).
 * The last block is XORed with K1 if it is complete and non-empty, otherwise it is padded
 * with 0x80 00.. and XORed with K2; the empty message is one padded block.
 */
export function camelliaCmac(ks: usize, src: usize, len: i32, dst: usize): void {
  let xh: u64 = 0;
  let xl: u64 = 0;
  let off: usize = 0;
  const n = <usize>len;
  // Every block but the last goes straight through CBC-MAC.
  while (n - off > 16) {
    core(ks, xh ^ bswap<u64>(load<u64>(src + off)), xl ^ bswap<u64>(load<u64>(src + off + 8)), false);
    xh = outHi;
    xl = outLo;
    off += 16;
  }
  const r = n - off; // 0..16; 0 only when len == 0
  let sub = ks + KS_K1;
  store<u64>(TMP, 0);
  store<u64>(TMP + 8, 0);
  memory.copy(TMP, src + off, r);
  if (r < 16) {
    store<u8>(TMP + r, 0x80);
    sub = ks + KS_K2;
  }
  const mh = bswap<u64>(load<u64>(TMP)) ^ bswap<u64>(load<u64>(sub));
  const ml = bswap<u64>(load<u64>(TMP + 8)) ^ bswap<u64>(load<u64>(sub + 8));
  core(ks, xh ^ mh, xl ^ ml, false);
  store<u64>(dst, bswap<u64>(outHi));
  store<u64>(dst + 8, bswap<u64>(outLo));
}
