// The engine's narrow interface: what goes in (datagrams, requests, sink and ticket results,
// time) and what comes out (datagrams, sink jobs, ticket jobs, events). The engine never opens
// a socket, reads a clock, calls the kernel or the KDC: the driver (driver.ts) or a test does,
// and feeds the results back in (strongSwan's build()/process() shape, style.md §1).

import type { IpsecProtocol, SaId, SinkOp, SinkResult } from "../ipsec/sink.ts";
import type { Credentials } from "../krb/kdc-client.ts";
import type { Ticket } from "../krb/messages/types.ts";
import type { Principal } from "../krb/principal.ts";
import type { KinkInteropOptions } from "../wire/interop.ts";
import type { NegotiatedSa, SaPolicy } from "./proposal.ts";

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface InboundDatagram {
  readonly data: Uint8Array;
  readonly from: Endpoint;
  /** The local address and port it arrived on: the SA endpoint on our side. */
  readonly local: Endpoint;
}

export interface OutboundDatagram {
  readonly data: Uint8Array;
  readonly to: Endpoint;
  readonly from?: Endpoint;
}

/** A peer as local policy knows it [RFC 4430 §3, racoon2 `remote { kink { … } }`]. */
export interface PeerConfig {
  readonly name: string;
  /**
   * The peer's Kerberos principal. Initiating, it is the service we get tickets for. Responding,
   * it selects which authenticated clients this entry covers: an exact principal, `*@REALM`
   * (every principal of a realm: thousands of PacketCable clients share one entry), or `*`.
   */
  readonly principal: string;
  /** The peer's IP address; required to initiate. Responding, a source address restriction if set. */
  readonly address?: string;
  /** Our address toward this peer: the SA endpoint on our side when we initiate. */
  readonly localAddress?: string;
  /** Peer's KINK port (default 910). */
  readonly port?: number;
  /** One entry per SA (one KINK_ISAKMP payload each) a CREATE to this peer negotiates [RFC 4430 §4.2.6]. */
  readonly sas: readonly SaPolicy[];
  readonly interop?: KinkInteropOptions;
  /** Nonce length in octets (8–256 [RFC 2409 §5]; racoon2 sends 16). */
  readonly nonceOctets?: number;
  /** Always send Nr (3-message CREATE) even when the optimistic proposal is taken [RFC 4430 §3.2.1]. */
  readonly responderNonce?: boolean;
  /** The peer has no keytab: fetch its TGT with GETTGT and use a user-to-user ticket [RFC 4430 §3.1]. */
  readonly userToUser?: boolean;
  /** XFRM reqid tying the SAs to the policy templates. */
  readonly reqid?: number;
  readonly replayWindow?: number;
  /**
   * Re-CREATE when the peer restarted (epoch change), an SA nears expiry (initiator only) or
   * dead-peer detection gave the peer up (its SAs are dropped first). Default true.
   */
  readonly keepUp?: boolean;
  /**
   * Dead-peer detection: while we have SAs with this peer and nothing authenticated came from it
   * for this many seconds, send a STATUS [RFC 4430 §3.7]. 0 or absent: off. Needs `address` and
   * `localAddress`.
   */
  readonly dpdIdleSeconds?: number;
}

export interface RetransmitPolicy {
  /** First retransmission timeout T (ms) [RFC 4430 §9]; racoon2: 1 s. */
  readonly initialMs: number;
  /** Truncation of the exponential back-off (ms). */
  readonly maxIntervalMs: number;
  /** Transmissions before giving up (racoon2: 5, at 0, 1, 3, 7, 15 s; abort at 31 s). */
  readonly maxTransmissions: number;
}

/** Work for the SA sink: run `ops` as one batch and call engine.sinkDone(id, results). */
export interface SinkJob {
  readonly id: number;
  readonly ops: SinkOp[];
}

/** Work for the KDC client: a service ticket for `server` (user-to-user with `peerTgt`); call engine.ticketDone(id, …). */
export interface TicketJob {
  readonly id: number;
  readonly server: Principal;
  readonly peerTgt?: Ticket;
  /**
   * Why a cached ticket will not do. "expired": the peer refused it as expired, fetch a new one
   * [RFC 4430 §9]. "peer-tgt": the user-to-user peer has a new TGT (`peerTgt`); a ticket under it
   * is a new ticket anyway, and the old one stays usable until it is in [RFC 4430 §3.7.1].
   */
  readonly refresh?: "expired" | "peer-tgt";
}

export type TicketResult = { readonly ok: true; readonly credentials: Credentials } | { readonly ok: false; readonly error: Error };

/** One negotiated SA pair (both directions), as events report it. */
export interface SaPairInfo {
  readonly peer: string;
  readonly principal: string;
  readonly role: "initiator" | "responder";
  readonly protocol: IpsecProtocol;
  readonly inbound: SaId;
  readonly outbound: SaId;
  readonly sa: NegotiatedSa;
}

export type EngineEvent =
  | { readonly type: "sa-up"; readonly pair: SaPairInfo; readonly rekeyOf?: SaId }
  | { readonly type: "sa-down"; readonly pair: SaPairInfo; readonly reason: string }
  | { readonly type: "exchange-failed"; readonly peer: string; readonly exchange: string; readonly reason: string }
  | { readonly type: "peer-restarted"; readonly principal: string; readonly oldEpoch: number; readonly newEpoch: number }
  | { readonly type: "peer-alive"; readonly peer: string; readonly epoch: number }
  | { readonly type: "peer-dead"; readonly peer: string }
  | { readonly type: "notify"; readonly principal: string; readonly notifyType: number; readonly spi?: number }
  | { readonly type: "sink-error"; readonly op: string; readonly reason: string };

/** Everything one engine call produced. */
export interface EngineOutput {
  readonly send: OutboundDatagram[];
  readonly sink: SinkJob[];
  readonly tickets: TicketJob[];
  readonly events: EngineEvent[];
}

export type { SinkResult };
