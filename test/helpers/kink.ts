// Shared material for the KINK codec tests: the racoon2 capture's messages and session key,
// sealers for every enctype, and sample messages of every type built with the encoder.
import { readFileSync } from "node:fs";
import { ENCTYPES } from "../../src/crypto/enctypes.ts";
import { PayloadType } from "../../src/wire/constants.ts";
import type { SessionKey } from "../../src/wire/decode.ts";
import { KinkError } from "../../src/wire/errors.ts";
import type { IsakmpPayload } from "../../src/wire/isakmp/index.ts";
import type { KinkMessage, KinkSealer } from "../../src/wire/kink-message.ts";
import { sessionKeySealer } from "../../src/wire/seal.ts";
import { hex, Prng } from "./bytes.ts";
import { RICH_CHAIN } from "./isakmp-bytes.ts";

/** One datagram of the racoon2 capture as known-answers.json records it. */
export interface CapturedKink {
  frame: number;
  src: string;
  dst: string;
  type_name: string;
  type: number;
  xid: number;
  length: number;
  ackreq: boolean;
  cksum_len: number;
  cksum: string;
  payloads: { type: number; name: string; offset: number; length: number; pad: number }[];
  ap_req?: { epoch: number; authenticator: { ctime: string; cusec: number } };
  ap_rep?: { epoch: number; ctime: string; cusec: number };
  encrypt?: { ok: boolean; plaintext: string; ciphertext_len: number; plaintext_len: number; inner_next: number };
  message: string;
}

const knownAnswers = JSON.parse(readFileSync(new URL("../interop/racoon2-optimistic/known-answers.json", import.meta.url), "utf8")) as {
  session_key: { enctype: number; hex: string };
  messages: CapturedKink[];
};

export const racoonSession: SessionKey = { etype: knownAnswers.session_key.enctype, key: hex(knownAnswers.session_key.hex) };
export const racoonMessages = knownAnswers.messages.map((m) => ({ ...m, bytes: hex(m.message) }));

/** Enctypes a KINK session key can have (everything the crypto core implements). */
export const SESSION_ETYPES = ENCTYPES.map((e) => e.etype);

export function randomSession(etype: number, seed = etype): SessionKey {
  const e = ENCTYPES.find((x) => x.etype === etype)!;
  return { etype, key: new Prng(seed).bytes(e.keyLength) };
}

export function sealerFor(etype: number): KinkSealer {
  return sessionKeySealer(randomSession(etype));
}

/** Stand-in Kerberos blobs: the codec carries them as opaque DER, so any octets do. */
export function blob(n: number, seed: number): Uint8Array {
  return new Prng(seed).bytes(n);
}

/** One message of every type and response form [RFC 4430 §6], with the given ISAKMP content. */
export function sampleMessages(isakmp: readonly IsakmpPayload[] = RICH_CHAIN): { name: string; msg: KinkMessage; keyed: boolean }[] {
  const apReq = { type: PayloadType.AP_REQ, epoch: 0x6a00_1234, apReq: blob(431, 1) } as const;
  const apRep = { type: PayloadType.AP_REP, epoch: 0x7fff_ffff, apRep: blob(85, 2) } as const;
  const qm = { type: PayloadType.ISAKMP, qmVersion: 0x10, payloads: isakmp } as const;
  const krbError = { type: PayloadType.KRB_ERROR, krbError: blob(97, 3) } as const;
  return [
    { name: "CREATE", keyed: true, msg: { type: 1, xid: 1, payloads: [apReq, { type: PayloadType.ENCRYPT, inner: [qm] }] } },
    { name: "CREATE, ISAKMP in clear", keyed: true, msg: { type: 1, xid: 2, payloads: [apReq, qm] } },
    { name: "DELETE", keyed: true, msg: { type: 2, xid: 0xffff_ffff, payloads: [apReq, { type: PayloadType.ENCRYPT, inner: [qm] }] } },
    { name: "REPLY", keyed: true, msg: { type: 3, xid: 1, payloads: [apRep, { type: PayloadType.ENCRYPT, inner: [qm] }] } },
    { name: "REPLY with ACKREQ", keyed: true, msg: { type: 3, xid: 3, ackReq: true, payloads: [apRep, { type: PayloadType.ENCRYPT, inner: [qm] }] } },
    {
      name: "REPLY, IPsec-DOI error",
      keyed: true,
      msg: { type: 3, xid: 4, payloads: [apRep, { type: PayloadType.ENCRYPT, inner: [{ type: PayloadType.ERROR, code: 6 }, qm] }] },
    },
    { name: "REPLY, protected KRB_ERROR", keyed: true, msg: { type: 3, xid: 5, payloads: [apRep, { type: PayloadType.ENCRYPT, inner: [krbError] }] } },
    { name: "REPLY, lone KRB_ERROR", keyed: false, msg: { type: 3, xid: 6, payloads: [krbError] } },
    { name: "REPLY, lone KINK_ERROR", keyed: false, msg: { type: 3, xid: 7, payloads: [{ type: PayloadType.ERROR, code: 1 }] } },
    { name: "GETTGT", keyed: false, msg: { type: 4, xid: 8, payloads: [{ type: PayloadType.TGT_REQ, principal: "kink/responder.example.com@EXAMPLE.COM" }] } },
    { name: "REPLY to GETTGT", keyed: false, msg: { type: 3, xid: 8, payloads: [{ type: PayloadType.TGT_REP, tgt: blob(301, 4) }] } },
    { name: "ACK", keyed: true, msg: { type: 5, xid: 3, payloads: [apReq] } },
    { name: "STATUS", keyed: true, msg: { type: 6, xid: 9, payloads: [apReq] } },
    { name: "STATUS with ISAKMP", keyed: true, msg: { type: 6, xid: 10, payloads: [apReq, { type: PayloadType.ENCRYPT, inner: [qm] }] } },
  ];
}

/** Runs `f`, which must throw a KinkError; returns it. */
export function kinkErrorOf(f: () => unknown): KinkError {
  try {
    f();
  } catch (e) {
    if (e instanceof KinkError) return e;
    throw new Error(`expected a KinkError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  throw new Error("expected a KinkError, but nothing was thrown");
}

/** Deep structure with byte arrays as hex, for comparisons. */
export function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = plain(x);
    return o;
  }
  return v;
}
