// The Kerberos AP exchange as KINK uses it (RFC 4430 §4.2.1–4.2.2, §7; RFC 4120 §3.2):
// build an AP-REQ (fresh authenticator each time, mutual-required), verify one with a
// keytab (or, for user-to-user, a TGT session key), build and verify the AP-REP, and
// build/read KRB-ERROR. Pure functions of bytes, keys and time: no I/O, no clock.

import { CryptoBatch } from "../crypto/batch.ts";
import { decrypt, encrypt, encryptedLength } from "../crypto/kerberos.ts";
import { DerWriter } from "./der/writer.ts";
import { KrbError, KrbErrorCode } from "./errors.ts";
import { writeApRep, writeEncApRepPart } from "./messages/ap.ts";
import {
  decodeApRep,
  decodeApReq,
  decodeAuthenticator,
  decodeEncApRepPart,
  decodeEncTicketPart,
  decodeKrbError,
  encodeApReq,
  encodeAuthenticator,
  encodeKrbError,
  withoutBlockPadding,
} from "./messages/index.ts";
import {
  ApOption,
  type ApReq,
  type Authenticator,
  type Checksum,
  type EncryptionKey,
  type EncTicketPart,
  KeyUsage,
  type KrbErrorMessage,
  type Ticket,
  TicketFlag,
} from "./messages/types.ts";
import { formatPrincipal, type Principal, principalEquals } from "./principal.ts";

export type { Principal };

import { type ReplayCache, replayEntryFor, replayError } from "./replay-cache.ts";

/** Bit mask of a KerberosFlags bit number (bit 0 = most significant). */
export function flagMask(bit: number): number {
  return (0x80000000 >>> bit) >>> 0;
}

export interface ApReqInput {
  /** The service ticket; its `raw` bytes are sent as they are. */
  ticket: Ticket;
  /** Session key from the ticket (the client's credential). */
  sessionKey: EncryptionKey;
  client: Principal;
  /** Local time in ms, with any learnt clock offset already applied (RFC 4430 §3.5). */
  now: number;
  /** User-to-user ticket (encrypted in the server's TGT session key): ap-options use-session-key. */
  useSessionKey?: boolean;
  /** Authenticator checksum (a TGS-REQ's covers the req-body; KINK sends none). */
  checksum?: Checksum;
  /** AP options; default mutual-required (RFC 4430 §4.2.1). A TGS-REQ uses 0. */
  apOptions?: number;
  /** Key usage for the authenticator (RFC 4120 §7.5.1): 11 (default), or 7 inside a TGS-REQ. */
  authenticatorUsage?: number;
}

export interface BuiltApReq {
  bytes: Uint8Array;
  /** The authenticator's time, which the AP-REP must echo (RFC 4120 §3.2.5). */
  ctime: number;
  cusec: number;
}

// Successive authenticators from this process never share (ctime, cusec), even within one
// millisecond: a retransmission must look new to the peer's replay cache (RFC 4430 §9).
// Only stamps within a second of the last one are moved; a caller passing another clock (a
// learnt offset, a test) gets its own time.
let lastStamp = -1;

function authenticatorTime(now: number): { ctime: number; cusec: number } {
  let stamp = Math.floor(now) * 1000; // microseconds since the epoch
  if (stamp <= lastStamp && lastStamp - stamp < 1_000_000) stamp = lastStamp + 1;
  lastStamp = stamp;
  const ctime = Math.floor(stamp / 1_000_000) * 1000;
  return { ctime, cusec: stamp % 1_000_000 };
}

/**
 * AP-REQ with mutual-required (RFC 4430 §4.2.1), no authenticator checksum, subkey or
 * sequence number (RFC 4430 §7: KINK ignores them; racoon2 sends none either).
 */
export function buildApReq(input: ApReqInput): BuiltApReq {
  const { ctime, cusec } = authenticatorTime(input.now);
  const auth: Authenticator = { crealm: input.client.realm, cname: input.client.name, cusec, ctime };
  if (input.checksum) auth.cksum = input.checksum;
  const etype = input.sessionKey.keytype;
  const usage = input.authenticatorUsage ?? KeyUsage.AP_REQ_AUTH;
  const cipher = encrypt(etype, input.sessionKey.keyvalue, usage, encodeAuthenticator(auth));
  let apOptions = input.apOptions ?? flagMask(ApOption.mutualRequired);
  if (input.useSessionKey) apOptions |= flagMask(ApOption.useSessionKey);
  const req: ApReq = { apOptions: apOptions >>> 0, ticket: input.ticket, authenticator: { etype, cipher } };
  return { bytes: encodeApReq(req), ctime, cusec };
}

