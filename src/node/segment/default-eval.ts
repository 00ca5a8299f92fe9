/**
 * The default model's generalisation suite (`npm run eval:default`, issue 12): the model is scored where it was not
 * trained, in the shapes users bring:
 *   (a) the full real subject-A CT (its image is never trained on; synthetic CTs drawn from its label map are);
 *   (b) slabs of that CT (10, 14, 20, 30 and 40 slices at different heights), each against the full scan on the
 *       organs the slab shows;
 *   (c) synthetic CTs from s0328, a TotalSegmentator-dataset label map no training or validation case came from.
 * Every case is segmented with `segmentFile` (the product's own path: preprocessing, sliding window, largest
 * component) and scored with `evaluatePair` (Dice and HD95 on the native grid).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BTCV13_CLASSES, BTCV13_NAMES } from '../../core/btcv.js';
import { compareSlab, labelVoxels, meanOverLabels, organsInView, type SlabComparison } from '../../core/metrics/generalization.js';
import { voxelVolumeMm3 } from '../../core/metrics/organ-stats.js';
import { cropGrid } from '../../core/preprocess/crop.js';
import { toLabelArray } from '../../core/preprocess/index.js';
import { readNiftiFile, writeNiftiFile } from '../nifti/index.js';
import { writeSynthCases } from '../synth/generate-files.js';
import { evaluatePair } from './evaluate.js';
import { segmentFile } from './segment-file.js';

/** Slabs of subject A's 112-slice CT (slice k0, length); the organs lie in slices 58..111. 14 at 83 is the issue's case. */
export const SUBJECT_A_SLABS: readonly (readonly [number, number])[] = [[100, 10], [83, 14], [66, 20], [82, 30], [60, 40]];
/** The CI subset: the full scan and two slabs (the issue's 14-slice case and the top 10 slices). */
export const REDUCED_SLABS: readonly (readonly [number, number])[] = [[83, 14], [100, 10]];
/** Held-out anatomy for (c), and its synthesis seed (the training cases use seed 1). */
export const HELD_OUT_LABELS = 's0328_seg_total.nii.gz';
export const HELD_OUT_SEED = 7;

export interface SuiteCaseResult {
  readonly id: string;
  readonly kind: 'full' | 'slab' | 'synthetic';
  readonly slices: number;
  /** Organs (BTCV-13 labels) with at least 1 mL in the reference. */
  readonly organsInView: readonly number[];
  readonly meanDice: number;
  /** Per BTCV-13 class (index = label - 1); NaN/absent classes as `evaluate` gives them. */
  readonly dice: readonly number[];
  readonly hd95: readonly number[];
  readonly seconds: number;
  /** For slabs: against the full scan on the same organs. */
  readonly vsFull?: SlabComparison;
}

export interface SuiteReport {
  readonly model: string;
  readonly classNames: readonly string[];
  readonly cases: readonly SuiteCaseResult[];
  readonly summary: {
    readonly fullMeanDice: number;
    readonly slabMeanDice: readonly number[];
    readonly worstSlabRatio: number;
    readonly syntheticMeanDice: number;
  };
}

export interface SuiteOptions {
  readonly sharedData: string;
  readonly workDir: string;
  /** Default: models/default/model.onnx under the current folder. */
  readonly model?: string;
  readonly reduced?: boolean;
  /** Synthetic held-out cases for (c) (0 skips them; the reduced suite uses none). */
  readonly syntheticCases?: number;
  readonly threads?: number;
  readonly onLog?: (line: string) => void;
}

interface CaseFiles { readonly id: string; readonly kind: SuiteCaseResult['kind']; readonly image: string; readonly ref: string }

/** Writes slices [k0, k0 + n) of a CT and its labels as a partial scan whose voxels keep their world positions. */
async function writeSlab(ct: string, ref: string, k0: number, n: number, dir: string): Promise<CaseFiles> {
  const [image, labels] = await Promise.all([readNiftiFile(ct), readNiftiFile(ref)]);
  const box = { start: [0, 0, k0] as const, stop: [image.dims[0], image.dims[1], k0 + n] as const };
  const id = `subjectA_slab${n}_k${k0}`;
  const imagePath = join(dir, `${id}_ct.nii.gz`), refPath = join(dir, `${id}_ref.nii.gz`);
  await writeNiftiFile(imagePath, cropGrid({ dims: image.dims, ijkToRas: image.ijkToRas, data: Int16Array.from(image.data, Math.round) }, box), { overwrite: true });
  await writeNiftiFile(refPath, cropGrid({ dims: labels.dims, ijkToRas: labels.ijkToRas, data: toLabelArray(labels.data, ref) }, box), { overwrite: true });
  return { id, kind: 'slab', image: imagePath, ref: refPath };
}

