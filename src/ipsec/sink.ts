// The SA sink: where negotiated SAs and policies go. strongSwan's kernel_ipsec_t in
// TypeScript. The protocol engine never touches the kernel; the daemon hands it one sink —
// MemorySink (embedded default and test double) or XfrmSink (Linux kernel via netlink).
// Everything is asynchronous because the kernel answers asynchronously; `batch` exists so a
// burst of CREATEs becomes one kernel round trip with a result per item.

import type { AuthAlgorithm, EncAlgorithm } from "./algorithms.ts";

export type IpsecProtocol = "esp" | "ah";
export type IpsecMode = "transport" | "tunnel";
export type PolicyDirection = "in" | "out" | "fwd";

/** Numeric IPsec protocol, as IP protocol numbers (ESP 50, AH 51) — what XFRM uses. */
export const IP_PROTO = { esp: 50, ah: 51 } as const;

/** Identifies one SA in the kernel: (destination, SPI, protocol) [RFC 4301 §4.1]. */
export interface SaId {
  /** Destination address of the SA, textual IPv4 or IPv6. */
  readonly dst: string;
  readonly spi: number;
  readonly proto: IpsecProtocol;
  /** XFRM mark the SA is keyed with, if marks are configured. */
  readonly mark?: Mark;
}

export interface Mark {
  readonly value: number;
  readonly mask: number;
}

/** A traffic selector; prefix length 0 and port 0 / proto 0 mean "any". */
export interface TrafficSelector {
  readonly src: string;
  readonly srcPrefix: number;
  readonly dst: string;
  readonly dstPrefix: number;
  /** IP protocol number (6 TCP, 17 UDP, …), 0 = any. */
  readonly proto: number;
  readonly srcPort: number;
  readonly dstPort: number;
}

/** Soft and hard limits; absent means unlimited. Soft limits raise an `expire` event with hard=false. */
export interface Lifetime {
  readonly softSeconds?: number;
  readonly hardSeconds?: number;
  readonly softBytes?: number;
  readonly hardBytes?: number;
  readonly softPackets?: number;
  readonly hardPackets?: number;
}

/** A key for one algorithm. Sinks must not keep references to `key` after the SA is deleted. */
export interface AlgorithmKey<A> {
  readonly alg: A;
  /** Key octets; for AES-CTR/GCM/CCM the salt follows the key (the kernel's layout too). */
  readonly key: Uint8Array;
}

export interface SaSpec {
  readonly id: SaId;
  /** Source address of the SA (the peer for inbound SAs, us for outbound). */
  readonly src: string;
  readonly mode: IpsecMode;
  /** Ties the SA to the policy templates that use it. */
  readonly reqid: number;
  readonly enc?: AlgorithmKey<EncAlgorithm>;
  readonly auth?: AlgorithmKey<AuthAlgorithm>;
  readonly lifetime: Lifetime;
  /** Anti-replay window in packets (0 = off). */
  readonly replayWindow: number;
  /** Restricts the SA to this traffic; absent = any (tunnel mode) or the endpoints (transport). */
  readonly selector?: TrafficSelector;
}

export interface PolicyTemplate {
  readonly proto: IpsecProtocol;
  readonly mode: IpsecMode;
  /** Tunnel endpoints; required for tunnel mode, ignored for transport. */
  readonly src?: string;
  readonly dst?: string;
  readonly reqid: number;
  /** "use": traffic may pass without an SA; "required": it needs one (and triggers ACQUIRE). */
  readonly level: "required" | "use";
}

/** Identifies one policy: selector + direction (+ mark), as the kernel keys them. */
export interface PolicyId {
  readonly selector: TrafficSelector;
  readonly dir: PolicyDirection;
  readonly mark?: Mark;
}

export interface PolicySpec extends PolicyId {
  readonly action: "allow" | "block";
  /** Lower is preferred (XFRM semantics). */
  readonly priority: number;
  readonly templates: readonly PolicyTemplate[];
  readonly lifetime?: Lifetime;
}

