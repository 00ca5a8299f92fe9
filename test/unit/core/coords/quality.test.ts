import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { distanceCorrelation, pearson } from '../../../../src/core/coords/quality.js';
import { createRng, nextFloat } from '../../../../src/core/random/rng.js';

test('pearson: 1 for a linear relation, -1 reversed, about 0 for unrelated series', () => {
  assert.ok(Math.abs(pearson([1, 2, 3, 4], [3, 5, 7, 9]) - 1) < 1e-12);
  assert.ok(Math.abs(pearson([1, 2, 3, 4], [4, 3, 2, 1]) + 1) < 1e-12);
  const rng = createRng(1);
  const x = Array.from({ length: 5000 }, () => nextFloat(rng));
  const y = Array.from({ length: 5000 }, () => nextFloat(rng));
  assert.ok(Math.abs(pearson(x, y)) < 0.05);
});

test('distanceCorrelation: 1 for embeddings that are a rotation and scaling of the positions, low for noise', () => {
  const n = 400;
  const mm = new Float32Array(n * 3), rotated = new Float32Array(n * 3), noise = new Float32Array(n * 3);
  const c = Math.cos(0.7), s = Math.sin(0.7);
  for (let i = 0; i < n; i++) {
    const [x, y, z] = [(i * 37) % 101, (i * 53) % 97, (i * 11) % 89];
    mm.set([x, y, z], i * 3);
    rotated.set([0.01 * (c * x - s * y), 0.01 * (s * x + c * y), -0.01 * z], i * 3);
    noise.set([(i * 7919) % 13, (i * 104729) % 17, (i * 1299709) % 19], i * 3);
  }
  assert.ok(distanceCorrelation({ emb: rotated, mm }, 10_000, createRng(2)) > 0.999);
  assert.ok(distanceCorrelation({ emb: noise, mm }, 10_000, createRng(2)) < 0.3);
});
