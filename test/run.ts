// Runs every test file (uvu, through tsx) and ends with the plain
// "N passed, N failed" line that CI reads. uvu's own summary is parsed, not trusted blindly:
// a non-zero exit with no failures counted is reported as one failure.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const uvuBin = join(dirname(require.resolve("uvu")), "..", "bin.js");
const pattern = process.argv[2] ?? "\\.test\\.ts$";
const child = spawn(process.execPath, ["--import", "tsx", uvuBin, "test", pattern], { stdio: ["ignore", "pipe", "inherit"] });

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
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  process.exit(failed > 0 ? 1 : 0);
});
