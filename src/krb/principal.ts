// Principal names as text: "kink/host.example@REALM". The syntax is RFC 1964 §2.1.1: components
// separated by '/', the realm after '@', and a backslash quoting any character that would
// otherwise be a separator. Like MIT krb5_unparse_name / krb5_parse_name we also write and read
// \n \t \b \0 for those control characters, so names round-trip through MIT's tools, config
// files and log lines unchanged.
import { KrbError, KrbErrorCode } from "./errors.ts";
import { NameType, type PrincipalName } from "./messages/types.ts";

/** A principal with its realm (the pair every keytab entry, ccache and ticket carries). */
export interface Principal {
  name: PrincipalName;
  realm: string;
}

export interface ParsePrincipalOptions {
  /** Realm to use when the text has no "@REALM" part; without it such text is an error. */
  defaultRealm?: string;
  /** Name type for the result; MIT's krb5_parse_name gives NT-PRINCIPAL, and so do we by default. */
  nameType?: number;
}

// RFC 1964 §2.1.1 quotes '/', '@' and '\'; MIT adds the control characters it cannot print.
const QUOTE: Record<string, string> = { "/": "\\/", "@": "\\@", "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\b": "\\b", "\0": "\\0" };
const UNQUOTE: Record<string, string> = { n: "\n", t: "\t", b: "\b", "0": "\0" };

const NEEDS_QUOTING = /[/@\\\n\t\b\0]/;

function quote(s: string): string {
  // Almost no name needs quoting: test first, so the common case allocates nothing.
  return NEEDS_QUOTING.test(s) ? s.replace(/[/@\\\n\t\b\0]/g, (c) => QUOTE[c]!) : s;
}

/** Text form of a principal, "comp1/comp2@REALM", quoted as MIT krb5_unparse_name does (also in the realm). */
export function formatPrincipal(name: PrincipalName, realm?: string): string {
  const parts = name.nameString;
  let base = parts.length > 0 ? quote(parts[0]!) : "";
  for (let i = 1; i < parts.length; i++) base += `/${quote(parts[i]!)}`;
  return realm === undefined ? base : `${base}@${quote(realm)}`;
}

/** Parses "comp1/comp2@REALM" (RFC 1964 §2.1.1 quoting). Malformed text → KrbError KRB_ERR_GENERIC. */
export function parsePrincipal(text: string, opts: ParsePrincipalOptions = {}): Principal {
  const bad = (problem: string) => new KrbError(KrbErrorCode.KRB_ERR_GENERIC, `principal ${JSON.stringify(text)}: ${problem}`);
  const components: string[] = [];
  let cur = "";
  let realm: string | undefined;
  let inRealm = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\") {
      const n = text[++i];
      if (n === undefined) throw bad("ends in a lone backslash");
      cur += UNQUOTE[n] ?? n;
    } else if (c === "@") {
      // A second unquoted '@' is ambiguous (MIT rejects it too).
      if (inRealm) throw bad("more than one unquoted '@'");
      components.push(cur);
      cur = "";
      inRealm = true;
    } else if (c === "/" && !inRealm) {
      components.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  if (inRealm) {
    if (cur === "") throw bad("empty realm after '@'");
    realm = cur;
  } else {
    components.push(cur);
  }
  if (components.length === 1 && components[0] === "") throw bad("empty name");
  realm ??= opts.defaultRealm;
  if (realm === undefined) throw bad("no realm and no default realm");
  return { name: { nameType: opts.nameType ?? NameType.NT_PRINCIPAL, nameString: components }, realm };
}

/** Same components and realm (name types are not compared, as MIT's krb5_principal_compare does not). */
export function principalEquals(a: PrincipalName, aRealm: string, b: PrincipalName, bRealm: string): boolean {
  if (aRealm !== bRealm || a.nameString.length !== b.nameString.length) return false;
  return a.nameString.every((c, i) => c === b.nameString[i]);
}
