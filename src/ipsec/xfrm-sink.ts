// XfrmSink: the SA sink backed by the Linux kernel (NETLINK_XFRM through the native addon).
// Requests queue up while a batch is in the kernel and go together as the next batch, so a burst
// of single calls costs one round trip; a batch is encoded into one buffer (xfrm-codec.ts) and
// crosses into the addon once. Kernel errnos become SinkErrors in operator words.
//
// updateSa replaces the SA (DELSA + NEWSA in one sendmsg): the kernel's UPDSA keeps the keys of an
// SA that is already valid (xfrm_state_update(), spec/kink.md §7.4), and an SA filled in after
// ALLOCSPI is replaced the same way. A packet arriving between the two messages finds no SA.

import { constants } from "node:os";
import { type NativeError, type NativeXfrmSocket, nativeAddon } from "./native.ts";
import type { PolicyId, PolicySpec, SaId, SaSink, SaSpec, SinkEvent, SinkOp, SinkResult, SpiRequest } from "./sink.ts";
import { SinkError } from "./sink.ts";
import {
  decodeEvents,
  decodePolicyDump,
  decodeSaDump,
  encodeDumpRequest,
  encodeRequest,
  NetlinkWriter,
  XFRM_MSG,
  type XfrmPolicyEntry,
  type XfrmRequest,
  type XfrmSaEntry,
} from "./xfrm-codec.ts";

export interface XfrmSinkOptions {
  /** Network namespace by name (/run/netns/NAME, as `ip netns add` makes) or nsfs path; default: the process's own. */
  readonly netns?: string;
  /** Receive buffer of the request socket in bytes; bounds how many acknowledgements one chunk may have outstanding. */
  readonly receiveBuffer?: number;
  /** Receive buffer of the event socket; an overflow loses events and triggers a resync. */
  readonly eventReceiveBuffer?: number;
  /** How many times an item refused with EBUSY or ENOBUFS is sent again. */
  readonly retries?: number;
  /** Subscribe to EXPIRE and ACQUIRE (default true). */
  readonly events?: boolean;
}

export const DEFAULT_RECEIVE_BUFFER = 8 << 20;
const DEFAULT_RETRIES = 3;
/** Requests per merged group of queued jobs; one job is never split. */
const MERGE_LIMIT = 1 << 17;
/**
 * Requests encoded and sent per native call: well under a millisecond of encoding on the event
 * loop (about 0.5 µs each, bench:xfrm), and some milliseconds of kernel work (about 3–5 µs each).
 */
const SLICE_REQUESTS = 1024;
/**
 * The first slice of a batch is this small and each next one twice the size, up to SLICE_REQUESTS:
 * the kernel starts after microseconds of encoding instead of a whole slice's.
 */
const FIRST_SLICE_REQUESTS = 64;
/**
 * Slices in the addon's queue at once. When the kernel finishes one, the sender thread goes on to
 * the next without waiting for the event loop (up to ~0.3 ms per slice when it did, and
 * milliseconds when the main thread was busy or descheduled); the third lets JavaScript encode
 * while two are queued.
 */
const SLICES_IN_FLIGHT = 3;
/** The addon's value for a message whose acknowledgement was lost. */
const ACK_LOST = -1;

const E = constants.errno;
const ERRNO_NAME = new Map(Object.entries(E).map(([name, n]) => [n, name]));
const OK: SinkResult = Object.freeze({ ok: true });
const SINK_OPS = new Set<string>(["getSpi", "addSa", "updateSa", "deleteSa", "addPolicy", "updatePolicy", "deletePolicy"]);

type Job =
  | { readonly kind: "requests"; readonly requests: readonly XfrmRequest[]; resolve(r: SinkResult[]): void; reject(e: unknown): void }
  | { readonly kind: "dump"; readonly request: Uint8Array; resolve(b: Buffer): void; reject(e: unknown): void };

export class XfrmSink implements SaSink {
  private readonly listeners = new Set<(event: SinkEvent) => void>();
  private readonly slices = Array.from({ length: SLICES_IN_FLIGHT }, newSlice);
  private readonly jobs: Job[] = [];
  private running = false;
  private idle: (() => void) | undefined;
  private closed = false;
  private resyncing = false;
  private readonly socket: NativeXfrmSocket;
  private readonly retries: number;

