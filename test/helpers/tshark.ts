// Runs tshark with the RFC 4430 Lua dissector (contrib/wireshark/kink.lua) and returns, per
// packet, every field occurrence in tree order, the expert infos and whether anything was
// marked malformed. One tshark run per call: batch all packets into one pcap (each run costs
// ~0.3 s of tshark start-up).
//
// tshark comes from Debian's `tshark` package (.ci/run installs it). When it is missing the
// helpers throw a TsharkError naming the package — the tests fail rather than skip.
//
// PDML (-T pdml) is used because it lists every item, nested, with its display string (`show`),
// raw octets (`value`) and position, and puts each expert info's message, severity and owning
// field next to each other.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type UdpPacket, writePcap } from "./pcap.ts";

export const KINK_LUA = fileURLToPath(new URL("../../contrib/wireshark/kink.lua", import.meta.url));

export class TsharkError extends Error {
  override name = "TsharkError";
}

export interface FieldOccurrence {
  /** The tree line, e.g. "Type: CREATE (1)". */
  label: string;
  /** Display value (numbers in decimal, addresses and times as text, bytes colon-separated). */
  show: string;
  /** The field's octets in hex (for masked fields, the masked value). */
  value: string;
  /** Offset in the frame. */
  pos: number;
  size: number;
}

export interface ExpertInfo {
  /** The dissector's expert field (e.g. kink4430.payload_truncated), if it registered one. */
  field: string | null;
  message: string;
  /** "Chat", "Note", "Warning" or "Error". */
  severity: string;
  group: string;
}

export interface DissectedPacket {
  /** Field name → occurrences in tree order; protocols are included (e.g. "kink4430", "kerberos"). */
  fields: Map<string, FieldOccurrence[]>;
  experts: ExpertInfo[];
  /** Wireshark's "_ws.malformed" mark: set by a dissector exception, and by any Malformed-group expert info of severity Error. */
  malformed: boolean;
}

export interface TsharkOptions {
  /** tshark -o preferences, e.g. { "kerberos.decrypt": "TRUE", "kerberos.file": keytabPath }. */
  prefs?: Record<string, string>;
}

const ENTITIES: Record<string, string> = { quot: '"', amp: "&", lt: "<", gt: ">", apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity.startsWith("#x") || entity.startsWith("#X")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number(entity.slice(1)));
    return ENTITIES[entity] ?? whole;
  });
}

/** Packets of a tshark PDML document. tshark writes one tag per line with only these three elements. */
export function parsePdml(pdml: string): DissectedPacket[] {
  const packets: DissectedPacket[] = [];
  let packet: DissectedPacket | undefined;
  // Open <field>/<proto> elements of the current packet; an entry holds the expert info it opened.
  const open: (ExpertInfo | null)[] = [];
  for (const tag of pdml.matchAll(/<(\/?)(packet|proto|field)\b([^>]*?)(\/?)>/g)) {
    const [, closing, element, attributeText = "", selfClosing] = tag;
    if (element === "packet") {
      if (closing) {
        packet = undefined;
      } else {
        packet = { fields: new Map(), experts: [], malformed: false };
        packets.push(packet);
      }
      continue;
    }
    if (!packet) throw new TsharkError("PDML field outside a packet");
    if (closing) {
      open.pop();
      continue;
    }
    const attributes = new Map([...attributeText.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k!, unescapeXml(v!)]));
    const name = attributes.get("name") ?? "";
    const parentExpert = open.at(-1) ?? null;
    let expert: ExpertInfo | null = null;
    if (name === "_ws.expert") {
      expert = { field: null, message: "", severity: "", group: "" };
      packet.experts.push(expert);
    } else if (parentExpert && name === "_ws.expert.message") {
      parentExpert.message = attributes.get("show") ?? "";
    } else if (parentExpert && name === "_ws.expert.severity") {
      parentExpert.severity = (attributes.get("showname") ?? "").replace(/^Severity level: /, "");
    } else if (parentExpert && name === "_ws.expert.group") {
      parentExpert.group = (attributes.get("showname") ?? "").replace(/^Group: /, "");
    } else if (parentExpert) {
      parentExpert.field = name;
    }
    if (name.startsWith("_ws.malformed")) packet.malformed = true;
    if (name !== "") {
      const occurrences = packet.fields.get(name) ?? [];
      occurrences.push({
        label: attributes.get("showname") ?? attributes.get("show") ?? "",
        show: attributes.get("show") ?? "",
        value: attributes.get("value") ?? "",
        pos: Number(attributes.get("pos") ?? 0),
        size: Number(attributes.get("size") ?? 0),
      });
      packet.fields.set(name, occurrences);
    }
    if (!selfClosing) open.push(expert);
  }
  return packets;
}

