// krb5.conf reader for the subset kinkd uses. Syntax is MIT's profile format (MIT docs,
// "krb5.conf"): `[section]` headers; `tag = value` relations; `tag = {` ... `}` subsections
// that nest; whole-line comments starting with '#' or ';'; a trailing '*' after a section
// header or a closing brace marks it final (only meaningful when several files are merged,
// so it is accepted and ignored here); a tag may repeat and its values keep file order.
// As in MIT, a '#' after a value is part of the value, not a comment.
//
// The generic tree is parsed first (every value remembers its line), then the sections kinkd
// reads are turned into typed settings; any error names file:line.
import { isIP } from "node:net";
import { KrbError, KrbErrorCode } from "./errors.ts";

/** A relation's value: a string, or a nested subsection. */
export type ProfileValue = string | ProfileSection;

export interface ProfileRelation {
  tag: string;
  value: ProfileValue;
  line: number;
}

export interface ProfileSection {
  relations: ProfileRelation[];
}

/** A KDC address from `kdc = ...` (RFC 4120 §7.2.3: port 88 unless given). */
export interface KdcAddress {
  host: string;
  port: number;
  /** Forced by a "tcp/" or "udp/" prefix (MIT syntax); otherwise chosen by message size. */
  transport?: "udp" | "tcp";
}

export interface RealmConf {
  kdc: KdcAddress[];
  adminServer: string[];
  defaultDomain?: string;
}

export interface LibDefaults {
  defaultRealm?: string;
  /** Parsed for completeness; kinkd does not look KDCs up in DNS. */
  dnsLookupKdc?: boolean;
  /** Maximum clock skew in seconds (MIT default 300). */
  clockskewSec: number;
  /** Enctype names as written (e.g. "aes256-cts-hmac-sha1-96"); mapping to numbers is the caller's. */
  permittedEnctypes?: string[];
  defaultTgsEnctypes?: string[];
  defaultTktEnctypes?: string[];
  /** Requests larger than this go over TCP first (MIT default 1465). */
  udpPreferenceLimit: number;
  /** kdc_timeout (Heimdal's name), in ms, if set: kinkd uses it as the deadline for one KDC exchange. */
  kdcTimeoutMs?: number;
}

export interface Krb5Conf {
  fileName: string;
  libdefaults: LibDefaults;
  /** Realm name (case-sensitive) → its settings. */
  realms: Map<string, RealmConf>;
  /** Lower-cased host or ".domain" → realm. */
  domainRealm: Map<string, string>;
  /** `include` / `includedir` directives, in order; not followed by the parser. */
  includes: { kind: "include" | "includedir"; path: string; line: number }[];
  /** Things skipped without failing (unsupported KDC URL forms and the like), with file:line. */
  warnings: string[];
  /** The whole parsed tree, for settings not mapped above. */
  profile: Map<string, ProfileSection>;
}

/** A malformed krb5.conf: KRB_ERR_GENERIC, with the file and line it concerns. */
export class Krb5ConfError extends KrbError {
  override readonly name = "Krb5ConfError";
  readonly fileName: string;
  readonly line: number;
  constructor(fileName: string, line: number, problem: string) {
    super(KrbErrorCode.KRB_ERR_GENERIC, `${fileName}:${line}: ${problem}`);
    this.fileName = fileName;
    this.line = line;
  }
}

export const DEFAULT_KDC_PORT = 88;
export const DEFAULT_CLOCKSKEW_SEC = 300;
export const DEFAULT_UDP_PREFERENCE_LIMIT = 1465;