/** Finds the service key for a ticket: a keytab lookup, or a KrbError (NOKEY / BADKEYVER / NOT_US). */
export type ServiceKeyLookup = (server: Principal, kvno: number | undefined, etype: number) => EncryptionKey;

export interface VerifyApReqOptions {
  /** Service keys (from the keytab). Not consulted for use-session-key tickets. */
  serviceKey: ServiceKeyLookup;
  /** Principals this acceptor answers for; a ticket for another is KRB_AP_ERR_NOT_US. Empty: any key the lookup has. */
  acceptedServers?: Principal[];
  /** Session key of our TGT, for user-to-user tickets (ap-options use-session-key). */
  tgtSessionKey?: EncryptionKey;
  /** Local time in ms. */
  now: number;
  /** Allowed clock difference in ms (default 300 s, RFC 4120 §1.6 and krb5.conf clockskew). */
  clockSkewMs?: number;
  replayCache?: ReplayCache;
  /** Set false to skip the mutual-required check (KINK requires it: RFC 4430 §4.2.1). */
  requireMutual?: boolean;
}

export interface VerifiedApReq {
  client: Principal;
  server: Principal;
  sessionKey: EncryptionKey;
  ctime: number;
  cusec: number;
  ticket: EncTicketPart;
  authenticator: Authenticator;
  apOptions: number;
  /** kvno of the service key that decrypted the ticket (undefined for user-to-user). */
  kvno?: number;
}

/**
 * An AP-REQ that failed after the session key was recovered (clock skew, expired or not yet
 * valid ticket, replay): RFC 4430 §3.5 and racoon2 answer those with a KRB-ERROR protected by
 * that key, echoing the authenticator's ctime/cusec, so the error carries them.
 */
export class ApReqError extends KrbError {
  override readonly name = "ApReqError";
  readonly sessionKey: EncryptionKey;
  readonly client: Principal;
  readonly ctime: number;
  readonly cusec: number;
  constructor(code: number, message: string, hint: string | undefined, ctx: { sessionKey: EncryptionKey; client: Principal; ctime: number; cusec: number }) {
    super(code, message, hint);
    this.sessionKey = ctx.sessionKey;
    this.client = ctx.client;
    this.ctime = ctx.ctime;
    this.cusec = ctx.cusec;
  }
}

/** Kerberos decrypt whose failure is a KrbError with `code`, naming what failed to decrypt. */
export function decryptOr(code: number, what: string, etype: number, key: Uint8Array, usage: number, cipher: Uint8Array): Uint8Array {
  try {
    return decrypt(etype, key, usage, cipher);
  } catch (e) {
    throw new KrbError(code, `${what}: ${(e as Error).message}`);
  }
}

/** The key that decrypts the ticket, and who the ticket is for (RFC 4120 §3.2.3 first steps). */
function ticketKeyFor(req: ApReq, opts: VerifyApReqOptions): { key: EncryptionKey; server: Principal; kvno?: number } {
  if (opts.requireMutual !== false && (req.apOptions & flagMask(ApOption.mutualRequired)) === 0) {
    throw new KrbError(KrbErrorCode.KRB_AP_ERR_METHOD, "AP-REQ does not request mutual authentication", "RFC 4430 §4.2.1 requires mutual-required");
  }
  const server: Principal = { realm: req.ticket.realm, name: req.ticket.sname };
  const enc = req.ticket.encPart;
  let key: EncryptionKey;
  if ((req.apOptions & flagMask(ApOption.useSessionKey)) !== 0) {
    if (opts.tgtSessionKey === undefined) {
      throw new KrbError(KrbErrorCode.KRB_AP_ERR_NO_TGT, "user-to-user AP-REQ but this acceptor has no TGT", "fetch a TGT first, or refuse GETTGT");
    }
    key = opts.tgtSessionKey;
  } else {
    const accepted = opts.acceptedServers;
    if (accepted && accepted.length > 0 && !accepted.some((p) => principalEquals(p.name, p.realm, server.name, server.realm))) {
      throw new KrbError(
        KrbErrorCode.KRB_AP_ERR_NOT_US,
        `ticket is for ${formatPrincipal(server.name, server.realm)}`,
        `this acceptor is ${accepted.map((p) => formatPrincipal(p.name, p.realm)).join(", ")}`,
      );
    }
    key = opts.serviceKey(server, enc.kvno, enc.etype);
  }
  if (key.keytype !== enc.etype) {
    throw new KrbError(KrbErrorCode.KRB_AP_ERR_NOKEY, `ticket is encrypted with enctype ${enc.etype}, the key is enctype ${key.keytype}`);
  }
  return key === opts.tgtSessionKey || enc.kvno === undefined ? { key, server } : { key, server, kvno: enc.kvno };
}

