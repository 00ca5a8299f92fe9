/**
 * The CTs of a folder for jobs that need no labels (pretraining, the coordinate model, compare's pretraining set):
 * every NIfTI under it, recursively, sorted by path, leaving out label maps (8-bit integer files), coordinate maps
 * (`*_coords.nii.gz`), 4-D series and volumes without air below -200 HU (MRI, PET). Skipped files are reported through
 * `onSkip` with the reason.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CT_AIR_BELOW_HU } from '../../core/infer/ct-input.js';
import { readNamedNiftiSummary } from '../nifti/index.js';
import { readNiftiHeaderFile } from '../nifti/read-header.js';
import { DatasetError, isCoordsMapName } from './layouts.js';

export async function listCts(dir: string, onSkip: (path: string, why: string) => void = () => undefined): Promise<string[]> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetError('not a folder', dir);
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.nii(\.gz)?$/i.test(entry.name) && !isCoordsMapName(entry.name)) found.push(p);
    }
  };
  walk(dir);
  const cts: string[] = [];
  for (const p of found.sort()) {
    const { header } = await readNiftiHeaderFile(p).catch((e: unknown) => { throw new DatasetError((e as Error).message, p); });
    // 8-bit integer files are label maps (CTs are int16, int32 or float).
    if (header.datatypeCode === 2 || header.datatypeCode === 256) continue;
    // MRI, PET and 4-D series are not CTs: no air below -200 HU, or frames (the summary streams the range only).
    const summary = await readNamedNiftiSummary(p);
    if (summary.frames > 1 || summary.range[0] > CT_AIR_BELOW_HU) {
      onSkip(p, summary.frames > 1 ? `${summary.frames} frames` : `intensities ${summary.range[0]}..${summary.range[1]} are not CT Hounsfield units`);
      continue;
    }
    cts.push(p);
  }
  return cts;
}
