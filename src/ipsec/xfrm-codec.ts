// NETLINK_XFRM messages, encoded and decoded in TypeScript: the structs of linux/xfrm.h at their
// x86-64/aarch64 offsets (host byte order; SPIs and ports big-endian as the kernel's __be32/__be16).
// A whole batch is encoded into one reusable buffer which the addon sends as it is, so every
// byte the kernel sees is written here; the addon only numbers the messages (nlmsg_seq) and
// asks for acknowledgements. Defaults follow iproute2 `ip xfrm` (unset byte/packet limits are
// XFRM_INF, the template's algorithm masks are all ones), which the tests compare byte for byte.

import { endianness } from "node:os";
import { AF_INET, AF_INET6, formatAddress, writeAddress } from "../wire/ip-address.ts";
import type { AuthAlgorithm, EncAlgorithm } from "./algorithms.ts";
import {
  IP_PROTO,
  type IpsecMode,
  type IpsecProtocol,
  type Lifetime,
  type Mark,
  type PolicyDirection,
  type PolicyId,
  type PolicySpec,
  type PolicyTemplate,
  type SaId,
  type SaSpec,
  SinkError,
  type SinkEvent,
  type SinkOp,
  type SpiRequest,
  type TrafficSelector,
} from "./sink.ts";

if (endianness() !== "LE") throw new Error("xfrm-codec: netlink uses host byte order and this codec is written for little-endian hosts");

// include/uapi/linux/netlink.h
const NLMSG_HDRLEN = 16;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

// include/uapi/linux/xfrm.h: enum xfrm_msg_type, enum xfrm_attr_type_t
export const XFRM_MSG = {
  NEWSA: 0x10,
  DELSA: 0x11,
  GETSA: 0x12,
  NEWPOLICY: 0x13,
  DELPOLICY: 0x14,
  GETPOLICY: 0x15,
  ALLOCSPI: 0x16,
  ACQUIRE: 0x17,
  EXPIRE: 0x18,
  UPDPOLICY: 0x19,
  UPDSA: 0x1a,
  FLUSHSA: 0x1c,
  FLUSHPOLICY: 0x1d,
} as const;
const XFRMA_ALG_CRYPT = 2;
const XFRMA_TMPL = 5;
const XFRMA_ALG_AEAD = 18;
const XFRMA_ALG_AUTH_TRUNC = 20;
const XFRMA_MARK = 21;
const XFRMA_REPLAY_ESN_VAL = 23;
/** Packets of struct xfrm_replay_state's 32-bit bitmap; larger windows need XFRMA_REPLAY_ESN_VAL. */
const LEGACY_REPLAY_BITS = 32;
/** XFRMA_REPLAY_ESN_MAX octets of bitmap (linux/xfrm.h, checked in xfrm_user.c verify_replay()). */
const MAX_REPLAY_WINDOW = 4096 * 8;

// struct sizes and field offsets (linux/xfrm.h). struct xfrm_selector (56 octets): daddr 0,
// saddr 16, dport 32, dport_mask 34, sport 36, sport_mask 38, family 40, prefixlen_d 42,
// prefixlen_s 43, proto 44. struct xfrm_lifetime_cfg (64): soft/hard byte, soft/hard packet,
// soft/hard add_expires_seconds, soft/hard use_expires_seconds, __u64 each.
const USERSA_INFO = 224; // struct xfrm_usersa_info: sel 0, id 56, saddr 80, lft 96, curlft 160, stats 192, seq 204, reqid 208, family 212, mode 214, replay_window 215, flags 216
const USERSA_ID = 24; // struct xfrm_usersa_id: daddr 0, spi 16, family 20, proto 22
const USERSPI_INFO = 232; // struct xfrm_userspi_info: info 0, min 224, max 228
const USERPOLICY_INFO = 168; // struct xfrm_userpolicy_info: sel 0, lft 56, curlft 120, priority 152, index 156, dir 160, action 161, flags 162, share 163
const USERPOLICY_ID = 64; // struct xfrm_userpolicy_id: sel 0, index 56, dir 60
const USER_TMPL = 64; // struct xfrm_user_tmpl: id 0 (daddr, spi 16, proto 20), family 24, saddr 28, reqid 44, mode 48, share 49, optional 50, aalgos 52, ealgos 56, calgos 60
const ALGO_NAME = 64; // char alg_name[64] of struct xfrm_algo / _auth / _aead
const USER_ACQUIRE = 280; // struct xfrm_user_acquire: id 0, saddr 24, sel 40, policy 96, aalgos 264, ealgos 268, calgos 272, seq 276
const USER_EXPIRE_HARD = USERSA_INFO; // struct xfrm_user_expire: state 0, hard 224

