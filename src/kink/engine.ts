// The KINK protocol engine [RFC 4430]: initiator and responder of CREATE (2- and 3-message),
// DELETE, STATUS, GETTGT and ACK, with retransmission, reply cache, epoch tracking and rekey.
//
// It is a state machine with no I/O: every entry point takes the time and returns what to do
// (datagrams to send, batches for the SA sink, tickets to fetch, events). Work that must wait
// for the sink or the KDC is a continuation: the engine hands out a job id and resumes in
// sinkDone/ticketDone. The receive path takes datagrams in batches; the Kerberos work of a
// batch (AP-REQ verification) runs as WASM batches (krb/ap.ts verifyApReqBatch).

import { randomFillSync } from "node:crypto";
import type { Logger } from "pino";
import { CryptoBatch } from "../crypto/batch.ts";
import { Id32Index } from "../ipsec/id32-index.ts";
import { type IpsecProtocol, type SaId, type SaSpec, type SinkOp, type SinkResult, wipeSaKeys } from "../ipsec/sink.ts";
import {
  ApReqError,
  buildApReq,
  flagMask,
  matchApRep,
  queueApRepDecrypt,
  readKrbError,
  type ServiceKeyLookup,
  type VerifiedApReq,
  verifyApReqBatch,
} from "../krb/ap.ts";
import { KrbError, KrbErrorCode } from "../krb/errors.ts";
import type { Credentials } from "../krb/kdc-client.ts";
import { decodeApReq, decodeTicket } from "../krb/messages/index.ts";
import { ApOption, type EncryptionKey, type Ticket } from "../krb/messages/types.ts";
import { formatPrincipal, type Principal, parsePrincipal, principalEquals } from "../krb/principal.ts";
import type { ReplayCache } from "../krb/replay-cache.ts";
import { KINK_PORT, KinkErrorCode, MessageType, PayloadType } from "../wire/constants.ts";
import { type DecodedKink, decodeKinkMessage, openedFromBatch, openKinkMessage, queueKinkOpen, type SessionKey } from "../wire/decode.ts";
import { KinkError } from "../wire/errors.ts";
import { type KinkInteropOptions, kinkErrorMeaning, RFC_INTEROP, replyPortFor } from "../wire/interop.ts";
import { type IsakmpPayload, isErrorNotify, NotifyType, notifyTypeName, type SaPayload } from "../wire/isakmp/index.ts";
import type { InnerPayload, KinkIsakmpPayload } from "../wire/kink-message.ts";
import { deriveKeymat, keymatOctets, splitKeymat } from "./keymat.ts";
import {
  encodeCommand,
  encodeGetTgt,
  encodeLoneKinkError,
  encodeLoneKrbError,
  encodeProtectedKrbError,
  encodeReply,
  encodeTgtReply,
  flatPayloads,
  isakmp,
  notify,
  sessionOf,
  spiOctets,
} from "./messages.ts";
import { DhExchange } from "./pfs.ts";
import { acceptChoice, buildSaChoice, buildSaOffer, chooseProposal, type NegotiatedSa, PROTOCOL_ID, protocolOf, type SaPolicy } from "./proposal.ts";
import { pairInfo, type SaPair, SaTable } from "./sa-table.ts";
import { type TimerOwner, TimerQueue } from "./timer-queue.ts";
import type {
  Endpoint,
  EngineEvent,
  EngineOutput,
  InboundDatagram,
  OutboundDatagram,
  PeerConfig,
  RetransmitPolicy,
  SinkJob,
  TicketJob,
  TicketResult,
} from "./types.ts";

export interface KinkEngineConfig {
  /** Our KINK principal, e.g. kink/gw.example.com@EXAMPLE.COM [RFC 4430 §4.2.1]. */
  readonly principal: string;
  /** Service keys (keytab). Absent: this peer only accepts user-to-user tickets [RFC 4430 §3.1]. */
  readonly serviceKey?: ServiceKeyLookup;
  /** Our epoch: low 32 bits of the POSIX time our SA state began [RFC 4430 §4.2.1]. */
  readonly epoch: number;
  readonly peers: readonly PeerConfig[];
  readonly replayCache: ReplayCache;
  /** Defaults for peers without their own interop options, and for datagrams not yet tied to a peer. */
  readonly interop?: KinkInteropOptions;
  readonly retransmit?: Partial<RetransmitPolicy>;
  /** How long a REPLY stays cached for retransmitted commands (ms; racoon2 60 s) [RFC 4430 §9]. */
  readonly replyCacheMs?: number;
  /** Grace before an inbound SA is removed after DELETE, for packets still in flight (ms) [RFC 4430 §3.3]. */
  readonly deleteGraceMs?: number;
  /** Allowed clock difference (ms, default 300 s) [RFC 4120 §1.6]. */
  readonly clockSkewMs?: number;
  /** Answer unauthenticated failures with a lone KINK_ERROR/KRB_ERROR (RFC 4430 §9 MAY; off makes us no reflector). */
  readonly unauthenticatedErrors?: boolean;
  /** Random octets (nonces, XIDs, jitter); default node:crypto. */
  readonly random?: (out: Uint8Array) => void;
  readonly logger?: Logger;
}

const DEFAULT_RETRANSMIT: RetransmitPolicy = { initialMs: 1000, maxIntervalMs: 16_000, maxTransmissions: 5 };

type ExchangeKind = "create" | "delete" | "status" | "gettgt";
type ExchangePhase = "ticket" | "prepare" | "sent" | "install" | "aging" | "done";

/** One SA of an outgoing CREATE: one KINK_ISAKMP payload [RFC 4430 §4.2.6]. */
interface CreateItem {
  readonly policyIndex: number;
  readonly policy: SaPolicy;
  /** Inbound SPI per protocol offered (from the sink's getSpi). */
  readonly spis: Partial<Record<IpsecProtocol, number>>;
  offer?: SaPayload;
  /** Ni, drawn when the exchange starts so a colliding CREATE can be judged at any phase [RFC 4430 §3.6]. */
  readonly ni: Uint8Array;
  dh?: DhExchange;
  /** The optimistic inbound SA installed before sending (2-message form) [RFC 4430 §3.2]. */
  optimistic?: { sa: NegotiatedSa; spec: SaSpec };
  pair?: SaPair;
  /** Lost a CREATE collision to the peer's CREATE answered in this record: our pair is redundant [RFC 4430 §3.6]. */
  lostTo?: ReplyRecord;
}

/** An exchange we initiated, alive until answered or given up [RFC 4430 §9]. */
interface Exchange extends TimerOwner {
  readonly xid: number;
  readonly kind: ExchangeKind;
  readonly config: PeerConfig;
  readonly server: Principal;
  readonly to: Endpoint;
  readonly local: string;
  phase: ExchangePhase;
  creds?: Credentials;
  /** The peer's TGT from GETTGT: our ticket to it is user-to-user [RFC 4430 §3.1]. */
  peerTgt?: Ticket;
  /** GETTGT: the exchange waiting for the peer's TGT. */
  forExchange?: Exchange;
  /** Authenticator times of every transmission: an AP-REP may answer any of them [RFC 4430 §9]. */
  readonly sent: { ctime: number; cusec: number }[];
  transmissions: number;
  interval: number;
  /** The protected payloads, fixed across retransmissions (only the AP-REQ changes). */
  inner: InnerPayload[];
  pendingJobs: number;
  readonly items: CreateItem[];
  /** DELETE: the pairs it removes. */
  readonly deleting: SaPair[];
  /** CREATE: the pairs it replaces (make-before-break) [RFC 4430 §3.6]. */
  readonly rekeyOf: SaPair[];
  /** Retries already spent on KRB_AP_ERR_SKEW / TKT_EXPIRED (once each) [kink.md §6.2]. */
  readonly retried: { skew: boolean; expired: boolean; gettgt: boolean };
  /** The ACK last sent, so a retransmitted REPLY is re-acknowledged [RFC 4430 §8.6]. */
  ackReq: boolean;
}

/** A command we answered: the cached REPLY, and for a 3-message CREATE the outbound SAs waiting for the ACK. */
interface ReplyRecord extends TimerOwner {
  /** The peer's state, whose reply cache holds this record. */
  readonly remote: Remote;
  /** Source address of the command: with the XID, what identifies the transaction of this principal. */
  readonly from: string;
  phase: "prepare" | "ack-wait" | "aging";
  readonly xid: number;
  readonly principal: string;
  reply: Uint8Array | undefined;
  to: Endpoint;
  readonly local: Endpoint;
  transmissions: number;
  interval: number;
  readonly pairs: SaPair[];
  /**
   * Our pairs that lost a CREATE collision to this command: deleted once its pairs are up here,
   * so traffic always has an SA pair [RFC 4430 §3.6].
   */
  losers: SaPair[] | undefined;
}

/** A transaction of one principal: its XID and where the command came from. */
interface Transaction {
  readonly xid: number;
  readonly from: string;
}
const sameTransaction = (r: ReplyRecord, t: Transaction) => r.from === t.from;
const transactionKey = (t: Transaction) => `${t.from}|${t.xid >>> 0}`;

interface Remote {
  /**
   * REPLYs sent to this principal's commands, by XID and source address, kept for retransmissions
   * [RFC 4430 §9]. One small index per principal: sequential XIDs of many clients do not collide.
   */
  readonly replies: Id32Index<Transaction, ReplyRecord>;
  epoch: number;
  lastHeard: number;
  /** Learnt from a protected KRB_AP_ERR_SKEW: peer time − our time (ms) [RFC 4430 §3.5]. */
  clockOffsetMs: number;
  /**
   * The user-to-user peer's TGT that our last authenticated exchange used: later exchanges skip
   * GETTGT. Replaced only when a ticket under a newer TGT has worked, so an unauthenticated
   * TGT_REP never costs us a working ticket [RFC 4430 §3.7.1].
   */
  peerTgt?: Ticket;
}

/** A responder CREATE waiting for SPIs from the sink. */
interface ResponderCreate {
  readonly record: ReplyRecord;
  readonly verified: VerifiedApReq;
  readonly config: PeerConfig;
  readonly interop: KinkInteropOptions;
  readonly local: string;
  readonly remote: string;
  readonly epoch: number;
  readonly items: ResponderItem[];
}

type ResponderItem =
  | { readonly ok: true; sa: NegotiatedSa; readonly optimistic: boolean; readonly policyIndex: number; readonly ni: Uint8Array; readonly ke?: Uint8Array }
  | { readonly ok: false; readonly payloads: IsakmpPayload[] };

type Continuation =
  | { readonly kind: "exchange-spi"; readonly ex: Exchange }
  | { readonly kind: "exchange-optimistic"; readonly ex: Exchange }
  | { readonly kind: "exchange-install"; readonly ex: Exchange }
  | { readonly kind: "responder-spi"; readonly rc: ResponderCreate }
  | { readonly kind: "responder-install"; readonly rc: ResponderCreate; readonly reply: Uint8Array; readonly ackReq: boolean }
  | { readonly kind: "fire-and-forget"; readonly what: string };

/**
 * One SinkJob: the sink work of every continuation started during one engine call, in order.
 * Each continuation owns a contiguous run of the ops and resumes with its run of the results,
 * so a batch of 64 CREATEs costs the sink one batch, not 64 (one netlink round for XFRM).
 */
interface SinkBatch {
  readonly ops: SinkOp[];
  readonly parts: { readonly k: Continuation; readonly from: number; readonly to: number }[];
}

/** Dead-peer detection of one peer entry: its idle timer and the STATUS probing it [RFC 4430 §3.7]. */
interface DpdState extends TimerOwner {
  readonly config: PeerConfig;
  readonly principal: string;
  readonly idleMs: number;
  probe?: Exchange;
}

