// The Kerberos enctype and checksum-type tables: one data-driven description per type,
// used by every layer (after MIT krb5's etypes.c / cksumtypes.c). Numbers are the
// RFC 3961 §8 registry values; policy lives in the flags, not in code.

export type EnctypeFamily = "dk-sha1" | "etm-sha2" | "camellia-cmac" | "rc4-hmac";

export interface Enctype {
  readonly etype: number;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly family: EnctypeFamily;
  /** Protocol key length in octets. */
  readonly keyLength: number;
  /** Random octets random-to-key consumes (RFC 3961 §3). */
  readonly keyBytes: number;
  readonly blockSize: number;
  readonly confounderLength: number;
  /** Mandatory checksum type (RFC 3961 §4 "required checksum mechanism"). */
  readonly cksumType: number;
  /** Octets encrypt() adds after the confounder and plaintext (the integrity tag). */
  readonly macLength: number;
  /** PRF output octets (RFC 3961 reading; see prf options for racoon2's AES-SHA1 variant). */
  readonly prfLength: number;
  /** Default string-to-key iteration count; undefined where s2kparams do not apply. */
  readonly defaultIterations?: number;
  /** RFC 6649 / RFC 8429: never to be used. */
  readonly weak: boolean;
  /** RFC 8429: still interoperable, to be phased out. */
  readonly deprecated: boolean;
}

export interface Cksumtype {
  readonly cksumType: number;
  readonly name: string;
  readonly aliases: readonly string[];
  /** The enctype whose keys it takes. */
  readonly etype: number;
  readonly length: number;
}

function freezeAll<T extends object>(rows: T[]): readonly T[] {
  return Object.freeze(rows.map((r) => Object.freeze(r)));
}

export const ENCTYPES: readonly Enctype[] = freezeAll<Enctype>([
  {
    etype: 16,
    name: "des3-cbc-sha1-kd",
    aliases: ["des3-cbc-sha1", "des3-hmac-sha1", "des3"],
    family: "dk-sha1",
    keyLength: 24,
    keyBytes: 21,
    blockSize: 8,
    confounderLength: 8,
    cksumType: 12,
    macLength: 20,
    prfLength: 16,
    weak: false,
    deprecated: true,
  },
  {
    etype: 17,
    name: "aes128-cts-hmac-sha1-96",
    aliases: ["aes128-cts", "aes128-sha1"],
    family: "dk-sha1",
    keyLength: 16,
    keyBytes: 16,
    blockSize: 16,
    confounderLength: 16,
    cksumType: 15,
    macLength: 12,
    prfLength: 16,
    defaultIterations: 4096,
    weak: false,
    deprecated: false,
  },
  {
    etype: 18,
    name: "aes256-cts-hmac-sha1-96",
    aliases: ["aes256-cts", "aes256-sha1"],
    family: "dk-sha1",
    keyLength: 32,
    keyBytes: 32,
    blockSize: 16,
    confounderLength: 16,
    cksumType: 16,
    macLength: 12,
    prfLength: 16,
    defaultIterations: 4096,
    weak: false,
    deprecated: false,
  },
  {
    etype: 19,
    name: "aes128-cts-hmac-sha256-128",
    aliases: ["aes128-sha2"],
    family: "etm-sha2",
    keyLength: 16,
    keyBytes: 16,
    blockSize: 16,
    confounderLength: 16,
    cksumType: 19,
    macLength: 16,
    prfLength: 32,
    defaultIterations: 32768,
    weak: false,
    deprecated: false,
  },
  {
    etype: 20,
    name: "aes256-cts-hmac-sha384-192",
    aliases: ["aes256-sha2"],
    family: "etm-sha2",
    keyLength: 32,
    keyBytes: 32,
    blockSize: 16,
    confounderLength: 16,
    cksumType: 20,
    macLength: 24,
    prfLength: 48,
    defaultIterations: 32768,
    weak: false,
    deprecated: false,
  },
  {
    etype: 23,
    name: "arcfour-hmac",
    aliases: ["rc4-hmac", "arcfour-hmac-md5"],
    family: "rc4-hmac",
    keyLength: 16,
    keyBytes: 16,
    blockSize: 1,
    confounderLength: 8,
    cksumType: -138,
    macLength: 16,
    prfLength: 20,
    weak: false,
    deprecated: true,
  },
  {
    etype: 25,
    name: "camellia128-cts-cmac",
    aliases: ["camellia128-cts"],
    family: "camellia-cmac",
    keyLength: 16,
    keyBytes: 16,
    blockSize: 16,
    confounderLength: 16,
    cksumType: 17,
    macLength: 16,
    prfLength: 16,
    defaultIterations: 32768,
    weak: false,
    deprecated: false,
  },
  {
    etype: 26,
    name: "camellia256-cts-cmac",
    aliases: ["camellia256-cts"],
    family: "camellia-cmac",
    keyLength: 32,
    keyBytes: 32,
    blockSize: 16,
    confounderLength: 16,
    cksumType: 18,
    macLength: 16,
    prfLength: 16,
    defaultIterations: 32768,
    weak: false,
    deprecated: false,
  },
]);

export const CKSUMTYPES: readonly Cksumtype[] = freezeAll<Cksumtype>([
  { cksumType: 12, name: "hmac-sha1-des3-kd", aliases: ["hmac-sha1-des3"], etype: 16, length: 20 },
  { cksumType: 15, name: "hmac-sha1-96-aes128", aliases: [], etype: 17, length: 12 },
  { cksumType: 16, name: "hmac-sha1-96-aes256", aliases: [], etype: 18, length: 12 },
  { cksumType: 19, name: "hmac-sha256-128-aes128", aliases: [], etype: 19, length: 16 },
  { cksumType: 20, name: "hmac-sha384-192-aes256", aliases: [], etype: 20, length: 24 },
  { cksumType: -138, name: "hmac-md5-arcfour", aliases: ["hmac-md5-rc4", "md5-hmac-rc4"], etype: 23, length: 16 },
  { cksumType: 17, name: "cmac-camellia128", aliases: [], etype: 25, length: 16 },
  { cksumType: 18, name: "cmac-camellia256", aliases: [], etype: 26, length: 16 },
]);

// Enctype numbers are small: a dense array is the cheapest lookup on the per-message path.
const byEtype: (Enctype | undefined)[] = [];
for (const e of ENCTYPES) byEtype[e.etype] = e;
const byCksum = new Map<number, Cksumtype>(CKSUMTYPES.map((c) => [c.cksumType, c]));
const byName = new Map<string, Enctype>();
for (const e of ENCTYPES) for (const n of [e.name, ...e.aliases]) byName.set(n.toLowerCase(), e);

export function enctype(etype: number): Enctype | undefined {
  return etype >= 0 && etype < byEtype.length ? byEtype[etype] : undefined;
}

export function cksumtype(cksumType: number): Cksumtype | undefined {
  return byCksum.get(cksumType);
}

/** Looks an enctype up by name or alias (as krb5.conf and our config write them), case-insensitively. */
export function enctypeByName(name: string): Enctype | undefined {
  return byName.get(name.toLowerCase());
}
