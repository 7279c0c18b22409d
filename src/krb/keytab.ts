// MIT FILE keytabs, format version 0x0502 (krb5 doc/formats/keytab_file_format.rst), read and
// written; plus choosing the key that decrypts a given ticket.
//
// Layout (all integers big-endian in version 2):
//   file    ::= 0x05 0x02, then records until end of file (or a record length of 0)
//   record  ::= length (signed 32 bits), then |length| octets:
//               length > 0: a key entry, possibly followed by unused octets (an entry may have
//                           been written into a larger hole);
//               length < 0: a hole left by a deleted entry — skipped.
//   entry   ::= count of components (16), realm (data), components (data)...,
//               name type (32), timestamp (32), key version (8),
//               enctype (16), key (data),
//               [key version (32): present when the record has 4 or more octets left;
//                when non-zero it supersedes the 8-bit one — the only way to store kvno >= 256]
//   data    ::= length (16), octets
// (Version 0x0501 uses native byte order and counts the realm as a component; nothing has
// written it for decades, so it is refused with a clear error rather than guessed at.)
import { readFile } from "node:fs/promises";
import { enctype } from "../crypto/enctypes.ts";
import { writeFileAtomic0600 } from "./atomic-file.ts";
import { ByteReader, ByteWriter, utf8Bytes } from "./binary.ts";
import { KrbError, KrbErrorCode } from "./errors.ts";
import type { EncryptionKey, KerberosTime, PrincipalName } from "./messages/types.ts";
import { formatPrincipal, parsePrincipal, principalEquals } from "./principal.ts";

export const KEYTAB_VERSION = 0x0502;

/** One key of one principal, as a keytab stores it. */
export interface KeytabEntry {
  principal: PrincipalName;
  realm: string;
  /** When the entry was written (KerberosTime: milliseconds since the epoch, whole seconds on disk). */
  timestamp: KerberosTime;
  /** Key version number; the 32-bit extension carries it when ≥ 256. */
  kvno: number;
  key: EncryptionKey;
}

/** Parses keytab bytes. Malformed input → KrbDecodeError (KRB_ERR_GENERIC) naming the field and offset. */
export function parseKeytab(bytes: Uint8Array): KeytabEntry[] {
  const r = new ByteReader(bytes, "keytab");
  if (bytes.length < 2 || bytes[0] !== 0x05) r.fail("version", "not a keytab (first octet must be 0x05)", 0);
  const version = r.u16("version");
  if (version === 0x0501) r.fail("version", "version 0x0501 (native byte order) keytabs are not supported", 0);
  if (version !== KEYTAB_VERSION) r.fail("version", `unknown keytab version 0x${version.toString(16).padStart(4, "0")}`, 0);

  const entries: KeytabEntry[] = [];
  while (r.remaining > 0) {
    const at = r.pos;
    const size = r.i32(`record ${entries.length + 1} length`);
    if (size === 0) break; // "A length of 0 indicates the end of the file."
    if (size < 0) {
      // A hole: -size zero octets left behind by a removed entry.
      if (size === -0x80000000) r.fail(`record at ${at}`, "hole length out of range", at);
      r.need(-size, `hole at ${at}`);
      r.pos += -size;
      continue;
    }
    r.need(size, `record ${entries.length + 1} (length ${size})`);
    // The entry must fit inside its record: parse it from a reader bounded by the record length.
    entries.push(readEntry(new ByteReader(r.bytes.subarray(r.pos, r.pos + size), "keytab", r.pos), entries.length + 1));
    r.pos += size;
  }
  return entries;
}

function readEntry(r: ByteReader, n: number): KeytabEntry {
  const f = (s: string) => `entry ${n} ${s}`;
  const count = r.u16(f("component count"));
  const realm = r.text(r.u16(f("realm length")), f("realm"));
  const nameString: string[] = [];
  for (let i = 0; i < count; i++) nameString.push(r.text(r.u16(f(`component ${i + 1} length`)), f(`component ${i + 1}`)));
  const nameType = r.i32(f("name type"));
  const timestamp = r.u32(f("timestamp")) * 1000;
  let kvno = r.u8(f("kvno"));
  const keytype = r.u16(f("enctype"));
  const keyvalue = r.take(r.u16(f("key length")), f("key"));
  // The 32-bit kvno extension: only when the record leaves room for it, and 0 means "use the 8-bit one".
  if (r.remaining >= 4) {
    const kvno32 = r.u32(f("kvno (32-bit)"));
    if (kvno32 !== 0) kvno = kvno32;
  }
  return { principal: { nameType, nameString }, realm, timestamp, kvno, key: { keytype, keyvalue } };
}

/** Serializes entries as a version 0x0502 keytab (every entry with the 32-bit kvno, as MIT writes it). */
export function serializeKeytab(entries: readonly KeytabEntry[]): Uint8Array {
  const w = new ByteWriter("keytab");
  w.u16(KEYTAB_VERSION, "version");
  entries.forEach((e, i) => {
    const f = (s: string) => `entry ${i + 1} ${s}`;
    const at = w.length;
    w.i32(0, f("length")); // patched below
    w.u16(e.principal.nameString.length, f("component count"));
    data16(w, utf8Bytes(e.realm), f("realm"));
    e.principal.nameString.forEach((c, j) => {
      data16(w, utf8Bytes(c), f(`component ${j + 1}`));
    });
    w.i32(e.principal.nameType, f("name type"));
    w.u32(Math.floor(e.timestamp / 1000), f("timestamp"));
    w.u8(e.kvno & 0xff, f("kvno (8-bit)"));
    w.u16(e.key.keytype, f("enctype"));
    data16(w, e.key.keyvalue, f("key"));
    w.u32(e.kvno, f("kvno (32-bit)"));
    w.patchI32(at, w.length - at - 4, f("length"));
  });
  return w.finish();
}

