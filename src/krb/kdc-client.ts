// The KDC client: AS exchange with a keytab key or a password (PA-ENC-TIMESTAMP after
// KDC_ERR_PREAUTH_REQUIRED, salt and s2kparams from PA-ETYPE-INFO2), TGS exchange for
// service tickets, user-to-user TGS (enc-tkt-in-skey with the peer's TGT), and a ticket
// cache that renews before expiry and coalesces concurrent requests (RFC 4120 §3.1, §3.3).

import { randomInt } from "node:crypto";
import { enctypeByName, enctype as lookupEnctype } from "../crypto/enctypes.ts";
import { encrypt, makeChecksum, stringToKey } from "../crypto/kerberos.ts";
import { buildApReq, decryptOr, flagMask, type Principal } from "./ap.ts";
import type { Credential as CcacheCredential } from "./ccache.ts";
import { KrbError, KrbErrorCode } from "./errors.ts";
import { sendToKdc, transportOptionsFrom } from "./kdc-transport.ts";
import { type KdcAddress, type Krb5Conf, kdcsForRealm } from "./krb5-conf.ts";
import {
  decodeEncKdcRepPart,
  decodeEtypeInfo2,
  decodeKdcRep,
  decodeKrbError,
  decodeMethodData,
  decodeTicket,
  encodeEncryptedData,
  encodeKdcReq,
  encodeKdcReqBody,
  encodePaEncTsEnc,
  peekApplicationTag,
  withoutBlockPadding,
} from "./messages/index.ts";
import {
  type EncKdcRepPart,
  type EncryptionKey,
  type EtypeInfo2Entry,
  KdcOption,
  type KdcReqBody,
  KeyUsage,
  NameType,
  type PaData,
  PaDataType,
  type PrincipalName,
  type Ticket,
} from "./messages/types.ts";
import { formatPrincipal } from "./principal.ts";

/** A ticket with what the client needs to use it. */
export interface Credentials {
  client: Principal;
  server: Principal;
  ticket: Ticket;
  sessionKey: EncryptionKey;
  flags: number;
  authtime: number;
  starttime?: number;
  endtime: number;
  renewTill?: number;
}

/** How the client proves its identity in the AS exchange. */
export type ClientSecret = { kind: "keys"; keys: readonly EncryptionKey[] } | { kind: "password"; password: string };

export interface KdcClientOptions {
  realm: string;
  kdcs: KdcAddress[];
  /** Enctypes to ask for, in preference order (default: aes256-sha1, aes128-sha1, aes256-sha384, aes128-sha256). */
  enctypes?: number[];
  /** Requested ticket lifetime in ms (default 10 h). */
  lifetimeMs?: number;
  /** Clock offset to apply (ms, peer time − local time) learnt from protected KRB_AP_ERR_SKEW errors. */
  clockOffsetMs?: number;
  /** Time source (ms); tests pass a fixed clock. */
  now?: () => number;
  /** Transport options (timeouts, UDP size limit) passed to sendToKdc. */
  transport?: Parameters<typeof sendToKdc>[2];
  /** Observer of every request/reply pair (debug logging of KDC traffic, tests). */
  onExchange?: (request: Uint8Array, reply: Uint8Array) => void;
}

const DEFAULT_ENCTYPES = [18, 17, 20, 19];

function tgsPrincipal(realm: string): PrincipalName {
  return { nameType: NameType.NT_SRV_INST, nameString: ["krbtgt", realm] };
}

/** The KDC's KRB-ERROR as a typed error, with a hint for the codes operators hit most. */
function kdcError(reply: Uint8Array, what: string): KrbError {
  const m = decodeKrbError(reply);
  const who = m.cname ? formatPrincipal(m.cname, m.crealm ?? m.realm) : "";
  let hint: string | undefined;
  if (m.errorCode === KrbErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN) hint = `client ${who} is not in realm ${m.realm}`;
  else if (m.errorCode === KrbErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN) hint = `service ${formatPrincipal(m.sname, m.realm)} is not in realm ${m.realm}`;
  else if (m.errorCode === KrbErrorCode.KDC_ERR_PREAUTH_FAILED) hint = "wrong password or key for the client";
  else if (m.errorCode === KrbErrorCode.KDC_ERR_ETYPE_NOSUPP) hint = "no enctype in common with the KDC for this principal";
  else if (m.errorCode === KrbErrorCode.KRB_AP_ERR_SKEW) hint = "local clock differs from the KDC's; check NTP";
  return new KrbError(m.errorCode, `${what}${m.eText ? `: ${m.eText}` : ""}`, hint);
}