const MODE: Record<IpsecMode, number> = { transport: 0, tunnel: 1 }; // XFRM_MODE_TRANSPORT, XFRM_MODE_TUNNEL
const DIRECTION: Record<PolicyDirection, number> = { in: 0, out: 1, fwd: 2 }; // XFRM_POLICY_IN/OUT/FWD
const ACTION = { allow: 0, block: 1 } as const; // XFRM_POLICY_ALLOW/BLOCK
const PROTO_NAME = new Map<number, IpsecProtocol>([
  [IP_PROTO.esp, "esp"],
  [IP_PROTO.ah, "ah"],
]);
const DIRECTION_NAME: PolicyDirection[] = ["in", "out", "fwd"];
const MODE_NAME: IpsecMode[] = ["transport", "tunnel"];

const little = true;

/** Growable buffer of netlink messages laid end to end, NLMSG_ALIGNed, reused across batches. */
export class NetlinkWriter {
  bytes: Uint8Array;
  view: DataView;
  length = 0;
  count = 0;

  constructor(initialBytes = 1 << 16) {
    this.bytes = new Uint8Array(initialBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  reset(): void {
    this.length = 0;
    this.count = 0;
  }

  /** The encoded messages (a view: valid until the next reset or growth). */
  get messages(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** Appends `size` zeroed octets and returns their offset. */
  reserve(size: number): number {
    const at = this.length;
    const need = at + size;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, at));
      // The old buffer may hold keys of messages already encoded into it.
      this.bytes.fill(0);
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.bytes.fill(0, at, need);
    this.length = need;
    return at;
  }

  /** Starts a message of `type` with a `bodySize`-octet fixed part; returns the body's offset. */
  begin(type: number, flags: number, bodySize: number): number {
    const at = this.reserve(NLMSG_HDRLEN + align4(bodySize));
    this.view.setUint16(at + 4, type, little);
    this.view.setUint16(at + 6, flags, little);
    this.start = at;
    return at + NLMSG_HDRLEN;
  }

  /** Appends an attribute with a `size`-octet payload; returns the payload's offset. */
  attribute(type: number, size: number): number {
    const at = this.reserve(4 + align4(size));
    this.view.setUint16(at, 4 + size, little);
    this.view.setUint16(at + 2, type, little);
    return at + 4;
  }

  /** Drops everything written after `length`/`count` were as given (a request that failed to encode). */
  truncate(length: number, count: number): void {
    this.bytes.fill(0, length, this.length);
    this.length = length;
    this.count = count;
  }

  /** Closes the current message; `unpaddedTail` trims nlmsg_len for a body not a multiple of 4. */
  end(unpaddedTail = 0): void {
    this.view.setUint32(this.start, this.length - this.start - unpaddedTail, little);
    this.count++;
  }

  private start = 0;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function invalid(what: string): never {
  throw new SinkError("invalid", what);
}

/** An xfrm_address_t of the given family as text. */
function addressText(bytes: Uint8Array, at: number, family: number): string {
  return formatAddress(bytes, at, family === AF_INET ? 4 : 16);
}

function address(w: NetlinkWriter, at: number, text: string, what: string): number {
  const family = writeAddress(text, w.bytes, at);
  if (family === 0) invalid(`${what} is not an IPv4 or IPv6 address: ${JSON.stringify(text)}`);
  return family;
}

function u64(w: NetlinkWriter, at: number, value: number | undefined): void {
  if (value === undefined) {
    w.view.setUint32(at, 0xffffffff, little);
    w.view.setUint32(at + 4, 0xffffffff, little);
  } else {
    if (!Number.isSafeInteger(value) || value < 0) invalid(`lifetime limit ${value} is not a non-negative integer`);
    w.view.setUint32(at, value >>> 0, little);
    w.view.setUint32(at + 4, Math.floor(value / 2 ** 32), little);
  }
}

/** struct xfrm_lifetime_cfg: unset byte/packet limits are XFRM_INF, unset times 0 (= none). */
function lifetimeCfg(w: NetlinkWriter, at: number, lft: Lifetime | undefined): void {
  u64(w, at, lft?.softBytes);
  u64(w, at + 8, lft?.hardBytes);
  u64(w, at + 16, lft?.softPackets);
  u64(w, at + 24, lft?.hardPackets);
  u64(w, at + 32, lft?.softSeconds ?? 0);
  u64(w, at + 40, lft?.hardSeconds ?? 0);
}

/** struct xfrm_selector; returns its family. */
function selector(w: NetlinkWriter, at: number, sel: TrafficSelector): number {
  const family = address(w, at, sel.dst, "selector destination");
  if (address(w, at + 16, sel.src, "selector source") !== family) invalid("selector source and destination are of different address families");
  const maxPrefix = family === AF_INET ? 32 : 128;
  if (!(sel.srcPrefix >= 0 && sel.srcPrefix <= maxPrefix && sel.dstPrefix >= 0 && sel.dstPrefix <= maxPrefix)) invalid("selector prefix length out of range");
  const v = w.view;
  v.setUint16(at + 32, sel.dstPort, false);
  v.setUint16(at + 34, sel.dstPort === 0 ? 0 : 0xffff, false);
  v.setUint16(at + 36, sel.srcPort, false);
  v.setUint16(at + 38, sel.srcPort === 0 ? 0 : 0xffff, false);
  v.setUint16(at + 40, family, little);
  v.setUint8(at + 42, sel.dstPrefix);
  v.setUint8(at + 43, sel.srcPrefix);
  v.setUint8(at + 44, sel.proto);
  return family;
}

function mark(w: NetlinkWriter, m: Mark | undefined): void {
  if (m === undefined) return;
  const at = w.attribute(XFRMA_MARK, 8);
  w.view.setUint32(at, m.value, little);
  w.view.setUint32(at + 4, m.mask, little);
}

function spiValue(spi: number): number {
  if (!Number.isInteger(spi) || spi < 0 || spi > 0xffffffff) invalid(`SPI ${spi} is not a 32-bit value`);
  return spi;
}

function algorithmName(w: NetlinkWriter, at: number, name: string): void {
  for (let i = 0; i < name.length; i++) w.bytes[at + i] = name.charCodeAt(i);
}

function encKeyBits(enc: EncAlgorithm, key: Uint8Array): number {
  const bits = (key.length - enc.saltOctets) * 8;
  if (!enc.keyBits.includes(bits)) invalid(`${enc.name} takes a ${enc.keyBits.join("/")}-bit key plus ${enc.saltOctets} salt octets, got ${key.length} octets`);
  return key.length * 8;
}

function authKeyBits(auth: AuthAlgorithm, key: Uint8Array): number {
  if (key.length !== auth.keyOctets) invalid(`${auth.name} takes a ${auth.keyOctets}-octet key, got ${key.length}`);
  return key.length * 8;
}

/**
 * NEWSA/UPDSA: struct xfrm_usersa_info, then the algorithms (XFRMA_ALG_AEAD or _CRYPT, then
 * _AUTH_TRUNC), XFRMA_REPLAY_ESN_VAL for windows over 32 packets, and XFRMA_MARK.
 */
export function encodeSa(w: NetlinkWriter, type: number, sa: SaSpec): void {
  const body = w.begin(type, NLM_F_REQUEST | NLM_F_ACK, USERSA_INFO);
  const v = w.view;
  // An absent selector stays all-zero (AF_UNSPEC), as `ip xfrm state add` leaves it: the kernel
  // then matches any inner traffic (tunnel) or the SA's own endpoints (transport).
  if (sa.selector !== undefined) selector(w, body, sa.selector);
  const family = address(w, body + 56, sa.id.dst, "SA destination");
  v.setUint32(body + 72, spiValue(sa.id.spi), false);
  v.setUint8(body + 76, IP_PROTO[sa.id.proto]);
  if (address(w, body + 80, sa.src, "SA source") !== family) invalid("SA source and destination are of different address families");
  lifetimeCfg(w, body + 96, sa.lifetime);
  v.setUint32(body + 208, sa.reqid, little);
  v.setUint16(body + 212, family, little);
  v.setUint8(body + 214, MODE[sa.mode]);
  if (!(Number.isInteger(sa.replayWindow) && sa.replayWindow >= 0 && sa.replayWindow <= MAX_REPLAY_WINDOW)) {
    invalid(`replay window ${sa.replayWindow} is not within 0-${MAX_REPLAY_WINDOW} packets`);
  }
  if (sa.replayWindow <= LEGACY_REPLAY_BITS) v.setUint8(body + 215, sa.replayWindow);

  const { enc, auth } = sa;
  if (sa.id.proto === "ah" && (enc !== undefined || auth === undefined)) invalid("an AH SA takes an authentication algorithm and no cipher");
  if (sa.id.proto === "esp" && enc === undefined) invalid("an ESP SA takes a cipher (ecb(cipher_null) for none)");
  if (enc !== undefined) {
    const keyBits = encKeyBits(enc.alg, enc.key);
    if (enc.alg.kind === "aead") {
      if (auth !== undefined) invalid(`${enc.alg.name} is a combined-mode cipher and takes no separate authentication algorithm`);
      // struct xfrm_algo_aead: name, alg_key_len (bits, salt included), alg_icv_len (bits), key
      const at = w.attribute(XFRMA_ALG_AEAD, ALGO_NAME + 8 + enc.key.length);
      algorithmName(w, at, enc.alg.xfrmName);
      v.setUint32(at + ALGO_NAME, keyBits, little);
      v.setUint32(at + ALGO_NAME + 4, enc.alg.icvBits ?? 0, little);
      w.bytes.set(enc.key, at + ALGO_NAME + 8);
    } else {
      // struct xfrm_algo: name, alg_key_len (bits), key
      const at = w.attribute(XFRMA_ALG_CRYPT, ALGO_NAME + 4 + enc.key.length);
      algorithmName(w, at, enc.alg.xfrmName);
      v.setUint32(at + ALGO_NAME, keyBits, little);
      w.bytes.set(enc.key, at + ALGO_NAME + 4);
    }
  }
  if (auth !== undefined) {
    // struct xfrm_algo_auth: name, alg_key_len (bits), alg_trunc_len (bits), key. The explicit
    // truncation (RFC 2404 96 bits, RFC 4868 half the hash) rather than XFRMA_ALG_AUTH, whose
    // kernel default for hmac(sha256) is the pre-RFC 4868 96 bits.
    const at = w.attribute(XFRMA_ALG_AUTH_TRUNC, ALGO_NAME + 8 + auth.key.length);
    algorithmName(w, at, auth.alg.xfrmName);
    v.setUint32(at + ALGO_NAME, authKeyBits(auth.alg, auth.key), little);
    v.setUint32(at + ALGO_NAME + 4, auth.alg.truncBits, little);
    w.bytes.set(auth.key, at + ALGO_NAME + 8);
  }
  if (sa.replayWindow > LEGACY_REPLAY_BITS) {
    // struct xfrm_replay_state_esn without its bitmap (bmp_len words, all zero for a new SA): the
    // kernel accepts the bare struct (verify_replay()) and then keeps a bitmap window without
    // ESN (xfrm_replay_bmp), as for `ip xfrm state add … replay-window N` with N > 32.
    const at = w.attribute(XFRMA_REPLAY_ESN_VAL, 24);
    v.setUint32(at, Math.ceil(sa.replayWindow / 32), little);
    v.setUint32(at + 20, sa.replayWindow, little);
  }
  mark(w, sa.id.mark);
  w.end();
}

/** DELSA: struct xfrm_usersa_id (+ XFRMA_MARK). */
export function encodeSaId(w: NetlinkWriter, id: SaId): void {
  const body = w.begin(XFRM_MSG.DELSA, NLM_F_REQUEST | NLM_F_ACK, USERSA_ID);
  const family = address(w, body, id.dst, "SA destination");
  w.view.setUint32(body + 16, spiValue(id.spi), false);
  w.view.setUint16(body + 20, family, little);
  w.view.setUint8(body + 22, IP_PROTO[id.proto]);
  mark(w, id.mark);
  w.end();
}

/** ALLOCSPI: struct xfrm_userspi_info (+ XFRMA_MARK); the kernel answers with the larval SA. */
export function encodeAllocSpi(w: NetlinkWriter, req: SpiRequest, spiMark?: Mark): void {
  const body = w.begin(XFRM_MSG.ALLOCSPI, NLM_F_REQUEST | NLM_F_ACK, USERSPI_INFO);
  const family = address(w, body + 56, req.dst, "SPI request destination");
  w.view.setUint8(body + 76, IP_PROTO[req.proto]);
  if (address(w, body + 80, req.src, "SPI request source") !== family) invalid("SPI request source and destination are of different address families");
  w.view.setUint32(body + 208, req.reqid ?? 0, little);
  w.view.setUint16(body + 212, family, little);
  // RFC 4301 §4.1: SPIs 1-255 are reserved by IANA, 0 means "none".
  const min = req.min ?? 0x100;
  const max = req.max ?? 0xffffffff;
  if (!(min >= 0x100 && max <= 0xffffffff && min <= max)) invalid(`SPI range ${min}-${max} is not within 256-4294967295`);
  w.view.setUint32(body + 224, min, little);
  w.view.setUint32(body + 228, max, little);
  mark(w, spiMark);
  w.end();
}

/** NEWPOLICY/UPDPOLICY: struct xfrm_userpolicy_info, XFRMA_TMPL (array of struct xfrm_user_tmpl), XFRMA_MARK. */
export function encodePolicy(w: NetlinkWriter, type: number, p: PolicySpec): void {
  const body = w.begin(type, NLM_F_REQUEST | NLM_F_ACK, USERPOLICY_INFO);
  const family = selector(w, body, p.selector);
  lifetimeCfg(w, body + 56, p.lifetime);
  w.view.setUint32(body + 152, p.priority, little);
  w.view.setUint8(body + 160, DIRECTION[p.dir]);
  w.view.setUint8(body + 161, ACTION[p.action]);
  if (p.templates.length > 0) {
    const tmpls = w.attribute(XFRMA_TMPL, USER_TMPL * p.templates.length);
    // Indexed, not entries(): this runs 100 000 times per batch and must not allocate.
    for (let i = 0; i < p.templates.length; i++) template(w, tmpls + i * USER_TMPL, p.templates[i] as PolicyTemplate, family);
  }
  mark(w, p.mark);
  w.end();
}

function template(w: NetlinkWriter, at: number, t: PolicyTemplate, selectorFamily: number): void {
  const v = w.view;
  let family = selectorFamily;
  if (t.mode === "tunnel") {
    if (t.src === undefined || t.dst === undefined) invalid("a tunnel-mode template needs its tunnel endpoints (src and dst)");
    family = address(w, at, t.dst, "template destination");
    if (address(w, at + 28, t.src, "template source") !== family) invalid("template endpoints are of different address families");
  }
  v.setUint8(at + 20, IP_PROTO[t.proto]);
  v.setUint16(at + 24, family, little);
  v.setUint32(at + 44, t.reqid, little);
  v.setUint8(at + 48, MODE[t.mode]);
  v.setUint8(at + 50, t.level === "use" ? 1 : 0);
  // Any algorithm: kinkd negotiates the algorithms, the policy only names the protocol.
  v.setUint32(at + 52, 0xffffffff, little);
  v.setUint32(at + 56, 0xffffffff, little);
  v.setUint32(at + 60, 0xffffffff, little);
}

/** DELPOLICY: struct xfrm_userpolicy_id by selector and direction (+ XFRMA_MARK). */
export function encodePolicyId(w: NetlinkWriter, id: PolicyId): void {
  const body = w.begin(XFRM_MSG.DELPOLICY, NLM_F_REQUEST | NLM_F_ACK, USERPOLICY_ID);
  selector(w, body, id.selector);
  w.view.setUint8(body + 60, DIRECTION[id.dir]);
  mark(w, id.mark);
  w.end();
}

/** FLUSHSA with struct xfrm_usersa_flush { proto = 0: every protocol } (1 octet: nlmsg_len 17). */
export function encodeFlushSa(w: NetlinkWriter): void {
  w.begin(XFRM_MSG.FLUSHSA, NLM_F_REQUEST | NLM_F_ACK, 1);
  w.end(3);
}

/** FLUSHPOLICY of the main policy type: no body. */
export function encodeFlushPolicy(w: NetlinkWriter): void {
  w.begin(XFRM_MSG.FLUSHPOLICY, NLM_F_REQUEST | NLM_F_ACK, 0);
  w.end();
}

/** GETSA/GETPOLICY with NLM_F_DUMP: a bare header (xfrm_user_rcv_msg starts the dump before parsing a body). */
export function encodeDumpRequest(type: typeof XFRM_MSG.GETSA | typeof XFRM_MSG.GETPOLICY): Uint8Array {
  const w = new NetlinkWriter(NLMSG_HDRLEN);
  w.begin(type, NLM_F_REQUEST | NLM_F_DUMP, 0);
  w.end();
  return w.messages.slice();
}

/** Every request XfrmSink sends: the SaSink operations plus the two flushes. */
export type XfrmRequest = SinkOp | { readonly op: "flushSa" } | { readonly op: "flushPolicy" };

/**
 * Encodes one request; returns how many messages it took. updateSa is DELSA then NEWSA: on a
 * valid SA the kernel's UPDSA (xfrm_state_update) keeps the old keys (spec/kink.md §7.4), and
 * both messages of one sendmsg() run under xfrm_cfg_mutex back to back.
 */
export function encodeRequest(w: NetlinkWriter, r: XfrmRequest): number {
  switch (r.op) {
    case "getSpi":
      encodeAllocSpi(w, r.req);
      return 1;
    case "addSa":
      encodeSa(w, XFRM_MSG.NEWSA, r.sa);
      return 1;
    case "updateSa":
      encodeSaId(w, r.sa.id);
      encodeSa(w, XFRM_MSG.NEWSA, r.sa);
      return 2;
    case "deleteSa":
      encodeSaId(w, r.id);
      return 1;
    case "addPolicy":
      encodePolicy(w, XFRM_MSG.NEWPOLICY, r.policy);
      return 1;
    case "updatePolicy":
      encodePolicy(w, XFRM_MSG.UPDPOLICY, r.policy);
      return 1;
    case "deletePolicy":
      encodePolicyId(w, r.id);
      return 1;
    case "flushSa":
      encodeFlushSa(w);
      return 1;
    case "flushPolicy":
      encodeFlushPolicy(w);
      return 1;
  }
}

// ---- decoding (dumps and multicast events) ----

/** One netlink message inside a buffer of concatenated messages. */
export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  /** Offset of the body (after struct nlmsghdr) and end of the message. */
  readonly body: number;
  readonly end: number;
}

export function* netlinkMessages(bytes: Uint8Array): Generator<NetlinkMessage> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + NLMSG_HDRLEN <= bytes.length; ) {
    const length = v.getUint32(at, little);
    if (length < NLMSG_HDRLEN || at + length > bytes.length) return;
    yield { type: v.getUint16(at + 4, little), flags: v.getUint16(at + 6, little), body: at + NLMSG_HDRLEN, end: at + length };
    at += align4(length);
  }
}

