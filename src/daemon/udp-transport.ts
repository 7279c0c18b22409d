// The main thread's UDP edge for KINK. KINK runs over UDP, IANA port 910 [RFC 4430 §11]; a
// reply goes back to the address and port the request came from [RFC 4430 §9], so every inbound
// datagram carries the remote endpoint and the local socket it arrived on, and the engine hands
// the local endpoint back as `from` to answer from the same address.
//
// Datagrams that arrive while the event loop is busy are handed over together: 'message' events
// append to one pending array, and one setImmediate (after the poll phase that read them) or a
// full batch flushes it as one onBatch call, so the engine runs one WASM crypto batch for all.
// Handlers are created once per socket, not per datagram. Network errors never throw: they are
// logged and counted, because one bad peer address must not take the daemon down.

import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";
import { getSystemErrorMap } from "node:util";
import { type Logger, pino } from "pino";
import type { Endpoint, InboundDatagram, OutboundDatagram } from "../kink/types.ts";
import { KINK_PORT } from "../wire/constants.ts";

// The datagram types are the engine's (src/kink/types.ts): the transport hands them over as they are.
export type { Endpoint, InboundDatagram, OutboundDatagram };

/** A bound socket's address and actual port, with the buffer sizes the kernel granted. */
export interface BoundEndpoint extends Endpoint {
  /** SO_RCVBUF as the kernel reports it (Linux doubles the requested value for bookkeeping). */
  readonly receiveBufferBytes: number;
  /** SO_SNDBUF as the kernel reports it. */
  readonly sendBufferBytes: number;
}

export interface UdpTransportOptions {
  /** Local addresses to bind, one socket each; default ["0.0.0.0", "::"]. */
  readonly addresses?: readonly string[];
  /** Default 910 [RFC 4430 §11]; 0 binds an ephemeral port per socket. */
  readonly port?: number;
  /** Most datagrams handed over in one onBatch call; default 256. */
  readonly maxBatch?: number;
  /** SO_RCVBUF to ask for; default 4 MiB. */
  readonly receiveBufferBytes?: number;
  /** SO_SNDBUF to ask for; default 4 MiB. */
  readonly sendBufferBytes?: number;
  readonly logger?: Logger;
}

export interface UdpTransportStats {
  /** Datagrams read from the sockets. */
  received: number;
  /** Datagrams the kernel accepted for sending. */
  sent: number;
  /** Datagrams the kernel refused or that had an invalid target (each logged at warn). */
  sendErrors: number;
  /** onBatch calls. */
  batches: number;
  /** Outbound datagrams with no socket to send from or sent after close, and inbound ones still queued at close. */
  dropped: number;
}

/** `open` failed; `code` is the errno name (EADDRINUSE, EACCES, EADDRNOTAVAIL, …) or EINVAL for bad options. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_ADDRESSES = ["0.0.0.0", "::"] as const;
const DEFAULT_MAX_BATCH = 256;
const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;
/** Largest value setsockopt takes as a C int. */
const MAX_BUFFER_BYTES = 0x7fffffff;

/** One bound socket; its handlers are created once here, not per datagram. */
class BoundSocket {
  readonly local: BoundEndpoint;
  readonly family: 4 | 6;
  private readonly transport: UdpTransport;
  readonly socket: Socket;

  constructor(transport: UdpTransport, socket: Socket, family: 4 | 6, local: BoundEndpoint) {
    this.transport = transport;
    this.socket = socket;
    this.family = family;
    this.local = local;
    socket.on("message", this.onMessage);
    socket.on("error", this.onError);
  }

  readonly onMessage = (data: Buffer, rinfo: Endpoint): void => {
    // rinfo already is a fresh { address, family, port, size } per datagram: it serves as `from`.
    this.transport.receive(data, rinfo, this.local);
  };

  readonly onSent = (error: Error | null): void => {
    this.transport.sendDone(error as SendError | null, this.local);
  };

  readonly onError = (error: Error): void => {
    // Sends carry a callback and bind errors are handled in open, so this is unexpected.
    this.transport.logger.error({ err: error, local: formatEndpoint(this.local) }, "UDP socket error");
  };
}

/** What node passes to a send callback on failure (an ExceptionWithHostPort). */
interface SendError extends NodeJS.ErrnoException {
  readonly address?: string;
  readonly port?: number;
}