/** Parses the generic profile tree. */
export function parseProfile(text: string, fileName = "krb5.conf"): { sections: Map<string, ProfileSection>; includes: Krb5Conf["includes"] } {
  const sections = new Map<string, ProfileSection>();
  const includes: Krb5Conf["includes"] = [];
  const fail = (line: number, problem: string): never => {
    throw new Krb5ConfError(fileName, line, problem);
  };
  // Stack of open subsections; [0] is the current section (undefined before the first header).
  let section: ProfileSection | undefined;
  const stack: { sec: ProfileSection; line: number }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;

    if (stack.length === 0) {
      const dir = /^(include|includedir)\s+([^=\s].*)$/.exec(line);
      if (dir) {
        includes.push({ kind: dir[1] as "include" | "includedir", path: dir[2]!, line: lineNo });
        continue;
      }
    }
    if (line.startsWith("[")) {
      if (stack.length > 0) fail(lineNo, `section header inside an unclosed '{' opened on line ${stack[stack.length - 1]!.line}`);
      const m = /^\[([^\]]+)\]\s*\*?$/.exec(line);
      if (!m) fail(lineNo, `malformed section header ${JSON.stringify(line)}`);
      const name = m![1]!.trim();
      if (name === "") fail(lineNo, "empty section name");
      // A repeated section continues the earlier one (MIT merges them).
      section = sections.get(name) ?? { relations: [] };
      sections.set(name, section);
      continue;
    }
    if (/^}\s*\*?$/.test(line)) {
      if (stack.length === 0) fail(lineNo, "'}' without a matching '{'");
      stack.pop();
      continue;
    }
    if (!section) fail(lineNo, "relation before the first [section] header");
    const eq = line.indexOf("=");
    if (eq < 0) fail(lineNo, `expected "tag = value", got ${JSON.stringify(line)}`);
    // A '*' right after the tag marks the relation final: accepted and ignored.
    const tag = line
      .slice(0, eq)
      .trim()
      .replace(/\s*\*$/, "");
    if (tag === "" || /\s/.test(tag)) fail(lineNo, `bad tag ${JSON.stringify(line.slice(0, eq).trim())}`);
    let raw = line.slice(eq + 1).trim();
    const current = stack.length > 0 ? stack[stack.length - 1]!.sec : section!;
    if (raw === "{") {
      const sub: ProfileSection = { relations: [] };
      current.relations.push({ tag, value: sub, line: lineNo });
      stack.push({ sec: sub, line: lineNo });
      continue;
    }
    if (raw.startsWith('"')) raw = unquote(raw, (p) => fail(lineNo, p));
    current.relations.push({ tag, value: raw, line: lineNo });
  }
  if (stack.length > 0) fail(stack[stack.length - 1]!.line, "'{' never closed");
  return { sections, includes };
}

/** A double-quoted value with MIT's escapes (\n \t \b \\ \"). */
function unquote(raw: string, fail: (problem: string) => never): string {
  let out = "";
  let i = 1;
  for (; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"') break;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const n = raw[++i];
    if (n === undefined) fail("unterminated escape in quoted value");
    out += n === "n" ? "\n" : n === "t" ? "\t" : n === "b" ? "\b" : n!;
  }
  if (i >= raw.length) fail("unterminated quoted value");
  if (raw.slice(i + 1).trim() !== "") fail("text after the closing quote");
  return out;
}