function* attributes(v: DataView, from: number, to: number): Generator<{ type: number; at: number; size: number }> {
  for (let at = from; at + 4 <= to; ) {
    const length = v.getUint16(at, little);
    if (length < 4 || at + length > to) return;
    yield { type: v.getUint16(at + 2, little) & 0x3fff, at: at + 4, size: length - 4 };
    at += align4(length);
  }
}

function readU64(v: DataView, at: number): number | undefined {
  const lo = v.getUint32(at, little);
  const hi = v.getUint32(at + 4, little);
  if (lo === 0xffffffff && hi === 0xffffffff) return undefined;
  return hi * 2 ** 32 + lo;
}

function readLifetime(v: DataView, at: number): Lifetime {
  const secs = (x: number | undefined) => (x === 0 ? undefined : x);
  const entries: [keyof Lifetime, number | undefined][] = [
    ["softBytes", readU64(v, at)],
    ["hardBytes", readU64(v, at + 8)],
    ["softPackets", readU64(v, at + 16)],
    ["hardPackets", readU64(v, at + 24)],
    ["softSeconds", secs(readU64(v, at + 32))],
    ["hardSeconds", secs(readU64(v, at + 40))],
  ];
  return Object.fromEntries(entries.filter(([, x]) => x !== undefined)) as Lifetime;
}

