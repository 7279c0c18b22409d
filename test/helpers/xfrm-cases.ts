// SAs for the encoding tests, as JSON (they cross into a child process), and the iproute2
// command line that states the same SA, built from the same fields.
import { authAlgorithmByName, encAlgorithmByName } from "../../src/ipsec/algorithms.ts";
import type { Lifetime, Mark, PolicyId, PolicySpec, SaSpec, TrafficSelector } from "../../src/ipsec/sink.ts";

export interface SaJson {
  readonly src: string;
  readonly dst: string;
  readonly proto: "esp" | "ah";
  readonly spi: number;
  readonly mode: "transport" | "tunnel";
  readonly reqid: number;
  readonly replayWindow: number;
  readonly enc?: { readonly name: string; readonly keyHex: string };
  readonly auth?: { readonly name: string; readonly keyHex: string };
  readonly lifetime: Lifetime;
  readonly selector?: TrafficSelector;
  readonly mark?: Mark;
}

/** An operation for test/helpers/xfrm-child.ts: SAs travel as SaJson (keys in hex). */
export type ChildOp =
  | { readonly op: "addSa"; readonly sa: SaJson }
  | { readonly op: "addPolicy"; readonly policy: PolicySpec }
  | { readonly op: "deletePolicy"; readonly id: PolicyId };

export function saFromJson(j: SaJson): SaSpec {
  const enc = j.enc && encAlgorithmByName(j.enc.name);
  const auth = j.auth && authAlgorithmByName(j.auth.name);
  if (j.enc && !enc) throw new Error(`unknown cipher ${j.enc.name}`);
  if (j.auth && !auth) throw new Error(`unknown integrity algorithm ${j.auth.name}`);
  return {
    id: { dst: j.dst, spi: j.spi, proto: j.proto, ...(j.mark ? { mark: j.mark } : {}) },
    src: j.src,
    mode: j.mode,
    reqid: j.reqid,
    replayWindow: j.replayWindow,
    lifetime: j.lifetime,
    ...(enc && j.enc ? { enc: { alg: enc, key: Buffer.from(j.enc.keyHex, "hex") } } : {}),
    ...(auth && j.auth ? { auth: { alg: auth, key: Buffer.from(j.auth.keyHex, "hex") } } : {}),
    ...(j.selector ? { selector: j.selector } : {}),
  };
}

const PROTO_NAMES: Record<number, string> = { 6: "tcp", 17: "udp" };

function selectorArgs(s: TrafficSelector): string[] {
  const args = ["src", `${s.src}/${s.srcPrefix}`, "dst", `${s.dst}/${s.dstPrefix}`];
  if (s.proto !== 0) args.push("proto", PROTO_NAMES[s.proto] ?? String(s.proto));
  if (s.srcPort !== 0) args.push("sport", String(s.srcPort));
  if (s.dstPort !== 0) args.push("dport", String(s.dstPort));
  return args;
}

function markArgs(m: Mark | undefined): string[] {
  return m ? ["mark", String(m.value), "mask", `0x${m.mask.toString(16)}`] : [];
}

/** `ip xfrm policy add …` arguments for the same policy. */
export function ipPolicyAddArgs(p: PolicySpec): string[] {
  const args = ["xfrm", "policy", "add", ...selectorArgs(p.selector), "dir", p.dir, "priority", String(p.priority), "action", p.action, ...markArgs(p.mark)];
  for (const t of p.templates) {
    args.push("tmpl");
    if (t.mode === "tunnel") args.push("src", t.src as string, "dst", t.dst as string);
    args.push("proto", t.proto, "mode", t.mode, "reqid", String(t.reqid), "level", t.level);
  }
  return args;
}

/** `ip xfrm policy delete …` arguments. */
export function ipPolicyDeleteArgs(id: PolicyId): string[] {
  return ["xfrm", "policy", "delete", ...selectorArgs(id.selector), "dir", id.dir, ...markArgs(id.mark)];
}

/** `ip xfrm state add …` arguments for the same SA (algorithms in the order the codec writes them). */
export function ipStateAddArgs(j: SaJson): string[] {
  const sa = saFromJson(j);
  const args = ["xfrm", "state", "add", "src", j.src, "dst", j.dst, "proto", j.proto, "spi", `0x${j.spi.toString(16)}`];
  args.push("reqid", String(j.reqid), "mode", j.mode, "replay-window", String(j.replayWindow));
  if (sa.enc?.alg.kind === "aead") args.push("aead", sa.enc.alg.xfrmName, `0x${j.enc?.keyHex}`, String(sa.enc.alg.icvBits));
  else if (sa.enc) args.push("enc", sa.enc.alg.xfrmName, `0x${j.enc?.keyHex}`);
  if (sa.auth) args.push("auth-trunc", sa.auth.alg.xfrmName, `0x${j.auth?.keyHex}`, String(sa.auth.alg.truncBits));
  if (j.selector) args.push("sel", ...selectorArgs(j.selector));
  const l = j.lifetime;
  const limits: [keyof Lifetime, string][] = [
    ["softSeconds", "time-soft"],
    ["hardSeconds", "time-hard"],
    ["softBytes", "byte-soft"],
    ["hardBytes", "byte-hard"],
    ["softPackets", "packet-soft"],
    ["hardPackets", "packet-hard"],
  ];
  for (const [field, word] of limits) if (l[field] !== undefined) args.push("limit", word, String(l[field]));
  args.push(...markArgs(j.mark));
  return args;
}

/**
 * `count` host-to-host policies (10.x.y.z/32 → 172.16.0.1/32, out, ESP transport required), the
 * shape of kinkd's own; `offset` shifts the source addresses so batches don't collide.
 */
export function hostPolicies(count: number, offset = 0, priority = 100): PolicySpec[] {
  const out: PolicySpec[] = [];
  for (let n = offset; n < offset + count; n++) {
    out.push({
      selector: {
        src: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        srcPrefix: 32,
        dst: "172.16.0.1",
        dstPrefix: 32,
        proto: 0,
        srcPort: 0,
        dstPort: 0,
      },
      dir: "out",
      action: "allow",
      priority,
      templates: [{ proto: "esp", mode: "transport", reqid: (n % 60000) + 1, level: "required" }],
    });
  }
  return out;
}

/** The same policies as `ip xfrm policy` lines for `ip -batch`. */
export function ipBatchLines(verb: "add" | "delete", policies: readonly PolicySpec[]): string {
  return `${policies.map((p) => (verb === "add" ? ipPolicyAddArgs(p) : ipPolicyDeleteArgs(p)).map((a) => (/[()\s]/.test(a) ? `"${a}"` : a)).join(" ")).join("\n")}\n`;
}

/** Policies as `ip xfrm policy` lists them: one "src/dst dir priority reqids" key per policy. */
export function ipPolicyKeys(text: string): string[] {
  return text
    .split(/^(?=src )/m)
    .filter((block) => block.startsWith("src "))
    .map((block) => {
      const [, src, dst] = /^src (\S+) dst (\S+)/.exec(block) ?? [];
      const [, dir, priority] = /dir (\w+) priority (\d+)/.exec(block) ?? [];
      const reqids = [...block.matchAll(/reqid (\d+)/g)].map((m) => m[1]).join(",");
      return `${src} ${dst} ${dir} ${priority} ${reqids}`;
    });
}

export function policyKey(p: PolicySpec): string {
  const s = p.selector;
  return `${s.src}/${s.srcPrefix} ${s.dst}/${s.dstPrefix} ${p.dir} ${p.priority} ${p.templates.map((t) => t.reqid).join(",")}`;
}