/** What a new transaction retrying an exchange carries over [RFC 4430 §9]. */
interface Retry {
  readonly retried: Exchange["retried"];
  readonly refresh?: TicketJob["refresh"];
  /** The peer's new TGT, from a KINK_TGT_REP answering a command [RFC 4430 §3.7.1]. */
  readonly peerTgt?: Ticket;
}

type TimerTarget =
  | (Exchange & { readonly tag: "exchange" })
  | (ReplyRecord & { readonly tag: "reply" })
  | (SaPair & { readonly tag: "pair" })
  | (DpdState & { readonly tag: "dpd" });

const NO_PAYLOADS: InnerPayload[] = [];

function u32(bytes: Uint8Array): number {
  return bytes.length === 4 ? ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0 : -1;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export class KinkEngine {
  readonly principal: Principal;
  readonly epoch: number;
  readonly #cfg: KinkEngineConfig;
  readonly #log: Logger | undefined;
  readonly #retransmit: RetransmitPolicy;
  /** T-retrans: how long a full retransmission cycle lasts [RFC 4430 §3.6]. */
  #retransmitCycleMs = 0;
  readonly #interop: KinkInteropOptions;
  readonly #random: (out: Uint8Array) => void;
  readonly #sas = new SaTable();
  readonly #exchanges = new Map<number, Exchange>();
  /** CREATEs of ours not yet installed, per peer entry: what a peer's CREATE may collide with [RFC 4430 §3.6]. */
  readonly #creating = new Map<PeerConfig, Set<Exchange>>();
  readonly #remotes = new Map<string, Remote>();
  /** Peer entries under dead-peer detection (those with SAs and `dpdIdleSeconds`), each with its timer armed [RFC 4430 §3.7]. */
  readonly #dpd = new Map<PeerConfig, DpdState & { readonly tag: "dpd" }>();
  readonly #jobs = new Map<number, SinkBatch>();
  /** Exchanges waiting for a ticket, by TicketJob id. */
  readonly #ticketJobs = new Map<number, Exchange>();
  /** Sink work gathered during the current engine call; #drain sends it as one SinkJob. */
  #pendingSink: SinkBatch = { ops: [], parts: [] };
  readonly #timers = new TimerQueue<TimerTarget>();
  #tgt: Credentials | undefined;
  #nextXid: number;
  #nextJob = 1;
  #nextPair = 1;
  #out: { send: OutboundDatagram[]; sink: SinkJob[]; tickets: TicketJob[]; events: EngineEvent[] } = { send: [], sink: [], tickets: [], events: [] };

  constructor(cfg: KinkEngineConfig) {
    this.#cfg = cfg;
    this.principal = parsePrincipal(cfg.principal);
    this.epoch = cfg.epoch >>> 0;
    this.#log = cfg.logger;
    this.#retransmit = { ...DEFAULT_RETRANSMIT, ...cfg.retransmit };
    for (let i = 0, t = this.#retransmit.initialMs; i < this.#retransmit.maxTransmissions; i++, t = Math.min(t * 2, this.#retransmit.maxIntervalMs))
      this.#retransmitCycleMs += t;
    this.#interop = cfg.interop ?? RFC_INTEROP;
    this.#random = cfg.random ?? ((out) => randomFillSync(out));
    const x = new Uint32Array(1);
    this.#random(new Uint8Array(x.buffer));
    this.#nextXid = x[0]!;
  }

  // ---------------------------------------------------------------------------------------
  // Entry points

  /** Our TGT, handed out in GETTGT replies and used to accept user-to-user tickets [RFC 4430 §3.1]. */
  setTgt(tgt: Credentials | undefined): void {
    this.#tgt = tgt;
  }

  /** SA pairs currently known (for status output and tests). */
  pairs(): SaPair[] {
    return [...this.#sas.all()];
  }

  /** Exchanges in flight (for status output and tests). */
  get pendingExchanges(): number {
    return this.#exchanges.size;
  }

  /** Starts a CREATE to a configured peer. */
  create(peerName: string, now: number): EngineOutput {
    const config = this.#peerByName(peerName);
    this.#startCreate(config, now, []);
    return this.#drain();
  }

  /** Starts a DELETE of every SA pair we have with a peer (or just `pairs`) [RFC 4430 §3.3]. */
  delete(peerName: string, now: number, pairs?: readonly SaPair[]): EngineOutput {
    const config = this.#peerByName(peerName);
    const targets = (pairs ?? [...this.#sas.all()].filter((p) => p.config === config)).filter((p) => p.state === "up" || p.state === "rekeying");
    if (targets.length > 0) this.#startDelete(config, targets, now);
    return this.#drain();
  }

  /** Sends STATUS to a peer: liveness and epoch check [RFC 4430 §3.4], optionally carrying Notify payloads. */
  status(peerName: string, now: number, notifies: readonly IsakmpPayload[] = []): EngineOutput {
    const config = this.#peerByName(peerName);
    const ex = this.#newExchange("status", config);
    if (notifies.length > 0) ex.inner = [isakmp(notifies)];
    this.#acquireTicket(ex, now);
    return this.#drain();
  }

  /** Handles a batch of received datagrams. */
  receive(batch: readonly InboundDatagram[], now: number): EngineOutput {
    const commands: { d: InboundDatagram; msg: DecodedKink; apReq: Uint8Array }[] = [];
    const replies: { d: InboundDatagram; msg: DecodedKink }[] = [];
    for (const d of batch) {
      let msg: DecodedKink;
      try {
        msg = decodeKinkMessage(d.data, this.#interop);
      } catch (e) {
        this.#malformed(d, e);
        continue;
      }
      if (msg.type === MessageType.REPLY) {
        replies.push({ d, msg });
      } else if (msg.type === MessageType.GETTGT) {
        this.#onGetTgt(d, msg, now);
      } else {
        const ap = msg.payloads[0];
        if (ap?.type !== PayloadType.AP_REQ) continue; // the walk guarantees it; racoon2 drops such commands [kink.md §9]
        commands.push({ d, msg, apReq: ap.apReq });
      }
    }
    // The crypto of a batch of commands runs in two WASM calls: ticket decryptions, then
    // authenticator decryptions together with every Cksum check and KINK_ENCRYPT decryption.
    for (let from = 0; from < commands.length; from += COMMANDS_PER_CRYPTO_BATCH) this.#commands(commands.slice(from, from + COMMANDS_PER_CRYPTO_BATCH), now);
    for (let from = 0; from < replies.length; from += COMMANDS_PER_CRYPTO_BATCH) this.#repliesBatch(replies.slice(from, from + COMMANDS_PER_CRYPTO_BATCH), now);
    return this.#drain();
  }

  #commands(commands: readonly { d: InboundDatagram; msg: DecodedKink; apReq: Uint8Array }[], now: number): void {
    const tgt = this.#tgt;
    const opens = new Int32Array(commands.length).fill(-1);
    let batch: CryptoBatch | undefined;
    const verified = verifyApReqBatch(
      commands.map((c) => c.apReq),
      {
        serviceKey: this.#cfg.serviceKey ?? noServiceKey,
        acceptedServers: [this.principal],
        ...(tgt !== undefined && { tgtSessionKey: tgt.sessionKey }),
        now,
        clockSkewMs: this.#cfg.clockSkewMs ?? 300_000,
        replayCache: this.#cfg.replayCache,
      },
      (b, i, key) => {
        batch = b;
        opens[i] = queueKinkOpen(b, commands[i]!.d.data, sessionOf(key), this.#interop);
      },
    );
    // Read every opened message out of the batch before anything else touches WASM memory.
    const opened: (DecodedKink | KinkError | undefined)[] = commands.map((c, i) => {
      const op = opens[i]!;
      if (batch === undefined || op < 0 || verified[i] instanceof KrbError) return undefined;
      try {
        return openedFromBatch(batch, op, c.d.data);
      } catch (e) {
        if (e instanceof KinkError) return e;
        throw e;
      }
    });
    for (let i = 0; i < commands.length; i++) {
      const c = commands[i]!;
      this.#onCommand(c.d, c.msg, verified[i]!, opened[i], now);
    }
  }

  /**
   * REPLYs to our exchanges: each one's AP-REP decryption, Cksum check and KINK_ENCRYPT
   * decryption (the session key is the exchange's) share one WASM batch.
   */
  #repliesBatch(replies: readonly { d: InboundDatagram; msg: DecodedKink }[], now: number): void {
    const batch = new CryptoBatch();
    // Per REPLY: its queued operations, undefined when it has no AP-REP of ours, null to drop it.
    const queued: ({ ex: Exchange; open: number; apRep: number } | undefined | null)[] = replies.map(({ d, msg }) => {
      const ex = this.#exchanges.get(msg.xid);
      const ap = msg.payloads[0];
      if (ex === undefined || ex.creds === undefined || ex.to.address !== d.from.address || ap?.type !== PayloadType.AP_REP || ex.kind === "gettgt")
        return undefined;
      try {
        const apRep = queueApRepDecrypt(batch, ap.apRep, ex.creds.sessionKey);
        return { ex, apRep, open: queueKinkOpen(batch, d.data, sessionOf(ex.creds.sessionKey), this.#interopFor(ex.config)) };
      } catch (e) {
        this.#log?.info({ peer: ex.config.name, xid: ex.xid }, `REPLY dropped: ${(e as Error).message}`);
        return null;
      }
    });
    batch.run();
    const results = queued.map((q, i) => {
      if (q == null) return q;
      try {
        matchApRep(batch.outputView(q.apRep), q.ex.sent);
        return openedFromBatch(batch, q.open, replies[i]!.d.data);
      } catch (e) {
        this.#log?.info({ peer: q.ex.config.name, xid: q.ex.xid }, `REPLY dropped: ${(e as Error).message}`);
        return null;
      }
    });
    for (let i = 0; i < replies.length; i++) {
      const r = results[i];
      if (r === null) continue;
      this.#onReply(replies[i]!.d, replies[i]!.msg, r, now);
    }
  }

  /** Resumes the work waiting for a sink batch. */
  sinkDone(jobId: number, results: readonly SinkResult[], now: number): EngineOutput {
    const job = this.#jobs.get(jobId);
    if (job === undefined) return this.#drain();
    this.#jobs.delete(jobId);
    // The sink has taken its copy of the keys: ours are zeroed now.
    for (const op of job.ops) if (op.op === "addSa" || op.op === "updateSa") wipeSaKeys(op.sa);
    for (const part of job.parts) this.#resume(part.k, part.from === 0 && part.to === results.length ? results : results.slice(part.from, part.to), now);
    return this.#drain();
  }

  /** Resumes one continuation with the results of its own sink operations. */
  #resume(k: Continuation, results: readonly SinkResult[], now: number): void {
    switch (k.kind) {
      case "exchange-spi":
        this.#exchangeSpis(k.ex, results, now);
        break;
      case "exchange-optimistic":
        this.#exchangeOptimisticDone(k.ex, results, now);
        break;
      case "exchange-install":
        this.#exchangeInstalled(k.ex, results, now);
        break;
      case "responder-spi":
        this.#responderSpis(k.rc, results, now);
        break;
      case "responder-install":
        this.#responderInstalled(k.rc, k.reply, k.ackReq, results, now);
        break;
      case "fire-and-forget":
        this.#reportSinkErrors(k.what, results);
        break;
    }
  }

  /** Resumes an exchange waiting for a ticket. */
  ticketDone(jobId: number, result: TicketResult, now: number): EngineOutput {
    const ex = this.#ticketJobs.get(jobId);
    this.#ticketJobs.delete(jobId);
    if (ex !== undefined) {
      if (!result.ok) {
        this.#fail(ex, `no ticket for ${formatPrincipal(ex.server.name, ex.server.realm)}: ${result.error.message}`);
      } else if (ex.phase !== "done") {
        ex.creds = result.credentials;
        ex.pendingJobs--;
        this.#maybeSend(ex, now);
      }
    }
    return this.#drain();
  }

  /** A sink event (SA expiry) [RFC 4430 §3.6]. */
  sinkEvent(event: { type: "expire"; id: SaId; hard: boolean }, now: number): EngineOutput {
    const pair = this.#sas.byInbound(event.id) ?? this.#sas.byOutboundId(event.id);
    if (pair !== undefined) {
      if (event.hard) this.#pairGone(pair, "hard lifetime expired", now, false);
      else if (pair.role === "initiator" && pair.state === "up") this.#startRekey(pair, now);
    }
    return this.#drain();
  }

  /** Earliest time `tick` has work (ms), if any. */
  nextDeadline(): number | undefined {
    return this.#timers.next();
  }

  /** Runs every timer due at `now`: retransmissions, give-ups, reply-cache ageing, delete grace, rekeys. */
  tick(now: number): EngineOutput {
    for (let t = this.#timers.pop(now); t !== undefined; t = this.#timers.pop(now)) {
      if (t.tag === "exchange") this.#exchangeTimer(t, now);
      else if (t.tag === "reply") this.#replyTimer(t, now);
      else if (t.tag === "dpd") this.#dpdTimer(t, now);
      else this.#pairTimer(t, now);
    }
    return this.#drain();
  }

  // ---------------------------------------------------------------------------------------
  // Output plumbing

  #drain(): EngineOutput {
    if (this.#pendingSink.parts.length > 0) {
      const id = this.#nextJob++;
      this.#jobs.set(id, this.#pendingSink);
      this.#out.sink.push({ id, ops: this.#pendingSink.ops });
      this.#pendingSink = { ops: [], parts: [] };
    }
    const out = this.#out;
    this.#out = { send: [], sink: [], tickets: [], events: [] };
    return out;
  }

  #sink(ops: readonly SinkOp[], k: Continuation): void {
    const batch = this.#pendingSink;
    const from = batch.ops.length;
    for (let i = 0; i < ops.length; i++) batch.ops.push(ops[i]!);
    batch.parts.push({ k, from, to: batch.ops.length });
  }

  #event(e: EngineEvent): void {
    this.#out.events.push(e);
  }

  #send(data: Uint8Array, to: Endpoint, local?: string): void {
    this.#out.send.push(local === undefined ? { data, to } : { data, to, from: { address: local, port: 0 } });
  }

  #reportSinkErrors(what: string, results: readonly SinkResult[]): void {
    for (const r of results) {
      if (r.ok) continue;
      // A missing SA on delete is the normal end of a race with the kernel's own expiry.
      if (r.error.code === "not-found" && (r.error.op === "deleteSa" || what.startsWith("delete"))) continue;
      this.#log?.warn({ op: r.error.op, code: r.error.code }, `${what}: ${r.error.message}`);
      this.#event({ type: "sink-error", op: what, reason: r.error.message });
    }
  }

  // ---------------------------------------------------------------------------------------
  // Peers, epochs, principals

  #peerByName(name: string): PeerConfig {
    const c = this.#cfg.peers.find((p) => p.name === name);
    if (c === undefined) throw new RangeError(`no peer named ${name}`);
    if (c.address === undefined || c.localAddress === undefined) throw new RangeError(`peer ${name} needs address and localAddress to initiate`);
    return c;
  }

  /** The peer entry covering an authenticated client: exact principal, then `*@REALM`, then `*`. */
  #peerForClient(client: string, realm: string, address: string): PeerConfig | undefined {
    let realmMatch: PeerConfig | undefined;
    let any: PeerConfig | undefined;
    for (const p of this.#cfg.peers) {
      if (p.address !== undefined && p.address !== address) continue;
      if (p.principal === client) return p;
      if (realmMatch === undefined && p.principal === `*@${realm}`) realmMatch = p;
      if (any === undefined && p.principal === "*") any = p;
    }
    return realmMatch ?? any;
  }

  #interopFor(config: PeerConfig | undefined): KinkInteropOptions {
    return config?.interop ?? this.#interop;
  }

  #remote(principal: string): Remote {
    let r = this.#remotes.get(principal);
    if (r === undefined) {
      r = { replies: new Id32Index<Transaction, ReplyRecord>(sameTransaction, transactionKey), epoch: 0, lastHeard: 0, clockOffsetMs: 0 };
      this.#remotes.set(principal, r);
    }
    return r;
  }

  /**
   * Records the epoch of an authenticated AP-REQ/AP-REP. A changed epoch means the peer lost its
   * SA state: every pair created with that principal is torn down, and re-created where policy
   * keeps it up [RFC 4430 §3.7]. racoon2 sends 0 when unknown; that is ignored.
   */
  #observeEpoch(principal: string, r: Remote, epoch: number, now: number): void {
    r.lastHeard = now;
    if (epoch === 0) return;
    const old = r.epoch;
    r.epoch = epoch;
    if (old === 0 || old === epoch) return;
    this.#log?.warn({ principal, oldEpoch: old, newEpoch: epoch }, "peer restarted (epoch changed): its SAs are gone");
    this.#event({ type: "peer-restarted", principal, oldEpoch: old, newEpoch: epoch });
    const recreate = new Set<PeerConfig>();
    for (const pair of this.#sas.ofPrincipal(principal)) {
      if (pair.peerEpoch === epoch) continue;
      if (pair.role === "initiator" && pair.config.keepUp !== false) recreate.add(pair.config);
      this.#pairGone(pair, "peer restarted", now, true);
    }
    for (const config of recreate) this.#startCreate(config, now, []);
  }

  // ---------------------------------------------------------------------------------------
  // Receive: failures before authentication

  /** A datagram the codec refused: answer as RFC 4430 §9 says, if at all. */
  #malformed(d: InboundDatagram, e: unknown): void {
    if (!(e instanceof KinkError)) throw e;
    this.#log?.info({ from: d.from.address, reason: e.reason }, `malformed KINK datagram: ${e.message}`);
    if (e.response.kind !== "kink-error" || this.#cfg.unauthenticatedErrors === false || d.data.length < 12) return;
    const xid = new DataView(d.data.buffer, d.data.byteOffset).getUint32(8);
    this.#send(encodeLoneKinkError(xid, e.response.code), this.#replyTo(d, undefined), d.local.address);
  }

  #replyTo(d: InboundDatagram, config: PeerConfig | undefined): Endpoint {
    return { address: d.from.address, port: replyPortFor(this.#interopFor(config), d.from.port) };
  }

  /** GETTGT: hand out our TGT for user-to-user, unauthenticated [RFC 4430 §3.1, §4.2.4–4.2.5]. */
  #onGetTgt(d: InboundDatagram, msg: DecodedKink, now: number): void {
    const req = msg.payloads.find((p) => p.type === PayloadType.TGT_REQ);
    if (req === undefined) return;
    let asked: Principal | undefined;
    try {
      asked = parsePrincipal(req.principal, { defaultRealm: this.principal.realm });
    } catch {
      asked = undefined;
    }
    const to = this.#replyTo(d, undefined);
    const isUs = asked !== undefined && formatPrincipal(asked.name, asked.realm) === formatPrincipal(this.principal.name, this.principal.realm);
    if (!isUs) {
      this.#log?.info({ from: d.from.address, asked: req.principal }, "GETTGT for a principal we are not");
      if (this.#cfg.unauthenticatedErrors !== false)
        this.#send(encodeLoneKrbError({ xid: msg.xid, errorCode: KrbErrorCode.KRB_AP_ERR_NOT_US, now, server: this.principal }), to, d.local.address);
      return;
    }
    const tgt = this.#tgt?.ticket.raw;
    if (tgt === undefined) {
      this.#log?.info({ from: d.from.address }, "GETTGT refused: user-to-user not enabled (no TGT)");
      this.#send(encodeLoneKinkError(msg.xid, KinkErrorCode.U2UDENIED), to, d.local.address);
      return;
    }
    // Unauthenticated by design [RFC 4430 §4.2.5]: a TGT is useless without its session key.
    this.#send(encodeTgtReply(msg.xid, tgt), to, d.local.address);
  }

  // ---------------------------------------------------------------------------------------
  // Receive: commands (CREATE, DELETE, STATUS, ACK)

  #onCommand(d: InboundDatagram, msg: DecodedKink, v: VerifiedApReq | KrbError, result: DecodedKink | KinkError | undefined, now: number): void {
    if (v instanceof KrbError) {
      this.#apReqFailed(d, msg, v, now);
      return;
    }
    const principal = formatPrincipal(v.client.name, v.client.realm);
    const config = this.#peerForClient(principal, v.client.realm, d.from.address);
    const interop = this.#interopFor(config);
    let opened: DecodedKink;
    try {
      // Opened in the AP-REQ batch with the engine's codec options; a peer with stricter ones gets them here.
      opened = result === undefined || interop !== this.#interop ? openKinkMessage(d.data, sessionOf(v.sessionKey), interop) : throwIfError(result);
    } catch (e) {
      if (!(e instanceof KinkError)) throw e;
      this.#log?.info({ from: d.from.address, principal, reason: e.reason }, `command refused: ${e.message}`);
      if (e.response.kind === "drop") return; // a bad Cksum is dropped silently [RFC 4430 §5.1]
      const inner =
        e.response.kind === "notify" ? [isakmp([notify(e.response.notifyType)])] : [{ type: PayloadType.ERROR, code: e.response.code } as InnerPayload];
      this.#send(encodeReply(msg.xid, this.epoch, v.sessionKey, v, inner), this.#replyTo(d, config), d.local.address);
      return;
    }
    const ap = opened.payloads[0]!;
    const remote = this.#remote(principal);
    if (ap.type === PayloadType.AP_REQ) this.#observeEpoch(principal, remote, ap.epoch, now);
    const transaction: Transaction = { xid: opened.xid, from: d.from.address };
    if (opened.type === MessageType.ACK) {
      this.#onAck(remote, transaction, now);
      return;
    }
    const cached = remote.replies.get(opened.xid, transaction);
    if (cached !== undefined) {
      // A retransmitted command: the cached REPLY, byte for byte, and no second SA [RFC 4430 §9].
      if (cached.reply !== undefined) this.#send(cached.reply, cached.to, d.local.address);
      return;
    }
    // Every field from the start (one object shape, no properties added later).
    const record: ReplyRecord & { tag: "reply" } = {
      tag: "reply",
      remote,
      from: d.from.address,
      phase: "prepare",
      xid: opened.xid,
      principal,
      reply: undefined,
      to: this.#replyTo(d, config),
      local: d.local,
      transmissions: 0,
      interval: this.#retransmit.initialMs,
      pairs: [],
      losers: undefined,
      timerGeneration: 0,
    };
    remote.replies.set(opened.xid, transaction, record);
    const payloads = flatPayloads(opened);
    switch (opened.type) {
      case MessageType.CREATE:
        this.#onCreate(record, d, payloads, v, config, interop, now);
        break;
      case MessageType.DELETE:
        this.#onDelete(record, payloads, v, now);
        break;
      case MessageType.STATUS:
        this.#onStatus(record, payloads, v, now);
        break;
      default:
        remote.replies.delete(opened.xid, transaction, record);
    }
  }

  /** The AP-REQ failed. With the key recovered (skew, expiry) the error is protected [RFC 4430 §3.5, §9]. */
  #apReqFailed(d: InboundDatagram, msg: DecodedKink, e: KrbError, now: number): void {
    this.#log?.info({ from: d.from.address, code: e.codeName }, `AP-REQ refused: ${e.message}`);
    if (e.code === KrbErrorCode.KRB_AP_ERR_REPEAT) return; // a replay gets no answer (racoon2; RFC 4430 §9)
    if (msg.type === MessageType.ACK) return; // an ACK is never answered
    const to = this.#replyTo(d, undefined);
    const tgt = this.#staleUserToUser(msg, e);
    if (tgt !== undefined) {
      // A user-to-user ticket for a TGT we no longer hold: the REPLY carries the current one,
      // unauthenticated (useless without its session key) [RFC 4430 §3.7.1].
      this.#log?.info({ from: d.from.address }, "user-to-user ticket for an old TGT: answering with our current TGT");
      this.#send(encodeTgtReply(msg.xid, tgt), to, d.local.address);
      return;
    }
    if (e instanceof ApReqError) {
      const reply = encodeProtectedKrbError({
        xid: msg.xid,
        epoch: this.epoch,
        errorCode: e.code,
        now,
        server: this.principal,
        sessionKey: e.sessionKey,
        ctime: e.ctime,
        cusec: e.cusec,
        eText: e.detail,
      });
      this.#send(reply, to, d.local.address);
      return;
    }
    if (this.#cfg.unauthenticatedErrors === false) return;
    this.#send(encodeLoneKrbError({ xid: msg.xid, errorCode: e.code, now, server: this.principal, eText: e.detail }), to, d.local.address);
  }

  /**
   * Our current TGT, when a command failed because its user-to-user ticket (use-session-key,
   * for us) does not decrypt under that TGT's session key: it was made for a TGT we lost
   * [RFC 4430 §3.7.1].
   */
  #staleUserToUser(msg: DecodedKink, e: KrbError): Uint8Array | undefined {
    const tgt = this.#tgt?.ticket.raw;
    if (tgt === undefined || e instanceof ApReqError) return undefined;
    if (e.code !== KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY && e.code !== KrbErrorCode.KRB_AP_ERR_NOKEY) return undefined;
    const ap = msg.payloads[0];
    if (ap?.type !== PayloadType.AP_REQ) return undefined;
    let req: ReturnType<typeof decodeApReq>;
    try {
      req = decodeApReq(ap.apReq);
    } catch {
      return undefined;
    }
    if ((req.apOptions & flagMask(ApOption.useSessionKey)) === 0) return undefined;
    return principalEquals(req.ticket.sname, req.ticket.realm, this.principal.name, this.principal.realm) ? tgt : undefined;
  }

  // ---------------------------------------------------------------------------------------
  // Responder: CREATE [RFC 4430 §3.2, §6.3]

  #onCreate(
    record: ReplyRecord,
    d: InboundDatagram,
    payloads: readonly ReturnType<typeof flatPayloads>[number][],
    v: VerifiedApReq,
    config: PeerConfig | undefined,
    interop: KinkInteropOptions,
    now: number,
  ): void {
    const chains = payloads.filter((p): p is KinkIsakmpPayload => p.type === PayloadType.ISAKMP);
    if (config === undefined) {
      // Authenticated, but no local policy covers this principal: refuse every SA, protected.
      this.#log?.warn({ principal: record.principal, from: d.from.address }, "CREATE from a principal no peer entry covers");
      this.#finishReply(
        record,
        v,
        chains.map(() => isakmp([notify(NotifyType.AUTHENTICATION_FAILED)])),
        false,
        now,
      );
      return;
    }
    if (chains.length === 0) {
      this.#finishReply(record, v, [{ type: PayloadType.ERROR, code: KinkErrorCode.PROTOERR }], false, now);
      return;
    }
    const items: ResponderItem[] = chains.map((c) => this.#chooseItem(c.payloads, config, record));
    const rc: ResponderCreate = {
      record,
      verified: v,
      config,
      interop,
      local: d.local.address,
      remote: d.from.address,
      epoch: this.#remote(record.principal).epoch,
      items,
    };
    const ops: SinkOp[] = [];
    for (const it of items) if (it.ok) ops.push({ op: "getSpi", req: { dst: rc.local, src: rc.remote, proto: it.sa.protocol, reqid: config.reqid ?? 0 } });
    if (ops.length === 0) {
      this.#buildCreateReply(rc, now);
      return;
    }
    this.#sink(ops, { kind: "responder-spi", rc });
  }

  /** Chooses a proposal for one KINK_ISAKMP chain, or the Notify that refuses it [RFC 4430 §5.5]. */
  #chooseItem(chain: readonly IsakmpPayload[], config: PeerConfig, record: ReplyRecord): ResponderItem {
    const principal = record.principal;
    const sa = chain[0]?.type === "sa" ? chain[0] : undefined;
    const nonce = chain.find((p) => p.type === "nonce");
    const ke = chain.find((p) => p.type === "ke");
    for (const p of chain) {
      // Error Notifies in a request are ignored, status ones logged [RFC 4430 §5.5].
      if (p.type === "notify") this.#event({ type: "notify", principal, notifyType: p.notifyType });
    }
    if (sa === undefined || nonce === undefined) return { ok: false, payloads: [notify(NotifyType.PAYLOAD_MALFORMED)] };
    let last: { notifyType: number; detail: string } = { notifyType: NotifyType.NO_PROPOSAL_CHOSEN, detail: "no SA policy for this peer" };
    for (let i = 0; i < config.sas.length; i++) {
      const policy = config.sas[i]!;
      let choice: ReturnType<typeof chooseProposal>;
      try {
        choice = chooseProposal(sa, policy, () => 0);
      } catch (e) {
        if (e instanceof KinkError && e.response.kind === "notify") return { ok: false, payloads: [notify(e.response.notifyType)] };
        throw e;
      }
      if (!choice.ok) {
        last = choice;
        continue;
      }
      const chosen = choice.sa;
      // KE and the Group Description go together [RFC 2409 §5.5]; without PFS support for the
      // group the KE payload type itself is refused [RFC 4430 §3.2, §5.5].
      if ((ke !== undefined) !== (chosen.pfsGroup !== undefined)) {
        if (ke !== undefined) return { ok: false, payloads: [notify(NotifyType.INVALID_PAYLOAD_TYPE, 0, undefined, Uint8Array.of(4))] };
        return { ok: false, payloads: [notify(NotifyType.PAYLOAD_MALFORMED)] };
      }
      const existing = this.#sas.byOutbound(principal, chosen.protocol, chosen.initiatorSpi);
      if (existing !== undefined && existing.state !== "gone") {
        return { ok: false, payloads: [notify(NotifyType.INVALID_SPI, chosen.protocolId, chosen.initiatorSpi)] };
      }
      this.#resolveCollision(config, i, nonce.data, record);
      return { ok: true, sa: chosen, optimistic: choice.optimistic, policyIndex: i, ni: nonce.data, ...(ke && { ke: ke.data }) };
    }
    this.#log?.info({ principal, notify: notifyTypeName(last.notifyType) }, `no acceptable proposal: ${last.detail}`);
    return { ok: false, payloads: [notify(last.notifyType)] };
  }

  /**
   * Both sides started a CREATE for the same SA policy at once (a rekey collision; only the
   * initiator rekeys, so it takes two pairs for one policy or a rekey meeting a new CREATE)
   * [RFC 4430 §3.6]. The exchange with the lower Ni yields; both peers see both nonces, so both
   * reach the same verdict and exactly one new pair survives. The loser still answers the
   * winner's CREATE, and deletes its own new pair once the winner's is up on its side. A side
   * that sees no overlap (its CREATE already installed) decides nothing: at worst both pairs
   * stay, never neither.
   */
  #resolveCollision(config: PeerConfig, policyIndex: number, theirNi: Uint8Array, record: ReplyRecord): void {
    const mine = this.#creating.get(config);
    if (mine === undefined) return;
    for (const ex of mine) {
      for (const it of ex.items) {
        if (it.policyIndex !== policyIndex || it.lostTo !== undefined || compareBytes(it.ni, theirNi) >= 0) continue;
        it.lostTo = record;
        this.#log?.info({ peer: config.name, xid: ex.xid }, "CREATE collision: the peer's exchange wins (higher Ni)");
      }
    }
  }

  /** The winner of a CREATE collision is up here: the losers' redundant pairs go [RFC 4430 §3.6]. */
  #dropCollisionLosers(record: ReplyRecord, now: number): void {
    const losers = record.losers?.filter((p) => p.state === "up" || p.state === "rekeying");
    record.losers = undefined;
    if (losers === undefined || losers.length === 0) return;
    this.#log?.info({ peer: losers[0]!.config.name }, "lost CREATE collision: deleting the redundant pair");
    this.#startDelete(losers[0]!.config, losers, now);
  }

  #responderSpis(rc: ResponderCreate, results: readonly SinkResult[], now: number): void {
    let r = 0;
    for (let i = 0; i < rc.items.length; i++) {
      const it = rc.items[i]!;
      if (!it.ok) continue;
      const res = results[r++]!;
      if (!res.ok || res.spi === undefined) {
        this.#log?.error({ principal: rc.record.principal }, `no SPI from the SA sink: ${res.ok ? "none" : res.error.message}`);
        rc.items[i] = { ok: false, payloads: [notify(NotifyType.NO_PROPOSAL_CHOSEN)] };
        continue;
      }
      it.sa = { ...it.sa, responderSpi: res.spi };
    }
    this.#buildCreateReply(rc, now);
  }

  /** Keys both directions, installs what this step installs, and answers [RFC 4430 §3.2, §7]. */
  #buildCreateReply(rc: ResponderCreate, now: number): void {
    const { record, verified, config, interop } = rc;
    const session = sessionOf(verified.sessionKey);
    const ops: SinkOp[] = [];
    const inner: InnerPayload[] = [];
    let ackReq = false;
    for (let i = 0; i < rc.items.length; i++) {
      const it = rc.items[i]!;
      if (!it.ok) {
        inner.push(isakmp(it.payloads));
        continue;
      }
      const sa = it.sa;
      const responderSpi = sa.responderSpi!;
      // Nr when the optimistic proposal was not taken (SHOULD), PFS (3-message from the
      // start) or local policy; any of them needs the ACK [RFC 4430 §3.2, §6.3].
      const withNonce = !it.optimistic || it.ke !== undefined || config.responderNonce === true;
      const needAck = withNonce;
      ackReq ||= needAck;
      const nr = withNonce ? this.#nonce(config) : undefined;
      let dhSecret: Uint8Array | undefined;
      let dh: DhExchange | undefined;
      if (it.ke !== undefined) {
        try {
          dh = DhExchange.create(sa.pfsGroup!);
          dhSecret = dh.computeSecret(it.ke);
        } catch (e) {
          if (!(e instanceof KinkError) || e.response.kind !== "notify") throw e;
          this.#log?.info({ principal: record.principal }, `PFS refused: ${e.message}`);
          dh?.destroy();
          inner.push(isakmp([notify(e.response.notifyType)]));
          ops.push({ op: "deleteSa", id: { dst: rc.local, spi: responderSpi, proto: sa.protocol } });
          continue;
        }
      }
      const [kIn, kOut] = this.#keymat(sa, { session, ni: it.ni, nr, dhSecret, interop }, [responderSpi, sa.initiatorSpi]);
      dhSecret?.fill(0);
      const inbound = this.#saSpec(config, sa, rc.local, rc.remote, responderSpi, kIn!, "responder");
      const outbound = this.#saSpec(config, sa, rc.remote, rc.local, sa.initiatorSpi, kOut!, "responder");
      ops.push({ op: "updateSa", sa: inbound });
      if (!needAck) ops.push({ op: "addSa", sa: outbound });
      const pair = this.#newPair(
        config,
        it.policyIndex,
        record.principal,
        "responder",
        sa,
        rc.local,
        rc.remote,
        inbound.id,
        outbound.id,
        verified.sessionKey.keytype,
        rc.epoch,
        now,
      );
      if (needAck) pair.pendingOutbound = outbound;
      pair.state = needAck ? "half" : "up";
      record.pairs.push(pair);
      const reply: IsakmpPayload[] = [buildSaChoice(sa)];
      if (nr !== undefined) reply.push({ type: "nonce", data: nr });
      if (dh !== undefined) {
        reply.push({ type: "ke", data: dh.publicValue });
        dh.destroy();
      }
      inner.push(isakmp(reply));
    }
    const reply = encodeReply(record.xid, this.epoch, verified.sessionKey, verified, inner, ackReq);
    if (ops.length === 0) {
      this.#sendReply(record, reply, ackReq, now);
      return;
    }
    this.#sink(ops, { kind: "responder-install", rc, reply, ackReq });
  }

  #responderInstalled(rc: ResponderCreate, reply: Uint8Array, ackReq: boolean, results: readonly SinkResult[], now: number): void {
    this.#reportSinkErrors("install SAs", results);
    if (results.some((r) => !r.ok)) {
      // The kernel refused: answer with a refusal rather than promise SAs that are not there.
      for (const p of rc.record.pairs) this.#pairGone(p, "SA install failed", now, true);
      rc.record.pairs.length = 0;
      const refusal = rc.items.map(() => isakmp([notify(NotifyType.NO_PROPOSAL_CHOSEN)]));
      this.#finishReply(rc.record, rc.verified, refusal, false, now);
      return;
    }
    for (const p of rc.record.pairs) if (p.state === "up") this.#pairUp(p);
    this.#sendReply(rc.record, reply, ackReq, now);
    if (rc.record.losers !== undefined && !ackReq) this.#dropCollisionLosers(rc.record, now);
  }

  /** Sends a REPLY built from inner payloads, with no SA work attached. */
  #finishReply(record: ReplyRecord, v: VerifiedApReq, inner: InnerPayload[], ackReq: boolean, now: number): void {
    this.#sendReply(record, encodeReply(record.xid, this.epoch, v.sessionKey, v, inner, ackReq), ackReq, now);
  }

  #sendReply(record: ReplyRecord, reply: Uint8Array, ackReq: boolean, now: number): void {
    record.reply = reply;
    record.transmissions = 1;
    record.phase = ackReq ? "ack-wait" : "aging";
    this.#send(reply, record.to, record.local.address);
    this.#timers.arm(record as TimerTarget, now + (ackReq ? record.interval : (this.#cfg.replyCacheMs ?? 60_000)));
  }

  /** The initiator's ACK: install the outbound SAs of a 3-message CREATE [RFC 4430 §3.2 step 6]. */
  #onAck(remote: Remote, transaction: Transaction, now: number): void {
    const record = remote.replies.get(transaction.xid, transaction);
    if (record === undefined || record.phase !== "ack-wait") return; // unknown or repeated ACK: ignored [kink.md §11.3]
    record.phase = "aging";
    this.#timers.arm(record as TimerTarget, now + (this.#cfg.replyCacheMs ?? 60_000));
    const ops: SinkOp[] = [];
    for (const p of record.pairs) {
      if (p.pendingOutbound === undefined || p.state !== "half") continue;
      ops.push({ op: "addSa", sa: p.pendingOutbound });
      p.pendingOutbound = undefined;
      this.#pairUp(p);
    }
    if (ops.length > 0) this.#sink(ops, { kind: "fire-and-forget", what: "install outbound SAs on ACK" });
    if (record.losers !== undefined) this.#dropCollisionLosers(record, now);
  }

  #replyTimer(record: ReplyRecord, now: number): void {
    if (record.phase === "ack-wait") {
      if (record.transmissions < this.#retransmit.maxTransmissions) {
        record.transmissions++;
        record.interval = Math.min(record.interval * 2, this.#retransmit.maxIntervalMs);
        this.#send(record.reply!, record.to, record.local.address);
        this.#timers.arm(record as TimerTarget, now + record.interval);
        return;
      }
      // No ACK: the outbound SA is never installed and the half-open inbound goes [RFC 4430 §3.3: no half-open SAs].
      this.#log?.info({ principal: record.principal, xid: record.xid }, "no ACK for a 3-message CREATE: SAs withdrawn");
      for (const p of record.pairs) if (p.state === "half") this.#pairGone(p, "no ACK", now, true);
    }
    record.remote.replies.delete(record.xid, record, record);
  }

  // ---------------------------------------------------------------------------------------
  // Responder: DELETE and STATUS [RFC 4430 §3.3, §3.4]

  #onDelete(record: ReplyRecord, payloads: ReturnType<typeof flatPayloads>, v: VerifiedApReq, now: number): void {
    const answer: IsakmpPayload[] = [];
    const notifies: IsakmpPayload[] = [];
    const ops: SinkOp[] = [];
    for (const p of payloads) {
      if (p.type !== PayloadType.ISAKMP) continue;
      for (const del of p.payloads) {
        if (del.type !== "delete") continue;
        const proto = protocolOf(del.protocolId);
        const ours: Uint8Array[] = [];
        for (const spiBytes of del.spis) {
          const spi = u32(spiBytes);
          const pair = proto === undefined || spi < 0 ? undefined : this.#sas.byOutbound(record.principal, proto, spi);
          if (pair === undefined || pair.state === "gone") {
            // Someone else's SA, or one we don't have [RFC 4430 §3.3; racoon2 AUTHENTICATION-FAILED].
            const other = proto !== undefined && spi >= 0 && this.#sas.byOutboundId({ dst: record.to.address, spi, proto }) !== undefined;
            notifies.push(notify(other ? NotifyType.AUTHENTICATION_FAILED : NotifyType.INVALID_SPI, del.protocolId, spi >= 0 ? spi : undefined));
            continue;
          }
          ours.push(spiOctets(pair.inbound.spi));
          this.#beginDeletePair(pair, ops, now);
        }
        if (ours.length > 0) answer.push({ type: "delete", doi: del.doi, protocolId: del.protocolId, spiSize: 4, spis: ours });
      }
    }
    if (ops.length > 0) this.#sink(ops, { kind: "fire-and-forget", what: "delete outbound SAs" });
    this.#finishReply(record, v, [isakmp([...answer, ...notifies])], false, now);
  }

  #onStatus(record: ReplyRecord, payloads: ReturnType<typeof flatPayloads>, v: VerifiedApReq, now: number): void {
    for (const p of payloads) {
      if (p.type !== PayloadType.ISAKMP) continue;
      for (const n of p.payloads)
        if (n.type === "notify")
          this.#event({ type: "notify", principal: record.principal, notifyType: n.notifyType, ...(n.spi.length === 4 && { spi: u32(n.spi) }) });
    }
    this.#finishReply(record, v, NO_PAYLOADS, false, now);
  }

  // ---------------------------------------------------------------------------------------
  // Initiator

  #newExchange(kind: ExchangeKind, config: PeerConfig): Exchange {
    let xid = this.#nextXid;
    while (this.#exchanges.has(xid)) xid = (xid + 1) >>> 0;
    this.#nextXid = (xid + 1) >>> 0;
    const ex: Exchange & { tag: "exchange" } = {
      tag: "exchange",
      xid,
      kind,
      config,
      server: this.#serverOf(config),
      to: { address: config.address!, port: config.port ?? KINK_PORT },
      local: config.localAddress!,
      phase: "ticket",
      sent: [],
      transmissions: 0,
      interval: this.#retransmit.initialMs,
      inner: NO_PAYLOADS,
      pendingJobs: 0,
      items: [],
      deleting: [],
      rekeyOf: [],
      retried: { skew: false, expired: false, gettgt: false },
      ackReq: false,
      timerGeneration: 0,
    };
    this.#exchanges.set(xid, ex);
    return ex;
  }

  #needTicket(ex: Exchange, refresh?: TicketJob["refresh"]): void {
    ex.pendingJobs++;
    const id = this.#nextJob++;
    this.#ticketJobs.set(id, ex);
    this.#out.tickets.push({ id, server: ex.server, ...(ex.peerTgt && { peerTgt: ex.peerTgt }), ...(refresh && { refresh }) });
  }

  /** The exchange's ticket; a user-to-user peer's TGT first, by GETTGT unless one has worked before [RFC 4430 §3.1]. */
  #acquireTicket(ex: Exchange, now: number, refresh?: TicketJob["refresh"]): void {
    if (ex.config.userToUser && ex.peerTgt === undefined) {
      const known = this.#remote(formatPrincipal(ex.server.name, ex.server.realm)).peerTgt;
      if (known === undefined) {
        this.#sendGetTgt(ex, now);
        return;
      }
      ex.peerTgt = known;
    }
    this.#needTicket(ex, refresh);
  }

  #startCreate(config: PeerConfig, now: number, rekeyOf: SaPair[], retry?: Retry): Exchange {
    const ex = this.#newExchange("create", config);
    let creating = this.#creating.get(config);
    if (creating === undefined) {
      creating = new Set();
      this.#creating.set(config, creating);
    }
    creating.add(ex);
    ex.rekeyOf.push(...rekeyOf);
    if (retry !== undefined) {
      Object.assign(ex.retried, retry.retried);
      if (retry.peerTgt !== undefined) ex.peerTgt = retry.peerTgt;
    }
    this.#acquireTicket(ex, now, retry?.refresh);
    const ops: SinkOp[] = [];
    config.sas.forEach((policy, policyIndex) => {
      const spis: Partial<Record<IpsecProtocol, number>> = {};
      for (const p of policy.proposals) if (!(p.protocol in spis)) spis[p.protocol] = 0;
      ex.items.push({ policyIndex, policy, spis, ni: this.#nonce(config) });
      for (const proto of Object.keys(spis) as IpsecProtocol[])
        ops.push({ op: "getSpi", req: { dst: ex.local, src: ex.to.address, proto, reqid: config.reqid ?? 0 } });
    });
    ex.pendingJobs++;
    this.#sink(ops, { kind: "exchange-spi", ex });
    return ex;
  }

  #exchangeSpis(ex: Exchange, results: readonly SinkResult[], now: number): void {
    let r = 0;
    let failed: string | undefined;
    for (const it of ex.items) {
      for (const proto of Object.keys(it.spis) as IpsecProtocol[]) {
        const res = results[r++]!;
        if (res.ok && res.spi !== undefined) it.spis[proto] = res.spi;
        else failed = res.ok ? "no SPI" : res.error.message;
      }
    }
    if (ex.phase === "done") {
      this.#releaseSpis(ex);
      return;
    }
    if (failed !== undefined) {
      this.#fail(ex, `no SPI from the SA sink: ${failed}`);
      return;
    }
    // Offers, nonces, KE; then the optimistic inbound SA before the CREATE leaves [RFC 4430 §3.2 step 1].
    const ops: SinkOp[] = [];
    const inner: InnerPayload[] = [];
    for (const it of ex.items) {
      it.offer = buildSaOffer(it.policy, it.spis);
      const chain: IsakmpPayload[] = [it.offer, { type: "nonce", data: it.ni }];
      if (it.policy.pfsGroup !== undefined) {
        it.dh = DhExchange.create(it.policy.pfsGroup);
        chain.push({ type: "ke", data: it.dh.publicValue });
      }
      inner.push(isakmp(chain));
    }
    ex.inner = inner;
    ex.pendingJobs--;
    ex.phase = "prepare";
    if (ex.creds !== undefined && !ex.config.responderNonce) this.#installOptimistic(ex, ops);
    if (ops.length > 0) {
      ex.pendingJobs++;
      this.#sink(ops, { kind: "exchange-optimistic", ex });
      return;
    }
    this.#maybeSend(ex, now);
  }

  /** The optimistic inbound SAs (first transform of the first proposal, Nr empty) [RFC 4430 §3.2, §7]. */
  #installOptimistic(ex: Exchange, ops: SinkOp[]): void {
    const interop = this.#interopFor(ex.config);
    for (const it of ex.items) {
      if (it.dh !== undefined || it.offer === undefined || it.optimistic !== undefined) continue; // PFS is 3-message from the start
      const choice = chooseProposal(it.offer, it.policy, (p) => it.spis[p] ?? 0);
      if (!choice.ok) continue;
      const sa = choice.sa;
      const [keymat] = this.#keymat(sa, { session: sessionOf(ex.creds!.sessionKey), ni: it.ni, interop }, [sa.initiatorSpi]);
      const spec = this.#saSpec(ex.config, sa, ex.local, ex.to.address, sa.initiatorSpi, keymat!, "initiator");
      it.optimistic = { sa, spec };
      ops.push({ op: "updateSa", sa: spec });
    }
  }

  #exchangeOptimisticDone(ex: Exchange, results: readonly SinkResult[], now: number): void {
    ex.pendingJobs--;
    this.#reportSinkErrors("install optimistic inbound SA", results);
    if (results.some((r) => !r.ok)) {
      this.#fail(ex, "optimistic inbound SA refused by the SA sink");
      return;
    }
    this.#maybeSend(ex, now);
  }

  /** Sends the command once the ticket, SPIs and optimistic SAs are all there. */
  #maybeSend(ex: Exchange, now: number): void {
    if (ex.pendingJobs > 0 || ex.creds === undefined || ex.phase === "done") return;
    if (
      ex.kind === "create" &&
      ex.phase === "prepare" &&
      !ex.config.responderNonce &&
      ex.items.some((it) => it.optimistic === undefined && it.dh === undefined && it.offer !== undefined)
    ) {
      // The ticket arrived after the SPIs: key the optimistic SAs now.
      const ops: SinkOp[] = [];
      this.#installOptimistic(ex, ops);
      if (ops.length > 0) {
        ex.pendingJobs++;
        this.#sink(ops, { kind: "exchange-optimistic", ex });
        return;
      }
    }
    if (ex.kind === "create" && ex.phase === "ticket") return; // SPIs still coming
    ex.phase = "sent";
    this.#transmit(ex, now);
  }

  /** (Re)sends a command with a fresh authenticator: the peer's replay cache tells retransmissions from replays [RFC 4430 §9]. */
  #transmit(ex: Exchange, now: number): void {
    const creds = ex.creds!;
    const offset = this.#remote(formatPrincipal(ex.server.name, ex.server.realm)).clockOffsetMs;
    const ap = buildApReq({
      ticket: creds.ticket,
      sessionKey: creds.sessionKey,
      client: creds.client,
      now: now + offset,
      useSessionKey: ex.peerTgt !== undefined,
    });
    ex.sent.push({ ctime: ap.ctime, cusec: ap.cusec });
    const type = ex.kind === "create" ? MessageType.CREATE : ex.kind === "delete" ? MessageType.DELETE : MessageType.STATUS;
    this.#send(encodeCommand(type, ex.xid, this.epoch, ap.bytes, ex.inner, sessionOf(creds.sessionKey)), ex.to, ex.local);
    ex.transmissions++;
    this.#timers.arm(ex as TimerTarget, now + ex.interval);
  }

  #sendAck(ex: Exchange, now: number): void {
    const creds = ex.creds!;
    const offset = this.#remote(formatPrincipal(ex.server.name, ex.server.realm)).clockOffsetMs;
    const ap = buildApReq({
      ticket: creds.ticket,
      sessionKey: creds.sessionKey,
      client: creds.client,
      now: now + offset,
      useSessionKey: ex.peerTgt !== undefined,
    });
    this.#send(encodeCommand(MessageType.ACK, ex.xid, this.epoch, ap.bytes, NO_PAYLOADS, sessionOf(creds.sessionKey)), ex.to, ex.local);
  }

  #exchangeTimer(ex: Exchange, now: number): void {
    if (ex.phase === "aging") {
      this.#exchanges.delete(ex.xid);
      ex.phase = "done";
      return;
    }
    if (ex.phase !== "sent") return;
    if (ex.transmissions >= this.#retransmit.maxTransmissions) {
      if (ex.kind === "delete") {
        // The peer never answered; our side goes anyway [RFC 4430 §3.3].
        for (const p of ex.deleting) this.#armGrace(p, now);
        this.#finish(ex, now);
        this.#event({ type: "exchange-failed", peer: ex.config.name, exchange: ex.kind, reason: "no reply" });
        return;
      }
      if (ex.kind === "status") this.#event({ type: "peer-dead", peer: ex.config.name });
      this.#fail(ex, `no reply after ${ex.transmissions} transmissions`);
      if (ex.kind === "status" && this.#dpd.get(ex.config)?.probe === ex) this.#dpdGaveUp(ex.config, now);
      return;
    }
    ex.interval = Math.min(ex.interval * 2, this.#retransmit.maxIntervalMs);
    if (ex.kind === "gettgt") this.#transmitGetTgt(ex, now);
    else this.#transmit(ex, now);
  }

  /** Ends an exchange: keeps it briefly (aging) so a repeated REPLY is recognised. */
  #finish(ex: Exchange, now: number): void {
    this.#notCreating(ex);
    ex.phase = "aging";
    this.#timers.arm(ex as TimerTarget, now + this.#retransmit.initialMs * 2 ** this.#retransmit.maxTransmissions);
  }

  #fail(ex: Exchange, reason: string): void {
    this.#log?.warn({ peer: ex.config.name, xid: ex.xid, exchange: ex.kind }, `${ex.kind} failed: ${reason}`);
    this.#event({ type: "exchange-failed", peer: ex.config.name, exchange: ex.kind, reason });
    this.#releaseSpis(ex);
    for (const p of ex.rekeyOf) if (p.state === "rekeying") p.state = "up";
    this.#timers.cancel(ex as TimerTarget);
    this.#notCreating(ex);
    ex.phase = "done";
    this.#exchanges.delete(ex.xid);
  }

  /** The peer entry's principal, its realm defaulting to ours. */
  #serverOf(config: PeerConfig): Principal {
    return parsePrincipal(config.principal, { defaultRealm: this.principal.realm });
  }

  #notCreating(ex: Exchange): void {
    if (ex.kind !== "create") return;
    const set = this.#creating.get(ex.config);
    set?.delete(ex);
    if (set?.size === 0) this.#creating.delete(ex.config);
  }

  /** Gives back the inbound SPIs (and optimistic SAs) of a CREATE that produced no pair. */
  #releaseSpis(ex: Exchange): void {
    const ops: SinkOp[] = [];
    for (const it of ex.items) {
      it.dh?.destroy();
      it.dh = undefined;
      if (it.pair !== undefined) continue;
      for (const proto of Object.keys(it.spis) as IpsecProtocol[]) {
        const spi = it.spis[proto];
        if (spi) ops.push({ op: "deleteSa", id: { dst: ex.local, spi, proto } });
      }
    }
    if (ops.length > 0) this.#sink(ops, { kind: "fire-and-forget", what: "delete unused SPIs" });
  }

  // -- REPLY handling

  /** A REPLY; `opened` is the message opened and its AP-REP verified, when it carried one. */
  #onReply(d: InboundDatagram, msg: DecodedKink, opened: DecodedKink | undefined, now: number): void {
    const ex = this.#exchanges.get(msg.xid);
    if (ex === undefined || ex.to.address !== d.from.address) {
      this.#log?.debug({ from: d.from.address, xid: msg.xid }, "REPLY for no exchange of ours");
      return;
    }
    if (ex.kind === "gettgt") {
      this.#onGetTgtReply(ex, msg, now);
      return;
    }
    if (opened === undefined) {
      const tgtRep = msg.payloads.find((p) => p.type === PayloadType.TGT_REP);
      if (tgtRep !== undefined && ex.phase === "sent") {
        this.#peerLostTgt(ex, tgtRep.tgt, now);
        return;
      }
      // Unauthenticated errors never tear down state or move the clock [RFC 4430 §3.5, §3.7.1]:
      // log and keep retransmitting.
      this.#logUnauthenticated(ex, msg);
      return;
    }
    const principal = formatPrincipal(ex.server.name, ex.server.realm);
    // A user-to-user ticket under this TGT worked: later exchanges use it [RFC 4430 §3.7.1].
    if (ex.peerTgt !== undefined) this.#remote(principal).peerTgt = ex.peerTgt;
    this.#observeEpoch(principal, this.#remote(principal), (opened.payloads[0] as { epoch: number }).epoch, now);
    if (ex.phase === "aging") {
      // A retransmitted REPLY: our ACK was lost; acknowledge again [RFC 4430 §8.6].
      if (ex.ackReq) this.#sendAck(ex, now);
      return;
    }
    if (ex.phase !== "sent") return;
    const payloads = flatPayloads(opened);
    const krb = payloads.find((p) => p.type === PayloadType.KRB_ERROR);
    if (krb !== undefined) {
      this.#onProtectedKrbError(ex, krb.krbError, now);
      return;
    }
    const kerr = payloads.find((p) => p.type === PayloadType.ERROR);
    if (kerr !== undefined && kerr.code !== KinkErrorCode.OK) {
      this.#fail(ex, `peer answered KINK_ERROR ${kerr.code} (${kinkErrorMeaning(kerr.code, this.#interopFor(ex.config))})`);
      return;
    }
    const chains = payloads.filter((p): p is KinkIsakmpPayload => p.type === PayloadType.ISAKMP);
    if (ex.kind === "create") this.#createReply(ex, chains, opened.ackReq, now);
    else if (ex.kind === "delete") this.#deleteReply(ex, now);
    else {
      for (const c of chains) for (const n of c.payloads) if (n.type === "notify") this.#event({ type: "notify", principal, notifyType: n.notifyType });
      this.#event({ type: "peer-alive", peer: ex.config.name, epoch: this.#remote(principal).epoch });
      this.#timers.cancel(ex as TimerTarget);
      this.#finish(ex, now);
    }
  }

  #logUnauthenticated(ex: Exchange, msg: DecodedKink): void {
    for (const p of msg.payloads) {
      if (p.type === PayloadType.KRB_ERROR) {
        try {
          const { error } = readKrbError(p.krbError);
          this.#log?.info({ peer: ex.config.name, xid: ex.xid, code: error.codeName }, `unauthenticated KRB_ERROR ignored: ${error.message}`);
        } catch {
          this.#log?.info({ peer: ex.config.name, xid: ex.xid }, "unauthenticated, undecodable KRB_ERROR ignored");
        }
      } else if (p.type === PayloadType.ERROR) {
        this.#log?.info({ peer: ex.config.name, xid: ex.xid, code: p.code }, "unauthenticated KINK_ERROR ignored");
      }
    }
  }

  /**
   * An authenticated KRB-ERROR. Skew: adopt the peer's clock offset and retry once as a new
   * transaction; expired ticket: get a new one and retry once; anything else ends it
   * [RFC 4430 §3.5, §9; kink.md §6.2].
   */
  #onProtectedKrbError(ex: Exchange, bytes: Uint8Array, now: number): void {
    let message: ReturnType<typeof readKrbError>["message"];
    try {
      message = readKrbError(bytes).message;
    } catch (e) {
      this.#fail(ex, `undecodable KRB_ERROR: ${(e as Error).message}`);
      return;
    }
    const principal = formatPrincipal(ex.server.name, ex.server.realm);
    const code = message.errorCode;
    const retried = { ...ex.retried };
    if (code === KrbErrorCode.KRB_AP_ERR_SKEW && !retried.skew) {
      const peerTime = message.stime + Math.floor(message.susec / 1000);
      this.#remote(principal).clockOffsetMs = peerTime - now;
      this.#log?.info({ peer: ex.config.name, offsetMs: peerTime - now }, "clock skew reported by the peer: retrying with its time");
      retried.skew = true;
    } else if (code === KrbErrorCode.KRB_AP_ERR_TKT_EXPIRED && !retried.expired) {
      this.#log?.info({ peer: ex.config.name }, "ticket expired at the peer: retrying with a new ticket");
      retried.expired = true;
    } else {
      this.#fail(ex, `peer answered ${new KrbError(code, message.eText ?? "").message}`);
      return;
    }
    this.#restart(ex, { retried, ...(code === KrbErrorCode.KRB_AP_ERR_TKT_EXPIRED && { refresh: "expired" as const }) }, now);
  }

  /**
   * A command answered by an unauthenticated KINK_TGT_REP: the user-to-user peer lost the TGT
   * our ticket was made for. Neither the peer nor its SAs are given up on: we retry once, in a
   * new transaction, with a ticket under the new TGT, keeping the old one until that ticket has
   * worked; a second TGT_REP in the same work is ignored, so a forger cannot make us loop
   * [RFC 4430 §3.7.1].
   */
  #peerLostTgt(ex: Exchange, bytes: Uint8Array, now: number): void {
    if (ex.peerTgt === undefined || ex.retried.gettgt) {
      this.#log?.info({ peer: ex.config.name, xid: ex.xid }, "unauthenticated KINK_TGT_REP ignored (not user-to-user, or already retried)");
      return;
    }
    let tgt: Ticket;
    try {
      tgt = decodeTicket(bytes);
    } catch (e) {
      this.#log?.info({ peer: ex.config.name, xid: ex.xid }, `KINK_TGT_REP with an undecodable ticket ignored: ${(e as Error).message}`);
      return;
    }
    if (tgt.raw !== undefined && ex.peerTgt.raw !== undefined && compareBytes(tgt.raw, ex.peerTgt.raw) === 0) {
      this.#log?.info({ peer: ex.config.name, xid: ex.xid }, "KINK_TGT_REP with the TGT we already use ignored");
      return;
    }
    this.#log?.info({ peer: ex.config.name, xid: ex.xid }, "peer has a new TGT: retrying with a new user-to-user ticket");
    this.#restart(ex, { retried: { ...ex.retried, gettgt: true }, refresh: "peer-tgt", peerTgt: tgt }, now);
  }

  /** A new transaction (new XID, new authenticators) for the same work [RFC 4430 §9]. */
  #restart(ex: Exchange, retry: Retry, now: number): void {
    const rekeyOf = [...ex.rekeyOf];
    const deleting = [...ex.deleting];
    const inner = ex.inner;
    const peerTgt = retry.peerTgt ?? ex.peerTgt;
    const carried: Retry = { ...retry, ...(peerTgt && { peerTgt }) };
    this.#fail(ex, "restarting as a new transaction");
    if (ex.kind === "create") {
      this.#startCreate(ex.config, now, rekeyOf, carried);
    } else {
      const next = this.#newExchange(ex.kind, ex.config);
      Object.assign(next.retried, retry.retried);
      if (peerTgt !== undefined) next.peerTgt = peerTgt;
      next.deleting.push(...deleting);
      next.inner = inner;
      const dpd = this.#dpd.get(ex.config);
      if (dpd?.probe === ex) dpd.probe = next;
      this.#acquireTicket(next, now, retry.refresh);
    }
  }

  /** The responder's answer to our CREATE [RFC 4430 §3.2, §7]. */
  #createReply(ex: Exchange, chains: KinkIsakmpPayload[], ackReq: boolean, now: number): void {
    const interop = this.#interopFor(ex.config);
    const session = sessionOf(ex.creds!.sessionKey);
    const principal = formatPrincipal(ex.server.name, ex.server.realm);
    const ops: SinkOp[] = [];
    const epoch = this.#remote(principal).epoch;
    let anyOk = false;
    for (let i = 0; i < ex.items.length; i++) {
      const it = ex.items[i]!;
      const chain = chains[i]?.payloads ?? [];
      const errors = chain.filter((p) => p.type === "notify" && isErrorNotify(p.notifyType));
      const saPayload = chain.find((p) => p.type === "sa");
      if (errors.length > 0 || saPayload === undefined || it.offer === undefined) {
        const why = errors.length > 0 ? errors.map((n) => notifyTypeName((n as { notifyType: number }).notifyType)).join(", ") : "no SA payload";
        this.#log?.warn({ peer: ex.config.name, xid: ex.xid }, `peer refused SA ${i}: ${why}`);
        this.#event({ type: "exchange-failed", peer: ex.config.name, exchange: "create", reason: why });
        continue;
      }
      const choice = acceptChoice(it.offer, saPayload as SaPayload, it.policy);
      if (!choice.ok) {
        this.#log?.warn({ peer: ex.config.name, xid: ex.xid }, `peer's choice for SA ${i} is unacceptable: ${choice.detail}`);
        continue;
      }
      const sa = choice.sa;
      const nr = (chain.find((p) => p.type === "nonce") as { data: Uint8Array } | undefined)?.data;
      const ke = (chain.find((p) => p.type === "ke") as { data: Uint8Array } | undefined)?.data;
      let dhSecret: Uint8Array | undefined;
      if (it.dh !== undefined) {
        if (ke === undefined) {
          this.#log?.warn({ peer: ex.config.name }, "PFS was offered but the REPLY has no KE");
          continue;
        }
        try {
          dhSecret = it.dh.computeSecret(ke);
        } catch (e) {
          this.#log?.warn({ peer: ex.config.name }, `peer's KE refused: ${(e as Error).message}`);
          continue;
        }
      }
      const [kIn, kOut] = this.#keymat(sa, { session, ni: it.ni, nr, dhSecret, interop }, [sa.initiatorSpi, sa.responderSpi!]);
      dhSecret?.fill(0);
      const inbound = this.#saSpec(ex.config, sa, ex.local, ex.to.address, sa.initiatorSpi, kIn!, "initiator");
      const outbound = this.#saSpec(ex.config, sa, ex.to.address, ex.local, sa.responderSpi!, kOut!, "initiator");
      // The optimistic inbound SA stands only if the same transform was chosen and no Nr/KE
      // changed its keys; otherwise it is rewritten (delete + add, kink.md §7.4).
      const keep = it.optimistic !== undefined && choice.optimistic && nr === undefined && ke === undefined && it.optimistic.sa.protocol === sa.protocol;
      if (keep) wipeSaKeys(inbound);
      else ops.push({ op: "updateSa", sa: inbound });
      ops.push({ op: "addSa", sa: outbound });
      // SPIs offered for a protocol the peer did not choose go back.
      for (const proto of Object.keys(it.spis) as IpsecProtocol[]) {
        if (proto !== sa.protocol && it.spis[proto]) ops.push({ op: "deleteSa", id: { dst: ex.local, spi: it.spis[proto]!, proto } });
      }
      it.pair = this.#newPair(
        ex.config,
        it.policyIndex,
        principal,
        "initiator",
        sa,
        ex.local,
        ex.to.address,
        inbound.id,
        outbound.id,
        session.etype,
        epoch,
        now,
      );
      anyOk = true;
    }
    for (const it of ex.items) {
      it.dh?.destroy();
      it.dh = undefined;
    }
    // ACK whenever asked, even if we think the peer erred [RFC 4430 §3.2].
    ex.ackReq = ackReq;
    this.#timers.cancel(ex as TimerTarget);
    if (!anyOk) {
      if (ackReq) this.#sendAck(ex, now);
      this.#fail(ex, "no SA negotiated");
      return;
    }
    ex.phase = "install";
    this.#sink(ops, { kind: "exchange-install", ex });
  }

  #exchangeInstalled(ex: Exchange, results: readonly SinkResult[], now: number): void {
    this.#reportSinkErrors("install SAs", results);
    const failed = results.some((r) => !r.ok && r.error.code !== "not-found");
    // Our inbound SAs are ready before the ACK lets the responder send [RFC 4430 §3.2 steps 4–6].
    if (ex.ackReq) this.#sendAck(ex, now);
    for (const it of ex.items) {
      const p = it.pair;
      if (p === undefined) continue;
      if (failed) {
        this.#pairGone(p, "SA install failed", now, true);
        continue;
      }
      this.#pairUp(
        p,
        ex.rekeyOf.find((o) => o.policyIndex === p.policyIndex),
      );
    }
    this.#finish(ex, now);
    if (failed) return;
    // Make-before-break: the new pairs carry traffic; now the old ones go [RFC 4430 §3.6].
    const old = ex.rekeyOf.filter((p) => p.state === "rekeying" || p.state === "up");
    if (old.length > 0) this.#startDelete(ex.config, old, now);
    // A pair that lost a collision goes once the winner's pair is up here, which may be now.
    for (const it of ex.items) {
      if (it.lostTo === undefined || it.pair === undefined) continue;
      it.lostTo.losers = [...(it.lostTo.losers ?? []), it.pair];
      if (it.lostTo.pairs.some((p) => p.policyIndex === it.policyIndex && p.state === "up")) this.#dropCollisionLosers(it.lostTo, now);
    }
  }

  // -- DELETE initiator [RFC 4430 §3.3]

  #startDelete(config: PeerConfig, pairs: readonly SaPair[], now: number): void {
    const ex = this.#newExchange("delete", config);
    const ops: SinkOp[] = [];
    const byProto = new Map<number, Uint8Array[]>();
    for (const p of pairs) {
      ex.deleting.push(p);
      this.#beginDeletePair(p, ops, now, false);
      const id = PROTOCOL_ID[p.inbound.proto];
      const list = byProto.get(id) ?? [];
      byProto.set(id, list);
      list.push(spiOctets(p.inbound.spi));
    }
    ex.inner = [isakmp([...byProto].map(([protocolId, spis]) => ({ type: "delete" as const, doi: 1, protocolId, spiSize: 4, spis })))];
    if (ops.length > 0) this.#sink(ops, { kind: "fire-and-forget", what: "delete outbound SAs" });
    this.#acquireTicket(ex, now);
  }

  #deleteReply(ex: Exchange, now: number): void {
    // Whether the peer lists its inbound SPIs or says INVALID-SPI (it no longer has them), our
    // inbound SAs go after the grace period [RFC 4430 §3.3 step 4].
    for (const p of ex.deleting) this.#armGrace(p, now);
    this.#timers.cancel(ex as TimerTarget);
    this.#finish(ex, now);
  }

  // -- GETTGT initiator [RFC 4430 §3.1, §6.6]

  #sendGetTgt(owner: Exchange, now: number): void {
    const ex = this.#newExchange("gettgt", owner.config);
    ex.forExchange = owner;
    ex.phase = "sent";
    this.#transmitGetTgt(ex, now);
  }

  #transmitGetTgt(ex: Exchange, now: number): void {
    const name = formatPrincipal(ex.server.name, ex.server.realm);
    this.#send(encodeGetTgt(ex.xid, name), ex.to, ex.local);
    ex.transmissions++;
    this.#timers.arm(ex as TimerTarget, now + ex.interval);
  }

  #onGetTgtReply(ex: Exchange, msg: DecodedKink, now: number): void {
    const owner = ex.forExchange;
    const rep = msg.payloads.find((p) => p.type === PayloadType.TGT_REP);
    if (rep === undefined || owner === undefined || owner.phase === "done") {
      this.#logUnauthenticated(ex, msg);
      if (msg.payloads.some((p) => p.type === PayloadType.ERROR && p.code === KinkErrorCode.U2UDENIED)) {
        this.#fail(ex, "peer refused user-to-user (KINK_U2UDENIED)");
        if (owner !== undefined) this.#fail(owner, "peer refused user-to-user");
      }
      return;
    }
    let tgt: Ticket;
    try {
      tgt = decodeTicket(rep.tgt);
    } catch (e) {
      this.#log?.info({ peer: ex.config.name }, `TGT_REP with an undecodable ticket: ${(e as Error).message}`);
      return;
    }
    this.#timers.cancel(ex as TimerTarget);
    this.#finish(ex, now);
    owner.peerTgt = tgt;
    this.#needTicket(owner);
  }

  // ---------------------------------------------------------------------------------------
  // SA pairs

  /** KEYMAT of the SA for each SPI (the receiving side's), all in one WASM batch [RFC 4430 §7]. */
  #keymat(
    sa: NegotiatedSa,
    k: { session: SessionKey; ni: Uint8Array; nr?: Uint8Array | undefined; dhSecret?: Uint8Array | undefined; interop: KinkInteropOptions },
    spis: readonly number[],
  ): Uint8Array[] {
    const input = { session: k.session, protocolId: sa.protocolId, ni: k.ni, nr: k.nr, dhSecret: k.dhSecret, aesSha1Prf: k.interop.aesSha1Prf };
    return deriveKeymat(input, spis, keymatOctets(sa.enc, sa.auth));
  }

  /** The SA spec for one direction; its keys are views on `keymat` (zeroed with them). */
  #saSpec(config: PeerConfig, sa: NegotiatedSa, dst: string, src: string, spi: number, keymat: Uint8Array, role: "initiator" | "responder"): SaSpec {
    const keys = splitKeymat(keymat, sa.enc, sa.auth);
    const lifetime: { hardSeconds?: number; softSeconds?: number; hardBytes?: number; softBytes?: number } = {};
    if (sa.lifeSeconds !== undefined && sa.lifeSeconds > 0) {
      lifetime.hardSeconds = sa.lifeSeconds;
      // Only the initiator rekeys [RFC 4430 §3.6]; its soft limit is the randomised rekey time.
      if (role === "initiator") lifetime.softSeconds = Math.max(1, Math.floor(this.#rekeyDelay(sa.lifeSeconds * 1000) / 1000));
    }
    if (sa.lifeKilobytes !== undefined && sa.lifeKilobytes > 0) {
      lifetime.hardBytes = sa.lifeKilobytes * 1024;
      if (role === "initiator") lifetime.softBytes = Math.floor(lifetime.hardBytes * (0.8 + 0.1 * this.#unit()));
    }
    // Built field by field (no spread): one is made per SA direction on the hot path.
    const spec: { -readonly [K in keyof SaSpec]: SaSpec[K] } = {
      id: { dst, spi, proto: sa.protocol },
      src,
      mode: sa.mode,
      reqid: config.reqid ?? 0,
      lifetime,
      replayWindow: config.replayWindow ?? 32,
    };
    if (keys.enc !== undefined) spec.enc = keys.enc;
    if (keys.auth !== undefined) spec.auth = keys.auth;
    return spec;
  }

  #newPair(
    config: PeerConfig,
    policyIndex: number,
    principal: string,
    role: "initiator" | "responder",
    sa: NegotiatedSa,
    local: string,
    remote: string,
    inbound: SaId,
    outbound: SaId,
    etype: number,
    peerEpoch: number,
    now: number,
  ): SaPair {
    const pair: SaPair & { tag: "pair" } = {
      tag: "pair",
      id: this.#nextPair++,
      config,
      policyIndex,
      principal,
      role,
      sa,
      local,
      remote,
      // The specs' ids, shared: SaIds are immutable.
      inbound,
      outbound,
      etype,
      peerEpoch,
      createdAt: now,
      // Every field from the start (one object shape, no properties added later).
      pendingOutbound: undefined,
      rekeyAt: undefined,
      expiresAt: undefined,
      state: "half",
      timerAction: undefined,
      timerGeneration: 0,
    };
    this.#sas.add(pair);
    return pair;
  }

  #pairUp(pair: SaPair, rekeyOf?: SaPair): void {
    pair.state = "up";
    const life = pair.sa.lifeSeconds;
    if (life !== undefined && life > 0) {
      pair.expiresAt = pair.createdAt + life * 1000;
      if (pair.role === "initiator" && pair.config.keepUp !== false) {
        pair.rekeyAt = pair.createdAt + this.#rekeyDelay(life * 1000);
        pair.timerAction = "rekey";
        this.#timers.arm(pair as TimerTarget, pair.rekeyAt);
      } else {
        pair.timerAction = "expire";
        this.#timers.arm(pair as TimerTarget, pair.expiresAt);
      }
    }
    this.#event({ type: "sa-up", pair: pairInfo(pair), ...(rekeyOf && { rekeyOf: rekeyOf.inbound }) });
    this.#dpdWatch(pair.config);
  }

  // ---------------------------------------------------------------------------------------
  // Dead-peer detection [RFC 4430 §3.7]

  /**
   * Puts a peer entry with SAs under dead-peer detection. The timer is checked lazily: an
   * authenticated message only records when it came (#observeEpoch), and the timer, when it
   * fires, moves itself to the end of the quiet period.
   */
  #dpdWatch(config: PeerConfig): void {
    const idleMs = (config.dpdIdleSeconds ?? 0) * 1000;
    if (!(idleMs > 0) || config.address === undefined || config.localAddress === undefined) return;
    if (this.#dpd.has(config)) return; // watched: its timer is armed
    const server = this.#serverOf(config);
    const d = { tag: "dpd" as const, config, principal: formatPrincipal(server.name, server.realm), idleMs, timerGeneration: 0 };
    this.#dpd.set(config, d);
    this.#timers.arm(d, this.#remote(d.principal).lastHeard + idleMs);
  }

  /** The quiet period may be over: probe with STATUS if nothing authenticated came from the peer [RFC 4430 §3.7]. */
  #dpdTimer(d: DpdState & { readonly tag: "dpd" }, now: number): void {
    const probing = d.probe !== undefined && d.probe.phase !== "aging" && d.probe.phase !== "done";
    const live = this.#sas.ofPrincipal(d.principal).some((p) => p.config === d.config && (p.state === "up" || p.state === "rekeying"));
    if (!live && !probing) {
      // No SAs left to protect; the next pair that comes up watches again.
      this.#dpd.delete(d.config);
      return;
    }
    const quietUntil = this.#remote(d.principal).lastHeard + d.idleMs;
    if (!probing && quietUntil <= now) {
      // Suspicion only: the STATUS REPLY decides, and its epoch shows a restart [RFC 4430 §3.4, §3.7].
      this.#log?.info({ peer: d.config.name }, "nothing heard from the peer: probing with STATUS");
      d.probe = this.#newExchange("status", d.config);
      this.#acquireTicket(d.probe, now);
    }
    this.#timers.arm(d, Math.max(quietUntil, now + d.idleMs));
  }

  /**
   * The probe got no authenticated answer in a full retransmission cycle (peer-dead is already
   * reported). With keepUp its SAs, which likely lead nowhere, are dropped and negotiated again;
   * otherwise they stay and probing goes on [RFC 4430 §3.7].
   */
  #dpdGaveUp(config: PeerConfig, now: number): void {
    if (config.keepUp === false) return;
    const d = this.#dpd.get(config)!;
    for (const pair of this.#sas.ofPrincipal(d.principal)) if (pair.config === config) this.#pairGone(pair, "peer dead", now, true);
    this.#startCreate(config, now, []);
  }

  /**
   * When to rekey: the hard lifetime minus a random margin in [T-retrans, T-rekey], T-rekey = 2 ×
   * T-retrans, T-retrans the full retransmission cycle; margins are capped to a half of short
   * lifetimes [RFC 4430 §3.6].
   */
  #rekeyDelay(hardMs: number): number {
    const cycle = this.#retransmitCycleMs;
    const lo = Math.min(cycle, hardMs / 4);
    const hi = Math.min(2 * cycle, hardMs / 2);
    return Math.floor(hardMs - (lo + (hi - lo) * this.#unit()));
  }

  #startRekey(pair: SaPair, now: number): void {
    pair.state = "rekeying";
    this.#log?.info({ peer: pair.config.name, spi: pair.inbound.spi }, "rekeying SA pair before it expires");
    this.#startCreate(pair.config, now, [pair]);
    // If the rekey fails the pair keeps working until its hard expiry.
    if (pair.expiresAt !== undefined) {
      pair.timerAction = "expire";
      this.#timers.arm(pair as TimerTarget, pair.expiresAt);
    }
  }

  #pairTimer(pair: SaPair, now: number): void {
    switch (pair.timerAction) {
      case "rekey":
        if (pair.state === "up") this.#startRekey(pair, now);
        break;
      case "grace":
        this.#sink([{ op: "deleteSa", id: pair.inbound }], { kind: "fire-and-forget", what: "delete inbound SA after grace" });
        this.#sas.remove(pair);
        this.#event({ type: "sa-down", pair: pairInfo(pair), reason: "deleted" });
        break;
      case "expire":
        this.#pairGone(pair, "hard lifetime expired", now, false);
        break;
    }
  }

  /** Outbound goes now, inbound after the grace period [RFC 4430 §3.3]. */
  #beginDeletePair(pair: SaPair, ops: SinkOp[], now: number, armGrace = true): void {
    if (pair.state === "deleting" || pair.state === "gone") return;
    const hadOutbound = pair.pendingOutbound === undefined;
    wipeSaKeys(pair.pendingOutbound);
    pair.pendingOutbound = undefined;
    pair.state = "deleting";
    if (hadOutbound) ops.push({ op: "deleteSa", id: pair.outbound });
    if (armGrace) this.#armGrace(pair, now);
    else this.#timers.cancel(pair as TimerTarget);
  }

  #armGrace(pair: SaPair, now: number): void {
    if (pair.state === "gone") return;
    pair.state = "deleting";
    pair.timerAction = "grace";
    this.#timers.arm(pair as TimerTarget, now + (this.#cfg.deleteGraceMs ?? 2000));
  }

  /** The pair is gone at once (expiry, peer restart, install failure); `removeFromSink` deletes both SAs. */
  #pairGone(pair: SaPair, reason: string, now: number, removeFromSink: boolean): void {
    if (pair.state === "gone") return;
    this.#timers.cancel(pair as TimerTarget);
    if (removeFromSink) {
      const ops: SinkOp[] = [{ op: "deleteSa", id: pair.inbound }];
      if (pair.pendingOutbound === undefined && pair.state !== "deleting") ops.push({ op: "deleteSa", id: pair.outbound });
      this.#sink(ops, { kind: "fire-and-forget", what: `delete SAs (${reason})` });
    }
    wipeSaKeys(pair.pendingOutbound);
    pair.pendingOutbound = undefined;
    this.#sas.remove(pair);
    this.#event({ type: "sa-down", pair: pairInfo(pair), reason });
    // An expired initiator pair that was not replaced in time is negotiated again.
    if (reason === "hard lifetime expired" && pair.role === "initiator" && pair.config.keepUp !== false) {
      const replaced = [...this.#exchanges.values()].some((ex) => ex.rekeyOf.includes(pair) && ex.phase !== "done");
      if (!replaced) this.#startCreate(pair.config, now, []);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Randomness

  #nonce(config: PeerConfig): Uint8Array {
    const n = new Uint8Array(config.nonceOctets ?? 16);
    this.#random(n);
    return n;
  }

  #unit(): number {
    const b = new Uint8Array(4);
    this.#random(b);
    return u32(b) / 0x1_0000_0000;
  }
}

/** Commands whose crypto shares one WASM batch; bounded by the batch I/O area (tickets with PACs run to a few KB). */
const COMMANDS_PER_CRYPTO_BATCH = 64;

function throwIfError(r: DecodedKink | KinkError): DecodedKink {
  if (r instanceof KinkError) throw r;
  return r;
}

function noServiceKey(): EncryptionKey {
  throw new KrbError(KrbErrorCode.KRB_AP_ERR_NOKEY, "this peer has no keytab (user-to-user only)");
}