/** The checks after both decryptions (RFC 4120 §3.2.3): names, times, replay. */
function checkAuthenticated(req: ApReq, server: Principal, tkt: EncTicketPart, auth: Authenticator, opts: VerifyApReqOptions, kvno?: number): VerifiedApReq {
  const sessionKey = tkt.key;
  if (req.authenticator.etype !== sessionKey.keytype) {
    throw new KrbError(
      KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
      `authenticator enctype ${req.authenticator.etype} differs from the session key's ${sessionKey.keytype}`,
    );
  }
  const client: Principal = { realm: tkt.crealm, name: tkt.cname };
  if (!principalEquals(auth.cname, auth.crealm, tkt.cname, tkt.crealm)) {
    throw new KrbError(
      KrbErrorCode.KRB_AP_ERR_BADMATCH,
      `authenticator names ${formatPrincipal(auth.cname, auth.crealm)}, ticket ${formatPrincipal(tkt.cname, tkt.crealm)}`,
    );
  }
  const ctx = { sessionKey, client, ctime: auth.ctime, cusec: auth.cusec };
  const now = opts.now;
  const skew = opts.clockSkewMs ?? 300_000;
  const authMs = auth.ctime + Math.floor(auth.cusec / 1000);
  if (Math.abs(authMs - now) > skew) {
    const diff = Math.round((authMs - now) / 1000);
    throw new ApReqError(
      KrbErrorCode.KRB_AP_ERR_SKEW,
      `authenticator time is ${Math.abs(diff)} s ${diff > 0 ? "ahead of" : "behind"} ours`,
      `peer clock differs by ${diff} s (limit ${skew / 1000} s); check NTP`,
      ctx,
    );
  }
  const start = tkt.starttime ?? tkt.authtime;
  if (start - skew > now || (tkt.flags & flagMask(TicketFlag.invalid)) !== 0) {
    throw new ApReqError(KrbErrorCode.KRB_AP_ERR_TKT_NYV, `ticket valid from ${new Date(start).toISOString()}`, "clock skew or a postdated ticket", ctx);
  }
  if (tkt.endtime + skew < now) {
    throw new ApReqError(
      KrbErrorCode.KRB_AP_ERR_TKT_EXPIRED,
      `ticket expired at ${new Date(tkt.endtime).toISOString()}`,
      "the peer must fetch a new service ticket",
      ctx,
    );
  }
  if (opts.replayCache) {
    const verdict = opts.replayCache.check(replayEntryFor(auth, server.name, server.realm), now);
    if (verdict !== "ok") {
      const err = replayError(verdict, formatPrincipal(client.name, client.realm))!;
      throw new ApReqError(err.code, err.detail, err.hint, ctx);
    }
  }
  const out: VerifiedApReq = { client, server, sessionKey, ctime: auth.ctime, cusec: auth.cusec, ticket: tkt, authenticator: auth, apOptions: req.apOptions };
  if (kvno !== undefined) out.kvno = kvno;
  return out;
}

/** Verifies an AP-REQ (RFC 4120 §3.2.3) and returns the client, the session key and the authenticator time. */
export function verifyApReq(input: Uint8Array | ApReq, opts: VerifyApReqOptions): VerifiedApReq {
  const req = input instanceof Uint8Array ? decodeApReq(input) : input;
  const { key, server, kvno } = ticketKeyFor(req, opts);
  const enc = req.ticket.encPart;
  const tkt = decodeEncTicketPart(
    withoutBlockPadding(decryptOr(KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY, "ticket", enc.etype, key.keyvalue, KeyUsage.KDC_REP_TICKET, enc.cipher)),
  );
  const a = req.authenticator;
  const auth = decodeAuthenticator(
    withoutBlockPadding(decryptOr(KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY, "authenticator", a.etype, tkt.key.keyvalue, KeyUsage.AP_REQ_AUTH, a.cipher)),
  );
  return checkAuthenticated(req, server, tkt, auth, opts, kvno);
}

/**
 * Verifies many AP-REQs with two WASM calls in all (every ticket decryption in one batch, every
 * authenticator decryption in a second): the shape of a receive path that handles datagrams in
 * batches. Each result is the verified AP-REQ or the KrbError for that input; the checks are
 * those of verifyApReq. Replay-cache checks run in input order. `withSessionKey` may queue more
 * operations keyed by each ticket's session key into the second batch; their results are
 * readable from that batch until the next CryptoBatch is made.
 */
