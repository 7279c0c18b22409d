// Sending one Kerberos request (AS-REQ / TGS-REQ bytes) to a realm's KDCs and returning the
// first usable reply (RFC 4120 §7.2).
//
//  * Transport choice (MIT's udp_preference_limit, default 1465 bytes): requests up to the
//    limit go over UDP (§7.2.1), larger ones over TCP (§7.2.2). A `tcp/` or `udp/` prefix on a
//    kdc line forces the transport.
//  * A UDP reply that is a KRB-ERROR with KRB_ERR_RESPONSE_TOO_BIG (§7.2.1: the KDC's answer
//    does not fit a datagram) makes us ask the same KDC again over TCP.
//  * A reply that is a KRB-ERROR with KDC_ERR_SVC_UNAVAILABLE counts as that KDC failing, and
//    the next one is tried (MIT does the same: such a KDC is typically a replica that cannot
//    serve this request).
//  * TCP framing (§7.2.2): each message is preceded by its length as 4 octets, network byte
//    order; the high bit is reserved and must be zero.
//  * Timing is modelled on MIT's sendto_kdc: passes over the KDC list; in each pass each KDC
//    is sent the request (UDP: again, on the same socket) and given a short wait (1 s by
//    default) before the next one is contacted, while earlier KDCs can still answer; after each
//    pass a longer wait that doubles per pass (backoff). Everything is bounded by a total
//    deadline (10 s by default). TCP connections are made once and stay open listening until
//    they answer, fail or the deadline passes.
//  * UDP replies are matched to their request by socket: a fresh ephemeral socket per KDC
//    address, connect()ed to it so the kernel drops datagrams from anyone else (and reports
//    ICMP port-unreachable as ECONNREFUSED); the source is checked again in user space.
//
// Host names are resolved with the system resolver (all addresses; each address is tried as
// its own KDC, as MIT does). No cryptography here: the caller checks what comes back.
import * as dgram from "node:dgram";
import { lookup as dnsLookup } from "node:dns/promises";
import * as net from "node:net";
import { KrbDecodeError, KrbError, KrbErrorCode, krbErrorName } from "./errors.ts";
import type { KdcAddress, LibDefaults } from "./krb5-conf.ts";

export interface SendToKdcOptions {
  /** Requests longer than this many bytes use TCP (MIT default 1465). */
  udpPreferenceLimit?: number;
  /** Wait after contacting one KDC before the next one (MIT: 1 s on the first pass). */
  udpTimeoutMs?: number;
  /** Passes over the KDC list (MIT: 3). UDP requests are resent once per pass. */
  passes?: number;
  /** Deadline for the whole exchange (default 10 s). */
  totalTimeoutMs?: number;
  /** Lifetime of one TCP attempt, connect to last reply byte (default: the total deadline). */
  tcpTimeoutMs?: number;
  /** Longest TCP reply accepted (default 1 MiB; PAC-laden tickets stay far below). */
  maxReplyBytes?: number;
  signal?: AbortSignal;
  /** Resolver (default: node:dns/promises lookup with all: true). */
  lookup?: (host: string) => Promise<{ address: string; family: number }[]>;
}

/** The transport options a krb5.conf [libdefaults] implies. */
export function transportOptionsFrom(lib: LibDefaults): SendToKdcOptions {
  const o: SendToKdcOptions = { udpPreferenceLimit: lib.udpPreferenceLimit };
  if (lib.kdcTimeoutMs !== undefined && lib.kdcTimeoutMs > 0) o.totalTimeoutMs = lib.kdcTimeoutMs;
  return o;
}

type Proto = "udp" | "tcp";

interface Attempt {
  proto: Proto;
  state: "pending" | "failed" | "done";
  failure?: string;
  sends: number;
  startedAt: number;
  resend(): void;
  close(): void;
}

interface Target {
  /** Index of the kdcs[] entry this address came from. */
  kdc: number;
  label: string;
  address: string;
  family: number;
  port: number;
  proto: Proto;
  attempts: Attempt[];
}

/** Why a KDC was given up, for the final error message. */
interface Note {
  kdc: number;
  label: string;
  text: string;
}

