// sd_notify through the addon: a python3 helper binds the AF_UNIX datagram socket systemd would
// (a filesystem path, then an abstract name) and hands back the bytes it received.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { notifyReady, notifyReloading, notifyStopping, notifyWatchdog, SdNotifyError, sdNotify, watchdogIntervalMs } from "../../src/ipsec/sd-notify.ts";

/** A datagram receiver: resolves once bound; `datagrams` resolves with each received datagram. */
async function receiver(address: string, count: number): Promise<{ datagrams: Promise<Buffer[]>; child: ChildProcess }> {
  const script = [
    "import socket, sys, binascii",
    "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
    "a = sys.argv[1]",
    "s.bind('\\0' + a[1:] if a.startswith('@') else a)",
    "print('bound', flush=True)",
    "for _ in range(int(sys.argv[2])):",
    "    print(binascii.hexlify(s.recv(4096)).decode(), flush=True)",
  ].join("\n");
  const child = spawn("python3", ["-c", script, address, String(count)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let bound: () => void;
  const ready = new Promise<void>((resolve) => (bound = resolve));
  const datagrams = new Promise<Buffer[]>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.startsWith("bound\n")) bound();
    });
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`receiver exited with ${code}`));
      else
        resolve(
          out
            .trim()
            .split("\n")
            .slice(1)
            .map((hex) => Buffer.from(hex, "hex")),
        );
    });
  });
  await ready;
  return { datagrams, child };
}

test("READY=1 and STATUS= reach a filesystem socket as one datagram", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kinkd-notify-"));
  const path = join(dir, "notify");
  try {
    const { datagrams } = await receiver(path, 2);
    assert.ok(sdNotify({ READY: 1, STATUS: "serving 3 peers\nFAKE=1" }, path));
    assert.ok(sdNotify({ WATCHDOG: 1 }, path));
    const [first, second] = await datagrams;
    assert.is(first?.toString(), "READY=1\nSTATUS=serving 3 peers FAKE=1");
    assert.is(second?.toString(), "WATCHDOG=1");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("abstract socket names ('@…'), via $NOTIFY_SOCKET, for every notification helper", async () => {
  const name = `@kinkd-notify-${process.pid}`;
  const { datagrams } = await receiver(name, 5);
  const saved = process.env.NOTIFY_SOCKET;
  process.env.NOTIFY_SOCKET = name;
  try {
    const before = process.hrtime.bigint() / 1000n;
    assert.ok(notifyReady("up"));
    assert.ok(notifyWatchdog());
    assert.ok(notifyReloading());
    assert.ok(notifyStopping());
    assert.ok(sdNotify({ STATUS: "bye" }));
    const got = (await datagrams).map((d) => d.toString());
    assert.equal([got[0], got[1], got[3], got[4]], ["READY=1\nSTATUS=up", "WATCHDOG=1", "STOPPING=1", "STATUS=bye"]);
    const reload = /^RELOADING=1\nMONOTONIC_USEC=(\d+)$/.exec(got[2] ?? "");
    assert.ok(reload, `reload notification: ${got[2]}`);
    const usec = BigInt(reload?.[1] ?? "0");
    assert.ok(usec >= before && usec <= process.hrtime.bigint() / 1000n, "MONOTONIC_USEC is CLOCK_MONOTONIC now");
  } finally {
    if (saved === undefined) delete process.env.NOTIFY_SOCKET;
    else process.env.NOTIFY_SOCKET = saved;
  }
});

test("not under systemd: nothing sent, false; a socket nobody listens on: SdNotifyError", () => {
  assert.is(sdNotify({ READY: 1 }, undefined), false);
  assert.is(sdNotify({ READY: 1 }, ""), false);
  try {
    sdNotify({ READY: 1 }, join(tmpdir(), `kinkd-no-listener-${process.pid}`));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, SdNotifyError);
    assert.match((e as SdNotifyError).message, "ENOENT");
  }
});

test("watchdog interval from WATCHDOG_USEC, only for the process WATCHDOG_PID names", () => {
  assert.is(watchdogIntervalMs({}), undefined);
  assert.is(watchdogIntervalMs({ WATCHDOG_USEC: "30000000" }), 30000);
  assert.is(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: String(process.pid) }), 30000);
  assert.is(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "1" }), undefined);
});

test.run();
