// TEMPORARY placeholder until the ISAKMP codec branch lands (replaced by it at merge).
import type { WireWriter } from "../writer.ts";
export type IsakmpPayload = { readonly type: string };
export function encodeIsakmpChain(_w: WireWriter, _payloads: readonly IsakmpPayload[]): number {
  return 0;
}
export function decodeIsakmpChain(_b: Uint8Array, _first: number, _start: number, _end: number, _origin: number, _inner: boolean): IsakmpPayload[] {
  return [];
}
