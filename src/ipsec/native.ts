// Typed loader for the native addon in src/ipsec/native (built by node-gyp at install: `npm run
// build:addon`). Loaded on first use, so that code that never touches the kernel (MemorySink, the
// tests of the engine) runs where the addon is not built.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export interface NativeXfrmSocketOptions {
  /** Network namespace: a name under /run/netns (as `ip netns add` makes) or a path to an nsfs file. */
  readonly netns?: string;
  /** Requested SO_RCVBUF of the request socket in bytes (SO_RCVBUFFORCE when privileged). */
  readonly receiveBuffer: number;
  readonly eventReceiveBuffer: number;
  /** Join XFRMNLGRP_ACQUIRE and XFRMNLGRP_EXPIRE and call `onEvents` from a reader thread. */
  readonly events: boolean;
  /** Raw netlink messages as received (concatenated), and ENOBUFS when some were dropped before them. */
  readonly onEvents: (messages: Buffer | null, errno: number) => void;
}

export interface NativeXfrmSocketInfo {
  /** Effective receive buffer as getsockopt reports it (the kernel doubles the request). */
  readonly receiveBuffer: number;
  readonly receiveBufferForced: boolean;
  readonly eventReceiveBuffer: number;
  readonly sendBuffer: number;
  readonly portId: number;
}

/** Errors thrown or rejected by the addon carry the errno and the step that failed. */
export interface NativeError extends Error {
  readonly errno: number;
  readonly step: string;
}

export interface NativeXfrmSocket {
  /**
   * Sends `count` netlink messages laid end to end in `requests` (NLMSG_ALIGNed), many per
   * sendmsg, and fills `errnos[i]` with message i's result (0, a positive errno, or -1 when its
   * acknowledgement was lost) and `spis[i]` with the SPI of an ALLOCSPI reply. Resolves with the
   * kernel's extended-ack texts of failed messages. With `wipe` the request bytes are zeroed after
   * sending (they may hold keys). Batches and dumps are queued and reach the kernel in call order,
   * one after the other on the socket's sender thread; several may be outstanding, and the three
   * arrays belong to the addon until the promise settles.
   */
  batch(requests: Uint8Array, count: number, errnos: Int32Array, spis: Uint32Array, retries: number, wipe: boolean): Promise<[number, string][]>;
  /** Sends one dump request and resolves with every reply message, concatenated. */
  dump(request: Uint8Array): Promise<Buffer>;
  info(): NativeXfrmSocketInfo;
  close(): void;
}

export interface NativeAddon {
  XfrmSocket: new (options: NativeXfrmSocketOptions) => NativeXfrmSocket;
  /** Sends `state` to the sd_notify socket at `socketPath` ('@' = abstract); returns 0 or an errno. */
  sdNotify(socketPath: string, state: string): number;
}

let addon: NativeAddon | undefined;

export function nativeAddon(): NativeAddon {
  if (addon === undefined) {
    const require = createRequire(import.meta.url);
    const load = require("node-gyp-build") as (dir: string) => NativeAddon;
    addon = load(fileURLToPath(new URL("./native", import.meta.url)));
  }
  return addon;
}
