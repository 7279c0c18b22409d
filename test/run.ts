// Runs every test file (uvu, through tsx) and ends with the plain "N passed, N failed" line
// that CI reads. Two passes: the whole suite against the release (-O3, no asserts) WASM
// build, then the crypto tests again against the debug build, whose bounds assertions turn a
// stray memory access into a failure instead of silent corruption. uvu's summaries are
// parsed; a pass that exits non-zero without counting a failure counts as one failure.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const uvuBin = join(dirname(require.resolve("uvu")), "..", "bin.js");
const only = process.argv[2];
const passes: { label: string; pattern: string; env: Record<string, string> }[] = only
  ? [{ label: "selected", pattern: only, env: {} }]
  : [
      { label: "release WASM", pattern: "\\.test\\.ts$", env: {} },
      { label: "debug WASM (asserts)", pattern: "^crypto/.*\\.test\\.ts$", env: { KINKD_WASM: "debug" } },
    ];

function runPass(pattern: string, env: Record<string, string>): Promise<{ passed: number; failed: number; skipped: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", uvuBin, "test", pattern], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...env },
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      out += chunk.toString();
    });
    child.on("close", (code) => {
      // uvu prints "  Total:     N", "  Passed:    N", "  Skipped:   N" (ANSI-coloured).
      const plain = out.replace(/\x1b\[[0-9;]*m/g, "");
      const num = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(plain)?.[1] ?? "0");
      const total = num("Total");
      const passed = num("Passed");
      const skipped = num("Skipped");
      let failed = total - passed - skipped;
      if (code !== 0 && failed === 0) failed = 1;
      if (total === 0) failed = Math.max(failed, 1);
      resolve({ passed, failed, skipped });
    });
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const p of passes) {
  console.log(`\n== ${p.label}`);
  const r = await runPass(p.pattern, p.env);
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
