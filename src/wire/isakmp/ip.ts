// Netmasks and address order for ID payloads [RFC 2407 §4.6.2]; the address text itself is
// src/wire/ip-address.ts, shared with the XFRM codec.

/** The prefix length of a contiguous netmask (ones then zeros), or undefined for any other mask. */
const bitSet = (b: Uint8Array, bit: number): boolean => (b[bit >> 3]! & (0x80 >> (bit & 7))) !== 0;

export function prefixFromMask(mask: Uint8Array): number | undefined {
  const bits = mask.length * 8;
  let prefix = 0;
  while (prefix < bits && bitSet(mask, prefix)) prefix++;
  for (let bit = prefix; bit < bits; bit++) if (bitSet(mask, bit)) return undefined;
  return prefix;
}

export function maskFromPrefix(prefix: number, octets: number): Uint8Array {
  const mask = new Uint8Array(octets);
  for (let bit = 0; bit < prefix; bit++) mask[bit >> 3]! |= 0x80 >> (bit & 7);
  return mask;
}

/** Big-endian comparison of two equally long addresses. */
export function compareAddresses(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
