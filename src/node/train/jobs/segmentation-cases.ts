/**
 * Multi-case data for the segmentation job: each case (a NIfTI pair or the phantom) is preprocessed with vox2vec's
 * protocol (core/preprocess) into a PreparedVolume; a step draws its patches from one case chosen uniformly.
 * The same `prepareCase` serves validation and the protocol runner, so training and evaluation see identical grids.
 */
import type { NamedTensor } from '../../../core/checkpoint/safetensors.js';
import { indexClassVoxels } from '../../../core/data/patch.js';
import { makePhantom } from '../../../core/phantom/index.js';
import { gridSpacing, preprocessCase, type PreprocessedCase } from '../../../core/preprocess/index.js';
import { nextInt, type Rng } from '../../../core/random/rng.js';
import type { CaseSource, SegmentationJob } from './job-spec.js';
import { readNiftiFile, readNiftiLabelFile } from '../../nifti/read-file.js';
import { drawBatch, JobError, prepareVolume, type PreparedVolume } from './segmentation-data.js';

/** A preprocessed case: the training volume plus what inference needs to go back to the source grid. */
export interface PreparedCase extends PreparedVolume {
  readonly id: string;
  readonly preprocessed: PreprocessedCase;
}

type CasesData = Extract<SegmentationJob['data'], { kind: 'cases' }>;

async function loadSource(source: CaseSource): Promise<Parameters<typeof preprocessCase>[0]> {
  if ('phantom' in source) {
    const p = makePhantom({ size: source.phantom.size ?? 'small', seed: source.phantom.seed ?? 1 });
    return { image: p.image, labels: p.labels };
  }
  const [image, labels] = await Promise.all([readNiftiFile(source.image), readNiftiLabelFile(source.labels)]);
  return { image, labels };
}

/**
 * Reads and preprocesses one case; `sourceLabels` are the label values learned as classes 1..n (other values are
 * background), the same list for every case of a run.
 */
export async function prepareCase(source: CaseSource, sourceLabels: readonly number[], spacingMm?: readonly [number, number, number]): Promise<PreparedCase> {
  let pre: PreprocessedCase;
  try {
    pre = preprocessCase(await loadSource(source), spacingMm ? { spacingMm } : {});
  } catch (err) {
    throw new JobError(`case ${source.id}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!pre.labels) throw new JobError(`case ${source.id}: preprocessing returned no labels`);
  const classOf = new Uint8Array(256);
  sourceLabels.forEach((l, i) => { if (l >= 0 && l < 256) classOf[l] = i + 1; });
  const labels = pre.labels.data.map((l) => classOf[l]!);
  const volume = { dims: pre.image.dims, image: pre.image.data, labels, bodyMask: pre.bodyMask.data };
  return {
    id: source.id, preprocessed: pre, volume, classVoxels: indexClassVoxels(labels), classes: sourceLabels.length, sourceLabels,
    description: 'phantom' in source ? `phantom seed ${source.phantom.seed ?? 1}` : `${source.image} + ${source.labels}`,
    spacingMm: gridSpacing(pre.image.ijkToRas),
  };
}

/** Every case of a `cases` job, preprocessed; classes default to the union of the labels present (ascending). */
export async function prepareCases(job: SegmentationJob & { data: CasesData }): Promise<PreparedCase[]> {
  if (job.data.cases.length === 0) throw new JobError('segmentation: the cases list is empty');
  let labels = job.labels;
  if (!labels) {
    const present = new Set<number>();
    for (const source of job.data.cases) {
      const raw = await loadSource(source);
      for (const v of raw.labels?.data ?? []) if (v !== 0) present.add(Math.round(v));
    }
    labels = [...present].sort((a, b) => a - b);
  }
  if (labels.length === 0) throw new JobError('segmentation: no foreground labels in any case');
  const out: PreparedCase[] = [];
  for (const source of job.data.cases) out.push(await prepareCase(source, labels, job.data.spacingMm));
  return out;
}

/** The training volumes of any job: one for phantom/nifti data, one per case for `cases`. */
export async function prepareVolumes(job: SegmentationJob): Promise<readonly PreparedVolume[]> {
  return job.data.kind === 'cases' ? prepareCases({ ...job, data: job.data }) : [await prepareVolume(job)];
}

/** One step's batch from one case (uniform); with a single case no draw is spent, so single-volume runs are unchanged. */
export function drawCaseBatch(rng: Rng, cases: readonly PreparedVolume[], job: SegmentationJob, batch: number): Map<string, NamedTensor> {
  const chosen = cases.length === 1 ? cases[0] : cases[nextInt(rng, cases.length)];
  if (!chosen) throw new JobError('segmentation: no prepared volume to draw from');
  return drawBatch(rng, chosen, job, batch);
}
