/**
 * The anadiff side of `bench preprocess`, run in its own child process so its peak RSS is its own: what `segment` and
 * `train` do per case, from the file on disk (read + inflate + decode to float32, then preprocessCase).
 */
import { preprocessCase } from '../../core/preprocess/index.js';
import { readNiftiFile, readNiftiLabelFile } from '../../node/nifti/index.js';
import { median } from '../../node/bench/stats.js';

export type SpacingMm = readonly [number, number, number];

export interface PreprocessSideOptions {
  readonly file: string;
  readonly labels?: string;
  readonly spacingMm: SpacingMm;
  readonly repeat: number;
  readonly warmup: number;
}

/** One side's result line; the Python peer (scripts/torch/preprocess_peer.py) prints the same fields. */
export interface PreprocessSideResult {
  readonly median_ms: number;
  readonly peak_rss_mb: number;
  /** Output image dims (i, j, k) after crop and resampling. */
  readonly dims: [number, number, number];
  /** Median of the read part (file -> float32 voxels) and of the rest, so a slow side shows which half is slow. */
  readonly read_ms: number;
  readonly preprocess_ms: number;
  readonly runs_ms: number[];
}

interface OneRun {
  readonly dims: [number, number, number];
  readonly readMs: number;
  readonly preprocessMs: number;
}

/** The child runs with --expose-gc: collecting the previous run's volumes (untimed) keeps the peak RSS that of one case,
 * as CPython's reference counting frees them on the Python side. */
const collectGarbage = (globalThis as { gc?: () => void }).gc;

async function preprocessOnce(o: PreprocessSideOptions): Promise<OneRun> {
  collectGarbage?.();
  const t0 = performance.now();
  const [image, labels] = await Promise.all([readNiftiFile(o.file), o.labels ? readNiftiLabelFile(o.labels) : undefined]);
  const t1 = performance.now();
  const pre = preprocessCase(labels ? { image, labels } : { image }, { spacingMm: o.spacingMm });
  return { dims: [...pre.image.dims], readMs: t1 - t0, preprocessMs: performance.now() - t1 };
}

export async function runPreprocessSide(o: PreprocessSideOptions): Promise<PreprocessSideResult> {
  for (let w = 0; w < o.warmup; w++) await preprocessOnce(o);
  const runs: OneRun[] = [];
  for (let r = 0; r < o.repeat; r++) runs.push(await preprocessOnce(o));
  const first = runs[0];
  if (!first) throw new Error('bench preprocess: --repeat must be at least 1');
  const totals = runs.map((r) => r.readMs + r.preprocessMs);
  return {
    median_ms: median(totals),
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    dims: first.dims,
    read_ms: median(runs.map((r) => r.readMs)),
    preprocess_ms: median(runs.map((r) => r.preprocessMs)),
    runs_ms: totals.map((t) => Math.round(t * 100) / 100),
  };
}
