// Static arena shared with the TypeScript facade (src/crypto/wasm.ts).
// Nothing in the hot path allocates: the facade copies input into IO, describes
// work in DESC, and reads results back from IO. Key slots live above the static
// data and grow with memory.grow when the facade asks for more.

/** General input/output area for single calls and batches. */
export const IO_SIZE: i32 = 1 << 20;
export const IO: usize = memory.data(IO_SIZE, 16);

/** Batch descriptors: DESC_MAX entries of DESC_SIZE bytes (see krb/batch.ts). */
export const DESC_SIZE: i32 = 32;
export const DESC_MAX: i32 = 1024;
export const DESC: usize = memory.data(DESC_SIZE * DESC_MAX, 16);

/** Random octets supplied by the host (WASM has no entropy source); used for confounders. */
export const RAND_SIZE: i32 = 64 * 1024;
export const RAND: usize = memory.data(RAND_SIZE, 16);

/** Where the host places a base key for slot setup (never in IO, which may hold a batch being built). */
export const KEYIN: usize = memory.data(64, 16);

/**
 * Key slots: one per (base key, usage). Each holds the derived-key material for
 * that usage, ready to use: cipher schedule for Ke, precomputed HMAC/CMAC state
 * for Ki and Kc. Layout in krb/slots.ts.
 */
export const SLOT_SIZE: i32 = 2048;
let slotCapacity: i32 = 0;
const slotBase: usize = (__heap_base + 4095) & ~(<usize>4095);

export function slotPtr(slot: i32): usize {
  return slotBase + <usize>slot * <usize>SLOT_SIZE;
}

export function getSlotCapacity(): i32 {
  return slotCapacity;
}

/** Grows memory so that at least `n` slots exist. Returns the new capacity, or -1 if memory cannot grow. */
export function ensureSlotCapacity(n: i32): i32 {
  if (n <= slotCapacity) return slotCapacity;
  const end = slotBase + <usize>n * <usize>SLOT_SIZE;
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return -1;
  }
  slotCapacity = n;
  return n;
}

/** Constant-time equality of two byte ranges (RFC 3961 §5.3: MAC compare must not leak timing). */
export function ctEqual(a: usize, b: usize, len: i32): bool {
  let d: u32 = 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) d |= load<u32>(a + <usize>i) ^ load<u32>(b + <usize>i);
  for (; i < len; i++) d |= <u32>(load<u8>(a + <usize>i) ^ load<u8>(b + <usize>i));
  return d == 0;
}

/** Zeroes a range (key material being released). */
export function wipe(p: usize, len: i32): void {
  memory.fill(p, 0, <usize>len);
}
