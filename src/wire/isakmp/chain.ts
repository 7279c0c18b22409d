// A KINK_ISAKMP body: IKEv1 Quick Mode payloads chained without the ISAKMP header, without
// HASH, and without alignment between them [RFC 4430 §4.2.6, §5]. This is the API the KINK
// layer calls; the payload codecs live beside it.

import { WireReader } from "../reader.ts";
import type { WireWriter } from "../writer.ts";
import { IsakmpPayloadType, isakmpPayloadName, NotifyType } from "./constants.ts";
import { idCodec } from "./id.ts";
import { keCodec, nonceCodec } from "./nonce-ke.ts";
import { deleteCodec, notifyCodec } from "./notify-delete.ts";
import { saCodec } from "./sa.ts";
import type { IsakmpPayload } from "./types.ts";
import { ChainCursor, chainFields, chainLength, decodeFail, encodeFail, type Fail, type PayloadCodec, writeChain } from "./walk.ts";

type Kind = IsakmpPayload["type"];

const CODECS: { readonly [K in Kind]: PayloadCodec<Extract<IsakmpPayload, { type: K }>> } = {
  sa: saCodec,
  nonce: nonceCodec,
  ke: keCodec,
  id: idCodec,
  notify: notifyCodec,
  delete: deleteCodec,
};

const codecOf = (kind: Kind) => CODECS[kind] as PayloadCodec<IsakmpPayload>;

/**
 * The only payload types KINK's Quick Mode carries. HASH is gone [RFC 4430 §5]; CERT, CR, SIG,
 * VID and every other phase-1 payload MUST NOT be sent [RFC 4430 §5], so receiving one — like
 * an unassigned type, or a Proposal/Transform outside an SA — is INVALID-PAYLOAD-TYPE with the
 * type as data [RFC 4430 §5.5].
 */
const CODEC_BY_TYPE = new Map<number, PayloadCodec<IsakmpPayload>>(Object.values(CODECS).map((c) => [c.type, c as PayloadCodec<IsakmpPayload>]));

/** Payloads of which a Quick Mode message holds at most one [RFC 2409 §5.5, RFC 4430 §5], and the ID pair's two; Notify and Delete may repeat. */
const MAX_COUNT = { sa: 1, nonce: 1, ke: 1, id: 2 } as const;

/**
 * Chain-level rules of a KINK Quick Mode operation [RFC 4430 §5, §5.3; RFC 2409 §5.5]: the SA
 * comes first, one SA, one Nonce, one KE at most, and IDs come as the pair IDci, IDcr or not
 * at all. `offsets[i]` locates payload i in errors; the encoder, which checks before writing
 * anything, omits them and its failures default to the writer's position.
 */
function checkChainShape(payloads: readonly IsakmpPayload[], fail: Fail, offsets?: readonly number[]): void {
  let sa = 0;
  let nonce = 0;
  let ke = 0;
  let id = 0;
  let firstIdAt: number | undefined;
  for (let i = 0; i < payloads.length; i++) {
    const kind = payloads[i]!.type;
    let count: number;
    if (kind === "sa") count = ++sa;
    else if (kind === "nonce") count = ++nonce;
    else if (kind === "ke") count = ++ke;
    else if (kind === "id") count = ++id;
    else continue;
    if (count > MAX_COUNT[kind]) {
      const name = isakmpPayloadName(CODECS[kind].type);
      fail("duplicate-payload", name, `${count} ${name} payloads in one Quick Mode operation [RFC 4430 §5]`, offsets?.[i]);
    }
    if (kind === "sa" && i !== 0) fail("bad-isakmp", isakmpPayloadName(IsakmpPayloadType.SA), "the SA payload must come first [RFC 2409 §5.5]", offsets?.[i]);
    if (kind === "id") firstIdAt ??= offsets?.[i];
  }
  if (id === 1) fail("missing-payload", "ID", "IDci without IDcr: IDs come in pairs [RFC 2409 §5.5, RFC 4430 §5.3]", firstIdAt);
}

const typeOf = (p: IsakmpPayload): number => codecOf(p.type).type;
const writeBody = (w: WireWriter, p: IsakmpPayload, fail: Fail): void => codecOf(p.type).encode(w, p, fail);

/**
 * Writes the chain, back-patching every length, and returns the ISAKMP type of the first
 * payload (0 for none) for KINK_ISAKMP's InnerNextPload [RFC 4430 §4.2.6]. A payload that
 * breaks a rule the decoder enforces is refused with an "unencodable" KinkError.
 */
export function encodeIsakmpChain(w: WireWriter, payloads: readonly IsakmpPayload[]): number {
  const fail = encodeFail(w);
  checkChainShape(payloads, fail);
  writeChain(w, payloads, fail, typeOf, writeBody);
  return payloads[0] ? typeOf(payloads[0]) : IsakmpPayloadType.NONE;
}

/**
 * One reader, its failure function, the chain cursor and the payload offsets serve every
 * decode: decoding calls out to nothing that could decode again, and a reader per call (with
 * its closure) costs more than the fields it reads. `offsets` only grows; a decode reads the
 * entries of its own payloads.
 */
const reader = new WireReader();
const readerFail = decodeFail(reader);
const PAYLOADS = new ChainCursor(chainFields("ISAKMP"));
const offsets: number[] = [];

/**
 * Decodes a KINK_ISAKMP body `bytes[start, end)` whose first payload has type `firstType` (the
 * InnerNextPload, the octet at `start − 4`). Error offsets are `origin` + index into `bytes`
 * (`inner`: offsets count KINK_ENCRYPT plaintext octets). Every failure is a KinkError whose
 * response is Notify PAYLOAD-MALFORMED, or INVALID-PAYLOAD-TYPE for a payload type KINK does
 * not carry [RFC 4430 §5.5]. Payload octets (SPIs, nonces) are copies, so `bytes` can be
 * reused, unless `owned` says no one writes to `bytes` again: then they are views of it.
 */
export function decodeIsakmpChain(
  bytes: Uint8Array,
  firstType: number,
  start: number,
  end: number,
  origin: number,
  inner: boolean,
  owned = false,
): IsakmpPayload[] {
  const r = reader.reset(bytes, start, end, "isakmp", origin, inner, owned);
  const payloads: IsakmpPayload[] = new Array(chainLength(r, firstType));
  const chain = PAYLOADS.start(r, firstType, start - 4);
  for (let i = 0; chain.next(); i++) {
    const { type, typeAt, at } = chain;
    const codec = CODEC_BY_TYPE.get(type);
    if (!codec) {
      const field = typeAt === start - 4 ? "KINK_ISAKMP.InnerNextPload" : "ISAKMP.NextPayload";
      throw r.error("unknown-isakmp-payload", field, `${isakmpPayloadName(type)} is not a KINK Quick Mode payload [RFC 4430 §5]`, typeAt, {
        kind: "notify",
        notifyType: NotifyType.INVALID_PAYLOAD_TYPE,
        data: Uint8Array.of(type),
      });
    }
    payloads[i] = codec.decode(r, readerFail, at);
    offsets[i] = at;
  }
  checkChainShape(payloads, readerFail, offsets);
  return payloads;
}