function readSelector(bytes: Uint8Array, v: DataView, at: number): TrafficSelector | undefined {
  const family = v.getUint16(at + 40, little);
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  return {
    dst: addressText(bytes, at, family),
    src: addressText(bytes, at + 16, family),
    dstPort: v.getUint16(at + 32, false),
    srcPort: v.getUint16(at + 36, false),
    dstPrefix: v.getUint8(at + 42),
    srcPrefix: v.getUint8(at + 43),
    proto: v.getUint8(at + 44),
  };
}

function readMark(v: DataView, from: number, to: number): Mark | undefined {
  for (const a of attributes(v, from, to)) {
    if (a.type === XFRMA_MARK && a.size >= 8) return { value: v.getUint32(a.at, little), mask: v.getUint32(a.at + 4, little) };
  }
  return undefined;
}

/** An SA as dumped; algorithms by name and size only — key octets are never decoded. */
export interface XfrmSaEntry {
  readonly id: SaId;
  readonly src: string;
  readonly mode: IpsecMode | "other";
  readonly reqid: number;
  readonly replayWindow: number;
  readonly lifetime: Lifetime;
  readonly selector?: TrafficSelector;
  readonly enc?: { readonly xfrmName: string; readonly keyBits: number; readonly icvBits?: number };
  readonly auth?: { readonly xfrmName: string; readonly keyBits: number; readonly truncBits: number };
}

