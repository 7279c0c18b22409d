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
import { decodeFail, encodeFail, type Fail, type PayloadCodec, readChain, writeChain } from "./walk.ts";

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

/** Payloads of which a Quick Mode message holds at most one [RFC 2409 §5.5, RFC 4430 §5]. */
const SINGLE: ReadonlySet<Kind> = new Set<Kind>(["sa", "nonce", "ke"]);

/**
 * Chain-level rules of a KINK Quick Mode operation [RFC 4430 §5, §5.3; RFC 2409 §5.5]: the SA
 * comes first, one SA, one Nonce, one KE at most, and IDs come as the pair IDci, IDcr or not
 * at all. `offsets[i]` locates payload i in errors.
 */
function checkChainShape(kinds: readonly Kind[], offsets: readonly number[], fail: Fail): void {
  const counts = new Map<Kind, number>();
  let firstIdAt: number | undefined;
  kinds.forEach((kind, i) => {
    const count = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, count);
    const name = isakmpPayloadName(codecOf(kind).type);
    if ((SINGLE.has(kind) && count > 1) || (kind === "id" && count > 2))
      fail("duplicate-payload", name, `${count} ${name} payloads in one Quick Mode operation [RFC 4430 §5]`, offsets[i]);
    if (kind === "sa" && i !== 0) fail("bad-isakmp", name, "the SA payload must come first [RFC 2409 §5.5]", offsets[i]);
    if (kind === "id") firstIdAt ??= offsets[i];
  });
  if (counts.get("id") === 1) fail("missing-payload", "ID", "IDci without IDcr: IDs come in pairs [RFC 2409 §5.5, RFC 4430 §5.3]", firstIdAt);
}

/**
 * Writes the chain, back-patching every length, and returns the ISAKMP type of the first
 * payload (0 for none) for KINK_ISAKMP's InnerNextPload [RFC 4430 §4.2.6]. A payload that
 * breaks a rule the decoder enforces is refused with an "unencodable" KinkError.
 */
export function encodeIsakmpChain(w: WireWriter, payloads: readonly IsakmpPayload[]): number {
  const fail = encodeFail(w);
  checkChainShape(
    payloads.map((p) => p.type),
    payloads.map(() => w.pos),
    fail,
  );
  writeChain(
    w,
    payloads,
    (p) => codecOf(p.type).type,
    (p) => codecOf(p.type).encode(w, p, fail),
  );
  return payloads[0] ? codecOf(payloads[0].type).type : IsakmpPayloadType.NONE;
}

/**
 * Decodes a KINK_ISAKMP body `bytes[start, end)` whose first payload has type `firstType` (the
 * InnerNextPload, the octet at `start − 4`). Error offsets are `origin` + index into `bytes`
 * (`inner`: offsets count KINK_ENCRYPT plaintext octets). Every failure is a KinkError whose
 * response is Notify PAYLOAD-MALFORMED, or INVALID-PAYLOAD-TYPE for a payload type KINK does
 * not carry [RFC 4430 §5.5].
 */
export function decodeIsakmpChain(bytes: Uint8Array, firstType: number, start: number, end: number, origin: number, inner: boolean): IsakmpPayload[] {
  const r = new WireReader().reset(bytes, start, end, "isakmp", origin, inner);
  const fail = decodeFail(r);
  const payloads: IsakmpPayload[] = [];
  const offsets: number[] = [];
  readChain(r, firstType, start - 4, "ISAKMP", (type, typeAt, at) => {
    const codec = CODEC_BY_TYPE.get(type);
    if (!codec) {
      const field = typeAt === start - 4 ? "KINK_ISAKMP.InnerNextPload" : "ISAKMP.NextPayload";
      throw r.error("unknown-isakmp-payload", field, `${isakmpPayloadName(type)} is not a KINK Quick Mode payload [RFC 4430 §5]`, typeAt, {
        kind: "notify",
        notifyType: NotifyType.INVALID_PAYLOAD_TYPE,
        data: Uint8Array.of(type),
      });
    }
    payloads.push(codec.decode(r, fail, at));
    offsets.push(at);
  });
  checkChainShape(
    payloads.map((p) => p.type),
    offsets,
    fail,
  );
  return payloads;
}