export interface SpiRequest {
  /** Where the SA will be received: our address. */
  readonly dst: string;
  readonly src: string;
  readonly proto: IpsecProtocol;
  readonly reqid?: number;
  /** SPI range; RFC 4301 §4.1 reserves 0–255. Defaults: 0x100–0xffffffff. */
  readonly min?: number;
  readonly max?: number;
}

/** One operation of a batch; `op` names the SaSink method it stands for. */
export type SinkOp =
  | { readonly op: "getSpi"; readonly req: SpiRequest }
  | { readonly op: "addSa"; readonly sa: SaSpec }
  | { readonly op: "updateSa"; readonly sa: SaSpec }
  | { readonly op: "deleteSa"; readonly id: SaId }
  | { readonly op: "addPolicy"; readonly policy: PolicySpec }
  | { readonly op: "updatePolicy"; readonly policy: PolicySpec }
  | { readonly op: "deletePolicy"; readonly id: PolicyId };

/** Per-item outcome of a batch: ok (with the SPI for getSpi) or the item's own error. */
export type SinkResult = { readonly ok: true; readonly spi?: number } | { readonly ok: false; readonly error: SinkError };

export type SinkEvent =
  /** An SA reached a soft (hard=false: rekey now) or hard (hard=true: it is gone) limit. */
  | { readonly type: "expire"; readonly id: SaId; readonly src: string; readonly reqid: number; readonly hard: boolean }
  /** Traffic hit a policy whose template has no SA: negotiate one [RFC 4301 §5.2]. */
  | { readonly type: "acquire"; readonly selector: TrafficSelector; readonly template: PolicyTemplate; readonly policyIndex?: number }
  /** Events may have been lost (receive buffer overflow); the sink resynchronised by dumping. */
  | { readonly type: "resync"; readonly sas: number; readonly policies: number };

export type SinkErrorCode =
  | "exists"
  | "not-found"
  | "no-spi"
  | "permission"
  | "unsupported-algorithm"
  | "no-kernel-support"
  | "invalid"
  | "busy"
  | "no-buffer-space"
  | "closed"
  | "internal";

/** A sink failure in operator words; `errno` is the kernel's (positive) errno where one exists. */
export class SinkError extends Error {
  override readonly name = "SinkError";
  constructor(
    readonly code: SinkErrorCode,
    message: string,
    readonly errno?: number,
    readonly op?: SinkOp["op"],
  ) {
    super(message);
  }
}

/** Zeroes an SA's key octets (the caller's copy, once the sink has taken its own). */
export function wipeSaKeys(sa: SaSpec | undefined): void {
  sa?.enc?.key.fill(0);
  sa?.auth?.key.fill(0);
}

export interface SaSink {
  /** Reserves an SPI for an inbound SA that `addSa`/`updateSa` will later fill in. */
  getSpi(req: SpiRequest): Promise<number>;
  addSa(sa: SaSpec): Promise<void>;
  /** Replaces an SA's parameters. Keys of a live XFRM SA can't change in place: see the sink's notes. */
  updateSa(sa: SaSpec): Promise<void>;
  deleteSa(id: SaId): Promise<void>;
  addPolicy(policy: PolicySpec): Promise<void>;
  updatePolicy(policy: PolicySpec): Promise<void>;
  deletePolicy(id: PolicyId): Promise<void>;
  /** Runs many operations in order with one result each, in order; one failure does not stop the rest. */
  batch(ops: readonly SinkOp[]): Promise<SinkResult[]>;
  /** Removes every SA and/or policy this sink is responsible for. */
  flush(what?: { sas?: boolean; policies?: boolean }): Promise<void>;
  /** Registers an event listener; returns the function that removes it. */
  subscribe(listener: (event: SinkEvent) => void): () => void;
  close(): Promise<void>;
}
