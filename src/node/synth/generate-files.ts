import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { toLabelArray, presentClasses } from '../../core/preprocess/index.js';
import { guessVocabulary, synthesizeCase, type ClassVocabulary, type SynthOptions, type SynthParams } from '../../core/synth/index.js';
import { readNiftiFile, writeNiftiFile } from '../nifti/index.js';
import { writeFileAtomicAsync } from '../io/atomic-write.js';
import { coordsMapPathFor } from '../datasets/layouts.js';

export interface SynthFilesOptions {
  readonly labelsPath: string;
  readonly outDir: string;
  readonly count: number;
  readonly seed: number;
  /** Default: TotalSegmentator when any id > 13 is present, else BTCV-13. */
  readonly vocabulary?: ClassVocabulary;
  readonly phase?: SynthOptions['phase'];
  /** First case index (so a dataset can be extended or split across processes). Default 0. */
  readonly start?: number;
  readonly overwrite?: boolean;
  readonly onCase?: (report: SynthCaseReport) => void;
}

export interface SynthCaseReport {
  readonly index: number;
  readonly imagePath: string;
  readonly labelsPath: string;
  readonly dims: readonly number[];
  readonly phase: string;
  /** Generation time without the file writes, and with them. */
  readonly synthMs: number;
  readonly totalMs: number;
  /** The oracle coordinate map (float32, 3 frames: RAS mm in the source label map's frame; oracle-coords.ts). */
  readonly coordsPath: string;
  /** Case skipped because its four files already exist (no --overwrite). */
  readonly kept: boolean;
}

export const synthCaseName = (index: number) => `synth_${String(index).padStart(4, '0')}`;

/**
 * Writes `count` synthetic cases from one label map: `synth_XXXX_ct.nii.gz` (int16 HU), `synth_XXXX_seg.nii.gz`
 * (uint8 BTCV-13), `synth_XXXX_coords.nii.gz` (float32, 3 frames: the oracle body-part coordinates, RAS mm of the
 * source label map each voxel comes from) and `synth_XXXX.json` (the drawn parameters). One case is in memory at a
 * time. Complete cases already present are kept (so an interrupted run can be resumed by running it again), unless
 * `overwrite`; a case missing only some files (a folder made before coordinate maps existed) gets just those, which
 * are the same as a fresh run's since a case depends only on (labels, seed, index).
 */
export async function writeSynthCases(options: SynthFilesOptions): Promise<SynthCaseReport[]> {
  const source = await readNiftiFile(options.labelsPath);
  const labels = toLabelArray(source.data, options.labelsPath);
  const vocabulary = options.vocabulary ?? guessVocabulary(presentClasses(labels));
  const grid = { dims: source.dims as [number, number, number], ijkToRas: source.ijkToRas, data: labels };
  await mkdir(options.outDir, { recursive: true });
  const reports: SynthCaseReport[] = [];
  const start = options.start ?? 0;
  const overwrite = options.overwrite ?? false;
  const exists = (p: string) => stat(p).then(() => true, () => false);
  for (let index = start; index < start + options.count; index++) {
    const t0 = performance.now();
    const name = synthCaseName(index);
    const imagePath = join(options.outDir, `${name}_ct.nii.gz`);
    const segPath = join(options.outDir, `${name}_seg.nii.gz`);
    const paramsPath = join(options.outDir, `${name}.json`);
    const coordsPath = coordsMapPathFor(imagePath);
    const present = overwrite ? [false, false, false, false] : await Promise.all([imagePath, segPath, coordsPath, paramsPath].map(exists));
    if (present.every(Boolean)) {
      const report = { index, imagePath, labelsPath: segPath, coordsPath, dims: [], phase: '', synthMs: 0, totalMs: 0, kept: true };
      reports.push(report);
      options.onCase?.(report);
      continue;
    }
    const synthOptions: SynthOptions = options.phase ? { vocabulary, phase: options.phase, coords: true } : { vocabulary, coords: true };
    const result = synthesizeCase(grid, options.seed, index, synthOptions);
    const synthMs = performance.now() - t0;
    const description = `anadiff synth ${name} seed ${options.seed} ${result.params.intensities.phase}`;
    // The JSON goes last: its presence marks a complete case for the resume check above.
    const coords = result.coordsRas!;
    if (!present[0]) await writeNiftiFile(imagePath, result.image, { overwrite, description });
    if (!present[1]) await writeNiftiFile(segPath, result.labels, { overwrite, description: `BTCV-13 labels, ${description}` });
    if (!present[2]) await writeNiftiFile(coordsPath, { ...coords, frames: 3 }, { overwrite, description: `RAS mm in source, ${description}` });
    if (!present[3]) await writeFileAtomicAsync(paramsPath, new TextEncoder().encode(paramsJson(result.params, options.labelsPath)), { overwrite });
    const report = {
      index, imagePath, labelsPath: segPath, coordsPath, dims: result.image.dims, phase: result.params.intensities.phase,
      synthMs, totalMs: performance.now() - t0, kept: false,
    };
    reports.push(report);
    options.onCase?.(report);
  }
  return reports;
}

function paramsJson(params: SynthParams, source: string): string {
  return `${JSON.stringify({ source, ...params }, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(6)) : v), 2)}\n`;
}
