import { randomBytes } from 'node:crypto';
import { link, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { encodeNifti, NiftiError, type EncodeOptions, type NiftiWriteInput } from '../../core/nifti/index.js';

const gzipAsync = promisify(gzip);

export interface WriteNiftiOptions extends EncodeOptions {
  /** Replace an existing file (default false: an existing file is an error, never silently replaced). */
  readonly overwrite?: boolean;
  /** gzip level 1 (fast) .. 9 (small) for `.gz` paths; default 6. */
  readonly compressionLevel?: number;
}

/**
 * Writes a NIfTI-1 file, gzip-compressed when the path ends in `.gz`. The bytes go to a temporary file in the same
 * folder that is then linked (no overwrite) or renamed (overwrite) into place, so readers never see half a file.
 */
export async function writeNiftiFile(path: string, image: NiftiWriteInput, options: WriteNiftiOptions = {}): Promise<void> {
  const raw = encodeNifti(image, options);
  const bytes = path.endsWith('.gz') ? await gzipAsync(raw, { level: options.compressionLevel ?? 6 }) : raw;
  await writeFileAtomic(path, bytes, options.overwrite ?? false);
}

export async function writeFileAtomic(path: string, bytes: Uint8Array, overwrite: boolean): Promise<void> {
  if (!overwrite) await refuseExisting(path);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(temp, bytes, { flag: 'wx' });
  try {
    if (overwrite) await rename(temp, path);
    else await linkNoClobber(temp, path);
  } finally {
    await unlink(temp).catch(() => undefined); // already renamed away, or the link left the temp name behind
  }
}

/** link() fails with EEXIST instead of replacing, which closes the race between the check and the write. */
async function linkNoClobber(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw existsError(path);
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
  if (exists) throw existsError(path);
}

function existsError(path: string): NiftiError {
  return new NiftiError('file-exists', `${path} already exists; pass overwrite to replace it`);
}
