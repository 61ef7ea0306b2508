// Writing a file that other processes may be reading or executing at the same
// time (concurrent `atoll run`s of one application): the new contents go to a
// temporary file in the same folder, which is then renamed over the old one.
// rename(2) replaces the name atomically, so a reader opens either the whole
// old file or the whole new one, and a process executing the old file keeps
// its inode (no ETXTBSY, no half-written executable). No fsync: this guards
// against concurrent processes, not power loss.
import { closeSync, fchmodSync, openSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";

/** Options of writeFileAtomic. */
export interface AtomicWriteOptions {
  /** Exact permission bits (e.g. 0o755 for an executable), whatever the umask; otherwise 0o666 less the umask, as writeFileSync does. */
  mode?: number;
}

/** Replaces `file` with `data` all at once: readers see the old contents or the new, never a part. */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  // Dot-prefixed and unique per process and call: concurrent writers never share a temporary file.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", 0o666);
  try {
    try {
      writeFileSync(fd, data);
      if (options.mode !== undefined) fchmodSync(fd, options.mode);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already renamed or never written */ }
    throw e;
  }
}