export interface XfrmPolicyEntry extends PolicySpec {
  /** The kernel's policy index (XFRM assigns it; low 3 bits are the direction). */
  readonly index: number;
}

function readString(bytes: Uint8Array, at: number, max: number): string {
  let end = at;
  while (end < at + max && bytes[end] !== 0) end++;
  return String.fromCharCode(...bytes.subarray(at, end));
}

function readSaInfo(bytes: Uint8Array, v: DataView, at: number, from: number, to: number): XfrmSaEntry | undefined {
  const family = v.getUint16(at + 212, little);
  const proto = PROTO_NAME.get(v.getUint8(at + 76));
  if (proto === undefined || (family !== AF_INET && family !== AF_INET6)) return undefined;
  const m = readMark(v, from, to);
  let enc: XfrmSaEntry["enc"];
  let auth: XfrmSaEntry["auth"];
  let replayWindow = v.getUint8(at + 215);
  for (const a of attributes(v, from, to)) {
    if (a.type === XFRMA_REPLAY_ESN_VAL && a.size >= 24) replayWindow = v.getUint32(a.at + 20, little);
    else if (a.type === XFRMA_ALG_CRYPT) enc = { xfrmName: readString(bytes, a.at, ALGO_NAME), keyBits: v.getUint32(a.at + ALGO_NAME, little) };
    else if (a.type === XFRMA_ALG_AEAD)
      enc = {
        xfrmName: readString(bytes, a.at, ALGO_NAME),
        keyBits: v.getUint32(a.at + ALGO_NAME, little),
        icvBits: v.getUint32(a.at + ALGO_NAME + 4, little),
      };
    else if (a.type === XFRMA_ALG_AUTH_TRUNC)
      auth = {
        xfrmName: readString(bytes, a.at, ALGO_NAME),
        keyBits: v.getUint32(a.at + ALGO_NAME, little),
        truncBits: v.getUint32(a.at + ALGO_NAME + 4, little),
      };
  }
  const sel = readSelector(bytes, v, at);
  return {
    id: { dst: addressText(bytes, at + 56, family), spi: v.getUint32(at + 72, false), proto, ...(m ? { mark: m } : {}) },
    src: addressText(bytes, at + 80, family),
    mode: MODE_NAME[v.getUint8(at + 214)] ?? "other",
    reqid: v.getUint32(at + 208, little),
    replayWindow,
    lifetime: readLifetime(v, at + 96),
    ...(sel ? { selector: sel } : {}),
    ...(enc ? { enc } : {}),
    ...(auth ? { auth } : {}),
  };
}