export class KdcClient {
  /**
   * A client for `realm` (default: [libdefaults] default_realm) with the KDCs, enctype lists and
   * transport settings of a parsed krb5.conf. Explicit options override the file.
   */
  static fromKrb5Conf(conf: Krb5Conf, overrides: Partial<KdcClientOptions> = {}): KdcClient {
    const realm = overrides.realm ?? conf.libdefaults.defaultRealm;
    if (realm === undefined) throw new KrbError(KrbErrorCode.KRB_ERR_GENERIC, `${conf.fileName}: no realm given and no [libdefaults] default_realm`);
    const kdcs = overrides.kdcs ?? kdcsForRealm(conf, realm);
    if (kdcs.length === 0) throw new KrbError(KrbErrorCode.KRB_ERR_GENERIC, `${conf.fileName}: realm ${realm} has no kdc in [realms]`);
    const names = conf.libdefaults.defaultTktEnctypes ?? conf.libdefaults.permittedEnctypes ?? [];
    const fromConf = names.map((n) => enctypeByName(n)?.etype).filter((e): e is number => e !== undefined);
    const opts: KdcClientOptions = { ...overrides, realm, kdcs, transport: { ...transportOptionsFrom(conf.libdefaults), ...overrides.transport } };
    const enctypes = overrides.enctypes ?? (fromConf.length > 0 ? fromConf : undefined);
    if (enctypes) opts.enctypes = enctypes;
    return new KdcClient(opts);
  }

  readonly realm: string;
  readonly #opts: KdcClientOptions;
  readonly #enctypes: number[];