export class UdpTransport {
  readonly endpoints: readonly BoundEndpoint[];
  /** @internal used by BoundSocket */
  readonly logger: Logger;
  private readonly sockets: BoundSocket[] = [];
  private readonly onBatch: (batch: InboundDatagram[]) => void;
  private readonly maxBatch: number;
  private readonly counters: UdpTransportStats = { received: 0, sent: 0, sendErrors: 0, batches: 0, dropped: 0 };
  private pending: InboundDatagram[] = [];
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;

  /** Binds one socket per address; rejects with a TransportError (closing what was bound) if any fails. */
  static async open(opts: UdpTransportOptions, onBatch: (batch: InboundDatagram[]) => void): Promise<UdpTransport> {
    const logger = opts.logger ?? pino({ name: "kinkd" });
    const port = option("port", opts.port, KINK_PORT, 0, 65535);
    const maxBatch = option("maxBatch", opts.maxBatch, DEFAULT_MAX_BATCH, 1, Number.MAX_SAFE_INTEGER);
    const rcvbuf = option("receiveBufferBytes", opts.receiveBufferBytes, DEFAULT_BUFFER_BYTES, 1, MAX_BUFFER_BYTES);
    const sndbuf = option("sendBufferBytes", opts.sendBufferBytes, DEFAULT_BUFFER_BYTES, 1, MAX_BUFFER_BYTES);
    const addresses = opts.addresses ?? DEFAULT_ADDRESSES;
    if (addresses.length === 0) throw new TransportError("EINVAL", "no local address to bind UDP to");
    const settled = await Promise.allSettled(addresses.map((address) => bindSocket(address, port, rcvbuf, sndbuf)));
    const bound = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failure = settled.find((r) => r.status === "rejected");
    if (failure) {
      await Promise.all(bound.map((b) => closeSocket(b.socket)));
      throw failure.reason;
    }
    // Sockets read from the moment they bind, but libuv reads only in the event loop's poll phase,
    // and binding IP literals finishes in nextTicks and microtasks: the handlers are attached here
    // before any datagram can be read.
    const transport = new UdpTransport(logger, maxBatch, onBatch, bound);
    for (const b of bound) {
      const words = { local: formatEndpoint(b.local), receiveBufferBytes: b.local.receiveBufferBytes, sendBufferBytes: b.local.sendBufferBytes };
      logger.info(words, "listening for KINK on UDP");
      // Linux reports twice what it grants; less than asked means net.core.{r,w}mem_max capped it,
      // and a burst of CREATEs may then overflow the queue and be lost.
      if (b.local.receiveBufferBytes < rcvbuf || b.local.sendBufferBytes < sndbuf) {
        logger.warn({ ...words, requested: { rcvbuf, sndbuf } }, "kernel granted smaller UDP socket buffers than asked (raise net.core.rmem_max/wmem_max)");
      }
    }
    return transport;
  }

  private constructor(logger: Logger, maxBatch: number, onBatch: (batch: InboundDatagram[]) => void, bound: readonly BoundParts[]) {
    this.logger = logger;
    this.maxBatch = maxBatch;
    this.onBatch = onBatch;
    for (const b of bound) this.sockets.push(new BoundSocket(this, b.socket, b.family, b.local));
    this.endpoints = this.sockets.map((s) => s.local);
  }

  get stats(): Readonly<UdpTransportStats> {
    return this.counters;
  }

  /** Sends each datagram; failures are logged and counted, never thrown. */
  send(datagrams: readonly OutboundDatagram[]): void {
    for (const d of datagrams) {
      if (this.closed) {
        this.counters.dropped++;
        continue;
      }
      const family = isIP(d.to.address);
      if (family === 0) {
        // Not a literal: node would resolve it through DNS, which a reply target never needs.
        this.sendFailed("EINVAL", d.to, d.from, "destination is not an IP address");
        continue;
      }
      const via = this.socketFor(family, d.from);
      if (via === undefined) {
        this.counters.dropped++;
        this.logger.warn(
          { to: formatEndpoint(d.to), from: d.from && formatEndpoint(d.from) },
          `no UDP socket ${d.from ? "bound to that address" : `of family IPv${family}`} to send from`,
        );
        continue;
      }
      try {
        via.socket.send(d.data, d.to.port, d.to.address, via.onSent);
      } catch (error) {
        // Synchronous refusals: a port outside 1–65535 (ERR_SOCKET_BAD_PORT).
        const e = error as SendError;
        this.sendFailed(e.code ?? "EINVAL", d.to, via.local, e.message);
      }
    }
  }

