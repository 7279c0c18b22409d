// V8 CPU profile of a bench's timed region (node:inspector), summarised as self time per
// function. tsx runs each TypeScript file as one line of generated code, so positions are mapped
// back through the source maps tsx registers (node:module findSourceMap); WASM functions are
// named from build/release.wat (same build as the embedded module, checked by function count).

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { findSourceMap } from "node:module";
import { basename } from "node:path";
import { releaseWasmBase64 } from "../src/crypto/wasm-bytes.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface Profile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples?: number[];
}

export interface SelfTime {
  readonly total: number;
  /** "function  file:line" → samples, most first. */
  readonly functions: [string, number][];
  readonly files: [string, number][];
}

export class CpuProfiler {
  readonly #session = new Session();

  constructor() {
    this.#session.connect();
  }

  async start(intervalUs = 100): Promise<void> {
    await this.#session.post("Profiler.enable");
    await this.#session.post("Profiler.setSamplingInterval", { interval: intervalUs });
    await this.#session.post("Profiler.start");
  }

  /** Stops and summarises; with `saveAs`, also writes the raw profile (open it in Chrome DevTools). */
  async stop(saveAs?: string): Promise<SelfTime> {
    const { profile } = await this.#session.post("Profiler.stop");
    await this.#session.post("Profiler.disable");
    if (saveAs !== undefined) writeFileSync(saveAs, JSON.stringify(profile));
    return selfTime(profile as unknown as Profile);
  }

  close(): void {
    this.#session.disconnect();
  }
}

interface SamplingNode {
  callFrame: CallFrame;
  selfSize: number;
  children: SamplingNode[];
}

/**
 * V8's sampling heap profiler over a bench's timed region, counting objects the scavenger or the
 * full collector already freed too: what a path allocates, not what it retains. Native callees
 * (slice, subarray, Map#set) are charged to their JavaScript caller, where the fix would go.
 */
export class AllocationSampler {
  readonly #session = new Session();

  constructor() {
    this.#session.connect();
  }

  async start(intervalBytes = 256): Promise<void> {
    await this.#session.post("HeapProfiler.enable");
    await this.#session.post("HeapProfiler.startSampling", {
      samplingInterval: intervalBytes,
      includeObjectsCollectedByMinorGC: true,
      includeObjectsCollectedByMajorGC: true,
    });
  }

  /** Allocated bytes by "function  file:line", most first, and the total. */
  async stop(): Promise<{ total: number; functions: [string, number][] }> {
    const { profile } = await this.#session.post("HeapProfiler.stopSampling");
    await this.#session.post("HeapProfiler.disable");
    const fns = new Map<string, number>();
    let total = 0;
    const walk = (n: SamplingNode, caller: string) => {
      const l = label(n.callFrame);
      const name = n.callFrame.url === "" && caller !== "" ? `${n.callFrame.functionName || "(native)"} ← ${caller}` : l.fn;
      if (n.selfSize > 0) {
        fns.set(name, (fns.get(name) ?? 0) + n.selfSize);
        total += n.selfSize;
      }
      for (const c of n.children) walk(c, n.callFrame.url === "" ? caller : l.fn);
    };
    walk(profile.head as unknown as SamplingNode, "");
    return { total, functions: [...fns].sort((a, b) => b[1] - a[1]) };
  }

  close(): void {
    this.#session.disconnect();
  }
}

/** Names of the release module's functions by index, or none if build/release.wat is not that build. */
function wasmNames(): string[] {
  const wat = new URL("../build/release.wat", import.meta.url);
  if (!existsSync(wat)) return [];
  const names: string[] = [];
  for (const m of readFileSync(wat, "utf8").matchAll(/^ \((?:import "[^"]*" "[^"]*" )?\(?func \$(\S+)/gm)) names.push(m[1]!.replace(/^assembly\//, ""));
  return names.length === wasmFunctionCount(Buffer.from(releaseWasmBase64, "base64")) ? names : [];
}

/** Imported plus defined functions of a WASM binary. */
function wasmFunctionCount(b: Uint8Array): number {
  let p = 8;
  const leb = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const x = b[p++]!;
      v += (x & 0x7f) * 2 ** shift;
      shift += 7;
      if ((x & 0x80) === 0) return v;
    }
  };
  let count = 0;
  while (p < b.length) {
    const id = b[p++]!;
    const size = leb();
    const end = p + size;
    if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        p += leb(); // module
        p += leb(); // name
        const kind = b[p++]!;
        if (kind === 0) {
          leb();
          count++;
        } else if (kind === 1) {
          p++;
          const flags = leb();
          leb();
          if (flags & 1) leb();
        } else if (kind === 2) {
          const flags = leb();
          leb();
          if (flags & 1) leb();
        } else {
          p += 2;
        }
      }
    } else if (id === 3) {
      count += leb();
    }
    p = end;
  }
  return count;
}

let names: string[] | undefined;

function label(f: CallFrame): { fn: string; file: string } {
  const wasm = /^wasm-function\[(\d+)\]$/.exec(f.functionName);
  if (wasm !== null) {
    names ??= wasmNames();
    return { fn: names[Number(wasm[1])] ?? f.functionName, file: "WASM" };
  }
  if (f.url === "") return { fn: f.functionName.startsWith("(") ? f.functionName : `${f.functionName || "(anonymous)"}  (V8/native)`, file: "" };
  const path = f.url.replace(/\?.*$/, "");
  let line = f.lineNumber + 1;
  try {
    const entry = findSourceMap(path)?.findEntry(f.lineNumber, f.columnNumber);
    if (entry !== undefined && "originalLine" in entry) line = entry.originalLine + 1;
  } catch {
    // no source map: generated position
  }
  return { fn: `${f.functionName || "(anonymous)"}  ${basename(path)}:${line}`, file: basename(path) };
}

export function selfTime(profile: Profile): SelfTime {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const labels = new Map<number, { fn: string; file: string }>();
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  const samples = profile.samples ?? [];
  for (const id of samples) {
    let l = labels.get(id);
    if (l === undefined) {
      const f = byId.get(id);
      if (f === undefined) continue;
      l = label(f);
      labels.set(id, l);
    }
    fns.set(l.fn, (fns.get(l.fn) ?? 0) + 1);
    const file = l.file || "(V8/native)";
    files.set(file, (files.get(file) ?? 0) + 1);
  }
  const desc = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { total: samples.length, functions: desc(fns), files: desc(files) };
}

/** "  12.3%    456  name" lines. */
export function formatTop(entries: readonly [string, number][], total: number, limit: number): string {
  return entries
    .slice(0, limit)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(6)}%  ${String(v).padStart(6)}  ${k}`)
    .join("\n");
}
