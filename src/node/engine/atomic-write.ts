/**
 * Atomic file writes: write a temporary file in the same folder, fsync it, rename it over the target, fsync the
 * folder. A crash (or SIGKILL) at any point leaves either the old file or the complete new one, never half of one.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes `chunks` in order to `path` atomically; returns the byte count and sha256 of what was written. */
export function writeFileAtomic(
  path: string,
  chunks: Iterable<Uint8Array>,
  options: { overwrite?: boolean } = {},
): { bytes: number; sha256: string } {
  if (!options.overwrite && existsSync(path)) throw new Error(`refusing to overwrite existing file ${path}`);
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const fd = openSync(tmp, 'w');
  try {
    for (const chunk of chunks) {
      let at = 0;
      while (at < chunk.byteLength) at += writeSync(fd, chunk, at, chunk.byteLength - at);
      hash.update(chunk);
      bytes += chunk.byteLength;
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
  return { bytes, sha256: hash.digest('hex') };
}

export function writeTextAtomic(path: string, text: string, options: { overwrite?: boolean } = {}): void {
  writeFileAtomic(path, [new TextEncoder().encode(text)], options);
}

/** Makes a rename durable. Some file systems refuse fsync on a folder; the rename itself is still atomic there. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort: see above
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