  /** Stops receiving and releases the ports; datagrams not yet handed over count as dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.counters.dropped += this.pending.length;
    this.pending = [];
    await Promise.all(this.sockets.map((s) => closeSocket(s.socket)));
  }

  /** @internal the 'message' handler's body (BoundSocket.onMessage). */
  receive(data: Buffer, from: Endpoint, local: Endpoint): void {
    // An onBatch that closed the transport mid-read: the rest of that read is not delivered.
    if (this.closed) {
      this.counters.dropped++;
      return;
    }
    this.counters.received++;
    const n = this.pending.push({ data, from, local });
    if (n >= this.maxBatch) this.flush();
    else if (this.immediate === undefined) this.immediate = setImmediate(this.flush);
  }

  /** @internal the send callback's body (BoundSocket.onSent). */
  sendDone(error: SendError | null, local: Endpoint): void {
    if (error === null) this.counters.sent++;
    // Sends still queued when the socket closed are cancelled: that is shutdown, not a network error.
    else if (this.closed) this.counters.dropped++;
    else this.sendFailed(error.code ?? "EIO", { address: error.address ?? "?", port: error.port ?? 0 }, local, errnoWords(error));
  }

  private readonly flush = (): void => {
    this.immediate = undefined;
    const batch = this.pending;
    // A full batch flushed from receive leaves this immediate with nothing, or with what came after.
    if (batch.length === 0 || this.closed) return;
    this.pending = [];
    this.counters.batches++;
    try {
      this.onBatch(batch);
    } catch (error) {
      // An engine bug must not stop the daemon from hearing the next datagram.
      this.logger.error({ err: error, datagrams: batch.length }, "KINK engine threw on an inbound batch");
    }
  };

  private socketFor(family: number, from: Endpoint | undefined): BoundSocket | undefined {
    for (const s of this.sockets) {
      if (s.family === family && (from === undefined || s.local.address === from.address)) return s;
    }
    return undefined;
  }

  private sendFailed(code: string, to: Endpoint, from: Endpoint | undefined, detail: string): void {
    this.counters.sendErrors++;
    this.logger.warn({ code, to: formatEndpoint(to), from: from && formatEndpoint(from) }, `UDP send failed: ${detail}`);
  }
}

interface BoundParts {
  readonly socket: Socket;
  readonly family: 4 | 6;
  readonly local: BoundEndpoint;
}

/** "192.0.2.1:910" or "[2001:db8::1]:910", the usual way to write an address with a port. */
export function formatEndpoint(e: Endpoint): string {
  return e.address.includes(":") ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

function option(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    throw new TransportError("EINVAL", `UDP option ${name} must be an integer from ${min} to ${max}, not ${value}`);
  return value;
}

function bindSocket(address: string, port: number, rcvbuf: number, sndbuf: number): Promise<BoundParts> {
  const family = isIP(address);
  const where = formatEndpoint({ address, port });
  if (family !== 4 && family !== 6) return Promise.reject(new TransportError("EINVAL", `cannot bind UDP ${where}: not an IP address`));
  // v6-only, so "0.0.0.0" and "::" can both hold the port and IPv4 peers appear as IPv4.
  const socket = createSocket(family === 4 ? { type: "udp4" } : { type: "udp6", ipv6Only: true });
  return new Promise((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException): void => {
      socket.off("listening", listening);
      socket.close();
      reject(bindError(where, port, error));
    };
    const listening = (): void => {
      socket.off("error", fail);
      try {
        socket.setRecvBufferSize(rcvbuf);
        socket.setSendBufferSize(sndbuf);
        const a = socket.address();
        const local = { address: a.address, port: a.port, receiveBufferBytes: socket.getRecvBufferSize(), sendBufferBytes: socket.getSendBufferSize() };
        resolve({ socket, family, local });
      } catch (error) {
        socket.close();
        reject(bindError(where, port, error as NodeJS.ErrnoException));
      }
    };
    socket.once("error", fail);
    socket.once("listening", listening);
    socket.bind({ address, port });
  });
}

function bindError(where: string, port: number, error: NodeJS.ErrnoException): TransportError {
  const code = error.code ?? "EIO";
  const hint =
    code === "EACCES" && port < 1024
      ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
      : code === "EADDRNOTAVAIL"
        ? " (no interface has this address)"
        : code === "EADDRINUSE"
          ? " (is another KINK daemon running?)"
          : "";
  return new TransportError(code, `cannot bind UDP ${where}: ${errnoWords(error)}${hint}`);
}

/** libuv's words for a system error ("address already in use"), else node's message. */
function errnoWords(error: NodeJS.ErrnoException): string {
  return (error.errno !== undefined && getSystemErrorMap().get(error.errno)?.[1]) || error.message;
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}