export function verifyApReqBatch(
  inputs: readonly Uint8Array[],
  opts: VerifyApReqOptions,
  withSessionKey?: (batch: CryptoBatch, index: number, sessionKey: EncryptionKey) => void,
): (VerifiedApReq | KrbError)[] {
  const out: (VerifiedApReq | KrbError)[] = new Array(inputs.length);
  const stage: { i: number; req: ApReq; server: Principal; kvno?: number; op: number }[] = [];
  const tickets = new CryptoBatch();
  for (let i = 0; i < inputs.length; i++) {
    try {
      const req = decodeApReq(inputs[i] as Uint8Array);
      const { key, server, kvno } = ticketKeyFor(req, opts);
      const enc = req.ticket.encPart;
      const op = tickets.decrypt(enc.etype, key.keyvalue, KeyUsage.KDC_REP_TICKET, enc.cipher);
      stage.push(kvno === undefined ? { i, req, server, op } : { i, req, server, kvno, op });
    } catch (e) {
      out[i] = asKrbError(e);
    }
  }
  tickets.run();
  // Decoded parts keep views into their input, so each plaintext is copied out of the batch
  // area before the next batch reuses it.
  const decoded: { s: (typeof stage)[number]; tkt: EncTicketPart }[] = [];
  for (const s of stage) {
    try {
      decoded.push({ s, tkt: decodeEncTicketPart(withoutBlockPadding(batchOutput(tickets, s.op, "ticket"))) });
    } catch (e) {
      out[s.i] = asKrbError(e);
    }
  }
  // The second batch also carries whatever else the caller does with each session key (the
  // engine opens the KINK message there: one WASM call covers both).
  const auths = new CryptoBatch();
  const second: { s: (typeof stage)[number]; tkt: EncTicketPart; op: number }[] = [];
  for (const { s, tkt } of decoded) {
    try {
      // An authenticator etype or key the crypto refuses is this AP-REQ's failure alone.
      const op = auths.decrypt(s.req.authenticator.etype, tkt.key.keyvalue, KeyUsage.AP_REQ_AUTH, s.req.authenticator.cipher);
      withSessionKey?.(auths, s.i, tkt.key);
      second.push({ s, tkt, op });
    } catch (e) {
      out[s.i] = new KrbError(KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY, `authenticator: ${(e as Error).message}`);
    }
  }
  auths.run();
  for (const { s, tkt, op } of second) {
    try {
      const auth = decodeAuthenticator(withoutBlockPadding(batchOutput(auths, op, "authenticator")));
      out[s.i] = checkAuthenticated(s.req, s.server, tkt, auth, opts, s.kvno);
    } catch (e) {
      out[s.i] = asKrbError(e);
    }
  }
  return out;
}

function batchOutput(b: CryptoBatch, op: number, what: string): Uint8Array {
  try {
    return b.output(op);
  } catch (e) {
    throw new KrbError(KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY, `${what}: ${(e as Error).message}`);
  }
}

function asKrbError(e: unknown): KrbError {
  if (e instanceof KrbError) return e;
  return new KrbError(KrbErrorCode.KRB_ERR_GENERIC, (e as Error).message ?? String(e));
}

/**
 * An AP-REP laid out before its encryption: the DER with the enc-part's cipher as zeroed room
 * of its final length (the DER lengths depend on that length, never on the octets), and the
 * EncAPRepPart that Kerberos encrypt with the session key and key usage 12 turns into that
 * cipher [RFC 4120 §5.5.2]. A KINK REPLY seals it in the same WASM batch as KINK_ENCRYPT and
 * the Cksum (wire/seal.ts). Both arrays are views into one writer, valid until the next
 * layoutApRep or buildApRep.
 */
export interface ApRepLayout {
  readonly der: Uint8Array;
  /** Where the cipher starts in `der`: it is the last field of the last field, so it ends the DER. */
  readonly cipherAt: number;
  /** The DER EncAPRepPart to encrypt. */
  readonly plaintext: Uint8Array;
  /** Key usage to encrypt it with. */
  readonly usage: typeof KeyUsage.AP_REP_ENCPART;
}

const apRepWriter = new DerWriter(256);
/**
 * Zeros standing in for the cipher while the AP-REP is laid out; never written. Its length
 * follows the EncAPRepPart's, which changes only with the octets cusec takes.
 */
let cipherRoom = new Uint8Array(0);

