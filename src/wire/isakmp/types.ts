// The Quick Mode payloads a KINK_ISAKMP chain may carry [RFC 4430 §5, §7.2], as plain data.
// Everything the wire can vary (attribute order and form, SPI octets, Notify DOI) is kept, so
// encode(decode(bytes)) gives back the same bytes.

/**
 * One SA attribute [RFC 2408 §3.3] in wire order. A numeric value is basic (TV, 2 octets) or
 * variable with exactly 4 octets; any other variable length keeps its octets.
 */
export type SaAttribute =
  | { readonly class: number; readonly value: number; readonly form: "basic" | "variable" }
  | { readonly class: number; readonly bytes: Uint8Array };

export interface Transform {
  readonly number: number;
  readonly transformId: number;
  readonly attributes: readonly SaAttribute[];
}

export interface Proposal {
  readonly number: number;
  readonly protocolId: number;
  readonly spi: Uint8Array;
  readonly transforms: readonly Transform[];
}

export interface SaPayload {
  readonly type: "sa";
  readonly doi: number;
  readonly situation: number;
  readonly proposals: readonly Proposal[];
}

export interface NoncePayload {
  readonly type: "nonce";
  readonly data: Uint8Array;
}

export interface KePayload {
  readonly type: "ke";
  readonly data: Uint8Array;
}

/** Addresses as text: dotted-quad IPv4, RFC 5952 IPv6. A subnet's mask is kept as its prefix length. */
export type IdAddress =
  | { readonly kind: "addr"; readonly addr: string }
  | { readonly kind: "subnet"; readonly addr: string; readonly prefix: number }
  | { readonly kind: "range"; readonly start: string; readonly end: string };

export interface IdPayload {
  readonly type: "id";
  readonly idType: number;
  /** IP protocol number, 0 = any [RFC 2407 §4.6.2]. */
  readonly protocol: number;
  /** 0 = any port [RFC 2407 §4.6.2]. */
  readonly port: number;
  readonly address: IdAddress;
}

export interface NotifyPayload {
  readonly type: "notify";
  readonly doi: number;
  readonly protocolId: number;
  readonly spi: Uint8Array;
  readonly notifyType: number;
  readonly data: Uint8Array;
}

export interface DeletePayload {
  readonly type: "delete";
  readonly doi: number;
  readonly protocolId: number;
  readonly spiSize: number;
  readonly spis: readonly Uint8Array[];
}

export type IsakmpPayload = SaPayload | NoncePayload | KePayload | IdPayload | NotifyPayload | DeletePayload;
