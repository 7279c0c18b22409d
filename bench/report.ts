// Benchmark reporting shared by every bench/*.bench.ts: runs tinybench tasks that each do
// `reps` operations, converts to per-operation rates, and writes
// bench/results/<area>.json ({machine, results}) plus a markdown table beside it.

import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { markdownTable } from "markdown-table";
import { Bench } from "tinybench";

export interface ResultRow {
  name: string;
  unit: string;
  value: number;
  baseline?: { name: string; value: number };
  /** > 1 means we beat the baseline. */
  ratio?: number;
}

export function machine(): Record<string, unknown> {
  const cpu = cpus()[0];
  return {
    cpu: cpu?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
}

/** Measures `fn` (which performs `reps` operations per call); returns operations per second. */
export async function opsPerSecond(name: string, fn: () => void, reps: number, timeMs = 400): Promise<number> {
  const bench = new Bench({ time: timeMs, warmupTime: 250 });
  bench.add(name, fn);
  await bench.run();
  const r = bench.tasks[0]?.result;
  if (r === undefined || !("period" in r)) throw new Error(`benchmark ${name} did not complete (${r?.state})`);
  return (reps * 1000) / r.period;
}

/** Row with a baseline measured in the same run; ratio > 1 means ours is better for "higher is better" units. */
export function row(name: string, unit: string, value: number, baseline?: { name: string; value: number }, lowerIsBetter = false): ResultRow {
  const r: ResultRow = { name, unit, value: round(value) };
  if (baseline !== undefined) {
    r.baseline = { name: baseline.name, value: round(baseline.value) };
    r.ratio = Math.round((lowerIsBetter ? baseline.value / value : value / baseline.value) * 100) / 100;
  }
  return r;
}

function round(v: number): number {
  return v >= 100 ? Math.round(v) : Math.round(v * 100) / 100;
}

export function writeReport(area: string, results: ResultRow[]): string {
  const dir = new URL("./results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  const m = machine();
  writeFileSync(new URL(`${area}.json`, dir), `${JSON.stringify({ machine: m, results }, null, 2)}\n`);
  const table = markdownTable([
    ["benchmark", "value", "unit", "baseline", "baseline value", "ratio"],
    ...results.map((r) => [
      r.name,
      String(r.value),
      r.unit,
      r.baseline?.name ?? "",
      r.baseline ? String(r.baseline.value) : "",
      r.ratio !== undefined ? `${r.ratio}×` : "",
    ]),
  ]);
  const md = `# ${area} benchmarks\n\nMachine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.date}\n\n${table}\n`;
  writeFileSync(new URL(`${area}.md`, dir), md);
  return md;
}
