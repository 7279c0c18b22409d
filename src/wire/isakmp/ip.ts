// Textual IP addresses for ID payloads [RFC 2407 §4.6.2]: IPv4 dotted quad, IPv6 in the
// canonical form of RFC 5952 §4 (lowercase, no leading zeros, the longest run of two or more
// zero groups — the first on a tie — as "::") with IPv4-mapped addresses in mixed notation
// (§5). Node's net module validates but does not format 16 raw octets, hence this file.

const IPV4_OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${bytes.subarray(12).join(".")}`;
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > runLength) [runStart, runLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (runStart < 0) return hex(groups);
  return `${hex(groups.slice(0, runStart))}::${hex(groups.slice(runStart + runLength))}`;
}

/** Any valid textual form of a 4- or 16-octet address (RFC 4291 §2.2 for IPv6), or undefined. */
export function parseAddress(text: string, octets: 4 | 16): Uint8Array | undefined {
  return octets === 4 ? parseIpv4(text) : parseIpv6(text);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => IPV4_OCTET.test(p))) return undefined;
  return Uint8Array.from(parts, Number);
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (const [i, part] of parts.entries()) {
      const v4 = i === parts.length - 1 && part.includes(".") ? parseIpv4(part) : undefined;
      if (v4) out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      else if (IPV6_GROUP.test(part)) out.push(Number.parseInt(part, 16));
      else return undefined;
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return undefined;
  // An embedded IPv4 tail may only end the address.
  if (halves.length === 2 && halves[0]!.includes(".")) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** The prefix length of a contiguous netmask (ones then zeros), or undefined for any other mask. */
export function prefixFromMask(mask: Uint8Array): number | undefined {
  let prefix = 0;
  while (prefix < mask.length * 8 && (mask[prefix >> 3]! & (0x80 >> (prefix & 7))) !== 0) prefix++;
  return maskFromPrefix(prefix, mask.length).every((b, i) => b === mask[i]) ? prefix : undefined;
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
