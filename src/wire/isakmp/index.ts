// The ISAKMP Quick Mode subset carried in KINK_ISAKMP [RFC 4430 §5, §7].

export { formatAddress, parseAddress } from "../ip-address.ts";
export { buildTransformAttributes, type TransformSpec, type TransformView, transformView } from "./attributes.ts";
export { decodeIsakmpChain, encodeIsakmpChain } from "./chain.ts";
export * from "./constants.ts";
export type * from "./types.ts";
