import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePhantom } from '../../../../../src/core/phantom/index.js';
import { createRng } from '../../../../../src/core/random/rng.js';
import { JobError, drawBatch, prepareVolume } from '../../../../../src/node/train/jobs/segmentation-data.js';
import { segmentationProgramFrom } from '../../../../../src/node/train/jobs/segmentation.js';
import { writeNiftiFile } from '../../../../../src/node/nifti/write-file.js';
import type { SegmentationJob } from '../../../../../src/node/train/jobs/job-spec.js';

const base: SegmentationJob = {
  kind: 'segmentation', net: 'unet', preset: 'tiny', patch: [16, 16, 8], loss: 'softmax-ce',
  optimizer: { rule: 'adamw' }, schedule: { kind: 'constant', lr: 1e-3 }, data: { kind: 'phantom', seed: 2 }, labels: [6, 1],
};

test('a NIfTI image/label pair gives the same prepared volume as the phantom it was written from', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-segdata-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const p = makePhantom({ seed: 2 });
  await writeNiftiFile(join(dir, 'ct.nii.gz'), p.image);
  await writeNiftiFile(join(dir, 'seg.nii'), p.labels);
  const fromPhantom = await prepareVolume(base);
  const fromNifti = await prepareVolume({ ...base, data: { kind: 'nifti', image: join(dir, 'ct.nii.gz'), labels: join(dir, 'seg.nii') } });
  assert.deepEqual(fromNifti.volume.dims, fromPhantom.volume.dims);
  assert.deepEqual(fromNifti.volume.image, fromPhantom.volume.image);
  assert.deepEqual(fromNifti.volume.labels, fromPhantom.volume.labels);
  assert.equal(fromNifti.classes, 2);
  // labels [6, 1]: liver -> class 1, spleen -> class 2, everything else background
  const raw = p.labels.data;
  for (let v = 0; v < raw.length; v += 997) assert.equal(fromNifti.volume.labels[v], raw[v] === 6 ? 1 : raw[v] === 1 ? 2 : 0);

  const small = makePhantom({ seed: 2 });
  await writeNiftiFile(join(dir, 'other.nii'), { ...small.labels, dims: [64, 160, 128] });
  await assert.rejects(prepareVolume({ ...base, data: { kind: 'nifti', image: join(dir, 'ct.nii.gz'), labels: join(dir, 'other.nii') } }), JobError);
});

test('batches have the step graph\'s layout: image [B,1,k,j,i], int64 labels or one-hot target + body mask', async () => {
  const prepared = await prepareVolume(base);
  const ce = drawBatch(createRng(1, 1), prepared, { ...base, batch: 2 }, 2);
  assert.deepEqual(ce.get('image')!.shape, [2, 1, 8, 16, 16]);
  assert.deepEqual(ce.get('labels')!.shape, [2, 8, 16, 16]);
  assert.equal(ce.get('labels')!.dtype, 'I64');
  const bce = drawBatch(createRng(1, 1), prepared, { ...base, loss: 'bce-dice' }, 1);
  assert.deepEqual(bce.get('target')!.shape, [1, 2, 8, 16, 16]);
  assert.deepEqual(bce.get('mask')!.shape, [1, 1, 8, 16, 16]);
  const ceOne = drawBatch(createRng(1, 1), prepared, base, 1);
  // Same RNG, same patch: the one-hot target is the labels with background dropped.
  const labels = ceOne.get('labels')!.data as BigInt64Array, target = bce.get('target')!.data as Float32Array;
  const n = labels.length;
  for (let v = 0; v < n; v++) {
    assert.equal(target[v], labels[v] === 1n ? 1 : 0);
    assert.equal(target[n + v], labels[v] === 2n ? 1 : 0);
  }
  const image = ce.get('image')!.data as Float32Array;
  assert.ok(image.every((x) => x >= 0 && x <= 1), 'windowed to [0, 1]');
});

test('bad job specs give clear errors', async () => {
  const prepared = await prepareVolume(base);
  assert.throws(() => segmentationProgramFrom({ ...base, patch: [18, 16, 8] }, prepared), /multiples of 4/);
  assert.throws(() => segmentationProgramFrom({ ...base, head: 'fpn' }, prepared), JobError);
  await assert.rejects(prepareVolume({ ...base, window: [100, 100] }), JobError);
  await assert.rejects(prepareVolume({ ...base, labels: [] }), /no foreground labels/);
});

test('augment: the same seed gives the same augmented batch, and it differs from the raw patches', async () => {
  const prepared = await prepareVolume(base);
  assert.ok(prepared.spacingMm.length === 3 && prepared.spacingMm.every((s) => s > 0), `spacing ${prepared.spacingMm.join('x')}`);
  const job: SegmentationJob = { ...base, augment: true };
  const a = drawBatch(createRng(7, 1), prepared, job, 8), b = drawBatch(createRng(7, 1), prepared, job, 8);
  assert.deepEqual(a.get('image')!.data, b.get('image')!.data, 'augmentation draws only from the job RNG');
  const raw = drawBatch(createRng(7, 1), prepared, base, 8);
  const ai = a.get('image')!.data as Float32Array, ri = raw.get('image')!.data as Float32Array;
  const patch = 16 * 16 * 8;
  // The first patch is cut at the same place (augmentation draws after the patch); over 8 patches some are changed.
  let changed = 0;
  for (let p = 0; p < 8; p++) {
    let diff = 0;
    for (let v = p * patch; v < (p + 1) * patch; v++) diff += Math.abs(ai[v]! - ri[v]!);
    if (diff > 1e-3) changed++;
  }
  assert.ok(changed >= 1, 'at least one of 8 patches was augmented');
  // Labels move with the image: in a rotated or zoomed patch they are still class ids of the job.
  const labels = a.get('labels')!.data as BigInt64Array;
  assert.ok(labels.every((l) => l === 0n || l === 1n || l === 2n));
});
