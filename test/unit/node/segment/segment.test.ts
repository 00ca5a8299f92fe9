/**
 * segment end to end on the phantom with a hand-written model whose answer is known (sigmoid(gain * (image - level)):
 * the label map must equal thresholding the CT's HU on its own grid, voxel for voxel, through reorientation (the
 * phantom is stored LPS), cropping, windowing, blending and the way back), plus model metadata, model resolution and
 * the refusals (existing output, default model missing, wrong decision for the activation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { keepLargestComponents } from '../../../../src/core/infer/index.js';
import { gridSpacing } from '../../../../src/core/preprocess/index.js';
import { readNiftiFile, writeNiftiFile } from '../../../../src/node/nifti/index.js';
import { embedMetadata, ModelMetadataError, parseModelMetadata, readEmbeddedMetadata, type SegmentModelMetadata } from '../../../../src/node/segment/model-metadata.js';
import { resolveModel } from '../../../../src/node/segment/resolve-model.js';
import { evaluatePair } from '../../../../src/node/segment/evaluate.js';
import { PathCheckError } from '../../../../src/node/io/output-path.js';
import { segmentFile } from '../../../../src/node/segment/segment-file.js';
import { inferSegmentation, prepareSegmentation, SegmentError } from '../../../../src/node/segment/segment-volume.js';
import { thresholdModel } from './threshold-model.js';

const PATCH = [64, 64, 32] as const;
const WINDOW = [-1350, 1000] as const;
// 57.5 HU: between liver (60) and spleen (45), inside the noise (SD 12), so the map is asymmetric and noisy, a strict
// test of the geometry; the phantom's HU are integers, so no voxel sits within 0.5 HU (2e-4 scaled) of the level.
const LEVEL_HU = 57.5;
const level = (LEVEL_HU - WINDOW[0]) / (WINDOW[1] - WINDOW[0]);

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-segment-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const phantom = makePhantom({ size: 'small' });
const nativeSpacing = gridSpacing(phantom.image.ijkToRas);
const metadata = (extra: Partial<SegmentModelMetadata> = {}): SegmentModelMetadata => parseModelMetadata({
  format: 'anadiff-segmentation-model', version: 1, patch: PATCH, spacingMm: nativeSpacing, huWindow: WINDOW,
  activation: 'sigmoid', classNames: ['bone'], labelValues: [7], ...extra,
}, 'test');

async function writeCt(dir: string): Promise<string> {
  const path = join(dir, 'ct.nii.gz');
  await writeNiftiFile(path, phantom.image, { compressionLevel: 1 });
  return path;
}

const expected = (value: number): Uint8Array => Uint8Array.from(phantom.image.data, (hu) => (hu > LEVEL_HU ? value : 0));

test('metadata travels inside model.onnx (metadata_props) and is validated', () => {
  const model = embedMetadata(thresholdModel(PATCH, [level]), metadata());
  assert.deepEqual(readEmbeddedMetadata(model, 'm.onnx'), metadata());
  assert.equal(readEmbeddedMetadata(thresholdModel(PATCH, [level]), 'm.onnx'), undefined);
  assert.throws(() => parseModelMetadata({ ...metadata(), activation: 'relu' }, 'model.json'), /model.json: activation must be/);
  assert.throws(() => parseModelMetadata({ ...metadata(), patch: [32, 32] }, 'x'), ModelMetadataError);
  assert.throws(() => parseModelMetadata({ ...metadata(), labelValues: [1, 2] }, 'x'), /labelValues/);
});

test('segment with sigmoid channels: the label map equals thresholding the CT on its own grid (LPS phantom)', async (t) => {
  const dir = tempDir(t);
  const input = await writeCt(dir);
  const modelPath = join(dir, 'threshold.onnx');
  writeFileSync(modelPath, embedMetadata(thresholdModel(PATCH, [level]), metadata()));
  const output = join(dir, 'seg.nii.gz');
  const progress: number[] = [];
  const result = await segmentFile({ model: modelPath, input, output, device: 'cpu', threads: 1, batchSize: 3, largestComponent: false, onProgress: (d) => progress.push(d) });
  assert.equal(result.model.metadataSource, 'metadata_props');
  assert.equal(progress.at(-1), result.windows);
  const seg = await readNiftiFile(output);
  assert.equal(seg.datatype, 'uint8');
  assert.deepEqual(seg.dims, phantom.image.dims);
  assert.deepEqual(seg.ijkToRas, (await readNiftiFile(input)).ijkToRas);
  const want = expected(7);
  let differ = 0;
  for (let v = 0; v < want.length; v++) if (seg.data[v] !== want[v]) differ++;
  assert.ok(want.includes(7), 'voxels above the level exist');
  assert.equal(differ, 0, `${differ} voxels differ from HU > ${LEVEL_HU}`);
  assert.equal(result.counts[7], want.filter((v) => v === 7).length);
  // The organ table: the one class named by the model, its mL from the affine and its mean HU, computed by hand here.
  let inside = 0, sumHu = 0;
  phantom.image.data.forEach((hu) => { if (hu > LEVEL_HU) { inside++; sumHu += hu; } });
  const [sx, sy, sz] = nativeSpacing;
  assert.equal(result.organs.length, 1);
  const organ = result.organs[0]!;
  assert.deepEqual([organ.label, organ.name, organ.voxels], [7, 'bone', inside]);
  assert.ok(Math.abs(organ.volumeMl - (inside * sx * sy * sz) / 1000) < 1e-6, `volume ${organ.volumeMl} mL`);
  assert.ok(Math.abs(organ.meanValue - sumHu / inside) < 1e-6, `mean HU ${organ.meanValue}`);

  await assert.rejects(segmentFile({ model: modelPath, input, output, device: 'cpu' }), (e: Error) => e instanceof PathCheckError && /--output .*seg\.nii\.gz exists; pass --overwrite/.test(e.message));
  const centre = await segmentFile({ model: modelPath, input, output, device: 'cpu', overwrite: true, blend: 'centre', overlap: 0.25, largestComponent: false });
  assert.ok(centre.windows > 0);
  assert.deepEqual((await readNiftiFile(output)).data, Float32Array.from(want), 'centre blending gives the same answer for a pointwise model');
  // By default only the largest connected piece stays: the noisy threshold map's islands go (same grid here, so the
  // answer is the largest component of the expected map on the native grid).
  const cleaned = await segmentFile({ model: modelPath, input, output, device: 'cpu', overwrite: true });
  const largest = Uint8Array.from(want);
  const { removedVoxels } = keepLargestComponents(largest, phantom.image.dims);
  assert.ok(removedVoxels > 0, 'the noisy map has islands');
  assert.equal(cleaned.removedVoxels, removedVoxels);
  assert.deepEqual((await readNiftiFile(output)).data, Float32Array.from(largest));
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp')), [], 'no temp files left');
});

test('segment with a softmax model (background channel, symbolic batch) by argmax, metadata from a sidecar model.json', async (t) => {
  const dir = tempDir(t);
  const input = await writeCt(dir);
  const runDir = join(dir, 'run');
  mkdirSync(runDir);
  // channel 0 = 1 - channel 1: background below the level, class 1 above it.
  writeFileSync(join(runDir, 'model.onnx'), thresholdModel(PATCH, [level, level], [-1e4, 1e4], 'N'));
  writeFileSync(join(runDir, 'model.json'), JSON.stringify({ ...metadata({ activation: 'softmax' }), labelValues: undefined }));
  const output = join(dir, 'seg.nii');
  const result = await segmentFile({ model: runDir, input, output, device: 'cpu', threads: 1, batchSize: 4, largestComponent: false });
  assert.equal(result.model.metadataSource, 'model.json');
  assert.deepEqual((await readNiftiFile(output)).data, Float32Array.from(expected(1)));
  await assert.rejects(segmentFile({ model: runDir, input, output: join(dir, 'x.nii'), decision: { kind: 'threshold', threshold: 0.5 } }), /--threshold applies to sigmoid models/);
});

test('model resolution: default model, missing pieces and shape mismatches are clear errors', (t) => {
  const dir = tempDir(t);
  assert.throws(() => resolveModel(undefined, [dir]), /default model is not trained yet \(.*anadiff-segment-.*models\/default\/model.onnx does not exist\)/);
  mkdirSync(join(dir, 'models', 'default'), { recursive: true });
  writeFileSync(join(dir, 'models', 'default', 'model.onnx'), embedMetadata(thresholdModel(PATCH, [level]), metadata()));
  assert.equal(resolveModel(undefined, [dir]).metadata.classNames[0], 'bone');
  assert.throws(() => resolveModel(join(dir, 'nope')), /no such file or folder/);
  assert.throws(() => resolveModel(dir), /the folder has no model.onnx/);
  const bare = join(dir, 'bare.onnx');
  writeFileSync(bare, thresholdModel(PATCH, [level]));
  assert.throws(() => resolveModel(bare), /no model metadata/);
  writeFileSync(bare, embedMetadata(thresholdModel(PATCH, [level]), metadata({ patch: [32, 64, 32] })));
  assert.throws(() => resolveModel(bare), /does not match the metadata's patch 32x64x32/);
  writeFileSync(bare, embedMetadata(thresholdModel(PATCH, [level]), metadata({ classNames: ['a', 'b'], labelValues: [1, 2] })));
  assert.throws(() => resolveModel(bare), /outputs 1 channels but the metadata names 2 classes/);
  assert.ok(!existsSync(join(dir, 'seg.nii.gz')));
});

test('segment and evaluate name the file that is not NIfTI', async (t) => {
  const dir = tempDir(t);
  const bad = join(dir, 'bad.nii.gz');
  writeFileSync(bad, 'not a volume');
  const model = join(dir, 'threshold.onnx');
  writeFileSync(model, embedMetadata(thresholdModel(PATCH, [level]), metadata()));
  await assert.rejects(segmentFile({ model, input: bad, output: join(dir, 'seg.nii.gz'), device: 'cpu' }), (e: Error) => e.message.startsWith(`${bad}: not a NIfTI file`));
  await assert.rejects(evaluatePair(bad, bad, [1], 'native'), (e: Error) => e.message.startsWith(`${bad}: not a NIfTI file`));
});

test('confidence: each organ\'s mean predicted probability over its voxels on the working grid, through the sliding window', async () => {
  // The "network" predicts the window's own scaled intensity as a class probability; with centre blending each voxel
  // takes one window's value, so its probability is exactly its intensity and the expected mean comes from the grid.
  const meta = metadata({ patch: [32, 32, 16], spacingMm: [3, 3, 6], classNames: ['dense'], labelValues: [4] });
  const pre = prepareSegmentation(phantom.image, meta);
  const threshold = 0.6;
  const result = await inferSegmentation(pre, meta, async (batch) => Float32Array.from(batch.data), { decision: { kind: 'threshold', threshold }, largestComponent: false, blend: 'centre' });
  let sum = 0, count = 0;
  pre.image.data.forEach((x, v) => { if (pre.bodyMask.data[v] === 1 && x >= threshold) { sum += x; count++; } });
  assert.ok(count > 100, `${count} voxels above ${threshold}`);
  assert.deepEqual([...result.confidence.keys()], [4], 'keyed by the label value written');
  assert.ok(Math.abs(result.confidence.get(4)! - sum / count) < 1e-5, `confidence ${result.confidence.get(4)}, expected ${sum / count}`);
});
