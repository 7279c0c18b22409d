// The engine's I/O loop: runs the sink batches and ticket fetches the engine asks for, feeds
// their results back, sends its datagrams, and keeps one timer armed at the engine's next
// deadline. The engine stays a pure state machine; this is the only place with promises,
// timers and a clock (style.md §1: I/O at the edges).

import { EventEmitter } from "node:events";
import type { SaSink, SinkEvent, SinkResult } from "../ipsec/sink.ts";
import { SinkError } from "../ipsec/sink.ts";
import type { Credentials, TicketCache } from "../krb/kdc-client.ts";
import type { IsakmpPayload } from "../wire/isakmp/index.ts";
import type { KinkEngine } from "./engine.ts";
import type { EngineEvent, EngineOutput, InboundDatagram, OutboundDatagram, TicketJob } from "./types.ts";

export interface KinkDriverOptions {
  readonly engine: KinkEngine;
  readonly sink: SaSink;
  /** Fetches the service ticket a TicketJob asks for. */
  readonly tickets: (job: TicketJob) => Promise<Credentials>;
  readonly send: (datagrams: readonly OutboundDatagram[]) => void;
  readonly now?: () => number;
}

/**
 * A TicketJob source backed by our ticket cache: drops a ticket the peer said expired [RFC 4430
 * §9]. User-to-user tickets are cached per peer TGT, so one under a peer's new TGT is fetched
 * without dropping the old [RFC 4430 §3.7.1].
 */
export function ticketsFromCache(cache: TicketCache): (job: TicketJob) => Promise<Credentials> {
  return (job) => {
    if (job.refresh === "expired") cache.drop(job.server.name);
    return cache.serviceTicket(job.server.name, job.peerTgt);
  };
}

export class KinkDriver extends EventEmitter<{ event: [EngineEvent] }> {
  readonly #o: KinkDriverOptions;
  readonly #now: () => number;
  readonly #unsubscribe: () => void;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #closed = false;
  /** Sink batches and ticket fetches in flight. */
  #inflight = 0;
  #idle: (() => void)[] = [];

  constructor(o: KinkDriverOptions) {
    super();
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#unsubscribe = o.sink.subscribe((e) => this.#onSinkEvent(e));
  }

  receive(batch: readonly InboundDatagram[]): void {
    this.#apply(this.#o.engine.receive(batch, this.#now()));
  }

  create(peer: string): void {
    this.#apply(this.#o.engine.create(peer, this.#now()));
  }

  delete(peer: string): void {
    this.#apply(this.#o.engine.delete(peer, this.#now()));
  }

  status(peer: string, notifies?: readonly IsakmpPayload[]): void {
    this.#apply(this.#o.engine.status(peer, this.#now(), notifies));
  }

  /** Resolves once no sink batch or ticket fetch is in flight. */
  settled(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #onSinkEvent(e: SinkEvent): void {
    if (e.type !== "expire" || this.#closed) return;
    this.#apply(this.#o.engine.sinkEvent({ type: "expire", id: e.id, hard: e.hard }, this.#now()));
  }

  #apply(out: EngineOutput): void {
    if (this.#closed) return;
    if (out.send.length > 0) this.#o.send(out.send);
    for (const job of out.sink) {
      this.#inflight++;
      this.#o.sink.batch(job.ops).then(
        (results) => this.#resume(() => this.#o.engine.sinkDone(job.id, results, this.#now())),
        (e: unknown) => {
          // A sink that fails as a whole fails every item: the engine cleans up per item.
          const error = e instanceof SinkError ? e : new SinkError("internal", (e as Error).message);
          const results: SinkResult[] = job.ops.map(() => ({ ok: false, error }));
          this.#resume(() => this.#o.engine.sinkDone(job.id, results, this.#now()));
        },
      );
    }
    for (const job of out.tickets) {
      this.#inflight++;
      this.#o.tickets(job).then(
        (credentials) => this.#resume(() => this.#o.engine.ticketDone(job.id, { ok: true, credentials }, this.#now())),
        (error: Error) => this.#resume(() => this.#o.engine.ticketDone(job.id, { ok: false, error }, this.#now())),
      );
    }
    for (const e of out.events) this.emit("event", e);
    this.#arm();
  }

  #resume(step: () => EngineOutput): void {
    this.#inflight--;
    this.#apply(step());
    if (this.#inflight === 0) for (const f of this.#idle.splice(0)) f();
  }

  #arm(): void {
    const next = this.#o.engine.nextDeadline();
    if (next === undefined || next >= this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, next - this.#now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#apply(this.#o.engine.tick(this.#now()));
  }
}
