import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { encodeNifti, NiftiError, type EncodeOptions, type NiftiWriteInput } from '../../core/nifti/index.js';
import { FileExistsError, writeFileAtomicAsync } from '../io/atomic-write.js';

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
  try {
    await writeFileAtomicAsync(path, bytes, { overwrite: options.overwrite ?? false });
  } catch (e) {
    if (e instanceof FileExistsError) throw new NiftiError('file-exists', e.message);
    throw e;
  }
}