const fmtHostPort = (host: string, port: number) => (net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`);

/**
 * Sends `request` to the KDCs in order (with failover and retransmission) and resolves with
 * the first reply. Throws KrbError KRB_ERR_GENERIC listing every KDC tried and why it failed;
 * when `signal` aborts, rejects with `signal.reason` (the AbortSignal convention).
 */
export async function sendToKdc(request: Uint8Array, kdcs: readonly KdcAddress[], opts: SendToKdcOptions = {}): Promise<Uint8Array> {
  const signal = opts.signal;
  signal?.throwIfAborted();
  if (kdcs.length === 0) throw new KrbError(KrbErrorCode.KRB_ERR_GENERIC, "no KDC addresses to send to", "add kdc = lines to the realm in krb5.conf");
  if (request.length === 0 || request.length > 0x7fffffff) throw new KrbError(KrbErrorCode.KRB_ERR_GENERIC, `request length ${request.length} cannot be sent`);
  const ex = new Exchange(request, opts);
  try {
    return await ex.run(kdcs);
  } finally {
    ex.cleanup();
  }
}

class Exchange {
  readonly #request: Uint8Array;
  readonly #udpLimit: number;
  readonly #slice: number;
  readonly #passes: number;
  readonly #deadline: number;
  readonly #tcpTimeout: number;
  readonly #maxReply: number;
  readonly #signal: AbortSignal | undefined;
  readonly #lookup: (host: string) => Promise<{ address: string; family: number }[]>;
  readonly #targets: Target[] = [];
  readonly #notes: Note[] = [];
  #result: Uint8Array | undefined;
  #wake: (() => void) | undefined;
  readonly #onAbort = () => this.#notify();

  constructor(request: Uint8Array, o: SendToKdcOptions) {
    this.#request = request;
    this.#udpLimit = o.udpPreferenceLimit ?? 1465;
    this.#slice = o.udpTimeoutMs ?? 1000;
    this.#passes = Math.max(1, o.passes ?? 3);
    const total = o.totalTimeoutMs ?? 10_000;
    this.#deadline = Date.now() + total;
    this.#tcpTimeout = o.tcpTimeoutMs ?? total;
    this.#maxReply = o.maxReplyBytes ?? 1 << 20;
    this.#signal = o.signal;
    this.#lookup = o.lookup ?? ((host) => dnsLookup(host, { all: true, verbatim: true }));
    this.#signal?.addEventListener("abort", this.#onAbort);
  }

  async run(kdcs: readonly KdcAddress[]): Promise<Uint8Array> {
    for (let pass = 0; pass < this.#passes; pass++) {
      if (pass === 0) {
        // First pass: resolve each KDC just before contacting it, so a slow or failing name
        // does not delay the KDCs listed before it.
        for (const [i, kdc] of kdcs.entries()) {
          if (this.#finished()) break;
          for (const t of await this.#resolve(kdc, i)) {
            if (this.#finished()) break;
            this.#targets.push(t);
            this.#start(t);
            await this.#waitUntil(Math.min(this.#deadline, Date.now() + this.#slice), () => !this.#pending(t));
          }
        }
      } else {
        for (const t of this.#targets) {
          if (this.#finished()) break;
          const a = t.attempts[t.attempts.length - 1];
          if (a?.proto !== "udp" || a.state !== "pending") continue;
          a.resend();
          await this.#waitUntil(Math.min(this.#deadline, Date.now() + this.#slice), () => !this.#pending(t));
        }
      }
      if (this.#finished()) break;
      // End of pass: listen to everyone still outstanding, the wait doubling per pass.
      const backoff = this.#slice * 2 ** (pass + 1);
      await this.#waitUntil(Math.min(this.#deadline, Date.now() + backoff), () => !this.#anyPending());
      if (this.#finished()) break;
    }
    // Open TCP connections may still answer until the deadline.
    if (!this.#finished())
      await this.#waitUntil(this.#deadline, () => !this.#targets.some((t) => t.attempts.some((a) => a.proto === "tcp" && a.state === "pending")));
    this.#throwIfAborted();
    if (this.#result) return this.#result;
    throw this.#failure(kdcs);
  }

  cleanup(): void {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    for (const t of this.#targets) for (const a of t.attempts) a.close();
    this.#notify();
  }

  #finished(): boolean {
    return this.#result !== undefined || this.#signal?.aborted === true || Date.now() >= this.#deadline;
  }

  #pending(t: Target): boolean {
    return t.attempts.some((a) => a.state === "pending");
  }

  #anyPending(): boolean {
    return this.#targets.some((t) => this.#pending(t));
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Waits until `done()`, a reply, an abort, or `untilMs`, whichever first. */
  async #waitUntil(untilMs: number, done: () => boolean): Promise<void> {
    while (!done() && this.#result === undefined) {
      this.#throwIfAborted();
      const left = untilMs - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#wake = undefined;
          resolve();
        }, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#throwIfAborted();
  }

  #throwIfAborted(): void {
    if (this.#signal?.aborted) throw this.#signal.reason;
  }

  async #resolve(kdc: KdcAddress, index: number): Promise<Target[]> {
    const proto: Proto = kdc.transport ?? (this.#request.length > this.#udpLimit ? "tcp" : "udp");
    const family = net.isIP(kdc.host);
    if (family !== 0) return [{ kdc: index, label: fmtHostPort(kdc.host, kdc.port), address: kdc.host, family, port: kdc.port, proto, attempts: [] }];
    let addrs: { address: string; family: number }[] | undefined;
    let why: string | undefined;
    this.#lookup(kdc.host).then(
      (r) => {
        addrs = r;
        this.#notify();
      },
      (e: unknown) => {
        why = errCode(e);
        this.#notify();
      },
    );
    await this.#waitUntil(this.#deadline, () => addrs !== undefined || why !== undefined);
    const label = fmtHostPort(kdc.host, kdc.port);
    if (!addrs || addrs.length === 0) {
      this.#notes.push({ kdc: index, label, text: `dns ${why ?? (addrs ? "no addresses" : "timeout")}` });
      return [];
    }
    return addrs.map((a) => ({ kdc: index, label: `${label} (${a.address})`, address: a.address, family: a.family, port: kdc.port, proto, attempts: [] }));
  }

  #start(t: Target): void {
    t.attempts.push(t.proto === "udp" ? this.#udp(t) : this.#tcp(t));
  }

  /** Accepts a reply unless it is a KRB-ERROR that means "try elsewhere". Returns the failure text if not accepted. */
  #consider(reply: Uint8Array, t: Target, proto: Proto): string | undefined {
    if (this.#result !== undefined) return undefined; // another KDC answered first
    let code: number | undefined;
    try {
      code = krbErrorCodeOf(reply);
    } catch {
      code = undefined; // malformed KRB-ERROR: hand it to the caller's decoder, which says what is wrong
    }
    if (code === KrbErrorCode.KDC_ERR_SVC_UNAVAILABLE) return `${proto} replied ${krbErrorName(code)}`;
    if (code === KrbErrorCode.KRB_ERR_RESPONSE_TOO_BIG && proto === "udp") {
      // RFC 4120 §7.2.1: the answer does not fit a datagram; ask the same KDC over TCP.
      t.attempts.push(this.#tcp(t));
      return `udp replied ${krbErrorName(code)}, retried over tcp`;
    }
    this.#result = reply;
    return undefined;
  }

  #udp(t: Target): Attempt {
    const sock = dgram.createSocket({ type: t.family === 6 ? "udp6" : "udp4" });
    let connected = false;
    let closed = false;
    const attempt: Attempt = {
      proto: "udp",
      state: "pending",
      sends: 0,
      startedAt: Date.now(),
      resend: () => {
        // Before connect() completes there is nothing to resend: its callback sends the first copy.
        if (attempt.state !== "pending" || !connected) return;
        attempt.sends++;
        sock.send(this.#request, (err) => {
          if (err) fail(`udp ${errCode(err)}`);
        });
      },
      close: () => {
        if (closed) return;
        closed = true;
        sock.removeAllListeners("message");
        sock.on("error", () => {}); // late errors after close are of no interest
        sock.close();
      },
    };
    const fail = (why: string) => {
      if (attempt.state !== "pending") return;
      attempt.state = "failed";
      attempt.failure = why;
      attempt.close();
      this.#notify();
    };
    sock.on("error", (err) => fail(`udp ${errCode(err)}`));
    sock.on("message", (msg, rinfo) => {
      // The connected socket already filters by peer; checked again so a reply is only ever
      // taken from the address and port the request went to.
      if (attempt.state !== "pending" || rinfo.port !== t.port || !sameAddress(rinfo.address, t.address)) return;
      if (msg.length === 0) return;
      const reply = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
      const why = this.#consider(reply, t, "udp");
      if (why === undefined) attempt.state = "done";
      else {
        attempt.state = "failed";
        attempt.failure = why;
      }
      attempt.close();
      this.#notify();
    });
    sock.connect(t.port, t.address, (err?: Error) => {
      if (err) return fail(`udp ${errCode(err)}`);
      connected = true;
      attempt.resend();
    });
    return attempt;
  }

  #tcp(t: Target): Attempt {
    const frame = new Uint8Array(4 + this.#request.length);
    new DataView(frame.buffer).setUint32(0, this.#request.length, false);
    frame.set(this.#request, 4);
    const sock = net.createConnection({ host: t.address, port: t.port, family: t.family });
    sock.setNoDelay(true);
    const chunks: Buffer[] = [];
    let have = 0;
    let need = -1; // total bytes wanted (4 + length) once the prefix is in
    const attempt: Attempt = {
      proto: "tcp",
      state: "pending",
      sends: 1,
      startedAt: Date.now(),
      resend: () => {},
      close: () => {
        clearTimeout(timer);
        sock.destroy();
      },
    };
    const fail = (why: string) => {
      if (attempt.state !== "pending") return;
      attempt.state = "failed";
      attempt.failure = why;
      attempt.close();
      this.#notify();
    };
    const timer = setTimeout(() => fail(`tcp timeout after ${Date.now() - attempt.startedAt} ms`), this.#tcpTimeout);
    sock.on("connect", () => sock.write(frame));
    sock.on("error", (err) => fail(`tcp ${errCode(err)}`));
    sock.on("close", () => fail(need < 0 ? `tcp connection closed after ${have} bytes` : `tcp connection closed after ${have - 4} of ${need - 4} reply bytes`));
    sock.on("data", (chunk: Buffer) => {
      if (attempt.state !== "pending") return;
      chunks.push(chunk);
      have += chunk.length;
      if (need < 0 && have >= 4) {
        const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        const len = head.readUInt32BE(0);
        // RFC 4120 §7.2.2: the high bit of the length is reserved and must be zero.
        if (len & 0x80000000) return fail("tcp reply length has the reserved high bit set");
        if (len === 0) return fail("tcp empty reply");
        if (len > this.#maxReply) return fail(`tcp reply of ${len} bytes exceeds the ${this.#maxReply}-byte limit`);
        need = 4 + len;
      }
      if (need >= 0 && have >= need) {
        const all = Buffer.concat(chunks, have);
        const reply = new Uint8Array(all.buffer, all.byteOffset + 4, need - 4);
        const why = this.#consider(reply, t, "tcp");
        if (why === undefined) attempt.state = "done";
        else {
          attempt.state = "failed";
          attempt.failure = why;
        }
        attempt.close();
        this.#notify();
      }
    });
    return attempt;
  }

  /** One line per address tried, in kdcs[] order: what went wrong there. */
  #failure(kdcs: readonly KdcAddress[]): KrbError {
    const now = Date.now();
    const parts: string[] = [];
    for (const [i, k] of kdcs.entries()) {
      const notes = this.#notes.filter((n) => n.kdc === i);
      const targets = this.#targets.filter((t) => t.kdc === i);
      for (const n of notes) parts.push(`${n.label} ${n.text}`);
      for (const t of targets) {
        for (const a of t.attempts) {
          if (a.state === "failed") parts.push(`${t.label} ${a.failure}`);
          else if (a.state === "pending") {
            const sends = a.proto === "udp" ? ` (${a.sends} send${a.sends === 1 ? "" : "s"})` : "";
            parts.push(`${t.label} ${a.proto} timeout after ${now - a.startedAt} ms${sends}`);
          }
        }
      }
      if (notes.length === 0 && targets.length === 0) parts.push(`${fmtHostPort(k.host, k.port)} not tried (deadline reached)`);
    }
    return new KrbError(KrbErrorCode.KRB_ERR_GENERIC, `no reply from any KDC: ${parts.join("; ")}`, "check that the KDCs are running and reachable");
  }
}

