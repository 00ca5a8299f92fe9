import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { APE_AUGMENT, augmentCoordsView } from '../../../../src/core/coords/augment.js';
import { createRng } from '../../../../src/core/random/rng.js';

const dims: [number, number, number] = [32, 24, 16];
const image = Float32Array.from({ length: 32 * 24 * 16 }, (_, n) => 0.2 + 0.6 * ((n % 32) / 31));

test('augmentation: a function of the rng, the input untouched, values stay in [0, 1]', () => {
  const copy = Float32Array.from(image);
  const a = augmentCoordsView(createRng(4), image, dims, [2, 2, 3]);
  const b = augmentCoordsView(createRng(4), image, dims, [2, 2, 3]);
  assert.deepEqual(a, b);
  assert.deepEqual(image, copy);
  for (let seed = 0; seed < 20; seed++) {
    const x = augmentCoordsView(createRng(seed), image, dims, [2, 2, 3]);
    const noiseFree = augmentCoordsView(createRng(seed), image, dims, [2, 2, 3], { ...APE_AUGMENT, noiseP: 0, blurOrSharpenP: 0 });
    for (const v of noiseFree) assert.ok(v >= 0 && v <= 1, `seed ${seed}: ${v}`);
    assert.equal(x.length, image.length);
  }
});

test('block masking zeroes 60% of the blocks (a quarter of the crop per axis at most)', () => {
  const only = { ...APE_AUGMENT, blurOrSharpenP: 0, noiseP: 0, brightnessP: 0, contrastP: 0, gammaP: 0, maskP: 1 };
  const x = augmentCoordsView(createRng(1), image, dims, [2, 2, 3], only);
  // Blocks of 8x6x4 voxels: 4x4x4 = 64 blocks, floor(0.6 x 64) = 38 zeroed.
  let zero = 0;
  for (const v of x) zero += v === 0 ? 1 : 0;
  assert.equal(zero, 38 * 8 * 6 * 4);
  const none = augmentCoordsView(createRng(1), image, dims, [2, 2, 3], { ...only, maskP: 0 });
  assert.deepEqual(none, image);
});
