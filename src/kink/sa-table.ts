// The SA pairs the engine negotiated, indexed the three ways the protocol looks them up: by our
// inbound SPI (DELETE replies, expire events), by the peer's principal and our outbound SPI
// (a DELETE lists the sender's inbound SPIs = our outbound ones [RFC 4430 §3.3]), and by peer
// principal (epoch change: every SA created with that principal goes [RFC 4430 §3.7]).

import { Id32Index } from "../ipsec/id32-index.ts";
import type { SaId, SaSpec } from "../ipsec/sink.ts";
import type { SessionKey } from "../wire/decode.ts";
import type { NegotiatedSa } from "./proposal.ts";
import type { TimerOwner } from "./timer-queue.ts";
import type { PeerConfig, SaPairInfo } from "./types.ts";

export type SaPairState =
  /** Inbound installed, outbound waits for the REPLY (initiator) or the ACK (responder). */
  | "half"
  /** Both directions installed. */
  | "up"
  /** A replacement is being negotiated (initiator), the pair still carries traffic. */
  | "rekeying"
  /** Outbound deleted; inbound waits out the grace period [RFC 4430 §3.3]. */
  | "deleting"
  | "gone";

export interface SaPair extends TimerOwner {
  readonly id: number;
  readonly config: PeerConfig;
  /** Index into config.sas of the SA policy this pair was negotiated for. */
  readonly policyIndex: number;
  readonly principal: string;
  readonly role: "initiator" | "responder";
  readonly sa: NegotiatedSa;
  readonly local: string;
  readonly remote: string;
  readonly inbound: SaId;
  readonly outbound: SaId;
  /** Outbound SA waiting to be installed (3-message responder: on ACK); keys zeroed once sent to the sink. */
  pendingOutbound?: SaSpec;
  /** Session key the pair was keyed with (DELETE of a responder pair reuses nothing of it; kept for logs only by etype). */
  readonly etype: SessionKey["etype"];
  readonly peerEpoch: number;
  readonly createdAt: number;
  /** When the initiator starts the rekey (randomised soft lifetime) [RFC 4430 §3.6]. */
  rekeyAt?: number;
  /** Hard expiry (ms), when the pair has a time lifetime. */
  expiresAt?: number;
  state: SaPairState;
  /** What the pair's timer does when it fires. */
  timerAction?: "rekey" | "grace" | "expire";
  timerGeneration: number;
}

const sameInbound = (p: SaPair, id: SaId) => p.inbound.dst === id.dst && p.inbound.proto === id.proto;
const sameOutbound = (p: SaPair, id: SaId) => p.outbound.dst === id.dst && p.outbound.proto === id.proto;
const samePeerOutbound = (p: SaPair, k: { principal: string; proto: SaId["proto"] }) => p.principal === k.principal && p.outbound.proto === k.proto;
/** Kernel identity of an SA: protocol, destination, SPI. */
const saKey = (id: SaId) => `${id.proto}|${id.dst}|${id.spi >>> 0}`;

export class SaTable {
  readonly #byInbound = new Id32Index<SaId, SaPair>(sameInbound, saKey);
  /** Outbound SAs by the principal that negotiated them and protocol (a DELETE names SPIs of its sender's inbound SAs). */
  readonly #byOutbound = new Id32Index<{ principal: string; proto: SaId["proto"]; spi: number }, SaPair>(
    samePeerOutbound,
    (k) => `${k.principal}|${k.proto}|${k.spi >>> 0}`,
  );
  /** Outbound SAs by their kernel identity (destination, protocol, SPI), whoever negotiated them. */
  readonly #byOutboundId = new Id32Index<SaId, SaPair>(sameOutbound, saKey);
  readonly #byPrincipal = new Map<string, Set<SaPair>>();

  get size(): number {
    return this.#byInbound.size;
  }

  add(pair: SaPair): void {
    this.#byInbound.set(pair.inbound.spi, pair.inbound, pair);
    this.#byOutbound.set(pair.outbound.spi, { principal: pair.principal, proto: pair.outbound.proto, spi: pair.outbound.spi }, pair);
    this.#byOutboundId.set(pair.outbound.spi, pair.outbound, pair);
    let set = this.#byPrincipal.get(pair.principal);
    if (set === undefined) {
      set = new Set();
      this.#byPrincipal.set(pair.principal, set);
    }
    set.add(pair);
  }

  remove(pair: SaPair): void {
    pair.state = "gone";
    this.#byInbound.delete(pair.inbound.spi, pair.inbound, pair);
    this.#byOutbound.delete(pair.outbound.spi, { principal: pair.principal, proto: pair.outbound.proto, spi: pair.outbound.spi }, pair);
    this.#byOutboundId.delete(pair.outbound.spi, pair.outbound, pair);
    const set = this.#byPrincipal.get(pair.principal);
    if (set !== undefined) {
      set.delete(pair);
      if (set.size === 0) this.#byPrincipal.delete(pair.principal);
    }
  }

  byInbound(id: SaId): SaPair | undefined {
    return this.#byInbound.get(id.spi, id);
  }

  /** The pair whose outbound SA (the peer's inbound) has this SPI, if `principal` created it. */
  byOutbound(principal: string, proto: SaId["proto"], spi: number): SaPair | undefined {
    return this.#byOutbound.get(spi, { principal, proto, spi });
  }

  /** The pair whose outbound SA is `id`, negotiated by any principal (expiry events; "not yours" vs "unknown" on DELETE). */
  byOutboundId(id: SaId): SaPair | undefined {
    return this.#byOutboundId.get(id.spi, id);
  }

  ofPrincipal(principal: string): readonly SaPair[] {
    const set = this.#byPrincipal.get(principal);
    return set === undefined ? [] : [...set];
  }

  all(): IterableIterator<SaPair> {
    return this.#byInbound.values();
  }
}

export function pairInfo(p: SaPair): SaPairInfo {
  return { peer: p.config.name, principal: p.principal, role: p.role, protocol: p.inbound.proto, inbound: p.inbound, outbound: p.outbound, sa: p.sa };
}
