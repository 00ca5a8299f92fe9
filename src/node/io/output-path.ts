/**
 * Checks a path the user asked us to write, before any model is loaded or any volume read, so a bad `--output`,
 * `--out` or `--run-dir` fails in milliseconds and names the user's path (not the temporary file the atomic writer
 * would have named after the whole run). Also the one home of the input-file check (exists, is a file).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, realpathSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export class PathCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathCheckError';
  }
}

export interface OutputFileCheck {
  /** How the user named it in messages, e.g. `--output`. */
  readonly flag: string;
  /** Replacing an existing file is allowed. */
  readonly overwrite: boolean;
  /** Files this command reads: the output may never be one of them, with or without overwrite. */
  readonly inputs?: readonly string[];
}

const statOrUndefined = (path: string): Stats | undefined => {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new PathCheckError(`${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
};

const realpathOrSelf = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
};

/** Same file: same real path, or same device and inode (a hard link, a bind mount). */
export function sameFile(a: string, b: string): boolean {
  if (realpathOrSelf(a) === realpathOrSelf(b)) return true;
  const sa = statOrUndefined(a), sb = statOrUndefined(b);
  return sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Creates and removes a probe file in `folder`: the one honest test of write access (permissions, read-only mounts,
 * ACLs, /proc). Costs one create and one unlink.
 */
function probeWritable(folder: string, what: string): void {
  const probe = join(folder, `.anadiff-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number;
  try {
    fd = openSync(probe, 'wx');
  } catch (e) {
    throw new PathCheckError(`${what}: cannot write in ${folder} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  closeSync(fd);
  unlinkSync(probe);
}

/** A file we will write: its folder exists and is writable; it is not a folder, not an input, not replaced unasked. */
export function checkOutputFile(path: string, check: OutputFileCheck): void {
  const what = `${check.flag} ${path}`;
  const existing = statOrUndefined(path);
  if (existing?.isDirectory()) throw new PathCheckError(`${what} is a directory; give a file name`);
  for (const input of check.inputs ?? []) {
    if (sameFile(path, input)) throw new PathCheckError(`${what} is the input file ${input}; writing it would destroy the input`);
  }
  if (existing && !check.overwrite) throw new PathCheckError(`${what} exists; pass --overwrite to replace it`);
  const parent = dirname(resolve(path));
  const parentStat = statOrUndefined(parent);
  if (!parentStat) throw new PathCheckError(`${what}: the folder ${parent} does not exist`);
  if (!parentStat.isDirectory()) throw new PathCheckError(`${what}: ${parent} is not a folder`);
  probeWritable(parent, what);
}

/**
 * A folder we will create (recursively) or write into: it is a folder if it exists, and otherwise its nearest existing
 * ancestor is a folder we can write in. A path that can never exist (under /proc, below a file) fails here instead
 * of in a recursive mkdir.
 */
export function checkOutputFolder(path: string, flag: string): void {
  const what = `${flag} ${path}`;
  let folder = resolve(path);
  const existing = statOrUndefined(folder);
  if (existing && !existing.isDirectory()) throw new PathCheckError(`${what} is a file, not a folder`);
  for (;;) {
    const s = statOrUndefined(folder);
    if (s) {
      if (!s.isDirectory()) throw new PathCheckError(`${what}: ${folder} is a file, so the folder cannot be created`);
      probeWritable(folder, what);
      return;
    }
    const up = dirname(folder);
    if (up === folder) throw new PathCheckError(`${what}: no existing folder above it`);
    folder = up;
  }
}

/** A file we will read: it exists and is a regular file (not a folder). */
export function checkInputFile(path: string, flag: string): void {
  const what = flag ? `${flag} ${path}` : path;
  const s = statOrUndefined(path);
  if (!s) throw new PathCheckError(`${what}: no such file`);
  if (s.isDirectory()) throw new PathCheckError(`${what} is a directory, not a file`);
}
