/**
 * Atomic file writes: write a temporary file in the same folder, fsync it, rename it over the target, fsync the
 * folder. A crash (or SIGKILL) at any point leaves either the old file or the complete new one, never half of one.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes `chunks` in order to `path` atomically; returns the byte count and sha256 of what was written. */
export function writeFileAtomic(
  path: string,
  chunks: Iterable<Uint8Array>,
  options: { overwrite?: boolean } = {},
): { bytes: number; sha256: string } {
  if (!options.overwrite && existsSync(path)) throw new Error(`refusing to overwrite existing file ${path}`);
  const tmp = join(dirname(path), `${TEMP_PREFIX}${basename(path)}.tmp-${process.pid}`);
  const hash = createHash('sha256');
  let bytes = 0;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    for (const chunk of chunks) {
      let at = 0;
      while (at < chunk.byteLength) at += writeSync(fd, chunk, at, chunk.byteLength - at);
      hash.update(chunk);
      bytes += chunk.byteLength;
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    // A full disk (ENOSPC), a quota or a lost mount: the target keeps its old content (or stays absent) and the
    // temporary file goes; the error names the file, which writeSync's own error does not.
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    throw Object.assign(new Error(`cannot write ${path}: ${(e as Error).message}`, { cause: e }), code ? { code } : {});
  }
  fsyncDir(dirname(path));
  return { bytes, sha256: hash.digest('hex') };
}

/** Temporary files of unfinished atomic writes start with this (`.name.tmp-<pid>`). */
const TEMP_PREFIX = '.';

/** Removes `dir`'s temporary files left by writers that were killed mid-write (call only while holding the folder). */
export function removeTempFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const stale = readdirSync(dir).filter((f) => f.startsWith(TEMP_PREFIX) && /\.tmp-\d+$/.test(f));
  for (const f of stale) rmSync(join(dir, f), { force: true });
  return stale;
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
