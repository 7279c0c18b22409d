// Textual IPv4/IPv6 addresses to and from the 16-octet xfrm_address_t of linux/xfrm.h (an IPv4
// address fills the first 4 octets). Parsing writes straight into a batch buffer, without
// allocating, because a 100 000-policy batch parses 400 000 of them.

export const AF_INET = 2;
export const AF_INET6 = 10;

/**
 * Writes `text` into `out[at..at+16)` (zero-filled past an IPv4 address) and returns its address
 * family, or 0 when it is not a valid address. IPv6 per RFC 4291 §2.2, including "::" and a
 * dotted IPv4 tail; no zone index.
 */
export function writeAddress(text: string, out: Uint8Array, at: number): number {
  if (text.includes(":")) return writeIpv6(text, out, at);
  if (!writeIpv4(text, out, at)) return 0;
  out.fill(0, at + 4, at + 16);
  return AF_INET;
}

/** Writes the 4 octets of a dotted-quad address at `at`; false if `text` is not one. */
function writeIpv4(text: string, out: Uint8Array, at: number): boolean {
  let octet = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || parts === 4) return false;
      out[at + parts++] = octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      // Leading zeros are refused: inet_pton rejects them and some stacks read them as octal.
      if ((digits > 0 && octet === 0) || ++digits > 3) return false;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return false;
    } else {
      return false;
    }
  }
  return parts === 4;
}

function writeIpv6(text: string, out: Uint8Array, at: number): number {
  const gap = text.indexOf("::");
  if (gap !== -1 && text.indexOf("::", gap + 1) !== -1) return 0;
  const head = gap === -1 ? text : text.slice(0, gap);
  const tail = gap === -1 ? "" : text.slice(gap + 2);
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === "" ? [] : tail.split(":");
  const groups = [...headGroups, ...tailGroups];
  // A dotted IPv4 address may stand for the last two groups (RFC 4291 §2.2 form 3).
  const last = groups[groups.length - 1];
  const dotted = last?.includes(".") === true;
  const count = groups.length + (dotted ? 1 : 0);
  if (gap === -1 ? count !== 8 : count > 7) return 0;
  out.fill(0, at, at + 16);
  let pos = 0;
  const put = (group: string): boolean => {
    if (group.length === 0 || group.length > 4 || !/^[0-9a-fA-F]+$/.test(group)) return false;
    const v = Number.parseInt(group, 16);
    out[at + pos] = v >> 8;
    out[at + pos + 1] = v & 0xff;
    pos += 2;
    return true;
  };
  const putAll = (list: string[], isTail: boolean): boolean => {
    for (const [i, g] of list.entries()) {
      if (isTail && dotted && i === list.length - 1) {
        if (!writeIpv4(g, out, at + pos)) return false;
        pos += 4;
      } else if (!put(g)) {
        return false;
      }
    }
    return true;
  };
  if (gap === -1) return putAll(groups, true) ? AF_INET6 : 0;
  if (!putAll(headGroups, false)) return 0;
  pos = 16 - (tailGroups.length + (dotted ? 1 : 0)) * 2;
  return putAll(tailGroups, true) ? AF_INET6 : 0;
}

/** Formats an address: dotted IPv4, or IPv6 in the RFC 5952 canonical form. */
export function formatAddress(bytes: Uint8Array, at: number, family: number): string {
  if (family === AF_INET) return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[at + 2 * i] as number) << 8) | (bytes[at + 2 * i + 1] as number));
  // RFC 5952 §4.2: the longest run (first if tied) of two or more zero groups becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(":");
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
