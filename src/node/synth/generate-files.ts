import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { toLabelArray, presentClasses } from '../../core/preprocess/index.js';
import { guessVocabulary, synthesizeCase, type ClassVocabulary, type SynthOptions, type SynthParams } from '../../core/synth/index.js';
import { readNiftiFile, writeFileAtomic, writeNiftiFile } from '../nifti/index.js';

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
  /** Case skipped because its three files already exist (no --overwrite). */
  readonly kept: boolean;
}

export const synthCaseName = (index: number) => `synth_${String(index).padStart(4, '0')}`;

/**
 * Writes `count` synthetic cases from one label map: `synth_XXXX_ct.nii.gz` (int16 HU), `synth_XXXX_seg.nii.gz`
 * (uint8 BTCV-13) and `synth_XXXX.json` (the drawn parameters). One case is in memory at a time. Complete cases
 * already present are kept (so an interrupted run can be resumed by running it again), unless `overwrite`.
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
    if (!overwrite && (await exists(imagePath)) && (await exists(segPath)) && (await exists(paramsPath))) {
      const report = { index, imagePath, labelsPath: segPath, dims: [], phase: '', synthMs: 0, totalMs: 0, kept: true };
      reports.push(report);
      options.onCase?.(report);
      continue;
    }
    const synthOptions: SynthOptions = options.phase ? { vocabulary, phase: options.phase } : { vocabulary };
    const result = synthesizeCase(grid, options.seed, index, synthOptions);
    const synthMs = performance.now() - t0;
    const description = `anadiff synth ${name} seed ${options.seed} ${result.params.intensities.phase}`;
    // The JSON goes last: its presence marks a complete case for the resume check above.
    await writeNiftiFile(imagePath, result.image, { overwrite, description });
    await writeNiftiFile(segPath, result.labels, { overwrite, description: `BTCV-13 labels, ${description}` });
    await writeFileAtomic(paramsPath, new TextEncoder().encode(paramsJson(result.params, options.labelsPath)), overwrite);
    const report = {
      index, imagePath, labelsPath: segPath, dims: result.image.dims, phase: result.params.intensities.phase,
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
