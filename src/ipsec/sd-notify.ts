// systemd service notifications (sd_notify(3)) for the daemon: READY=1 once serving, STATUS= for
// `systemctl status`, WATCHDOG=1 keep-alives, RELOADING=1/STOPPING=1 around reloads and shutdown.
// The datagram is sent by the native addon, because Node has no AF_UNIX datagram sockets.

import { constants } from "node:os";
import { nativeAddon } from "./native.ts";

/** Sending to $NOTIFY_SOCKET failed; `errno` is the kernel's. */
export class SdNotifyError extends Error {
  override readonly name = "SdNotifyError";
  constructor(
    message: string,
    readonly errno: number,
  ) {
    super(message);
  }
}

const ERRNO_NAME = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/**
 * Sends newline-separated VARIABLE=value assignments to the service manager. Returns false when
 * not run by one ($NOTIFY_SOCKET unset), as sd_notify() returns 0; throws SdNotifyError when the
 * socket refuses the datagram.
 */
export function sdNotify(assignments: Readonly<Record<string, string | number>>, socketPath = process.env.NOTIFY_SOCKET): boolean {
  if (socketPath === undefined || socketPath === "") return false;
  // A newline in a value would start another assignment.
  const state = Object.entries(assignments)
    .map(([k, v]) => `${k}=${String(v).replace(/\n/g, " ")}`)
    .join("\n");
  const errno = nativeAddon().sdNotify(socketPath, state);
  if (errno !== 0) throw new SdNotifyError(`sd_notify to ${socketPath} failed: ${ERRNO_NAME.get(errno) ?? `errno ${errno}`}`, errno);
  return true;
}

/** READY=1, optionally with a STATUS= line: startup is complete. */
export const notifyReady = (status?: string) => sdNotify(status === undefined ? { READY: 1 } : { READY: 1, STATUS: status });
export const notifyStatus = (status: string) => sdNotify({ STATUS: status });
export const notifyWatchdog = () => sdNotify({ WATCHDOG: 1 });
/** RELOADING=1 with the CLOCK_MONOTONIC time Type=notify-reload services must send with it (systemd.service(5)). */
export const notifyReloading = () => sdNotify({ RELOADING: 1, MONOTONIC_USEC: String(process.hrtime.bigint() / 1000n) });
export const notifyStopping = () => sdNotify({ STOPPING: 1 });

/**
 * The watchdog interval in milliseconds when the service manager expects WATCHDOG=1 from this
 * process (WATCHDOG_USEC set, and WATCHDOG_PID absent or ours), as sd_watchdog_enabled() decides.
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== process.pid) return undefined;
  return usec / 1000;
}
