// MIT FILE credential caches (krb5 doc/formats/ccache_file_format.rst): versions 0x0504 and
// 0x0503 read and written. kinkd uses them to pick up tickets obtained by `kinit` / `kvno` and
// to leave tickets where MIT tools (klist, kdestroy) can see them.
//
// Layout (big-endian in versions 3 and 4):
//   file       ::= 0x05 0x0N, [v4: header], default principal, credential... (until end of file)
//   header     ::= length (16) of the fields, then fields: tag (16), length (16), value.
//                  Tag 1 = KDC time offset: seconds (32), microseconds (32). Unknown tags are
//                  kept verbatim (the doc says readers must ignore them; we also must not drop
//                  them when rewriting).
//   principal  ::= name type (32), count of components (32), realm (data), components (data)...
//   data       ::= length (32), octets
//   credential ::= client, server (principals), keyblock, authtime, starttime, endtime,
//                  renew_till (32 each, unsigned seconds), is_skey (8), ticket_flags (32),
//                  addresses (count 32; each addrtype 16 + data), authdata (count 32; each
//                  ad_type 16 + data), ticket (data), second_ticket (data)
//   keyblock   ::= enctype (16) [written twice in version 3], key (data)
// Versions 1 and 2 use native byte order (and v1 counts the realm as a component); they are
// refused with a clear error.
//
// Configuration entries ("Credential cache configuration entries" in the format doc): the
// server realm is "X-CACHECONF:", the first server component "krb5_ccache_conf_data", the value
// sits in the ticket field. They are parsed and rewritten like any credential (a copy must not
// drop them); `ticketCredentials()` leaves them out, `configEntries()` lists only them.
import { readFile } from "node:fs/promises";
import { writeFileAtomic0600 } from "./atomic-file.ts";
import { ByteReader, ByteWriter, utf8Bytes } from "./binary.ts";
import type { AuthorizationDataEntry, EncryptionKey, HostAddress, KerberosTime } from "./messages/types.ts";
import type { Principal } from "./principal.ts";

export const CCACHE_CONFIG_REALM = "X-CACHECONF:";
export const CCACHE_CONFIG_PREFIX = "krb5_ccache_conf_data";

/**
 * One credential of a cache: a ticket and what the client needs to use it.
 *
 * Times are KerberosTime (milliseconds since the epoch, whole seconds on disk, 32-bit unsigned
 * seconds so valid until 2106); 0 means "not set", exactly as on disk (renewTill is 0 for a
 * non-renewable ticket; a configuration entry has every time 0).
 * `ticket` is the Ticket's DER ([APPLICATION 1], first octet 0x61) exactly as the KDC sent it
 * — or, for a configuration entry, the configuration value. `flags` are the RFC 4120 §5.3
 * TicketFlags as an unsigned 32-bit number, bit 0 = 0x80000000 (see TicketFlag in types.ts).
 */
export interface Credential {
  client: Principal;
  server: Principal;
  /** The session key shared with the service (RFC 4120 EncKDCRepPart.key). */
  key: EncryptionKey;
  authtime: KerberosTime;
  starttime: KerberosTime;
  endtime: KerberosTime;
  renewTill: KerberosTime;
  /** True for a user-to-user ticket encrypted in the session key of `secondTicket`'s TGT. */
  isSkey: boolean;
  flags: number;
  addresses: HostAddress[];
  authData: AuthorizationDataEntry[];
  ticket: Uint8Array;
  /** The additional ticket of a user-to-user request; usually empty. */
  secondTicket: Uint8Array;
}

export interface CcacheHeaderTag {
  tag: number;
  value: Uint8Array;
}

export interface Ccache {
  /** File format version: 4 (0x0504, what MIT writes) or 3 (0x0503). serializeCcache writes this version. */
  version: 3 | 4;
  /** Header tag 1 (v4 only): KDC time minus client time when the tickets were obtained. */
  kdcOffset?: { seconds: number; microseconds: number };
  /** Header fields with other tags, kept as read (v4 only). */
  otherHeaderTags?: CcacheHeaderTag[];
  defaultPrincipal: Principal;
  /** Every credential in file order, configuration entries included. */
  credentials: Credential[];
}

/** Is this a configuration entry (server realm "X-CACHECONF:") rather than a ticket? */
export function isConfigEntry(c: Credential): boolean {
  return c.server.realm === CCACHE_CONFIG_REALM;
}

/** The real tickets of a cache, configuration entries skipped (what klist shows). */
export function ticketCredentials(cache: Ccache): Credential[] {
  return cache.credentials.filter((c) => !isConfigEntry(c));
}

