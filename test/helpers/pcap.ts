// Classic libpcap files for the tshark tests: a writer that wraps UDP payloads in IPv4 or IPv6
// and UDP headers (LINKTYPE_RAW, so no link layer to invent), and a reader that takes the UDP
// datagrams back out of a capture (Ethernet or raw IP), e.g. the racoon2 capture in
// test/interop/racoon2-optimistic/kink.pcap, which is Ethernet.
//
// Formats: pcap file and record headers per the libpcap file format (draft-ietf-opsawg-pcap);
// IPv4 [RFC 791], IPv6 [RFC 8200], UDP [RFC 768] with the pseudo-header checksum (mandatory over
// IPv6 [RFC 8200 §8.1]; computed for IPv4 too, where 0 would also be allowed).
import { writeFileSync } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";

export interface UdpPacket {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Uint8Array;
  /** Capture time in seconds since 1970 (fractions kept to the microsecond); default 0. */
  time?: number;
}

/** A capture file the reader cannot take apart, or an address the writer cannot encode. */
export class PcapError extends Error {
  override name = "PcapError";
}

const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const IPPROTO_UDP = 17;
const UDP_HEADER_LENGTH = 8;
const IPV4_HEADER_LENGTH = 20;
const IPV6_HEADER_LENGTH = 40;

