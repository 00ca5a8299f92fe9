/**
 * The one atomic file writer: write a temporary file in the same folder, then move it into place, so a crash (or
 * SIGKILL) at any point leaves either the old file or the complete new one, never half of one. Two forms:
 * - writeFileAtomic (sync; checkpoints, configs, reports, model.onnx): fsyncs the file, renames it, fsyncs the folder.
 * - writeFileAtomicAsync (NIfTI outputs, which can be hundreds of MB: the event loop keeps running): without
 *   `overwrite` the temporary file is hard-linked to the target, which fails if the target appeared meanwhile, so an
 *   existing file is never replaced even by a race.
 * Both refuse an existing target unless `overwrite`, with an error of code EEXIST naming it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { link, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The error for a target that exists when `overwrite` was not given. */
export class FileExistsError extends Error {
  readonly code = 'EEXIST';
  constructor(readonly path: string) {
    super(`${path} already exists; pass overwrite to replace it`);
    this.name = 'FileExistsError';
  }
}

/** Writes `chunks` in order to `path` atomically; returns the byte count and sha256 of what was written. */
export function writeFileAtomic(
  path: string,
  chunks: Iterable<Uint8Array>,
  options: { overwrite?: boolean } = {},
): { bytes: number; sha256: string } {
  if (!options.overwrite && existsSync(path)) throw new FileExistsError(path);
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

/**
 * Writes `bytes` to `path` atomically without blocking the event loop. Without `overwrite`, an existing target (even
 * one created while this wrote) is an error: the temporary file is linked into place, and link() never replaces.
 */
export async function writeFileAtomicAsync(path: string, bytes: Uint8Array, options: { overwrite?: boolean } = {}): Promise<void> {
  if (!options.overwrite) await refuseExisting(path);
  // pid and a random tag: several async writes of one process may be in flight at once
  const temp = join(dirname(path), `${TEMP_PREFIX}${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    if (options.overwrite) await rename(temp, path);
    else await linkNoClobber(temp, path);
  } catch (e) {
    // A full disk (ENOSPC) mid-write, a quota, a lost mount: the target keeps its old content; the error names it.
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof FileExistsError) throw e;
    throw Object.assign(new Error(`cannot write ${path}: ${(e as Error).message}`, { cause: e }), code ? { code } : {});
  } finally {
    await unlink(temp).catch(() => undefined); // a partial write, the link's leftover name, or already renamed away
  }
}

async function linkNoClobber(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new FileExistsError(path);
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV') {
      await refuseExisting(path); // file systems without hard links: best effort
      await rename(temp, path);
      return;
    }
    throw err;
  }
}

async function refuseExisting(path: string): Promise<void> {
  const exists = await stat(path).then(() => true, () => false);
  if (exists) throw new FileExistsError(path);
}

/** Temporary files of unfinished atomic writes start with this (`.name.tmp-<pid>`, async: `.name.tmp-<pid>-<tag>`). */
const TEMP_PREFIX = '.';

/** Whether a file name is an atomic write's temporary file (of a write in progress, or of a killed writer). */
export function isAtomicTempFile(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) && /\.tmp-\d+(-[0-9a-f]{8})?$/.test(name);
}

/** Removes `dir`'s temporary files left by writers that were killed mid-write (call only while holding the folder). */
export function removeTempFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const stale = readdirSync(dir).filter(isAtomicTempFile);
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