/** tshark's PDML for a capture file, with the Lua dissector loaded. */
export function tsharkPdml(pcapPath: string, options: TsharkOptions = {}): string {
  // An empty HOME keeps the user's Wireshark preferences and personal plugins (possibly another
  // copy of kink.lua, which would fail to register twice) out of the run.
  const home = mkdtempSync(join(tmpdir(), "kinkd-tshark-home-"));
  try {
    const prefs = Object.entries(options.prefs ?? {}).flatMap(([k, v]) => ["-o", `${k}:${v}`]);
    const run = spawnSync("tshark", ["-n", "-X", `lua_script:${KINK_LUA}`, ...prefs, "-r", pcapPath, "-T", "pdml"], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config") },
    });
    if (run.error) {
      const missing = (run.error as NodeJS.ErrnoException).code === "ENOENT";
      throw new TsharkError(missing ? "tshark not found: install the Debian package tshark (see .ci/run)" : run.error.message);
    }
    // A Lua script that fails to load (or a missing file) is only reported on stderr as
    // "tshark: …"; tshark itself carries on and exits 0.
    if (run.status !== 0 || /^tshark: /m.test(run.stderr)) {
      const messages = run.stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("Running as user"));
      throw new TsharkError(`tshark failed (exit ${run.status}): ${messages.join("\n")}`);
    }
    return run.stdout;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export function dissectPcap(pcapPath: string, options: TsharkOptions = {}): DissectedPacket[] {
  return parsePdml(tsharkPdml(pcapPath, options));
}

