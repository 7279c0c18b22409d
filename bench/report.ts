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

export interface RateTask {
  name: string;
  /** Performs `reps` operations per call. */
  fn: () => void;
  reps: number;
}

async function rate(task: RateTask, timeMs: number, warmupMs: number): Promise<number> {
  const bench = new Bench({ time: timeMs, warmupTime: warmupMs });
  bench.add(task.name, task.fn);
  await bench.run();
  const r = bench.tasks[0]?.result;
  if (r === undefined || !("period" in r)) throw new Error(`benchmark ${task.name} did not complete (${r?.state})`);
  return (task.reps * 1000) / r.period;
}

/**
 * Operations per second of each task, measured in interleaved rounds (A, B, C, A, B, C, …) and
 * reported as the median per task: on a shared 2-core machine a burst of noise then hits one
 * round of every task instead of one task's whole measurement, so ratios stay meaningful.
 */
export async function ratesInterleaved(tasks: RateTask[], rounds = 3, timeMs = 250): Promise<number[]> {
  const samples: number[][] = tasks.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, t] of tasks.entries()) samples[i]?.push(await rate(t, timeMs, r === 0 ? 200 : 20));
  }
  return samples.map((s) => s.sort((a, b) => a - b)[s.length >> 1] as number);
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