function readTemplate(bytes: Uint8Array, v: DataView, at: number): PolicyTemplate {
  const family = v.getUint16(at + 24, little);
  const mode = MODE_NAME[v.getUint8(at + 48)] ?? "transport";
  const endpoints = mode === "tunnel" ? { src: addressText(bytes, at + 28, family), dst: addressText(bytes, at, family) } : {};
  return {
    proto: PROTO_NAME.get(v.getUint8(at + 20)) ?? "esp",
    mode,
    ...endpoints,
    reqid: v.getUint32(at + 44, little),
    level: v.getUint8(at + 50) === 0 ? "required" : "use",
  };
}

function readTemplates(bytes: Uint8Array, v: DataView, from: number, to: number): PolicyTemplate[] {
  const out: PolicyTemplate[] = [];
  for (const a of attributes(v, from, to)) {
    if (a.type !== XFRMA_TMPL) continue;
    for (let t = a.at; t + USER_TMPL <= a.at + a.size; t += USER_TMPL) out.push(readTemplate(bytes, v, t));
  }
  return out;
}

function readPolicyInfo(bytes: Uint8Array, v: DataView, at: number, from: number, to: number): XfrmPolicyEntry | undefined {
  const sel = readSelector(bytes, v, at);
  const dir = DIRECTION_NAME[v.getUint8(at + 160)];
  if (sel === undefined || dir === undefined) return undefined;
  const m = readMark(v, from, to);
  const lifetime = readLifetime(v, at + 56);
  return {
    selector: sel,
    dir,
    ...(m ? { mark: m } : {}),
    action: v.getUint8(at + 161) === ACTION.block ? "block" : "allow",
    priority: v.getUint32(at + 152, little),
    index: v.getUint32(at + 156, little),
    templates: readTemplates(bytes, v, from, to),
    ...(Object.keys(lifetime).length > 0 ? { lifetime } : {}),
  };
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** NEWSA messages of a GETSA dump (other families and protocols, e.g. IPComp, are skipped). */
export function decodeSaDump(bytes: Uint8Array): XfrmSaEntry[] {
  const v = viewOf(bytes);
  const out: XfrmSaEntry[] = [];
  for (const m of netlinkMessages(bytes)) {
    if (m.type !== XFRM_MSG.NEWSA || m.body + USERSA_INFO > m.end) continue;
    const sa = readSaInfo(bytes, v, m.body, m.body + USERSA_INFO, m.end);
    if (sa) out.push(sa);
  }
  return out;
}

/** NEWPOLICY messages of a GETPOLICY dump. */
export function decodePolicyDump(bytes: Uint8Array): XfrmPolicyEntry[] {
  const v = viewOf(bytes);
  const out: XfrmPolicyEntry[] = [];
  for (const m of netlinkMessages(bytes)) {
    if (m.type !== XFRM_MSG.NEWPOLICY || m.body + USERPOLICY_INFO > m.end) continue;
    const p = readPolicyInfo(bytes, v, m.body, m.body + USERPOLICY_INFO, m.end);
    if (p) out.push(p);
  }
  return out;
}

/** EXPIRE (struct xfrm_user_expire) and ACQUIRE (struct xfrm_user_acquire + XFRMA_TMPL) messages as sink events. */
export function decodeEvents(bytes: Uint8Array): SinkEvent[] {
  const v = viewOf(bytes);
  const out: SinkEvent[] = [];
  for (const m of netlinkMessages(bytes)) {
    if (m.type === XFRM_MSG.EXPIRE && m.body + USERSA_INFO + 1 <= m.end) {
      const sa = readSaInfo(bytes, v, m.body, m.end, m.end);
      if (sa) out.push({ type: "expire", id: sa.id, src: sa.src, reqid: sa.reqid, hard: v.getUint8(m.body + USER_EXPIRE_HARD) !== 0 });
    } else if (m.type === XFRM_MSG.ACQUIRE && m.body + USER_ACQUIRE <= m.end) {
      const event = readAcquire(bytes, v, m.body, m.end);
      if (event) out.push(event);
    }
  }
  return out;
}

function readAcquire(bytes: Uint8Array, v: DataView, at: number, end: number): SinkEvent | undefined {
  const sel = readSelector(bytes, v, at + 40);
  const proto = PROTO_NAME.get(v.getUint8(at + 20));
  if (sel === undefined || proto === undefined) return undefined;
  // xfrm_user_acquire.id/saddr name the SA the kernel wants (the template's tunnel endpoints, or
  // the packet's addresses in transport mode); their family, the mode, reqid and level are the
  // policy template's for that protocol (XFRMA_TMPL, copied by copy_to_user_tmpl()).
  let family = v.getUint16(at + 40 + 40, little);
  let template: PolicyTemplate | undefined;
  for (const a of attributes(v, at + USER_ACQUIRE, end)) {
    if (a.type !== XFRMA_TMPL) continue;
    for (let t = a.at; t + USER_TMPL <= a.at + a.size && template === undefined; t += USER_TMPL) {
      if (v.getUint8(t + 20) !== IP_PROTO[proto]) continue;
      template = readTemplate(bytes, v, t);
      family = v.getUint16(t + 24, little) || family;
    }
  }
  return {
    type: "acquire",
    selector: sel,
    template: {
      proto,
      mode: template?.mode ?? "transport",
      src: addressText(bytes, at + 24, family),
      dst: addressText(bytes, at, family),
      reqid: template?.reqid ?? 0,
      level: template?.level ?? "required",
    },
    policyIndex: v.getUint32(at + 96 + 156, little),
  };
}