  constructor(opts: KdcClientOptions) {
    this.realm = opts.realm;
    this.#opts = opts;
    this.#enctypes = opts.enctypes ?? DEFAULT_ENCTYPES;
    for (const e of this.#enctypes)
      if (lookupEnctype(e) === undefined) throw new KrbError(KrbErrorCode.KDC_ERR_ETYPE_NOSUPP, `enctype ${e} is not implemented`);
  }

  #now(): number {
    return (this.#opts.now?.() ?? Date.now()) + (this.#opts.clockOffsetMs ?? 0);
  }

  async #exchange(req: Uint8Array): Promise<Uint8Array> {
    const reply = await sendToKdc(req, this.#opts.kdcs, this.#opts.transport);
    this.#opts.onExchange?.(req, reply);
    return reply;
  }

  /** AS exchange: a TGT (or, with `server`, a ticket straight for that service) for `client`. */
  async getInitialCredentials(client: PrincipalName, secret: ClientSecret, server: PrincipalName = tgsPrincipal(this.realm)): Promise<Credentials> {
    const nonce = randomInt(0, 0x7fffffff);
    const now = this.#now();
    const body: KdcReqBody = {
      kdcOptions: (flagMask(KdcOption.forwardable) | flagMask(KdcOption.renewableOk)) >>> 0,
      cname: client,
      realm: this.realm,
      sname: server,
      till: Math.floor((now + (this.#opts.lifetimeMs ?? 36_000_000)) / 1000) * 1000,
      nonce,
      etype: secret.kind === "keys" ? this.#enctypes.filter((e) => secret.keys.some((k) => k.keytype === e)) : this.#enctypes,
    };
    if (body.etype.length === 0)
      throw new KrbError(KrbErrorCode.KDC_ERR_ETYPE_NOSUPP, `no key of an allowed enctype for ${formatPrincipal(client, this.realm)}`);
    let padata: PaData[] | undefined;
    let etypeInfo: EtypeInfo2Entry[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const reply = await this.#exchange(encodeKdcReq({ msgType: 10, padata, reqBody: body }));
      const tag = peekApplicationTag(reply);
      if (tag === 30) {
        const err = decodeKrbError(reply);
        if (err.errorCode === KrbErrorCode.KDC_ERR_PREAUTH_REQUIRED && padata === undefined && err.eData) {
          // RFC 4120 §5.2.7: the KDC lists what it accepts in METHOD-DATA, with ETYPE-INFO2 (§5.2.7.5).
          for (const pa of decodeMethodData(err.eData)) if (pa.padataType === PaDataType.PA_ETYPE_INFO2) etypeInfo = decodeEtypeInfo2(pa.padataValue);
          padata = [this.#encTimestamp(client, secret, etypeInfo)];
          continue;
        }
        throw kdcError(reply, `AS exchange for ${formatPrincipal(client, this.realm)}`);
      }
      if (tag !== 11) throw new KrbError(KrbErrorCode.KRB_AP_ERR_MSG_TYPE, `KDC answered an AS-REQ with application tag ${tag}`);
      const rep = decodeKdcRep(reply);
      // PA-ETYPE-INFO2 in the AS-REP tells the salt the reply key was made with (RFC 4120 §5.2.7.5).
      for (const pa of rep.padata ?? []) if (pa.padataType === PaDataType.PA_ETYPE_INFO2) etypeInfo = decodeEtypeInfo2(pa.padataValue);
      const key = this.#clientKey(client, secret, rep.encPart.etype, etypeInfo);
      const plain = decryptOr(KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY, "AS-REP", rep.encPart.etype, key.keyvalue, KeyUsage.AS_REP_ENCPART, rep.encPart.cipher);
      const part = decodeEncKdcRepPart(withoutBlockPadding(plain));
      return this.#credentials(rep.crealm, rep.cname, rep.ticket, part, nonce, client, server);
    }
    throw new KrbError(KrbErrorCode.KDC_ERR_PREAUTH_FAILED, `AS exchange for ${formatPrincipal(client, this.realm)} did not complete`);
  }

  /** TGS exchange (RFC 4120 §3.3): a service ticket using `tgt`; `secondTicket` makes it user-to-user. */
  async getServiceTicket(tgt: Credentials, server: PrincipalName, secondTicket?: Ticket): Promise<Credentials> {
    const nonce = randomInt(0, 0x7fffffff);
    const now = this.#now();
    let options = flagMask(KdcOption.forwardable) | flagMask(KdcOption.canonicalize);
    if (secondTicket) options |= flagMask(KdcOption.encTktInSkey);
    const body: KdcReqBody = {
      kdcOptions: options >>> 0,
      realm: this.realm,
      sname: server,
      till: Math.min(tgt.endtime, Math.floor((now + (this.#opts.lifetimeMs ?? 36_000_000)) / 1000) * 1000),
      nonce,
      etype: this.#enctypes,
    };
    if (secondTicket) body.additionalTickets = [secondTicket];
    // RFC 4120 §7.5.1: the TGS-REQ authenticator carries a keyed checksum over the encoded
    // req-body (usage 6) and is encrypted in the TGT session key (usage 7).
    const bodyDer = encodeKdcReqBody(body);
    const key = tgt.sessionKey;
    const ek = lookupEnctype(key.keytype);
    if (ek === undefined) throw new KrbError(KrbErrorCode.KDC_ERR_ETYPE_NOSUPP, `TGT session key enctype ${key.keytype} is not implemented`);
    const cksum = { cksumtype: ek.cksumType, checksum: makeChecksum(ek.cksumType, key.keyvalue, KeyUsage.TGS_REQ_AUTH_CKSUM, bodyDer) };
    // RFC 4120 §5.5.1: a TGS-REQ's AP-REQ asks for no mutual authentication.
    const apReq = buildApReq({
      ticket: tgt.ticket,
      sessionKey: key,
      client: tgt.client,
      now,
      checksum: cksum,
      apOptions: 0,
      authenticatorUsage: KeyUsage.TGS_REQ_AUTH,
    });
    const req = encodeKdcReq({ msgType: 12, padata: [{ padataType: PaDataType.PA_TGS_REQ, padataValue: apReq.bytes }], reqBody: body, reqBodyRaw: bodyDer });
    const reply = await this.#exchange(req);
    const tag = peekApplicationTag(reply);
    if (tag === 30) throw kdcError(reply, `TGS exchange for ${formatPrincipal(server, this.realm)}`);
    if (tag !== 13) throw new KrbError(KrbErrorCode.KRB_AP_ERR_MSG_TYPE, `KDC answered a TGS-REQ with application tag ${tag}`);
    const rep = decodeKdcRep(reply);
    const plain = decryptOr(
      KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
      "TGS-REP",
      rep.encPart.etype,
      key.keyvalue,
      KeyUsage.TGS_REP_ENCPART_SESSKEY,
      rep.encPart.cipher,
    );
    const part = decodeEncKdcRepPart(withoutBlockPadding(plain));
    return this.#credentials(rep.crealm, rep.cname, rep.ticket, part, nonce, tgt.client.name, server, !!secondTicket);
  }

  #encTimestamp(client: PrincipalName, secret: ClientSecret, info: EtypeInfo2Entry[]): PaData {
    // Use the first enctype the KDC offers that we can make a key for (RFC 4120 §5.2.7.2).
    const offered = info.length > 0 ? info.map((i) => i.etype) : this.#enctypes;
    const etype = offered.find((e) => this.#enctypes.includes(e) && (secret.kind === "password" || secret.keys.some((k) => k.keytype === e)));
    if (etype === undefined)
      throw new KrbError(KrbErrorCode.KDC_ERR_ETYPE_NOSUPP, `KDC offers enctypes ${offered.join(", ")} for pre-authentication; we have none of them`);
    const key = this.#clientKey(client, secret, etype, info);
    const now = this.#now();
    const ts = encodePaEncTsEnc({ patimestamp: Math.floor(now / 1000) * 1000, pausec: Math.floor(now % 1000) * 1000 });
    const cipher = encrypt(etype, key.keyvalue, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, ts);
    // PA-ENC-TIMESTAMP's value is an EncryptedData (RFC 4120 §5.2.7.2).
    return { padataType: PaDataType.PA_ENC_TIMESTAMP, padataValue: encodeEncryptedData({ etype, cipher }) };
  }

  #clientKey(client: PrincipalName, secret: ClientSecret, etype: number, info: EtypeInfo2Entry[]): EncryptionKey {
    if (secret.kind === "keys") {
      const k = secret.keys.find((x) => x.keytype === etype);
      if (k === undefined) throw new KrbError(KrbErrorCode.KRB_AP_ERR_NOKEY, `no key with enctype ${etype} for ${formatPrincipal(client, this.realm)}`);
      return k;
    }
    const entry = info.find((i) => i.etype === etype);
    // RFC 4120 §4: the default salt is the realm followed by the name components.
    const salt = entry?.salt ?? this.realm + client.nameString.join("");
    return { keytype: etype, keyvalue: stringToKey(etype, secret.password, salt, entry?.s2kparams) };
  }

  #credentials(
    crealm: string,
    cname: PrincipalName,
    ticket: Ticket,
    part: EncKdcRepPart,
    nonce: number,
    client: PrincipalName,
    server: PrincipalName,
    u2u = false,
  ): Credentials {
    if (part.nonce !== nonce) throw new KrbError(KrbErrorCode.KRB_AP_ERR_MODIFIED, "KDC reply nonce does not match the request");
    if (cname.nameString.join("/") !== client.nameString.join("/")) {
      throw new KrbError(
        KrbErrorCode.KRB_AP_ERR_MODIFIED,
        `KDC issued a ticket for ${formatPrincipal(cname, crealm)}, not ${formatPrincipal(client, this.realm)}`,
      );
    }
    if (!u2u && part.sname.nameString.join("/") !== server.nameString.join("/")) {
      throw new KrbError(KrbErrorCode.KRB_AP_ERR_MODIFIED, `KDC issued a ticket for ${formatPrincipal(part.sname, part.srealm)}`);
    }
    const c: Credentials = {
      client: { realm: crealm, name: cname },
      server: { realm: part.srealm, name: part.sname },
      ticket,
      sessionKey: part.key,
      flags: part.flags,
      authtime: part.authtime,
      endtime: part.endtime,
    };
    if (part.starttime !== undefined) c.starttime = part.starttime;
    if (part.renewTill !== undefined) c.renewTill = part.renewTill;
    return c;
  }
}

export interface TicketCacheOptions {
  /** Refetch when less than this much lifetime is left (ms; default 5 min or a tenth of the lifetime, whichever is less). */
  renewBeforeMs?: number;
  now?: () => number;
}

/**
 * In-memory credentials cache for one client principal: a TGT and service tickets keyed by
 * server (and by second ticket for user-to-user). A ticket close to expiry is refetched
 * before use, and concurrent requests for the same ticket share one KDC exchange.
 */
export class TicketCache {
  readonly #client: PrincipalName;
  readonly #kdc: KdcClient;
  readonly #secret: ClientSecret;
  readonly #opts: TicketCacheOptions;
  readonly #creds = new Map<string, Credentials>();
  readonly #inflight = new Map<string, Promise<Credentials>>();
  /** KDC exchanges made (for metrics and tests). */
  fetches = 0;

  constructor(kdc: KdcClient, client: PrincipalName, secret: ClientSecret, opts: TicketCacheOptions = {}) {
    this.#kdc = kdc;
    this.#client = client;
    this.#secret = secret;
    this.#opts = opts;
  }

  #fresh(c: Credentials | undefined): c is Credentials {
    if (c === undefined) return false;
    const now = this.#opts.now?.() ?? Date.now();
    const life = c.endtime - (c.starttime ?? c.authtime);
    const margin = this.#opts.renewBeforeMs ?? Math.min(300_000, life / 10);
    return c.endtime - margin > now;
  }

  #get(key: string, fetch: () => Promise<Credentials>): Promise<Credentials> {
    const have = this.#creds.get(key);
    if (this.#fresh(have)) return Promise.resolve(have);
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    this.fetches++;
    const p = fetch()
      .then((c) => {
        this.#creds.set(key, c);
        return c;
      })
      .finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, p);
    return p;
  }

  /** Our TGT (AS exchange when missing or near expiry). */
  tgt(): Promise<Credentials> {
    return this.#get("krbtgt", () => this.#kdc.getInitialCredentials(this.#client, this.#secret));
  }

  /** A service ticket for `server` (user-to-user when `peerTgt` is given: encrypted in that TGT's session key). */
  serviceTicket(server: PrincipalName, peerTgt?: Ticket): Promise<Credentials> {
    const key = `${server.nameString.join("/")}${peerTgt ? `|u2u:${Buffer.from(peerTgt.encPart.cipher.subarray(0, 16)).toString("hex")}` : ""}`;
    return this.#get(key, async () => this.#kdc.getServiceTicket(await this.tgt(), server, peerTgt));
  }

  /** Forgets a ticket (e.g. after KRB_AP_ERR_TKT_EXPIRED from the peer, RFC 4430 §9). */
  drop(server: PrincipalName): void {
    for (const k of [...this.#creds.keys()]) if (k === server.nameString.join("/") || k.startsWith(`${server.nameString.join("/")}|`)) this.#creds.delete(k);
  }
}

/** Our credentials as an MIT ccache entry (so `klist` and MIT tools can use tickets we fetched). */
export function toCcacheCredential(c: Credentials, secondTicket?: Ticket): CcacheCredential {
  if (c.ticket.raw === undefined) throw new KrbError(KrbErrorCode.KRB_ERR_GENERIC, "ticket has no DER bytes to store");
  return {
    client: c.client,
    server: c.server,
    key: c.sessionKey,
    authtime: c.authtime,
    starttime: c.starttime ?? 0,
    endtime: c.endtime,
    renewTill: c.renewTill ?? 0,
    isSkey: secondTicket !== undefined,
    flags: c.flags,
    addresses: [],
    authData: [],
    ticket: c.ticket.raw,
    secondTicket: secondTicket?.raw ?? new Uint8Array(0),
  };
}

/** An MIT ccache entry as our credentials (e.g. a ticket `kinit` + `kvno` obtained). */
export function fromCcacheCredential(c: CcacheCredential): Credentials {
  const out: Credentials = {
    client: c.client,
    server: c.server,
    ticket: decodeTicket(c.ticket),
    sessionKey: c.key,
    flags: c.flags,
    authtime: c.authtime,
    endtime: c.endtime,
  };
  if (c.starttime) out.starttime = c.starttime;
  if (c.renewTill) out.renewTill = c.renewTill;
  return out;
}
