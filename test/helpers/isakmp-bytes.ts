// ISAKMP test fixtures: encode/decode wrappers over a whole buffer, a rich chain with every
// payload kind and attribute form, and an independent walk that lists the offset of every
// length and count field in an encoded chain (so tests can corrupt each one).
import { KinkError } from "../../src/wire/errors.ts";
import { buildTransformAttributes, decodeIsakmpChain, encodeIsakmpChain, type IsakmpPayload } from "../../src/wire/isakmp/index.ts";
import { WireWriter } from "../../src/wire/writer.ts";
import { hex } from "./bytes.ts";

export function encodeChain(payloads: readonly IsakmpPayload[]): { bytes: Uint8Array; firstType: number } {
  const w = new WireWriter(64);
  const firstType = encodeIsakmpChain(w, payloads);
  return { bytes: w.toBytes(), firstType };
}

export const decodeChain = (bytes: Uint8Array, firstType: number): IsakmpPayload[] => decodeIsakmpChain(bytes, firstType, 0, bytes.length, 0, false);

/** The decoded chain, or the KinkError; any other exception propagates (and fails the test). */
export function decodeOrError(bytes: Uint8Array, firstType: number): IsakmpPayload[] | KinkError {
  try {
    return decodeChain(bytes, firstType);
  } catch (e) {
    if (e instanceof KinkError) return e;
    throw e;
  }
}

/** One payload of every kind; attributes in all three forms; an AH+ESP bundle and a second choice. */
export const RICH_CHAIN: readonly IsakmpPayload[] = [
  {
    type: "sa",
    doi: 1,
    situation: 1,
    proposals: [
      {
        number: 1,
        protocolId: 2,
        spi: hex("11223344"),
        transforms: [
          {
            number: 1,
            transformId: 3,
            attributes: [
              { class: 1, value: 1, form: "basic" },
              { class: 2, value: 0x12345678, form: "variable" },
              { class: 5, value: 2, form: "basic" },
            ],
          },
        ],
      },
      {
        number: 1,
        protocolId: 3,
        spi: hex("55667788"),
        transforms: [
          {
            number: 1,
            transformId: 12,
            attributes: [
              { class: 1, value: 2, form: "basic" },
              { class: 2, bytes: hex("000186a0ff") },
              { class: 4, value: 1, form: "basic" },
              { class: 6, value: 256, form: "basic" },
              { class: 5, value: 5, form: "basic" },
            ],
          },
          { number: 2, transformId: 3, attributes: [{ class: 4, value: 2, form: "basic" }] },
        ],
      },
      { number: 2, protocolId: 4, spi: hex("0002"), transforms: [{ number: 1, transformId: 2, attributes: [] }] },
    ],
  },
  { type: "nonce", data: hex("000102030405060708090a0b0c0d0e0f") },
  { type: "ke", data: hex("a1a2a3a4a5a6a7a8") },
  { type: "id", idType: 4, protocol: 6, port: 910, address: { kind: "subnet", addr: "192.0.2.0", prefix: 24 } },
  { type: "id", idType: 8, protocol: 0, port: 0, address: { kind: "range", start: "2001:db8::1", end: "2001:db8::ff" } },
  { type: "notify", doi: 1, protocolId: 3, spi: hex("55667788"), notifyType: 24576, data: hex("800b0001") },
  { type: "delete", doi: 1, protocolId: 3, spiSize: 4, spis: [hex("01020304"), hex("05060708")] },
];

export interface SizeField {
  readonly at: number;
  readonly width: 1 | 2;
  readonly what: string;
}

/**
 * Offsets of every Payload Length, SPI Size, #Transforms, #SPIs and variable attribute
 * Length in a well-formed chain, found by walking the bytes with the RFC 2408 §3 layouts.
 */
export function sizeFields(bytes: Uint8Array, firstType: number): SizeField[] {
  const u16 = (at: number) => (bytes[at]! << 8) | bytes[at + 1]!;
  const out: SizeField[] = [];
  const chain = (start: number, type: number, visit: (type: number, at: number, end: number) => void) => {
    let at = start;
    while (type !== 0) {
      out.push({ at: at + 2, width: 2, what: `payload ${type} Length` });
      const end = at + u16(at + 2);
      visit(type, at, end);
      type = bytes[at]!;
      at = end;
    }
  };
  chain(0, firstType, (type, at) => {
    if (type === 1)
      chain(at + 12, 2, (_p, pAt) => {
        out.push({ at: pAt + 6, width: 1, what: "SPI Size" }, { at: pAt + 7, width: 1, what: "#Transforms" });
        chain(pAt + 8 + bytes[pAt + 6]!, 3, (_t, tAt, tEnd) => {
          for (let a = tAt + 8; a < tEnd; a += bytes[a]! & 0x80 ? 4 : 4 + u16(a + 2)) {
            if (!(bytes[a]! & 0x80)) out.push({ at: a + 2, width: 2, what: "attribute Length" });
          }
        });
      });
    if (type === 11) out.push({ at: at + 9, width: 1, what: "Notify SPI Size" });
    if (type === 12) out.push({ at: at + 9, width: 1, what: "Delete SPI Size" }, { at: at + 10, width: 2, what: "#SPIs" });
  });
  return out;
}

/** Ni of the worked example (kink.md §13.1). */
export const WORKED_EXAMPLE_NI = hex("000102030405060708090a0b0c0d0e0f");

/**
 * kink.md §13.1: SA with one ESP proposal (AES-CBC-128 + HMAC-SHA1, transport, 3600 s) and
 * the given SPI, then a Nonce unless `nonce` is null (the optimistic REPLY carries none).
 */
export function workedExampleChain(spi: Uint8Array = hex("0a0b0c0d"), nonce: Uint8Array | null = WORKED_EXAMPLE_NI): IsakmpPayload[] {
  const sa: IsakmpPayload = {
    type: "sa",
    doi: 1,
    situation: 1,
    proposals: [
      {
        number: 1,
        protocolId: 3,
        spi,
        transforms: [
          { number: 1, transformId: 12, attributes: buildTransformAttributes({ lifeSeconds: 3600, encapsulationMode: 2, keyLength: 128, authAlgorithm: 2 }) },
        ],
      },
    ],
  };
  return nonce === null ? [sa] : [sa, { type: "nonce", data: nonce }];
}
