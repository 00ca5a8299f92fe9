/**
 * Evaluation of label-map files: Dice (eps 1e-5, absent in both = 1) and HD95 per class, on the native grid or on the
 * protocol's 1x1x2 mm grid (both maps reoriented to RAS and resampled by nearest neighbour, as vox2vec scores on the
 * preprocessed grid). Folders are paired by file name; the summary is mean +- sd over cases (population sd).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { accumulate, createAccumulator, summarize, type MetricSummary } from '../../core/metrics/accumulator.js';
import { dicePerClass, meanFinite } from '../../core/metrics/dice.js';
import { hausdorffPerClass } from '../../core/metrics/hausdorff.js';
import { gridSpacing, labelsOutside, resampleToSpacing, sameGeometry, toLabelArray, type Dims, type Grid } from '../../core/preprocess/index.js';
import { reorientToRas } from '../../core/volume/orientation.js';
import { mat4ToRows } from '../../core/volume/mat4.js';
import { readNamedNiftiFile } from '../nifti/index.js';

export class EvaluateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvaluateError';
  }
}

export type EvaluationGrid = 'native' | '1x1x2';

export interface CaseScores {
  readonly id: string;
  readonly dice: readonly number[];
  readonly meanDice: number;
  /** NaN where the class is missing from either map (MONAI gives nan too). */
  readonly hd95: readonly number[];
  readonly dims: Dims;
}

export interface Evaluation {
  readonly grid: EvaluationGrid;
  readonly classes: readonly number[];
  readonly cases: readonly CaseScores[];
  readonly dice: MetricSummary;
  readonly hd95: MetricSummary;
}

const describe = (path: string, g: Grid<Uint8Array>): string =>
  `${path} is ${g.dims.join('x')} with affine ${JSON.stringify(mat4ToRows(g.ijkToRas).slice(0, 3).map((r) => r.map((v) => Number(v.toFixed(4)))))}`;

async function readLabels(path: string): Promise<Grid<Uint8Array>> {
  const image = await readNamedNiftiFile(path);
  return { dims: image.dims, ijkToRas: image.ijkToRas, data: toLabelArray(image.data, path) };
}

/**
 * What to do with label ids in a map that are not among the scored classes. 'refuse' (the default): a 117-class
 * TotalSegmentator map scored as BTCV-13 silently gave 0.31, so ids outside the classes are an error that names them;
 * 'ignore' scores the listed classes only, as asked (`--ignore-extra-labels`).
 */
export type ExtraLabels = 'refuse' | 'ignore';

const idList = (ids: readonly number[]): string => (ids.length > 6 ? `${ids.slice(0, 5).join(', ')}, ..., ${ids[ids.length - 1]}` : ids.join(', '));

function refuseExtraLabels(path: string, what: string, labels: Uint8Array, classes: readonly number[]): void {
  const extra = labelsOutside(labels, classes);
  if (extra.length === 0) return;
  const voxels = extra.reduce((sum, e) => sum + e.voxels, 0);
  throw new EvaluateError(`${what} ${path} holds ${extra.length} label id(s) outside --classes ${classes.length > 6 ? `${classes[0]}..${classes[classes.length - 1]}` : classes.join(',')}: ${idList(extra.map((e) => e.id))} (${voxels} voxels); list them in --classes, or pass --ignore-extra-labels to score only the listed classes`);
}

/** Scores one predicted map against its reference (same grid required, checked to 1e-3 mm). */
export async function evaluatePair(predPath: string, refPath: string, classes: readonly number[], grid: EvaluationGrid, id = basename(predPath), extraLabels: ExtraLabels = 'refuse'): Promise<CaseScores> {
  let [pred, ref] = await Promise.all([readLabels(predPath), readLabels(refPath)]);
  if (!sameGeometry(pred, ref)) {
    throw new EvaluateError(`grid mismatch: prediction ${describe(predPath, pred)} but reference ${describe(refPath, ref)}; resample the prediction onto the reference's grid (anadiff segment writes it on the input CT's grid)`);
  }
  if (extraLabels === 'refuse') {
    refuseExtraLabels(refPath, 'the reference', ref.data, classes);
    refuseExtraLabels(predPath, 'the prediction', pred.data, classes);
  }
  if (grid === '1x1x2') {
    [pred, ref] = [pred, ref].map((g) => resampleToSpacing(reorientToRas(g), [1, 1, 2], 'nearest')) as [Grid<Uint8Array>, Grid<Uint8Array>];
  }
  const dice = dicePerClass(pred.data, ref.data, classes);
  return { id, dice, meanDice: meanFinite(dice), hd95: hausdorffPerClass(pred.data, ref.data, pred.dims, gridSpacing(pred.ijkToRas), classes), dims: pred.dims };
}

const isNifti = (name: string): boolean => /\.nii(\.gz)?$/.test(name) && !name.startsWith('.');

/** Pairs of files: one pair for two files, or every prediction in a folder with the reference of the same name. */
export function pairInputs(pred: string, ref: string): { id: string; pred: string; ref: string }[] {
  for (const [flag, p] of [['--pred', pred], ['--ref', ref]] as const) if (!existsSync(p)) throw new EvaluateError(`${flag} ${p}: no such file or folder`);
  const predDir = statSync(pred).isDirectory(), refDir = statSync(ref).isDirectory();
  if (predDir !== refDir) throw new EvaluateError(`--pred and --ref must both be files or both be folders (${pred} is a ${predDir ? 'folder' : 'file'}, ${ref} a ${refDir ? 'folder' : 'file'})`);
  if (!predDir) return [{ id: basename(pred), pred, ref }];
  const preds = readdirSync(pred).filter(isNifti).sort();
  const refs = new Set(readdirSync(ref).filter(isNifti));
  if (preds.length === 0) throw new EvaluateError(`${pred}: no .nii or .nii.gz files`);
  const missing = preds.filter((n) => !refs.has(n));
  if (missing.length > 0) throw new EvaluateError(`no reference in ${ref} for ${missing.join(', ')} (folders are paired by file name)`);
  return preds.map((n) => ({ id: n, pred: join(pred, n), ref: join(ref, n) }));
}

export async function evaluatePaths(pred: string, ref: string, classes: readonly number[], grid: EvaluationGrid, onCase?: (scores: CaseScores) => void, extraLabels: ExtraLabels = 'refuse'): Promise<Evaluation> {
  const dice = createAccumulator('dice', classes), hd95 = createAccumulator('hd95', classes);
  const cases: CaseScores[] = [];
  for (const pair of pairInputs(pred, ref)) {
    const scores = await evaluatePair(pair.pred, pair.ref, classes, grid, pair.id, extraLabels);
    accumulate(dice, pair.id, scores.dice);
    accumulate(hd95, pair.id, scores.hd95);
    cases.push(scores);
    onCase?.(scores);
  }
  return { grid, classes, cases, dice: summarize(dice), hd95: summarize(hd95) };
}

/** `1..13`, `1,2,6` or a mix (`1..3,6`): sorted unique label values 1..255. */
export function parseClassList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const range = /^(\d+)\.\.(\d+)$/.exec(part);
    const [lo, hi] = range ? [Number(range[1]), Number(range[2])] : [Number(part), Number(part)];
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 255 || lo > hi) throw new EvaluateError(`--classes: "${part}" is not a class id or range within 1..255 (e.g. 1..13 or 1,2,6)`);
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  if (out.size === 0) throw new EvaluateError('--classes: no class given');
  return [...out].sort((a, b) => a - b);
}
