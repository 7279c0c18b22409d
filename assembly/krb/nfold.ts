// RFC 3961 §5.1 n-fold: stretch or shrink an octet string to `outLen` octets.
// The input is replicated lcm(inLen, outLen) / inLen times, copy r rotated right by
// 13·r bits; the replicas are cut into outLen-octet chunks that are added as big-endian
// integers with ones'-complement (end-around carry) addition.

const COLS: usize = memory.data(256 * 4, 16);

function gcd(a: i32, b: i32): i32 {
  while (b != 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** outLen ≤ 256; inLen ≥ 1. */
export function nfold(src: usize, inLen: i32, dst: usize, outLen: i32): void {
  const nbits = inLen * 8;
  const lcm = (inLen / gcd(inLen, outLen)) * outLen;
  memory.fill(COLS, 0, <usize>outLen * 4);
  // Walk the lcm octets of the replicated string with running counters (no division in the
  // loop): `a` is the octet index within the current replica, `shift` its rotation (13 bits
  // more per replica, mod nbits) and `col` the output column it adds into.
  let a = 0;
  let shift = 0;
  let col = 0;
  for (let i = 0; i < lcm; i++) {
    // Rotating right by `shift` means bit q of the replica is bit (q - shift) of the input.
    let start = a * 8 - shift;
    if (start < 0) start += nbits;
    // The 8 bits from `start` straddle at most two input octets (indices wrap with the bits).
    const o = start >> 3;
    const r = start & 7;
    let byte = <u32>load<u8>(src + <usize>o);
    if (r != 0) {
      const next = o + 1 == inLen ? 0 : o + 1;
      byte = ((byte << r) | (<u32>load<u8>(src + <usize>next) >> (8 - r))) & 0xff;
    }
    const cp = COLS + <usize>col * 4;
    store<u32>(cp, load<u32>(cp) + byte);
    if (++col == outLen) col = 0;
    if (++a == inLen) {
      a = 0;
      shift += 13;
      while (shift >= nbits) shift -= nbits;
    }
  }
  // Propagate carries from the least significant column; the carry out of the top wraps around.
  let carry: u32 = 0;
  do {
    for (let j = outLen - 1; j >= 0; j--) {
      const cp = COLS + <usize>j * 4;
      const v = load<u32>(cp) + carry;
      store<u32>(cp, v & 0xff);
      carry = v >> 8;
    }
  } while (carry != 0);
  for (let j = 0; j < outLen; j++) store<u8>(dst + <usize>j, <u8>load<u32>(COLS + <usize>j * 4));
}