/** Writes the datagrams into one pcap and dissects it: one result per packet, in order. */
export function dissect(packets: UdpPacket[], options: TsharkOptions = {}): DissectedPacket[] {
  const dir = mkdtempSync(join(tmpdir(), "kinkd-tshark-"));
  try {
    const path = join(dir, "kink.pcap");
    writePcap(path, packets);
    const dissected = dissectPcap(path, options);
    if (dissected.length !== packets.length) throw new TsharkError(`${packets.length} packets written, tshark reported ${dissected.length}`);
    return dissected;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing a dissection with expectations

/** An expected field value: numbers and booleans as tshark shows them, strings verbatim, octets as the field's raw bytes. */
export type FieldValue = number | boolean | string | Uint8Array;

function matches(occurrence: FieldOccurrence, expected: FieldValue): boolean {
  if (expected instanceof Uint8Array) return occurrence.value === Buffer.from(expected).toString("hex");
  if (typeof expected === "boolean") return occurrence.show === (expected ? "1" : "0");
  return occurrence.show === String(expected);
}

function describe(expected: FieldValue): string {
  return expected instanceof Uint8Array ? Buffer.from(expected).toString("hex") : String(expected);
}

/**
 * Every listed field must occur exactly as often as listed, with these values in tree order
 * (an empty list: the field must be absent). Returns one line per difference; [] when all match.
 */
export function fieldMismatches(packet: DissectedPacket, expected: Record<string, readonly FieldValue[]>): string[] {
  const problems: string[] = [];
  for (const [name, values] of Object.entries(expected)) {
    const got = packet.fields.get(name) ?? [];
    const gotText = got.map((o) => (values.some((v) => v instanceof Uint8Array) ? o.value : o.show));
    if (got.length !== values.length || values.some((v, i) => !matches(got[i]!, v))) {
      problems.push(`${name}: expected [${values.map(describe).join(", ")}], got [${gotText.join(", ")}]`);
    }
  }
  return problems;
}

/**
 * Expert infos the Kerberos dissector adds as key bookkeeping when it is given a keytab:
 * "Decrypted keytype…", "Learnt … key", and "Missing KDC checksum" for the PAC's KDC signatures,
 * which only the krbtgt key (never in a service keytab) could verify. They say nothing about KINK.
 */
export const KERBEROS_KEY_NOTES: ReadonlySet<string> = new Set(["kerberos.decrypted_keytype", "kerberos.learnt_keytype", "kerberos.missing_keytype"]);

/** Expert infos other than the allowed ones, as "field: message" lines. */
export function unexpectedExperts(packet: DissectedPacket, allowed: ReadonlySet<string> = KERBEROS_KEY_NOTES): string[] {
  return packet.experts.filter((x) => x.field === null || !allowed.has(x.field)).map((x) => `${x.field}: ${x.message} (${x.severity})`);
}

/** Names of the dissector's own (kink4430.*) expert infos in a packet. */
export function kinkExperts(packet: DissectedPacket): string[] {
  return packet.experts.flatMap((x) => (x.field?.startsWith("kink4430.") ? [x.field] : []));
}

/**
 * What the dissector must show for any well-formed KINK datagram, read straight from its octets
 * (no decoder involved): every header field [RFC 4430 §4], the payload chain's types and
 * Payload Lengths (walked with 4-octet alignment [RFC 4430 §4.1]) and the Cksum octets.
 */
export function wellFormedFields(datagram: Uint8Array): Record<string, FieldValue[]> {
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.length);
  const length = view.getUint16(2);
  const cksumLen = view.getUint16(14);
  const payloadsEnd = length - cksumLen;
  const types: number[] = [];
  const lengths: number[] = [];
  for (let offset = 16, next = datagram[12]!; next !== 0 && offset + 4 <= payloadsEnd; ) {
    const payloadLength = view.getUint16(offset + 2);
    types.push(next);
    lengths.push(payloadLength);
    next = datagram[offset]!;
    offset += payloadLength + ((4 - (payloadLength % 4)) % 4);
  }
  const hexByte = (n: number) => `0x${n.toString(16).padStart(2, "0")}`;
  return {
    "kink4430.type": [datagram[0]!],
    "kink4430.mjver": [datagram[1]! >> 4],
    "kink4430.resrvd": [hexByte(datagram[1]! & 0x0f)],
    "kink4430.length": [length],
    "kink4430.doi": [view.getUint32(4)],
    "kink4430.xid": [view.getUint32(8)],
    "kink4430.next_payload": [datagram[12]!],
    "kink4430.ackreq": [(datagram[13]! & 0x80) !== 0],
    "kink4430.reserved2": [hexByte(datagram[13]! & 0x7f)],
    "kink4430.cksum_len": [cksumLen],
    "kink4430.payload": types,
    "kink4430.payload.length": lengths,
    "kink4430.cksum": cksumLen > 0 ? [datagram.subarray(payloadsEnd, length)] : [],
  };
}

/**
 * Everything wrong with the dissection of a datagram that should be valid: fields differing from
 * wellFormedFields(datagram) and `fields`, any expert info but the Kerberos key notes, the
 * malformed mark. [] when the dissector shows the datagram as encoded.
 */
export function validDatagramProblems(packet: DissectedPacket, datagram: Uint8Array, fields: Record<string, readonly FieldValue[]> = {}): string[] {
  return [
    ...fieldMismatches(packet, { ...wellFormedFields(datagram), ...fields }),
    ...unexpectedExperts(packet).map((x) => `expert info ${x}`),
    ...(packet.malformed ? ["marked malformed"] : []),
  ];
}
