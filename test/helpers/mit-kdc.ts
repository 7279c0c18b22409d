// A throwaway MIT krb5 KDC for interop tests: its own temp dir with krb5.conf, kdc.conf and a
// fresh database, listening on 127.0.0.1 (UDP and TCP) on a free port, started as a foreground
// `krb5kdc -n` child and killed by stop(). MIT tools (kadmin.local, kinit, klist, kvno, ktutil)
// are run with KRB5_CONFIG / KRB5_KDC_PROFILE pointing at the temp files, so nothing on the host
// (/etc/krb5.conf, /etc/krb5kdc) is read or touched. Start one per test file (≈0.5 s).
//
// The MIT tools come from Debian's krb5-kdc, krb5-admin-server and krb5-user packages (CI
// installs them, see .ci/run). When one is missing, startMitKdc throws a one-line error naming
// the package; tests using `mitKdcFixture` then fail with that line — under CI=true and
// elsewhere alike: an interop test that silently skips proves nothing.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { accessSync, constants, rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** Every enctype MIT 1.20 implements, listed so none is left out by defaults (des3/rc4 are off by default in newer releases). */
export const ALL_ENCTYPES = [
  "aes256-cts-hmac-sha1-96",
  "aes128-cts-hmac-sha1-96",
  "aes256-cts-hmac-sha384-192",
  "aes128-cts-hmac-sha256-128",
  "des3-cbc-sha1",
  "arcfour-hmac",
  "camellia256-cts-cmac",
  "camellia128-cts-cmac",
] as const;

/** How MIT 1.20 names each enctype in `klist -e` output (RFC 3961 number → name). */
export const MIT_NAME: Record<number, string> = {
  18: "aes256-cts-hmac-sha1-96",
  17: "aes128-cts-hmac-sha1-96",
  20: "aes256-cts-hmac-sha384-192",
  19: "aes128-cts-hmac-sha256-128",
  16: "DEPRECATED:des3-cbc-sha1",
  23: "DEPRECATED:arcfour-hmac",
  26: "camellia256-cts-cmac",
  25: "camellia128-cts-cmac",
};

/** Tool → Debian package that ships it. */
const TOOLS: Record<string, string> = {
  krb5kdc: "krb5-kdc",
  kdb5_util: "krb5-kdc",
  "kadmin.local": "krb5-admin-server",
  kinit: "krb5-user",
  klist: "krb5-user",
  kvno: "krb5-user",
  ktutil: "krb5-user",
};

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
}

export interface PrincipalOptions {
  /** Password; absent → random key (addprinc -randkey). */
  password?: string;
  /** Key/salt list for addprinc -e, e.g. ["aes256-cts:normal", "des3-cbc-sha1:normal"]. */
  keysalts?: string[];
  /** setstr session_enctypes (the enctypes the KDC may pick for session keys of tickets to it). */
  sessionEnctypes?: string[];
}

export interface MitKdcOptions {
  realm?: string;
  /** Principals created before start(): name (no realm) → options. */
  principals?: Record<string, PrincipalOptions>;
}

export interface MitKdc {
  realm: string;
  port: number;
  dir: string;
  /** Environment for MIT tools (KRB5_CONFIG, KRB5_KDC_PROFILE, KRB5CCNAME pointing into dir, PATH with sbin). */
  env: NodeJS.ProcessEnv;
  krb5ConfPath: string;
  kdcConfPath: string;
  /** Milliseconds from spawning krb5kdc to the first answered connection. */
  startupMs: number;
  addPrincipal(name: string, opts?: PrincipalOptions): Promise<void>;
  /** kadmin.local ktadd: writes (appends) the principal's keys to keytabPath. `norandkey` keeps the current keys (no kvno bump). */
  ktadd(keytabPath: string, principal: string, enctypes?: string[], opts?: { norandkey?: boolean }): Promise<void>;
  kinit(principal: string, cred: { password: string } | { keytab: string }, ccachePath: string): Promise<void>;
  /** `kvno -c ccache service`: fetches a service ticket into the cache; returns kvno's output. */
  kvno(service: string, ccachePath: string): Promise<string>;
  /** kadmin.local -q "<query>"; throws on a non-zero exit or an error line. */
  kadmin(query: string): Promise<string>;
  /** Runs a tool with `env` (plus opts.env), feeding opts.input on stdin; never throws on a non-zero exit. */
  run(cmd: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  stop(): Promise<void>;
}

const SEARCH_PATH = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin", "/usr/local/sbin"].filter(Boolean);

function which(tool: string, searchPath: readonly string[]): string | undefined {
  for (const d of searchPath) {
    const p = join(d, tool);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Undefined when every MIT tool is there, else the one-line explanation. */
export function missingMitTools(searchPath: readonly string[] = SEARCH_PATH): string | undefined {
  const missing = Object.keys(TOOLS).filter((t) => which(t, searchPath) === undefined);
  if (missing.length === 0) return undefined;
  const pkgs = [...new Set(missing.map((t) => TOOLS[t]!))];
  return `MIT krb5 tools missing (${missing.join(", ")}): install Debian package${pkgs.length > 1 ? "s" : ""} ${pkgs.join(" ")} (apt-get install -y ${pkgs.join(" ")})`;
}

/** A port free for both UDP and TCP on 127.0.0.1 (the KDC listens on both). */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = createSocket("udp4");
    const port = await new Promise<number>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, "127.0.0.1", () => resolve(udp.address().port));
    });
    const tcpOk = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcpOk) return port;
  }
  throw new Error("no port free for both UDP and TCP on 127.0.0.1");
}

function tcpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

function oneLine(message: string): Error {
  const e = new Error(message);
  e.stack = message; // uvu prints the stack: keep the failure to the one line that says what to do
  return e;
}

export async function startMitKdc(opts: MitKdcOptions = {}): Promise<MitKdc> {
  const missing = missingMitTools();
  if (missing) throw oneLine(missing);
  const realm = opts.realm ?? "KINK.TEST";
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "kinkd-mit-kdc-"));
  const krb5ConfPath = join(dir, "krb5.conf");
  const kdcConfPath = join(dir, "kdc.conf");
  const list = ALL_ENCTYPES.join(" ");
  await writeFile(
    krb5ConfPath,
    `[libdefaults]
  default_realm = ${realm}
  dns_lookup_kdc = false
  dns_lookup_realm = false
  dns_canonicalize_hostname = false
  rdns = false
  allow_des3 = true
  allow_rc4 = true
  allow_weak_crypto = false
  permitted_enctypes = ${list}
  default_tgs_enctypes = ${list}
  default_tkt_enctypes = ${list}
  default_ccache_name = FILE:${join(dir, "ccache")}
  default_keytab_name = FILE:${join(dir, "default.keytab")}

[realms]
  ${realm} = {
    kdc = tcp/127.0.0.1:${port}
    kdc = 127.0.0.1:${port}
  }
`,
  );
  await writeFile(
    kdcConfPath,
    `[kdcdefaults]
  kdc_listen = 127.0.0.1:${port}
  kdc_tcp_listen = 127.0.0.1:${port}

[realms]
  ${realm} = {
    database_name = ${join(dir, "principal")}
    key_stash_file = ${join(dir, "stash")}
    acl_file = ${join(dir, "kadm5.acl")}
    master_key_type = aes256-cts-hmac-sha1-96
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal des3-cbc-sha1:normal arcfour-hmac:normal camellia256-cts-cmac:normal camellia128-cts-cmac:normal
    max_life = 10h
    max_renewable_life = 7d
  }

[logging]
  kdc = FILE:${join(dir, "kdc.log")}
  admin_server = FILE:${join(dir, "kadmin.log")}
  default = FILE:${join(dir, "krb5.log")}
`,
  );
  await writeFile(join(dir, "kadm5.acl"), "");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: SEARCH_PATH.join(delimiter),
    KRB5_CONFIG: krb5ConfPath,
    KRB5_KDC_PROFILE: kdcConfPath,
    KRB5CCNAME: `FILE:${join(dir, "ccache")}`,
    KRB5_KTNAME: `FILE:${join(dir, "default.keytab")}`,
    KRB5RCACHEDIR: dir,
    // Fixed time zone and locale: tests compare klist's dates and texts with their own rendering.
    TZ: "UTC",
    LC_ALL: "C",
  };

  const run = (cmd: string, args: string[], o: RunOptions = {}): Promise<RunResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { env: { ...env, ...o.env }, cwd: dir, stdio: [o.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.once("error", reject);
      child.once("close", (code) => resolve({ stdout, stderr, code: code ?? -1 }));
      if (child.stdin) {
        // A tool may exit without reading its input (EPIPE): its exit code tells what happened.
        child.stdin.on("error", () => {});
        child.stdin.end(o.input);
      }
    });
  const mustRun = async (cmd: string, args: string[], input?: string): Promise<RunResult> => {
    const r = await run(cmd, args, input === undefined ? {} : { input });
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r;
  };
  // kadmin.local exits 0 even when a query fails; it reports the failure on stderr, where the
  // only other things it writes are these notices.
  const kadminNotice = /^(Authenticating as |No policy specified for |NOTICE: )/;
  const kadmin = async (query: string): Promise<string> => {
    const r = await mustRun("kadmin.local", ["-r", realm, "-q", query]);
    const errLine = r.stderr.split("\n").find((l) => l.trim() !== "" && !kadminNotice.test(l));
    if (errLine) throw new Error(`kadmin.local -q ${JSON.stringify(query)}: ${errLine.trim()}`);
    return r.stdout;
  };
  const addPrincipal = async (name: string, p: PrincipalOptions = {}): Promise<void> => {
    const parts = ["addprinc"];
    if (p.keysalts) parts.push("-e", `"${p.keysalts.join(",")}"`);
    parts.push(p.password === undefined ? "-randkey" : `-pw "${p.password}"`, name);
    await kadmin(parts.join(" "));
    if (p.sessionEnctypes) await kadmin(`setstr ${name} session_enctypes "${p.sessionEnctypes.join(",")}"`);
  };

  let child: ReturnType<typeof spawn> | undefined;
  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const c = child;
      await new Promise<void>((resolve) => {
        c.once("exit", () => resolve());
        c.kill("SIGTERM");
        setTimeout(() => c.kill("SIGKILL"), 2000).unref();
      });
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await mustRun("kdb5_util", ["create", "-s", "-r", realm, "-P", randomBytes(18).toString("base64url")]);
    for (const [name, p] of Object.entries(opts.principals ?? {})) await addPrincipal(name, p);

    const t0 = performance.now();
    child = spawn("krb5kdc", ["-n", "-r", realm], { env, cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    let kdcStderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      kdcStderr += d.toString();
    });
    // If the test process dies without calling stop(), leave neither a KDC nor its files behind.
    const killOnExit = () => {
      child?.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    };
    process.once("exit", killOnExit);
    let exited = false;
    child.once("exit", () => {
      exited = true;
      process.removeListener("exit", killOnExit);
    });
    // Ready when the TCP listener accepts (krb5kdc opens its UDP and TCP sockets together).
    for (;;) {
      if (exited) throw new Error(`krb5kdc exited at startup: ${kdcStderr.trim() || "(no output; see kdc.log)"}`);
      if (await tcpAnswers(port)) break;
      if (performance.now() - t0 > 10_000) throw new Error(`krb5kdc did not answer on 127.0.0.1:${port} within 10 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const startupMs = performance.now() - t0;

    return {
      realm,
      port,
      dir,
      env,
      krb5ConfPath,
      kdcConfPath,
      startupMs,
      addPrincipal,
      kadmin,
      run,
      stop,
      async ktadd(keytabPath, principal, enctypes, o) {
        const parts = ["ktadd", "-k", keytabPath];
        if (o?.norandkey) parts.push("-norandkey");
        if (enctypes) parts.push("-e", `"${enctypes.join(",")}"`);
        parts.push(principal);
        await kadmin(parts.join(" "));
      },
      async kinit(principal, cred, ccachePath) {
        const cc = `FILE:${ccachePath}`;
        if ("password" in cred) await mustRun("kinit", ["-c", cc, principal], `${cred.password}\n`);
        else await mustRun("kinit", ["-c", cc, "-k", "-t", cred.keytab, principal]);
      },
      async kvno(service, ccachePath) {
        return (await mustRun("kvno", ["-c", `FILE:${ccachePath}`, service])).stdout;
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Per-test-file KDC: `before` starts it (keeping any failure instead of letting it escape the
 * uvu hook, which would abort the whole run), `get()` returns it or rethrows that failure, so
 * each KDC test fails with the same one-line reason; `after` stops it.
 */
export function mitKdcFixture(opts: MitKdcOptions = {}) {
  let kdc: MitKdc | undefined;
  let failure: Error | undefined;
  return {
    before: async () => {
      try {
        kdc = await startMitKdc(opts);
      } catch (e) {
        failure = e instanceof Error ? e : new Error(String(e));
      }
    },
    after: async () => {
      await kdc?.stop();
    },
    get(): MitKdc {
      if (kdc) return kdc;
      throw failure ?? oneLine("MIT KDC not started (mitKdcFixture.before was not registered)");
    },
  };
}