/** Parses a krb5.conf text into kinkd's typed settings. Throws Krb5ConfError with file:line. */
export function parseKrb5Conf(text: string, fileName = "krb5.conf"): Krb5Conf {
  const { sections, includes } = parseProfile(text, fileName);
  const warnings: string[] = [];
  const fail = (line: number, problem: string): never => {
    throw new Krb5ConfError(fileName, line, problem);
  };

  const libdefaults: LibDefaults = { clockskewSec: DEFAULT_CLOCKSKEW_SEC, udpPreferenceLimit: DEFAULT_UDP_PREFERENCE_LIMIT };
  const enctypeLists: Record<string, "permittedEnctypes" | "defaultTgsEnctypes" | "defaultTktEnctypes"> = {
    permitted_enctypes: "permittedEnctypes",
    default_tgs_enctypes: "defaultTgsEnctypes",
    default_tkt_enctypes: "defaultTktEnctypes",
  };
  // MIT reads the first value of a single-valued tag; later duplicates are ignored.
  const applied = new Set<string>();
  const first = (tag: string): boolean => {
    if (applied.has(tag)) return false;
    applied.add(tag);
    return true;
  };
  for (const r of sections.get("libdefaults")?.relations ?? []) {
    const v = r.value;
    const str = (): string => (typeof v === "string" ? v : fail(r.line, `${r.tag} must be a value, not a {...} block`));
    switch (r.tag) {
      case "default_realm":
        if (first(r.tag)) libdefaults.defaultRealm = nonEmpty(str(), r, fail);
        break;
      case "dns_lookup_kdc":
        if (first(r.tag)) libdefaults.dnsLookupKdc = parseBool(str(), r, fail);
        break;
      case "clockskew":
        if (first(r.tag)) libdefaults.clockskewSec = parseDuration(str(), r, fail);
        break;
      case "udp_preference_limit":
        if (first(r.tag)) libdefaults.udpPreferenceLimit = parseNonNegInt(str(), r, fail);
        break;
      case "kdc_timeout":
        if (first(r.tag)) libdefaults.kdcTimeoutMs = parseDuration(str(), r, fail) * 1000;
        break;
      default: {
        const key = enctypeLists[r.tag];
        if (key) {
          // Several relations, or one whitespace/comma separated list: concatenated in order.
          const list = str()
            .split(/[\s,]+/)
            .filter((s) => s !== "");
          libdefaults[key] = [...(libdefaults[key] ?? []), ...list];
        }
      }
    }
  }

  const realms = new Map<string, RealmConf>();
  for (const r of sections.get("realms")?.relations ?? []) {
    if (typeof r.value === "string") fail(r.line, `realm ${r.tag} must be a { ... } block`);
    const sub = r.value as ProfileSection;
    const realm: RealmConf = realms.get(r.tag) ?? { kdc: [], adminServer: [] };
    for (const rr of sub.relations) {
      if (typeof rr.value !== "string") {
        if (["kdc", "admin_server", "default_domain"].includes(rr.tag)) fail(rr.line, `${rr.tag} must be a value, not a {...} block`);
        continue;
      }
      switch (rr.tag) {
        case "kdc": {
          const kdc = parseKdcAddress(rr.value, (p) => fail(rr.line, p));
          if (kdc === undefined) warnings.push(`${fileName}:${rr.line}: kdc ${rr.value} ignored (only host[:port], tcp/ and udp/ forms are supported)`);
          else realm.kdc.push(kdc);
          break;
        }
        case "admin_server":
          realm.adminServer.push(nonEmpty(rr.value, rr, fail));
          break;
        case "default_domain":
          realm.defaultDomain ??= nonEmpty(rr.value, rr, fail);
          break;
      }
    }
    realms.set(r.tag, realm);
  }

  const domainRealm = new Map<string, string>();
  for (const r of sections.get("domain_realm")?.relations ?? []) {
    if (typeof r.value !== "string") fail(r.line, `domain_realm ${r.tag} must map to a realm name`);
    const key = normalizeHost(r.tag);
    if (key === "" || key === ".") fail(r.line, `empty host or domain in domain_realm`);
    // First mapping wins, as MIT's profile lookup returns the first value.
    if (!domainRealm.has(key)) domainRealm.set(key, nonEmpty(r.value as string, r, fail));
  }

  return { fileName, libdefaults, realms, domainRealm, includes, warnings, profile: sections };
}

type Fail = (line: number, problem: string) => never;

function nonEmpty(v: string, r: ProfileRelation, fail: Fail): string {
  if (v === "") fail(r.line, `${r.tag} is empty`);
  return v;
}

function parseBool(v: string, r: ProfileRelation, fail: Fail): boolean {
  // MIT profile booleans: y/yes/true/t/1/on and n/no/false/f/nil/0/off, any case.
  const s = v.toLowerCase();
  if (["y", "yes", "true", "t", "1", "on"].includes(s)) return true;
  if (["n", "no", "false", "f", "nil", "0", "off"].includes(s)) return false;
  return fail(r.line, `${r.tag}: ${JSON.stringify(v)} is not a boolean`);
}

function parseNonNegInt(v: string, r: ProfileRelation, fail: Fail): number {
  if (!/^\d{1,9}$/.test(v)) fail(r.line, `${r.tag}: ${JSON.stringify(v)} is not a non-negative integer`);
  return Number(v);
}

/**
 * Duration in seconds, in the forms MIT's krb5_string_to_deltat accepts for settings like
 * clockskew: plain seconds ("300"), unit groups ("5m", "1h30m", "2d 4h", units d/h/m/s), or
 * clock forms "h:m" and "h:m:s".
 */
