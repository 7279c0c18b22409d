// Textual IP addresses for ID payloads [RFC 2407 §4.6.2]: IPv4 dotted quad, IPv6 in the
// canonical form of RFC 5952 §4 (lowercase, no leading zeros, the longest run of two or more
// zero groups — the first on a tie — as "::") with IPv4-mapped addresses in mixed notation
// (§5). Node's net module validates but does not format 16 raw octets, hence this file.

// Written as loops over the octets, with no closures or intermediate arrays: every ID payload
// decoded or encoded goes through here.

const IPV4_OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

const ipv4Text = (b: Uint8Array, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const groupAt = (b: Uint8Array, i: number): number => (b[2 * i]! << 8) | b[2 * i + 1]!;

export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return ipv4Text(bytes, 0);
  let mapped = groupAt(bytes, 5) === 0xffff;
  for (let i = 0; i < 5 && mapped; i++) mapped = groupAt(bytes, i) === 0;
  if (mapped) return `::ffff:${ipv4Text(bytes, 12)}`;
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groupAt(bytes, j) === 0) j++;
    if (j - i > runLength) [runStart, runLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (i === runStart) {
      text += "::";
      i += runLength - 1;
      continue;
    }
    // The group right after "::" needs no separator of its own.
    if (i > 0 && i !== runStart + runLength) text += ":";
    text += groupAt(bytes, i).toString(16);
  }
  return text;
}

/** Any valid textual form of a 4- or 16-octet address (RFC 4291 §2.2 for IPv6), or undefined. */
export function parseAddress(text: string, octets: 4 | 16): Uint8Array | undefined {
  return octets === 4 ? parseIpv4(text) : parseIpv6(text);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!IPV4_OCTET.test(parts[i]!)) return undefined;
    bytes[i] = Number(parts[i]);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  // An embedded IPv4 tail may only end the address.
  if (halves.length === 2 && halves[0]!.includes(".")) return undefined;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const tail = halves.length === 1 || halves[1] === "" ? [] : halves[1]!.split(":");
  const bytes = new Uint8Array(16);
  // The head's groups start at octet 0; the tail's are written after them, then moved to end at
  // octet 16, and what lies between is the run of zeros "::" stands for.
  const headEnd = writeGroups(head, bytes, 0);
  if (headEnd === undefined) return undefined;
  const tailEnd = writeGroups(tail, bytes, headEnd);
  if (tailEnd === undefined) return undefined;
  const tailLength = tailEnd - headEnd;
  const missing = 16 - headEnd - tailLength;
  if (halves.length === 2 ? missing < 2 : missing !== 0) return undefined;
  bytes.copyWithin(16 - tailLength, headEnd, tailEnd);
  bytes.fill(0, headEnd, 16 - tailLength);
  return bytes;
}

/**
 * Writes hex groups (the last may be a dotted IPv4 address, worth two groups) from octet `at`;
 * returns the octet after them, or undefined for a malformed group or more than 16 octets.
 */
function writeGroups(parts: readonly string[], bytes: Uint8Array, at: number): number | undefined {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const v4 = i === parts.length - 1 && part.includes(".") ? parseIpv4(part) : undefined;
    if (at + (v4 ? 4 : 2) > 16) return undefined;
    if (v4) {
      bytes.set(v4, at);
      at += 4;
    } else if (IPV6_GROUP.test(part)) {
      const g = Number.parseInt(part, 16);
      bytes[at++] = g >> 8;
      bytes[at++] = g & 0xff;
    } else return undefined;
  }
  return at;
}

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
