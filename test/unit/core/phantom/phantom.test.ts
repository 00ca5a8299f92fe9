import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BTCV13_LABELS, makePhantom } from '../../../../src/core/phantom/index.js';
import { orientationCode } from '../../../../src/core/volume/orientation.js';

test('the phantom is deterministic per seed, LPS, and labels every BTCV-13 organ', () => {
  const a = makePhantom({ seed: 5 });
  const b = makePhantom({ seed: 5 });
  const c = makePhantom({ seed: 6 });
  assert.deepEqual(a.image.dims, [160, 128, 64]);
  assert.equal(orientationCode(a.image.ijkToRas), 'LPS');
  assert.deepEqual(a.image.data, b.image.data);
  assert.notDeepEqual(a.image.data, c.image.data);
  assert.deepEqual(a.labels.data, c.labels.data, 'the noise seed does not move organs');
  const present = new Set(a.labels.data);
  for (const [organ, label] of Object.entries(BTCV13_LABELS)) assert.ok(present.has(label), `${organ} (${label}) is labelled`);
});

test('organ intensities are CT-like (mean HU inside each mask) and air surrounds the body', () => {
  const { image, labels } = makePhantom();
  const sums = new Map<number, { sum: number; n: number }>();
  labels.data.forEach((label, i) => {
    const s = sums.get(label) ?? { sum: 0, n: 0 };
    s.sum += image.data[i]!;
    s.n++;
    sums.set(label, s);
  });
  const mean = (label: number) => sums.get(label)!.sum / sums.get(label)!.n;
  assert.ok(Math.abs(mean(BTCV13_LABELS.liver) - 60) < 3, `liver ${mean(BTCV13_LABELS.liver)}`);
  assert.ok(Math.abs(mean(BTCV13_LABELS.spleen) - 45) < 3);
  assert.ok(Math.abs(mean(BTCV13_LABELS.aorta) - 42) < 4);
  assert.ok(mean(BTCV13_LABELS.stomach) < 0, 'the stomach holds some air');
  assert.ok(image.data[0]! < -900, 'the corner voxel is air');
});