async function scoreCase(files: CaseFiles, model: string, dir: string, threads: number | undefined): Promise<SuiteCaseResult> {
  const started = performance.now();
  const output = join(dir, `${files.id}_pred.nii.gz`);
  await segmentFile({ model, input: files.image, output, overwrite: true, ...(threads ? { threads } : {}) });
  const seconds = (performance.now() - started) / 1000;
  const scores = await evaluatePair(output, files.ref, BTCV13_CLASSES, 'native', files.id, 'refuse');
  const ref = await readNiftiFile(files.ref);
  const organs = organsInView(labelVoxels(ref.data), voxelVolumeMm3(ref.ijkToRas) / 1000);
  return {
    id: files.id, kind: files.kind, slices: ref.dims[2], organsInView: organs,
    meanDice: meanOverLabels(scores.dice, BTCV13_CLASSES, organs), dice: scores.dice, hd95: scores.hd95, seconds,
  };
}

export async function runDefaultModelSuite(options: SuiteOptions): Promise<SuiteReport> {
  const log = options.onLog ?? (() => undefined);
  const model = resolve(options.model ?? join('models', 'default', 'model.onnx'));
  const subjectA = join(options.sharedData, 'totalsegmentator');
  const ct = join(subjectA, 'example_ct.nii.gz'), ref = join(subjectA, 'example_ct_btcv13_from_totalseg_fast.nii.gz');
  for (const p of [model, ct, ref]) if (!existsSync(p)) throw new Error(`eval:default: ${p} is missing`);
  mkdirSync(options.workDir, { recursive: true });

  const cases: CaseFiles[] = [{ id: 'subjectA_full', kind: 'full', image: ct, ref }];
  for (const [k0, n] of options.reduced ? REDUCED_SLABS : SUBJECT_A_SLABS) cases.push(await writeSlab(ct, ref, k0, n, options.workDir));
  const synthetic = options.syntheticCases ?? (options.reduced ? 0 : 4);
  if (synthetic > 0) {
    const labels = join(options.sharedData, 'totalsegmentator-dataset', HELD_OUT_LABELS);
    if (!existsSync(labels)) throw new Error(`eval:default: ${labels} is missing`);
    const synthDir = join(options.workDir, 'heldout-synth');
    const written = await writeSynthCases({ labelsPath: labels, outDir: synthDir, count: synthetic, seed: HELD_OUT_SEED, vocabulary: 'totalseg' });
    written.forEach((w, n) => cases.push({ id: `s0328_synth${n}`, kind: 'synthetic', image: w.imagePath, ref: w.labelsPath }));
  }

  const results: SuiteCaseResult[] = [];
  for (const files of cases) {
    const r = await scoreCase(files, model, options.workDir, options.threads);
    const full = results.find((c) => c.kind === 'full');
    const scored = r.kind === 'slab' && full ? { ...r, vsFull: compareSlab(r.dice, full.dice, BTCV13_CLASSES, r.organsInView) } : r;
    results.push(scored);
    log(`${r.id}: ${r.slices} slices, mean Dice ${r.meanDice.toFixed(3)} over ${r.organsInView.length} organs in view${scored.vsFull ? ` (${scored.vsFull.ratio.toFixed(2)}x the full scan on them)` : ''}, ${r.seconds.toFixed(1)} s`);
  }
  const slabs = results.filter((r) => r.kind === 'slab');
  const synth = results.filter((r) => r.kind === 'synthetic');
  return {
    model, classNames: BTCV13_NAMES, cases: results,
    summary: {
      fullMeanDice: results[0]!.meanDice,
      slabMeanDice: slabs.map((s) => s.meanDice),
      worstSlabRatio: Math.min(...slabs.map((s) => s.vsFull?.ratio ?? NaN)),
      syntheticMeanDice: synth.length ? synth.reduce((s, r) => s + r.meanDice, 0) / synth.length : NaN,
    },
  };
}

/** The README's table: one row per case, then per-organ Dice of the full scan and the held-out synthetic mean. */
export function suiteMarkdown(report: SuiteReport): string {
  const f = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(2));
  const lines = ['| case | slices | organs in view | mean Dice | vs full scan (same organs) | HD95 median (mm) |', '|---|---|---|---|---|---|'];
  for (const c of report.cases) {
    const hd = c.organsInView.map((l) => c.hd95[l - 1]).filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
    lines.push(`| ${c.id} | ${c.slices} | ${c.organsInView.length} | ${f(c.meanDice)} | ${c.vsFull ? `${f(c.vsFull.slabMeanDice)} / ${f(c.vsFull.fullMeanDice)} = ${f(c.vsFull.ratio)}x` : ''} | ${hd.length ? f(hd[Math.floor(hd.length / 2)]) : '-'} |`);
  }
  const synth = report.cases.filter((c) => c.kind === 'synthetic');
  const full = report.cases.find((c) => c.kind === 'full');
  lines.push('', '| organ | subject A full | held-out synthetic (mean) |', '|---|---|---|');
  report.classNames.forEach((name, i) => {
    const s = synth.map((c) => c.dice[i]!).filter((v, n) => synth[n]!.organsInView.includes(i + 1) && Number.isFinite(v));
    const inA = full?.organsInView.includes(i + 1);
    lines.push(`| ${name} | ${inA ? f(full?.dice[i]) : 'not in view'} | ${s.length ? f(s.reduce((a, b) => a + b, 0) / s.length) : '-'} |`);
  });
  return `${lines.join('\n')}\n`;
}