  /** Opens the netlink sockets (synchronously: a namespace switch on a short-lived thread). */
  static open(options: XfrmSinkOptions = {}): XfrmSink {
    return new XfrmSink(options);
  }

  private constructor(options: XfrmSinkOptions) {
    this.retries = options.retries ?? DEFAULT_RETRIES;
    const { XfrmSocket } = nativeAddon();
    try {
      this.socket = new XfrmSocket({
        ...(options.netns !== undefined ? { netns: options.netns } : {}),
        receiveBuffer: options.receiveBuffer ?? DEFAULT_RECEIVE_BUFFER,
        eventReceiveBuffer: options.eventReceiveBuffer ?? DEFAULT_RECEIVE_BUFFER,
        events: options.events ?? true,
        onEvents: (messages, errno) => this.onEvents(messages, errno),
      });
    } catch (e) {
      throw openError(e as NativeError, options.netns);
    }
  }

  /** Effective socket buffer sizes (as getsockopt reports them) and the netlink port id. */
  info() {
    return this.socket.info();
  }

  async getSpi(req: SpiRequest): Promise<number> {
    const r = await this.one({ op: "getSpi", req });
    return r.spi as number;
  }
  async addSa(sa: SaSpec): Promise<void> {
    await this.one({ op: "addSa", sa });
  }
  async updateSa(sa: SaSpec): Promise<void> {
    await this.one({ op: "updateSa", sa });
  }
  async deleteSa(id: SaId): Promise<void> {
    await this.one({ op: "deleteSa", id });
  }
  async addPolicy(policy: PolicySpec): Promise<void> {
    await this.one({ op: "addPolicy", policy });
  }
  async updatePolicy(policy: PolicySpec): Promise<void> {
    await this.one({ op: "updatePolicy", policy });
  }
  async deletePolicy(id: PolicyId): Promise<void> {
    await this.one({ op: "deletePolicy", id });
  }

  batch(ops: readonly SinkOp[]): Promise<SinkResult[]> {
    return this.submit(ops);
  }

  async flush(what: { sas?: boolean; policies?: boolean } = { sas: true, policies: true }): Promise<void> {
    const requests: XfrmRequest[] = [];
    if (what.sas) requests.push({ op: "flushSa" });
    if (what.policies) requests.push({ op: "flushPolicy" });
    for (const r of await this.submit(requests)) if (!r.ok) throw r.error;
  }

  /** Every SA in the namespace (GETSA dump), without key material. */
  async dumpSas(): Promise<XfrmSaEntry[]> {
    return decodeSaDump(await this.dump(XFRM_MSG.GETSA));
  }

  /** Every policy of the main type in the namespace (GETPOLICY dump). */
  async dumpPolicies(): Promise<XfrmPolicyEntry[]> {
    return decodePolicyDump(await this.dump(XFRM_MSG.GETPOLICY));
  }