function data16(w: ByteWriter, b: Uint8Array, field: string): void {
  w.u16(b.length, `${field} length`);
  if (b.length > 0xffff) return; // unreachable: u16 threw
  w.bytes(b);
}

/** Reads and parses a keytab file (fs errors such as ENOENT propagate as Node errors). */
export async function readKeytabFile(path: string): Promise<KeytabEntry[]> {
  return parseKeytab(new Uint8Array(await readFile(path)));
}

/** Writes a keytab file: mode 0600, via a temporary file renamed over `path` (atomic). */
export async function writeKeytabFile(path: string, entries: readonly KeytabEntry[]): Promise<void> {
  await writeFileAtomic0600(path, serializeKeytab(entries));
}

export interface KeyQuery {
  /** The service principal: a PrincipalName, or text ("kink/host@REALM"; the realm may come from `realm`). */
  principal: PrincipalName | string;
  realm?: string;
  /** The ticket's kvno (EncryptedData.kvno); absent → the highest kvno in the keytab. */
  kvno?: number;
  /** The ticket's enctype; absent → any. */
  etype?: number;
}

function etypeName(etype: number): string {
  return enctype(etype)?.name ?? `enctype ${etype}`;
}

/** kvno match as MIT's keytab lookup does it: exact, or an 8-bit-only entry matching the low octet of a larger kvno. */
function kvnoMatches(entryKvno: number, wanted: number): boolean {
  return entryKvno === wanted || (wanted > 0xff && entryKvno <= 0xff && (wanted & 0xff) === entryKvno);
}

/**
 * The key that decrypts a ticket for `principal`: its kvno (or the highest) and its enctype (or
 * any). No key for the principal or enctype → KrbError KRB_AP_ERR_NOKEY; keys exist but not for
 * that kvno → KRB_AP_ERR_BADKEYVER. Either way the hint says what the keytab does hold.
 */
export function findKey(entries: readonly KeytabEntry[], q: KeyQuery): KeytabEntry {
  let name: PrincipalName;
  let realm: string;
  if (typeof q.principal === "string") {
    ({ name, realm } = parsePrincipal(q.principal, q.realm === undefined ? {} : { defaultRealm: q.realm }));
  } else {
    if (q.realm === undefined) throw new KrbError(KrbErrorCode.KRB_ERR_GENERIC, "findKey: a PrincipalName needs its realm");
    name = q.principal;
    realm = q.realm;
  }
  const who = formatPrincipal(name, realm);
  const mine = entries.filter((e) => principalEquals(e.principal, e.realm, name, realm));
  if (mine.length === 0) {
    const held = [...new Set(entries.map((e) => formatPrincipal(e.principal, e.realm)))];
    throw new KrbError(
      KrbErrorCode.KRB_AP_ERR_NOKEY,
      `no key for ${who} in the keytab`,
      held.length ? `the keytab holds ${held.join(", ")}` : "the keytab is empty",
    );
  }
  const describe = (list: readonly KeytabEntry[]) => list.map((e) => `kvno ${e.kvno} ${etypeName(e.key.keytype)}`).join(", ");
  let candidates = mine;
  if (q.kvno !== undefined) {
    const wanted = q.kvno;
    candidates = mine.filter((e) => e.kvno === wanted);
    if (candidates.length === 0) candidates = mine.filter((e) => kvnoMatches(e.kvno, wanted));
    if (candidates.length === 0) {
      const kvnos = [...new Set(mine.map((e) => e.kvno))].sort((a, b) => a - b);
      throw new KrbError(
        KrbErrorCode.KRB_AP_ERR_BADKEYVER,
        `no key for ${who} with kvno ${wanted}`,
        `keytab has kvno ${kvnos.join(", ")} for ${who} but the ticket was issued under kvno ${wanted}: ` +
          `the keytab is ${Math.max(...kvnos) < wanted ? "older than the KDC's key (re-export it with ktadd)" : "newer than the ticket (the client holds a ticket issued before the key change)"}`,
      );
    }
  }
  if (q.etype !== undefined) {
    const etype = q.etype;
    const withEtype = candidates.filter((e) => e.key.keytype === etype);
    if (withEtype.length === 0) {
      throw new KrbError(
        KrbErrorCode.KRB_AP_ERR_NOKEY,
        `no ${etypeName(etype)} key for ${who}${q.kvno !== undefined ? ` kvno ${q.kvno}` : ""}`,
        `keytab has ${describe(mine)}`,
      );
    }
    candidates = withEtype;
  }
  // Highest kvno first; among equals, the entry that appears first (keytab order, as MIT scans).
  let best = candidates[0]!;
  for (const e of candidates) if (e.kvno > best.kvno) best = e;
  return best;
}