/** The configuration entries: key, associated principal (text, if any) and value. */
export function configEntries(cache: Ccache): { key: string; principal?: string; value: Uint8Array }[] {
  return cache.credentials.filter(isConfigEntry).map((c) => {
    const [, key = "", principal] = c.server.name.nameString;
    return principal === undefined ? { key, value: c.ticket } : { key, principal, value: c.ticket };
  });
}

/** Parses ccache bytes (v3 or v4). Malformed input → KrbDecodeError (KRB_ERR_GENERIC) with the field and offset. */
export function parseCcache(bytes: Uint8Array): Ccache {
  const r: ByteReader = new ByteReader(bytes, "ccache");
  if (bytes.length < 2 || bytes[0] !== 0x05) r.fail("version", "not a credential cache (first octet must be 0x05)", 0);
  const raw = r.u16("version") & 0xff;
  if (raw === 1 || raw === 2) r.fail("version", `version 0x050${raw} (native byte order) caches are not supported`, 0);
  if (raw !== 3 && raw !== 4) r.fail("version", `unknown credential cache version 0x05${raw.toString(16).padStart(2, "0")}`, 0);
  const v: 3 | 4 = raw;
  const cache: Ccache = { version: v, defaultPrincipal: { name: { nameType: 0, nameString: [] }, realm: "" }, credentials: [] };

  if (v === 4) {
    const hlen = r.u16("header length");
    r.need(hlen, "header");
    const h = new ByteReader(r.bytes.subarray(r.pos, r.pos + hlen), "ccache", r.pos);
    r.pos += hlen;
    while (h.remaining > 0) {
      const tag = h.u16("header tag");
      const value = h.take(h.u16(`header tag ${tag} length`), `header tag ${tag} value`);
      if (tag === 1 && value.length === 8) {
        const dv = new DataView(value.buffer, value.byteOffset, 8);
        cache.kdcOffset = { seconds: dv.getInt32(0), microseconds: dv.getInt32(4) };
      } else {
        cache.otherHeaderTags ??= [];
        cache.otherHeaderTags.push({ tag, value });
      }
    }
  }
  cache.defaultPrincipal = readPrincipal(r, "default principal");
  while (r.remaining > 0) cache.credentials.push(readCredential(r, v, cache.credentials.length + 1));
  return cache;
}

function readPrincipal(r: ByteReader, field: string): Principal {
  const nameType = r.i32(`${field} name type`);
  const count = r.u32(`${field} component count`);
  // Each component needs at least its 4-octet length: a huge count in a short file is junk.
  if (count > r.remaining / 4) r.fail(`${field} component count`, `${count} components cannot fit in ${r.remaining} octets`, r.pos - 4);
  const realm = r.text(r.u32(`${field} realm length`), `${field} realm`);
  const nameString: string[] = [];
  for (let i = 0; i < count; i++) nameString.push(r.text(r.u32(`${field} component ${i + 1} length`), `${field} component ${i + 1}`));
  return { name: { nameType, nameString }, realm };
}

function readCredential(r: ByteReader, version: 3 | 4, n: number): Credential {
  const f = (s: string) => `credential ${n} ${s}`;
  const client = readPrincipal(r, f("client"));
  const server = readPrincipal(r, f("server"));
  const keytype = r.u16(f("enctype"));
  if (version === 3) {
    const again = r.u16(f("enctype (repeated)"));
    if (again !== keytype) r.fail(f("enctype (repeated)"), `${again} differs from ${keytype}`, r.pos - 2);
  }
  const keyvalue = data32(r, f("key"));
  const authtime = r.u32(f("authtime")) * 1000;
  const starttime = r.u32(f("starttime")) * 1000;
  const endtime = r.u32(f("endtime")) * 1000;
  const renewTill = r.u32(f("renew_till")) * 1000;
  const skey = r.u8(f("is_skey"));
  if (skey > 1) r.fail(f("is_skey"), `must be 0 or 1, is ${skey}`, r.pos - 1);
  const flags = r.u32(f("ticket_flags"));
  const addresses: HostAddress[] = [];
  const naddr = r.u32(f("address count"));
  if (naddr > r.remaining / 6) r.fail(f("address count"), `${naddr} addresses cannot fit in ${r.remaining} octets`, r.pos - 4);
  for (let i = 0; i < naddr; i++) {
    const addrType = r.u16(f(`address ${i + 1} type`));
    addresses.push({ addrType, address: data32(r, f(`address ${i + 1}`)) });
  }
  const authData: AuthorizationDataEntry[] = [];
  const nad = r.u32(f("authdata count"));
  if (nad > r.remaining / 6) r.fail(f("authdata count"), `${nad} authdata elements cannot fit in ${r.remaining} octets`, r.pos - 4);
  for (let i = 0; i < nad; i++) {
    const adType = r.u16(f(`authdata ${i + 1} type`));
    authData.push({ adType, adData: data32(r, f(`authdata ${i + 1}`)) });
  }
  const ticket = data32(r, f("ticket"));
  const secondTicket = data32(r, f("second_ticket"));
  return {
    client,
    server,
    key: { keytype, keyvalue },
    authtime,
    starttime,
    endtime,
    renewTill,
    isSkey: skey === 1,
    flags,
    addresses,
    authData,
    ticket,
    secondTicket,
  };
}