  subscribe(listener: (event: SinkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for queued work, then closes both sockets; later calls fail with code "closed". */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.running || this.jobs.length > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.socket.close();
  }

  private async one(op: SinkOp): Promise<SinkResult & { ok: true }> {
    const [r] = await this.submit([op]);
    if (r === undefined) throw new SinkError("internal", "batch returned no result");
    if (!r.ok) throw r.error;
    return r;
  }

  private submit(requests: readonly XfrmRequest[]): Promise<SinkResult[]> {
    if (this.closed) return Promise.reject(new SinkError("closed", "the XFRM sink is closed"));
    return new Promise((resolve, reject) => {
      this.jobs.push({ kind: "requests", requests, resolve, reject });
      this.pump();
    });
  }

  private dump(type: typeof XFRM_MSG.GETSA | typeof XFRM_MSG.GETPOLICY): Promise<Buffer> {
    if (this.closed) return Promise.reject(new SinkError("closed", "the XFRM sink is closed"));
    return new Promise((resolve, reject) => {
      this.jobs.push({ kind: "dump", request: encodeDumpRequest(type), resolve, reject });
      this.pump();
    });
  }

  /** Starts the next job unless one is in the kernel; consecutive request jobs are merged. */
  private pump(): void {
    if (this.running) return;
    const job = this.jobs.shift();
    if (job === undefined) {
      this.idle?.();
      return;
    }
    this.running = true;
    let done: Promise<void>;
    if (job.kind === "dump") {
      done = this.socket.dump(job.request).then(job.resolve, (e) => job.reject(transportError(e as NativeError)));
    } else {
      const group = [job];
      let size = job.requests.length;
      for (let next = this.jobs[0]; next?.kind === "requests" && size + next.requests.length <= MERGE_LIMIT; next = this.jobs[0]) {
        size += next.requests.length;
        group.push(next);
        this.jobs.shift();
      }
      done = this.execute(group);
    }
    void done.finally(() => {
      this.running = false;
      this.pump();
    });
  }

  /**
   * Runs merged jobs as slices in a ring of SLICES_IN_FLIGHT buffers: a slice is encoded on the main
   * thread and queued in the addon, whose sender thread runs queued slices back to back (in
   * order), so the kernel is handed slice k+1 the moment it has answered slice k while JavaScript
   * encodes k+2. A buffer is reused once its slice is answered, and its results are read then. The
   * event loop gets a turn between slices, so a 100 000-request batch never holds it longer than
   * one slice's encoding and one's results.
   */
  private async execute(group: (Job & { kind: "requests" })[]): Promise<void> {
    const requests = group.length === 1 ? (group[0] as Job & { kind: "requests" }).requests : group.flatMap((j) => j.requests);
    const results: SinkResult[] = new Array(requests.length);
    const ring = this.slices;
    let failure: SinkError | undefined;
    let k = 0;
    try {
      for (let from = 0, size = FIRST_SLICE_REQUESTS; from < requests.length; k++, size = Math.min(SLICE_REQUESTS, 2 * size)) {
        const slice = ring[k % ring.length] as Slice;
        if (slice.answered !== undefined) failure = await settleSlice(slice, requests, results);
        if (failure !== undefined) break;
        const to = Math.min(requests.length, from + size);
        encodeSlice(slice, requests, from, to);
        slice.answered = this.sendSlice(slice);
        from = to;
        if (from < requests.length) await new Promise(setImmediate);
      }
    } catch (e) {
      failure = e instanceof SinkError ? e : transportError(e as NativeError);
    }
    // Oldest first; every queued slice is settled before its buffer can be reused by the next batch.
    for (let i = 0; i < ring.length; i++) {
      const slice = ring[(k + i) % ring.length] as Slice;
      if (slice.answered === undefined) continue;
      const error = await settleSlice(slice, requests, results);
      failure ??= error;
    }
    if (failure !== undefined) {
      for (const job of group) job.reject(failure);
      return;
    }
    let at = 0;
    for (const job of group) {
      job.resolve(group.length === 1 ? results : results.slice(at, at + job.requests.length));
      at += job.requests.length;
    }
  }

  /** Hands a slice to the addon; resolves with the kernel's texts for failed messages. */
  private sendSlice(slice: Slice): Promise<[number, string][]> {
    const w = slice.writer;
    if (w.count === 0) return Promise.resolve([]);
    const answered = this.socket.batch(w.messages, w.count, slice.errnos, slice.spis, this.retries, slice.hasKeys);
    // Awaited only after the event loop has had turns: mark a failure as handled meanwhile.
    answered.catch(ignore);
    return answered;
  }

  private onEvents(messages: Buffer | null, errno: number): void {
    if (this.closed) return;
    if (messages !== null) for (const event of decodeEvents(messages)) this.emit(event);
    if (errno === E.ENOBUFS) void this.resync();
  }

  /** After lost events: count what the kernel has, so listeners reconcile from a dump. */
  private async resync(): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      const [sas, policies] = await Promise.all([this.dump(XFRM_MSG.GETSA), this.dump(XFRM_MSG.GETPOLICY)]);
      this.emit({ type: "resync", sas: decodeSaDump(sas).length, policies: decodePolicyDump(policies).length });
    } catch (e) {
      // Closing while resynchronising is the only expected failure; anything else is reported.
      if (!this.closed)
        queueMicrotask(() => {
          throw e;
        });
    } finally {
      this.resyncing = false;
    }
  }

  private emit(event: SinkEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (e) {
        // One failing listener must not starve the others; its error still surfaces.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}

/** One slice's encoded messages and the addon's per-message answers. */
interface Slice {
  /** Requests [from, to) of the batch, and the addon's answer while the slice is queued or in the kernel. */
  from: number;
  to: number;
  answered: Promise<[number, string][]> | undefined;
  readonly writer: NetlinkWriter;
  readonly errnos: Int32Array;
  readonly spis: Uint32Array;
  /** Per request of the slice: index of its first message, or -1 when it failed to encode. */
  readonly first: Int32Array;
  readonly early: Map<number, SinkError>;
  hasKeys: boolean;
}

function newSlice(): Slice {
  // updateSa takes two messages, every other request one.
  return {
    from: 0,
    to: 0,
    answered: undefined,
    writer: new NetlinkWriter(),
    errnos: new Int32Array(2 * SLICE_REQUESTS),
    spis: new Uint32Array(2 * SLICE_REQUESTS),
    first: new Int32Array(SLICE_REQUESTS),
    early: new Map(),
    hasKeys: false,
  };
}

function ignore(): void {}

function encodeSlice(slice: Slice, requests: readonly XfrmRequest[], from: number, to: number): void {
  const w = slice.writer;
  slice.from = from;
  slice.to = to;
  w.reset();
  slice.early.clear();
  slice.hasKeys = false;
  for (let i = from; i < to; i++) {
    const r = requests[i] as XfrmRequest;
    const length = w.length;
    const count = w.count;
    try {
      encodeRequest(w, r);
      slice.first[i - from] = count;
      slice.hasKeys ||= r.op === "addSa" || r.op === "updateSa";
    } catch (e) {
      w.truncate(length, count);
      slice.first[i - from] = -1;
      slice.early.set(i - from, e instanceof SinkError ? e : new SinkError("invalid", String(e)));
    }
  }
}

/** Waits for a queued slice's answer and fills in its results; a transport failure is returned. */
async function settleSlice(slice: Slice, requests: readonly XfrmRequest[], results: SinkResult[]): Promise<SinkError | undefined> {
  const answered = slice.answered as Promise<[number, string][]>;
  slice.answered = undefined;
  let texts: [number, string][];
  try {
    texts = await answered;
  } catch (e) {
    return transportError(e as NativeError);
  }
  const { from, to } = slice;
  const byMessage = new Map(texts);
  for (let i = from; i < to; i++) {
    const m = slice.first[i - from] as number;
    results[i] = m === -1 ? { ok: false, error: slice.early.get(i - from) as SinkError } : result(slice, requests[i] as XfrmRequest, m, byMessage);
  }
  return undefined;
}

function result(slice: Slice, r: XfrmRequest, m: number, texts: Map<number, string>): SinkResult {
  const errnos = slice.errnos;
  let at = m;
  // updateSa: DELSA then NEWSA; a missing SA (ESRCH from xfrm_del_sa) is no error for a replace.
  if (r.op === "updateSa") {
    const del = errnos[m] as number;
    if (del !== 0 && del !== E.ESRCH && del !== E.ENOENT) return { ok: false, error: kernelError(del, r, texts.get(m)) };
    at = m + 1;
  }
  const errno = errnos[at] as number;
  if (errno !== 0) return { ok: false, error: kernelError(errno, r, texts.get(at)) };
  return r.op === "getSpi" ? { ok: true, spi: slice.spis[at] as number } : OK;
}

function errnoName(errno: number): string {
  return ERRNO_NAME.get(errno) ?? `errno ${errno}`;
}

function isIpv6(address: string): boolean {
  return address.includes(":");
}

/** The object of a request, for messages: "ESP SA 0x00001234 to 192.0.2.1", "policy out 10.1.0.0/24 → 10.2.0.0/24". */
function describe(r: XfrmRequest): string {
  const sa = (id: SaId) => `${id.proto.toUpperCase()} SA 0x${id.spi.toString(16).padStart(8, "0")} to ${id.dst}`;
  const policy = (id: PolicyId) => `policy ${id.dir} ${id.selector.src}/${id.selector.srcPrefix} → ${id.selector.dst}/${id.selector.dstPrefix}`;
  switch (r.op) {
    case "getSpi":
      return `SPI for ${r.req.proto.toUpperCase()} from ${r.req.src} to ${r.req.dst}`;
    case "addSa":
    case "updateSa":
      return sa(r.sa.id);
    case "deleteSa":
      return sa(r.id);
    case "addPolicy":
    case "updatePolicy":
      return policy(r.policy);
    case "deletePolicy":
      return policy(r.id);
    case "flushSa":
      return "SA flush";
    case "flushPolicy":
      return "policy flush";
  }
}

/** What the kernel lacks when it cannot build an SA's transform (net/xfrm/xfrm_state.c __xfrm_init_state). */
function missingSupport(sa: SaSpec, kernelText: string | undefined): string {
  const v6 = isIpv6(sa.id.dst);
  if (kernelText !== undefined && /mode/i.test(kernelText)) return `kernel has no ${sa.mode}-mode support for IPv${v6 ? 6 : 4} SAs`;
  const option = sa.id.proto === "esp" ? (v6 ? "CONFIG_INET6_ESP" : "CONFIG_INET_ESP") : v6 ? "CONFIG_INET6_AH" : "CONFIG_INET_AH";
  return `kernel has no ${sa.id.proto.toUpperCase()} support (${option})`;
}

function kernelError(errno: number, r: XfrmRequest, kernelText: string | undefined): SinkError {
  const op = SINK_OPS.has(r.op) ? (r.op as SinkOp["op"]) : undefined;
  const what = describe(r);
  const detail = kernelText ? `: ${kernelText}` : "";
  const sa = r.op === "addSa" || r.op === "updateSa" ? r.sa : undefined;
  const error = (code: ConstructorParameters<typeof SinkError>[0], message: string) => new SinkError(code, message, errno === ACK_LOST ? undefined : errno, op);
  switch (errno) {
    case ACK_LOST:
      return error("no-buffer-space", `${what}: acknowledgement lost to a receive-buffer overflow, outcome unknown`);
    case E.EEXIST:
      return error("exists", `${what} already exists`);
    case E.EPERM:
    case E.EACCES:
      return error("permission", `permission denied: needs CAP_NET_ADMIN (${what})`);
    case E.EBUSY:
      return error("busy", `${what}: kernel busy after retries${detail}`);
    case E.ENOBUFS:
      return error("no-buffer-space", `${what}: kernel out of buffer space after retries${detail}`);
    case E.EINVAL:
      return error("invalid", `kernel rejected ${what} as invalid${detail}`);
    case E.EPROTONOSUPPORT:
      return error("no-kernel-support", `${sa ? missingSupport(sa, kernelText) : `kernel has no support for ${what}`}${detail}`);
    case E.ENOSYS:
      if (sa) {
        const names = [sa.enc?.alg.xfrmName, sa.auth?.alg.xfrmName].filter((n) => n !== undefined).join(" + ");
        return error("unsupported-algorithm", `kernel has no ${names} (crypto API) for ${what}${detail}`);
      }
      return error("no-kernel-support", `kernel has no support for ${what}${detail}`);
    case E.ENOENT:
    case E.ESRCH:
      // xfrm_alloc_spi() answers ENOENT when no SPI of the range is free.
      if (r.op === "getSpi") return error("no-spi", `no free SPI in the requested range (${what})`);
      if (sa && errno === E.ENOENT) return error("no-kernel-support", `kernel lacks what ${what} needs${detail}`);
      return error("not-found", `${what} not found`);
    default:
      return error("internal", `${what} failed: ${errnoName(errno)}${detail}`);
  }
}

/** A failure of the socket itself (not of one item): every request of the batch shares it. */
function transportError(e: NativeError): SinkError {
  if (e.errno === E.EBADF) return new SinkError("closed", "the XFRM sink is closed", e.errno);
  return new SinkError("internal", `netlink ${e.step ?? "transport"} failed: ${errnoName(e.errno)}`, e.errno);
}

function openError(e: NativeError, netns: string | undefined): SinkError {
  if (typeof e?.errno !== "number") return new SinkError("internal", `cannot open the XFRM netlink socket: ${String(e)}`);
  if (e.errno === E.EPERM || e.errno === E.EACCES) return new SinkError("permission", `permission denied: needs CAP_NET_ADMIN (${e.step})`, e.errno);
  if (e.step.startsWith("open") && e.errno === E.ENOENT) return new SinkError("invalid", `network namespace ${JSON.stringify(netns)} does not exist`, e.errno);
  if (e.errno === E.EPROTONOSUPPORT) return new SinkError("no-kernel-support", "kernel has no XFRM netlink interface (CONFIG_XFRM_USER)", e.errno);
  return new SinkError("internal", `cannot open the XFRM netlink socket: ${e.step}: ${errnoName(e.errno)}`, e.errno);
}