function errCode(e: unknown): string {
  if (e && typeof e === "object") {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const msg = (e as { message?: unknown }).message;
    if (typeof msg === "string") return msg;
  }
  return String(e);
}

/** Address equality tolerant of IPv4-mapped IPv6 forms ("::ffff:127.0.0.1"). */
function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const strip = (s: string) => (s.toLowerCase().startsWith("::ffff:") && net.isIPv4(s.slice(7)) ? s.slice(7) : s.toLowerCase());
  return strip(a) === strip(b);
}

/**
 * The error-code of a KRB-ERROR, without a full decoder; undefined when `msg` is not a
 * KRB-ERROR at all (first octet not [APPLICATION 30] = 0x7e). Walks
 * KRB-ERROR ::= [APPLICATION 30] SEQUENCE { pvno [0], msg-type [1], ctime [2] OPT, cusec [3] OPT,
 * stime [4], susec [5], error-code [6] Int32, ... } (RFC 4120 §5.9.1) field by field; every
 * length is checked against its enclosing element. Throws only KrbDecodeError.
 */
export function krbErrorCodeOf(msg: Uint8Array): number | undefined {
  if (msg.length === 0 || msg[0] !== 0x7e) return undefined;
  const outer = readTlv(msg, 0, msg.length, "KRB-ERROR");
  const seq = readTlv(msg, outer.start, outer.end, "KRB-ERROR.SEQUENCE");
  if (seq.tag !== 0x30) throw new KrbDecodeError("KRB-ERROR", outer.start, `expected SEQUENCE, got tag 0x${seq.tag.toString(16)}`);
  let p = seq.start;
  while (p < seq.end) {
    const f = readTlv(msg, p, seq.end, "KRB-ERROR field");
    // Fields are context-specific constructed tags [0]..[12] in ascending order.
    if ((f.tag & 0xe0) !== 0xa0) throw new KrbDecodeError("KRB-ERROR field", p, `expected a context tag, got 0x${f.tag.toString(16)}`);
    const n = f.tag & 0x1f;
    if (n === 6) {
      const int = readTlv(msg, f.start, f.end, "KRB-ERROR.error-code");
      if (int.tag !== 0x02) throw new KrbDecodeError("KRB-ERROR.error-code", f.start, "expected INTEGER");
      const len = int.end - int.start;
      if (len < 1 || len > 4) throw new KrbDecodeError("KRB-ERROR.error-code", f.start, `INTEGER of ${len} octets is not an Int32`);
      // Two's complement, big-endian (X.690 §8.3).
      let v = msg[int.start]! & 0x80 ? -1 : 0;
      for (let i = int.start; i < int.end; i++) v = v * 256 + msg[i]!;
      return v;
    }
    if (n > 6) break;
    p = f.end;
  }
  throw new KrbDecodeError("KRB-ERROR.error-code", p, "missing");
}