function parseDuration(v: string, r: ProfileRelation, fail: Fail): number {
  const s = v.trim();
  const bad = (): never => fail(r.line, `${r.tag}: ${JSON.stringify(v)} is not a duration (seconds, "5m", "1h30m", "h:m:s")`);
  if (/^\d+$/.test(s)) return checkedSeconds(Number(s), bad);
  const clock = /^(\d+):(\d{1,2})(?::(\d{1,2}))?$/.exec(s);
  if (clock) {
    const [h, m, sec] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
    if (m > 59 || sec > 59) bad();
    return checkedSeconds(h * 3600 + m * 60 + sec, bad);
  }
  if (!/^(\s*\d+\s*[dhms])+$/.test(s)) bad();
  let total = 0;
  for (const m of s.matchAll(/(\d+)\s*([dhms])/g)) {
    const unit = { d: 86400, h: 3600, m: 60, s: 1 }[m[2] as "d" | "h" | "m" | "s"];
    total += Number(m[1]) * unit;
  }
  return checkedSeconds(total, bad);
}

function checkedSeconds(n: number, bad: () => never): number {
  if (!Number.isSafeInteger(n) || n > 0x7fffffff) bad();
  return n;
}

/**
 * `kdc = ...` forms: "host", "host:port", "[v6]", "[v6]:port", a bare IPv6 literal (more than
 * one ':' and no brackets: no port, as MIT reads it), each optionally prefixed with "tcp/" or
 * "udp/" (MIT 1.13+). Returns undefined for forms kinkd skips (MS-KKDCP https URLs).
 */
export function parseKdcAddress(value: string, fail: (problem: string) => never): KdcAddress | undefined {
  let s = value.trim();
  if (/^https?:\/\//i.test(s)) return undefined;
  let transport: KdcAddress["transport"];
  const pre = /^(tcp|udp)\//i.exec(s);
  if (pre) {
    transport = pre[1]!.toLowerCase() as "tcp" | "udp";
    s = s.slice(4);
  }
  let host: string;
  let portText: string | undefined;
  if (s.startsWith("[")) {
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
    if (!m) return fail(`kdc ${JSON.stringify(value)}: malformed [address]:port`);
    host = m[1]!;
    portText = m[2];
    if (isIP(host) !== 6) return fail(`kdc ${JSON.stringify(value)}: ${host} is not an IPv6 address`);
  } else {
    const colons = s.split(":").length - 1;
    if (colons > 1) {
      if (isIP(s) !== 6) return fail(`kdc ${JSON.stringify(value)}: not an IPv6 address (write [address]:port)`);
      host = s;
    } else if (colons === 1) {
      const at = s.indexOf(":");
      host = s.slice(0, at);
      portText = s.slice(at + 1);
    } else {
      host = s;
    }
    if (!/^[A-Za-z0-9._-]+$/.test(host)) return fail(`kdc ${JSON.stringify(value)}: bad host name`);
  }
  let port = DEFAULT_KDC_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return fail(`kdc ${JSON.stringify(value)}: bad port`);
    port = Number(portText);
  }
  const out: KdcAddress = { host, port };
  if (transport) out.transport = transport;
  return out;
}

/** Lower case, no trailing dot: the form domain_realm keys and lookups use. */
function normalizeHost(h: string): string {
  const s = h.trim().toLowerCase();
  return s.length > 1 && s.endsWith(".") ? s.slice(0, -1) : s;
}

/**
 * The realm for a host from [domain_realm], following MIT's lookup order: the exact host name
 * first, then each parent domain written with a leading dot, longest first
 * ("a.b.example.com", ".b.example.com", ".example.com", ".com"). A tag without the leading dot
 * matches only that exact host. Undefined when nothing matches (MIT would then guess the
 * upper-cased parent domain or use DNS; kinkd leaves that choice to the caller).
 */
export function realmForHost(conf: Krb5Conf, host: string): string | undefined {
  const h = normalizeHost(host);
  if (h === "") return undefined;
  const exact = conf.domainRealm.get(h);
  if (exact !== undefined) return exact;
  for (let dot = h.indexOf("."); dot >= 0; dot = h.indexOf(".", dot + 1)) {
    const r = conf.domainRealm.get(h.slice(dot));
    if (r !== undefined) return r;
  }
  return undefined;
}

/** The configured KDCs of a realm, in file order (empty when the realm has none). */
export function kdcsForRealm(conf: Krb5Conf, realm: string): KdcAddress[] {
  return (conf.realms.get(realm)?.kdc ?? []).map((k) => ({ ...k }));
}
