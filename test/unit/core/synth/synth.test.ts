import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { gridSpacing } from '../../../../src/core/preprocess/index.js';
import {
  HU_RANGES, TOTALSEG_NAMES, TOTALSEG_TO_BTCV, BTCV13_TOTALSEG_NAMES, classTable, gaussianBlur, guessVocabulary, labelDepth, synthesizeCase,
} from '../../../../src/core/synth/index.js';

const DATA = resolve(__dirname, '../../../../../shared/data');
const phantom = makePhantom({ size: 'small', seed: 1 }).labels;

function counts(labels: Uint8Array): Float64Array {
  const c = new Float64Array(256);
  for (const l of labels) c[l]!++;
  return c;
}

test('TotalSegmentator ids and BTCV mapping match the shipped class map', (t) => {
  const mapPath = resolve(DATA, 'totalsegmentator/totalsegmentator_v2_class_map.json');
  if (!existsSync(mapPath)) return t.skip('class map: ../shared/data absent');
  const map = (JSON.parse(readFileSync(mapPath, 'utf8')) as { total: Record<string, string> }).total;
  for (const [id, name] of Object.entries(TOTALSEG_NAMES)) assert.equal(map[id], name, `id ${id}`);
  for (const [ts, btcv] of Object.entries(TOTALSEG_TO_BTCV)) assert.equal(map[ts], BTCV13_TOTALSEG_NAMES[btcv - 1], `TotalSegmentator ${ts} -> BTCV ${btcv}`);
});

test('class tables: BTCV ids map to themselves, TotalSegmentator organs to BTCV, the rest to 0', () => {
  const btcv = classTable('btcv');
  for (let id = 0; id <= 13; id++) assert.equal(btcv[id]!.btcv, id);
  const ts = classTable('totalseg');
  assert.equal(ts[5]!.btcv, 6); // liver
  assert.equal(ts[52]!.btcv, 8); // aorta
  assert.equal(ts[18]!.btcv, 0); // small bowel is not a BTCV organ
  assert.equal(ts[30]!.tissue, 'bone');
  assert.equal(ts[88]!.tissue, 'muscle');
  assert.equal(guessVocabulary([1, 5, 13]), 'btcv');
  assert.equal(guessVocabulary([1, 52]), 'totalseg');
});

test('labelDepth counts layers inside each label', () => {
  const dims = [7, 7, 7] as const;
  const labels = new Uint8Array(343);
  for (let k = 1; k < 6; k++) for (let j = 1; j < 6; j++) for (let i = 1; i < 6; i++) labels[i + 7 * (j + 7 * k)] = 2;
  const depth = labelDepth(labels, dims, 5);
  assert.equal(depth[0], 0);
  assert.equal(depth[1 + 7 * (1 + 7 * 1)], 1);
  assert.equal(depth[2 + 7 * (2 + 7 * 2)], 2);
  assert.equal(depth[3 + 7 * (3 + 7 * 3)], 3);
});

test('gaussianBlur keeps the mean and lowers the variance of white noise', () => {
  const dims = [20, 20, 20] as const;
  const x = new Float32Array(8000);
  for (let n = 0; n < x.length; n++) x[n] = (n * 7919) % 13 - 6;
  const mean0 = x.reduce((a, b) => a + b, 0) / x.length;
  const var0 = x.reduce((a, b) => a + (b - mean0) ** 2, 0) / x.length;
  gaussianBlur(x, dims, [1, 1, 1]);
  const mean1 = x.reduce((a, b) => a + b, 0) / x.length;
  const var1 = x.reduce((a, b) => a + (b - mean1) ** 2, 0) / x.length;
  assert.ok(Math.abs(mean1 - mean0) < 1e-3);
  assert.ok(var1 < var0 / 4, `${var1} vs ${var0}`);
});

const portal = synthesizeCase(phantom, 7, 0, { vocabulary: 'btcv', phase: 'portal' });