/** One DER TLV at `off`, which must end by `limit`: tag octet and content bounds. */
function readTlv(buf: Uint8Array, off: number, limit: number, field: string): { tag: number; start: number; end: number } {
  if (off + 2 > limit) throw new KrbDecodeError(field, off, "truncated header");
  const tag = buf[off]!;
  // Every tag on this path has a number below 31; the multi-octet form never occurs here.
  if ((tag & 0x1f) === 0x1f) throw new KrbDecodeError(field, off, "unexpected high-tag-number form");
  const first = buf[off + 1]!;
  let len: number;
  let start: number;
  if (first < 0x80) {
    len = first;
    start = off + 2;
  } else {
    const nLen = first & 0x7f;
    // 0x80 is BER's indefinite length, forbidden in DER; more than 4 length octets is absurd here.
    if (nLen === 0 || nLen > 4) throw new KrbDecodeError(field, off, nLen === 0 ? "indefinite length" : "length too long");
    if (off + 2 + nLen > limit) throw new KrbDecodeError(field, off, "truncated length");
    len = 0;
    for (let i = 0; i < nLen; i++) len = len * 256 + buf[off + 2 + i]!;
    start = off + 2 + nLen;
  }
  const end = start + len;
  if (end > limit) throw new KrbDecodeError(field, off, `length ${len} runs past the end (${limit - start} octets left)`);
  return { tag, start, end };
}