/** Address text to its 4 or 16 network-order octets. */
export function ipBytes(address: string): Uint8Array {
  if (isIPv4(address)) return Uint8Array.from(address.split(".").map(Number));
  if (!isIPv6(address)) throw new PcapError(`not an IP address: ${address}`);
  // "::" stands for as many zero groups as the 8 need; an embedded dotted quad is 2 groups.
  const [head = "", tail] = address.split("::");
  const groups = (part: string) =>
    part === ""
      ? []
      : part.split(":").flatMap((g) => {
          if (!g.includes(".")) return [Number.parseInt(g, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = g.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** RFC 1071 one's-complement sum of 16-bit words, folded and inverted. */
function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += 2) sum += (part[i]! << 8) | (part[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function udpDatagram(p: UdpPacket, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const length = UDP_HEADER_LENGTH + p.payload.length;
  const udp = new Uint8Array(length);
  const view = new DataView(udp.buffer);
  view.setUint16(0, p.sport);
  view.setUint16(2, p.dport);
  view.setUint16(4, length);
  udp.set(p.payload, UDP_HEADER_LENGTH);
  // Pseudo-header: addresses, then protocol and length (as IPv4 and IPv6 both lay them out for the sum).
  const pseudo = new Uint8Array(8);
  new DataView(pseudo.buffer).setUint32(0, length);
  pseudo[7] = IPPROTO_UDP;
  // Only the last part may have odd length (the sum pads it with a zero octet).
  view.setUint16(6, internetChecksum(src, dst, pseudo, udp) || 0xffff);
  return udp;
}

function ipPacket(p: UdpPacket): Uint8Array {
  const src = ipBytes(p.src);
  const dst = ipBytes(p.dst);
  if (src.length !== dst.length) throw new PcapError(`mixed address families: ${p.src} → ${p.dst}`);
  const udp = udpDatagram(p, src, dst);
  if (src.length === 4) {
    const ip = new Uint8Array(IPV4_HEADER_LENGTH + udp.length);
    const view = new DataView(ip.buffer);
    ip[0] = 0x45; // version 4, 5 words of header
    view.setUint16(2, ip.length);
    ip[8] = 64; // TTL
    ip[9] = IPPROTO_UDP;
    ip.set(src, 12);
    ip.set(dst, 16);
    view.setUint16(10, internetChecksum(ip.subarray(0, IPV4_HEADER_LENGTH)));
    ip.set(udp, IPV4_HEADER_LENGTH);
    return ip;
  }
  const ip = new Uint8Array(IPV6_HEADER_LENGTH + udp.length);
  const view = new DataView(ip.buffer);
  ip[0] = 0x60; // version 6
  view.setUint16(4, udp.length);
  ip[6] = IPPROTO_UDP;
  ip[7] = 64; // hop limit
  ip.set(src, 8);
  ip.set(dst, 24);
  ip.set(udp, IPV6_HEADER_LENGTH);
  return ip;
}

/** The pcap file (little-endian headers, microsecond timestamps, LINKTYPE_RAW) as bytes. */
export function pcapBytes(packets: UdpPacket[]): Uint8Array {
  const records = packets.map((p) => {
    const ip = ipPacket(p);
    const record = new Uint8Array(16 + ip.length);
    const view = new DataView(record.buffer);
    const micros = Math.round((p.time ?? 0) * 1e6);
    view.setUint32(0, Math.floor(micros / 1e6), true);
    view.setUint32(4, micros % 1e6, true);
    view.setUint32(8, ip.length, true);
    view.setUint32(12, ip.length, true);
    record.set(ip, 16);
    return record;
  });
  const header = new Uint8Array(24);
  const view = new DataView(header.buffer);
  view.setUint32(0, PCAP_MAGIC_MICROSECONDS, true);
  view.setUint16(4, 2, true); // version 2.4
  view.setUint16(6, 4, true);
  view.setUint32(16, 0xffff, true); // snaplen
  view.setUint32(20, LINKTYPE_RAW, true);
  return Buffer.concat([header, ...records]);
}

export function writePcap(path: string, packets: UdpPacket[]): void {
  writeFileSync(path, pcapBytes(packets));
}

function ipToText(b: Uint8Array): string {
  if (b.length === 4) return b.join(".");
  const groups = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  // The first longest run of two or more zero groups becomes "::" [RFC 5952 §4.2].
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > runLength) [runStart, runLength] = [i, j - i];
    i = j + 1;
  }
  const hex = groups.map((g) => g.toString(16));
  if (runStart < 0) return hex.join(":");
  return `${hex.slice(0, runStart).join(":")}::${hex.slice(runStart + runLength).join(":")}`;
}

/** UDP datagrams of an IPv4/IPv6 packet (null for anything else: other protocols, fragments). */
function udpFromIp(ip: Uint8Array, time: number): UdpPacket | null {
  const view = new DataView(ip.buffer, ip.byteOffset, ip.length);
  const version = ip[0]! >> 4;
  let src: Uint8Array;
  let dst: Uint8Array;
  let udpOffset: number;
  if (version === 4) {
    const fragment = view.getUint16(6) & 0x3fff; // MF flag or a fragment offset
    if (ip[9] !== IPPROTO_UDP || fragment !== 0) return null;
    src = ip.subarray(12, 16);
    dst = ip.subarray(16, 20);
    udpOffset = (ip[0]! & 0x0f) * 4;
  } else if (version === 6) {
    if (ip[6] !== IPPROTO_UDP) return null; // extension headers are not needed here
    src = ip.subarray(8, 24);
    dst = ip.subarray(24, 40);
    udpOffset = IPV6_HEADER_LENGTH;
  } else {
    return null;
  }
  const udpLength = view.getUint16(udpOffset + 4);
  if (udpOffset + udpLength > ip.length) throw new PcapError("UDP length runs past the captured packet");
  return {
    src: ipToText(src),
    dst: ipToText(dst),
    sport: view.getUint16(udpOffset),
    dport: view.getUint16(udpOffset + 2),
    payload: ip.slice(udpOffset + UDP_HEADER_LENGTH, udpOffset + udpLength),
    time,
  };
}

/** Every UDP datagram in a classic pcap file whose link type is Ethernet or raw IP. */
export function readPcapUdp(file: Uint8Array): UdpPacket[] {
  const view = new DataView(file.buffer, file.byteOffset, file.length);
  if (file.length < 24) throw new PcapError("shorter than a pcap file header");
  const magicLittle = view.getUint32(0, true);
  const magicBig = view.getUint32(0, false);
  const little = magicLittle === PCAP_MAGIC_MICROSECONDS || magicLittle === PCAP_MAGIC_NANOSECONDS;
  const magic = little ? magicLittle : magicBig;
  if (magic !== PCAP_MAGIC_MICROSECONDS && magic !== PCAP_MAGIC_NANOSECONDS) throw new PcapError("not a classic pcap file");
  const fractionScale = magic === PCAP_MAGIC_NANOSECONDS ? 1e9 : 1e6;
  const linktype = view.getUint32(20, little);
  if (linktype !== LINKTYPE_ETHERNET && linktype !== LINKTYPE_RAW) throw new PcapError(`link type ${linktype} not supported`);
  const out: UdpPacket[] = [];
  for (let offset = 24; offset < file.length; ) {
    if (offset + 16 > file.length) throw new PcapError(`record header cut short at ${offset}`);
    const time = view.getUint32(offset, little) + view.getUint32(offset + 4, little) / fractionScale;
    const captured = view.getUint32(offset + 8, little);
    const frame = file.subarray(offset + 16, offset + 16 + captured);
    if (frame.length !== captured) throw new PcapError(`record at ${offset} cut short`);
    offset += 16 + captured;
    let ip = frame;
    if (linktype === LINKTYPE_ETHERNET) {
      const ethertype = (frame[12]! << 8) | frame[13]!;
      if (ethertype !== ETHERTYPE_IPV4 && ethertype !== ETHERTYPE_IPV6) continue;
      ip = frame.subarray(14);
    }
    const udp = udpFromIp(ip, time);
    if (udp) out.push(udp);
  }
  return out;
}
