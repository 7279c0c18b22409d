// Throwaway network namespaces for the XFRM tests (CI runs as root), iproute2 helpers, and the
// capture of netlink requests with strace: `-e write=all` dumps every byte a sendmsg() sent.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let counter = 0;

/** Runs `fn` with a fresh namespace (loopback up) that is deleted afterwards, even on failure. */
export async function withNetns<T>(label: string, fn: (ns: string) => Promise<T>): Promise<T> {
  const ns = `kinkd-${label}-${process.pid}-${++counter}`;
  execFileSync("ip", ["netns", "add", ns]);
  try {
    execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
    return await fn(ns);
  } finally {
    execFileSync("ip", ["netns", "del", ns]);
  }
}

/** `ip -n NS ARGS…`, stdout as text; throws with iproute2's stderr on failure. */
export function ip(ns: string, ...args: string[]): string {
  const r = spawnSync("ip", ["-n", ns, ...args], { encoding: "utf8", maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`ip -n ${ns} ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Like ip() but returns the failure instead of throwing. */
export function tryIp(ns: string, ...args: string[]): { ok: boolean; stderr: string } {
  const r = spawnSync("ip", ["-n", ns, ...args], { encoding: "utf8" });
  return { ok: r.status === 0, stderr: r.stderr.trim() };
}

/** Runs a command in the namespace (`ip netns exec`). */
export function inNetns(ns: string, command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("ip", ["netns", "exec", ns, command, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs `command args…` under strace and returns the payload of every sendmsg() it (or any of its
 * threads) made, in order: one Uint8Array per call, its iovecs concatenated.
 */
export function captureSendmsg(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { datagrams: Uint8Array[]; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), "kinkd-strace-"));
  const log = join(dir, "trace");
  try {
    const r = spawnSync("strace", ["-f", "-qq", "-e", "trace=sendmsg", "-e", "write=all", "-o", log, command, ...args], {
      encoding: "utf8",
      env,
      maxBuffer: 64 << 20,
    });
    if (r.error) throw r.error;
    return { datagrams: parseStraceDumps(readFileSync(log, "utf8")), stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * strace prints a syscall line, then for each iovec " * N bytes in buffer K" and hexdump lines
 * " | 00000  08 01 00 00 …  ascii |" (16 octets per line, in columns from the 10th character).
 */
export function parseStraceDumps(text: string): Uint8Array[] {
  const out: number[][] = [];
  for (const line of text.split("\n")) {
    if (/\bsendmsg\(|<\.\.\. sendmsg resumed>/.test(line) && !line.includes("<unfinished")) out.push([]);
    const dump = /^ \| [0-9a-f]{5} {2}(.{48})/.exec(line);
    if (dump && out.length > 0) {
      const current = out[out.length - 1] as number[];
      for (const hex of (dump[1] as string).match(/[0-9a-f]{2}/g) ?? []) current.push(Number.parseInt(hex, 16));
    }
  }
  return out.filter((d) => d.length > 0).map((d) => Uint8Array.from(d));
}

/** Whether the kernel can install an ESP SA (CONFIG_INET_ESP); the probe SA is removed again. */
export function kernelHasEsp(ns: string): { ok: boolean; reason: string } {
  const probe = ["xfrm", "state", "add", "src", "192.0.2.250", "dst", "192.0.2.251", "proto", "esp", "spi", "0x99999", "mode", "transport"];
  const r = tryIp(ns, ...probe, "enc", "cbc(aes)", `0x${"11".repeat(16)}`, "auth-trunc", "hmac(sha1)", `0x${"22".repeat(20)}`, "96");
  if (r.ok) tryIp(ns, "xfrm", "state", "delete", "src", "192.0.2.250", "dst", "192.0.2.251", "proto", "esp", "spi", "0x99999");
  return { ok: r.ok, reason: r.stderr };
}

/**
 * Gives the namespace a veth pair (both ends inside) with `cidr` on one end. Traffic to be
 * matched by XFRM policies must not leave through lo: the kernel sets disable_xfrm and
 * disable_policy on loopback (net/ipv4/devinet.c), so no ACQUIRE would ever come.
 */
export function addVeth(ns: string, cidr: string): void {
  ip(ns, "link", "add", "kv0", "type", "veth", "peer", "name", "kv1");
  ip(ns, "link", "set", "kv0", "up");
  ip(ns, "link", "set", "kv1", "up");
  ip(ns, "addr", "add", cidr, "dev", "kv0");
}