test('deterministic for a seed and case index; another index gives another case', () => {
  const again = synthesizeCase(phantom, 7, 0, { vocabulary: 'btcv', phase: 'portal' });
  assert.deepEqual(again.params, portal.params);
  assert.ok(Buffer.from(again.image.data.buffer).equals(Buffer.from(portal.image.data.buffer)));
  assert.ok(Buffer.from(again.labels.data.buffer).equals(Buffer.from(portal.labels.data.buffer)));
  const other = synthesizeCase(phantom, 7, 1, { vocabulary: 'btcv', phase: 'portal' });
  assert.notDeepEqual(other.params.deformation, portal.params.deformation);
});

test('every organ survives the deformation with a plausible volume; labels stay BTCV-13', () => {
  const sourceSpacing = gridSpacing(phantom.ijkToRas);
  const outSpacing = gridSpacing(portal.labels.ijkToRas);
  const voxelSource = sourceSpacing[0] * sourceSpacing[1] * sourceSpacing[2];
  const voxelOut = outSpacing[0] * outSpacing[1] * outSpacing[2];
  const before = counts(phantom.data), after = counts(portal.labels.data);
  for (let c = 14; c < 256; c++) assert.equal(after[c], 0, `unexpected label ${c}`);
  for (let c = 1; c <= 13; c++) {
    if (before[c] === 0) continue;
    const ratio = (after[c]! * voxelOut) / (before[c]! * voxelSource);
    // Affine scaling is within 0.85..1.17 per axis; small organs also lose or gain boundary voxels to resampling.
    const [lo, hi] = before[c]! > 2000 ? [0.5, 2] : [0.2, 4];
    assert.ok(ratio > lo && ratio < hi, `class ${c} volume ratio ${ratio.toFixed(2)}`);
  }
});

test('the output affine is the source affine with the slice spacing replaced by the drawn thickness', () => {
  const a = phantom.ijkToRas, b = portal.labels.ijkToRas;
  const thickness = portal.params.sliceThicknessMm;
  const step = thickness / gridSpacing(a)[2];
  for (let r = 0; r < 3; r++) {
    assert.equal(b[r * 4 + 0], a[r * 4 + 0]);
    assert.equal(b[r * 4 + 1], a[r * 4 + 1]);
    assert.ok(Math.abs(b[r * 4 + 2]! - a[r * 4 + 2]! * step) < 1e-9);
    assert.equal(b[r * 4 + 3], a[r * 4 + 3]);
  }
  assert.ok(Math.abs(gridSpacing(b)[2] - thickness) < 1e-9);
  assert.deepEqual(portal.image.ijkToRas, portal.labels.ijkToRas);
  assert.deepEqual(portal.image.dims, portal.labels.dims);
  assert.equal(portal.image.dims[0], phantom.dims[0]);
});

test('HU inside organs follows the drawn means, which lie in the phase ranges', () => {
  const { dims, data: labels } = portal.labels;
  const depth = labelDepth(labels, dims, 3);
  const { mean, phase } = portal.params.intensities;
  assert.equal(phase, 'portal');
  // Interior voxels (3 layers in) are past the partial-volume blur; what remains is texture, bias and noise.
  for (const [label, key] of [[6, 'liver'], [1, 'spleen'], [8, 'artery']] as const) {
    let sum = 0, n = 0;
    for (let v = 0; v < labels.length; v++) if (labels[v] === label && depth[v]! >= 3) { sum += portal.image.data[v]!; n++; }
    assert.ok(n > 20, `class ${label}: ${n} interior voxels`);
    const [lo, hi] = HU_RANGES[key].portal;
    assert.ok(mean[key] >= lo && mean[key] <= hi, `${key} drawn ${mean[key]} outside ${lo}..${hi}`);
    const tolerance = 2 * portal.params.biasSdHu + 2 * portal.params.intensities.textureSd + 10;
    assert.ok(Math.abs(sum / n - mean[key]) < tolerance, `${key}: measured ${(sum / n).toFixed(1)} vs drawn ${mean[key].toFixed(1)} (tol ${tolerance.toFixed(1)})`);
  }
  // Outside the body is air.
  assert.ok(portal.image.data[0]! < -800, `corner voxel ${portal.image.data[0]}`);
});