/** Serializes a cache in its `version` (4 unless it says 3). */
export function serializeCcache(cache: Ccache): Uint8Array {
  const w = new ByteWriter("ccache");
  const v = cache.version;
  w.u16(0x0500 | v, "version");
  if (v === 4) {
    const tags: CcacheHeaderTag[] = [];
    if (cache.kdcOffset) {
      const value = new Uint8Array(8);
      const dv = new DataView(value.buffer);
      dv.setInt32(0, cache.kdcOffset.seconds);
      dv.setInt32(4, cache.kdcOffset.microseconds);
      tags.push({ tag: 1, value });
    }
    tags.push(...(cache.otherHeaderTags ?? []));
    w.u16(
      tags.reduce((n, t) => n + 4 + t.value.length, 0),
      "header length",
    );
    for (const t of tags) {
      w.u16(t.tag, "header tag");
      w.u16(t.value.length, `header tag ${t.tag} length`);
      w.bytes(t.value);
    }
  }
  writePrincipal(w, cache.defaultPrincipal, "default principal");
  cache.credentials.forEach((c, i) => {
    const f = (s: string) => `credential ${i + 1} ${s}`;
    writePrincipal(w, c.client, f("client"));
    writePrincipal(w, c.server, f("server"));
    w.u16(c.key.keytype, f("enctype"));
    if (v === 3) w.u16(c.key.keytype, f("enctype"));
    data32(w, c.key.keyvalue, f("key"));
    w.u32(Math.floor(c.authtime / 1000), f("authtime"));
    w.u32(Math.floor(c.starttime / 1000), f("starttime"));
    w.u32(Math.floor(c.endtime / 1000), f("endtime"));
    w.u32(Math.floor(c.renewTill / 1000), f("renew_till"));
    w.u8(c.isSkey ? 1 : 0, f("is_skey"));
    w.u32(c.flags >>> 0, f("ticket_flags"));
    w.u32(c.addresses.length, f("address count"));
    for (const a of c.addresses) {
      w.u16(a.addrType, f("address type"));
      data32(w, a.address, f("address"));
    }
    w.u32(c.authData.length, f("authdata count"));
    for (const a of c.authData) {
      w.u16(a.adType, f("authdata type"));
      data32(w, a.adData, f("authdata"));
    }
    data32(w, c.ticket, f("ticket"));
    data32(w, c.secondTicket, f("second_ticket"));
  });
  return w.finish();
}

function data32(w: ByteWriter, b: Uint8Array, field: string): void;
function data32(r: ByteReader, field: string): Uint8Array;
function data32(rw: ByteReader | ByteWriter, a: Uint8Array | string, field?: string): Uint8Array | undefined {
  if (rw instanceof ByteReader) return rw.take(rw.u32(`${a as string} length`), a as string);
  const b = a as Uint8Array;
  rw.u32(b.length, `${field} length`);
  rw.bytes(b);
  return undefined;
}

function writePrincipal(w: ByteWriter, p: Principal, field: string): void {
  w.i32(p.name.nameType, `${field} name type`);
  w.u32(p.name.nameString.length, `${field} component count`);
  data32(w, utf8Bytes(p.realm), `${field} realm`);
  for (const c of p.name.nameString) data32(w, utf8Bytes(c), `${field} component`);
}

/** Reads and parses a FILE ccache (a "FILE:" prefix is accepted; fs errors propagate as Node errors). */
export async function readCcacheFile(path: string): Promise<Ccache> {
  return parseCcache(new Uint8Array(await readFile(stripFilePrefix(path))));
}

/** Writes a FILE ccache: mode 0600, via a temporary file renamed over `path` (atomic). */
export async function writeCcacheFile(path: string, cache: Ccache): Promise<void> {
  await writeFileAtomic0600(stripFilePrefix(path), serializeCcache(cache));
}

function stripFilePrefix(path: string): string {
  return path.startsWith("FILE:") ? path.slice(5) : path;
}