/** Lays out the AP-REP echoing the authenticator's ctime/cusec (no subkey, no sequence number: RFC 4430 §7). */
export function layoutApRep(sessionKey: EncryptionKey, ctime: number, cusec: number): ApRepLayout {
  const w = apRepWriter.reset();
  writeEncApRepPart(w, { ctime, cusec });
  const plainEnd = w.length;
  const n = encryptedLength(sessionKey.keytype, plainEnd);
  if (cipherRoom.length !== n) cipherRoom = new Uint8Array(n);
  writeApRep(w, { encPart: { etype: sessionKey.keytype, cipher: cipherRoom } });
  return { der: w.view(plainEnd), cipherAt: w.length - plainEnd - n, plaintext: w.view(0, plainEnd), usage: KeyUsage.AP_REP_ENCPART };
}

/** AP-REP echoing the authenticator's ctime/cusec, encrypted in the session key (usage 12). */
export function buildApRep(sessionKey: EncryptionKey, ctime: number, cusec: number): Uint8Array {
  const layout = layoutApRep(sessionKey, ctime, cusec);
  const der = layout.der.slice();
  der.set(encrypt(sessionKey.keytype, sessionKey.keyvalue, layout.usage, layout.plaintext), layout.cipherAt);
  return der;
}

/**
 * Verifies an AP-REP (RFC 4120 §3.2.5): it must decrypt with the session key and echo the
 * time of one of the authenticators this transaction sent (RFC 4430 §9: a retransmitted
 * command may be answered for an earlier authenticator). Returns the matching one's index.
 */
export function verifyApRep(bytes: Uint8Array, sessionKey: EncryptionKey, sent: readonly { ctime: number; cusec: number }[]): number {
  const { encPart } = decodeApRep(bytes);
  const plain = decryptOr(KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY, "AP-REP", encPart.etype, sessionKey.keyvalue, KeyUsage.AP_REP_ENCPART, encPart.cipher);
  return matchApRep(plain, sent);
}

/** Queues an AP-REP's decryption into a crypto batch; matchApRep checks the output. */
export function queueApRepDecrypt(batch: CryptoBatch, bytes: Uint8Array, sessionKey: EncryptionKey): number {
  const { encPart } = decodeApRep(bytes);
  return batch.decrypt(encPart.etype, sessionKey.keyvalue, KeyUsage.AP_REP_ENCPART, encPart.cipher);
}

/** The index of the sent authenticator a decrypted EncAPRepPart echoes, or KRB_AP_ERR_MUT_FAIL. */
export function matchApRep(plain: Uint8Array, sent: readonly { ctime: number; cusec: number }[]): number {
  const part = decodeEncApRepPart(withoutBlockPadding(plain));
  const i = sent.findIndex((a) => a.ctime === part.ctime && a.cusec === part.cusec);
  if (i < 0) throw new KrbError(KrbErrorCode.KRB_AP_ERR_MUT_FAIL, "AP-REP does not echo any authenticator this transaction sent");
  return i;
}

export interface KrbErrorInput {
  errorCode: number;
  /** Local time in ms (stime/susec). */
  now: number;
  /** Server (our) principal. */
  server: Principal;
  client?: Principal;
  /** Echo of the authenticator time (RFC 4430 §3.5 asks for it with KRB_AP_ERR_SKEW). */
  ctime?: number;
  cusec?: number;
  eText?: string;
  eData?: Uint8Array;
}

/** KRB-ERROR (RFC 4120 §5.9.1). */
export function buildKrbError(input: KrbErrorInput): Uint8Array {
  const msg: KrbErrorMessage = {
    stime: Math.floor(input.now / 1000) * 1000,
    susec: Math.floor(input.now % 1000) * 1000,
    errorCode: input.errorCode,
    realm: input.server.realm,
    sname: input.server.name,
  };
  if (input.ctime !== undefined) msg.ctime = input.ctime;
  if (input.cusec !== undefined) msg.cusec = input.cusec;
  if (input.client) {
    msg.crealm = input.client.realm;
    msg.cname = input.client.name;
  }
  if (input.eText !== undefined) msg.eText = input.eText;
  if (input.eData !== undefined) msg.eData = input.eData;
  return encodeKrbError(msg);
}

/** Reads a KRB-ERROR; `error` is the matching KrbError for logs and control flow. */
export function readKrbError(bytes: Uint8Array): { message: KrbErrorMessage; error: KrbError } {
  const message = decodeKrbError(bytes);
  const text = message.eText ? `peer says: ${message.eText}` : `from ${formatPrincipal(message.sname, message.realm)}`;
  return { message, error: new KrbError(message.errorCode, text) };
}
