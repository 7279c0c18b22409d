// Writing key material to disk: a temporary file beside the target, created 0600 (exclusive,
// so a planted file or symlink is never followed), fsynced, then renamed over the target. A
// reader (kinkd itself, MIT tools) sees the old file or the new one, never half of either, and
// the keys are never readable by others even for an instant.
import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export async function writeFileAtomic0600(path: string, data: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  let renamed = false;
  try {
    try {
      // The creation mode is filtered by the umask; make 0600 explicit whatever the umask is.
      await fh.chmod(0o600);
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) await unlink(tmp).catch(() => {});
  }
  // Make the rename itself durable (best effort: not every filesystem allows fsync on a directory).
  try {
    const dh = await open(dirname(path), "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // ignored: durability of the directory entry is an optimisation here, not correctness
  }
}
