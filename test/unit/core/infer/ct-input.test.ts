/** The CT input checks `segment` runs before inference: each kind of volume a CT model cannot honestly segment. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ctInputProblems, ctInputStats } from '../../../../src/core/infer/ct-input.js';
import { makePhantom } from '../../../../src/core/phantom/index.js';

const phantom = makePhantom({ size: 'small' });
const ct = { dims: phantom.image.dims, frames: 1, data: phantom.image.data };

test('the phantom CT passes; its label map is named a label map', () => {
  assert.deepEqual(ctInputProblems(ct), []);
  const problems = ctInputProblems({ dims: phantom.labels.dims, frames: 1, data: phantom.labels.data });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /looks like a label map \(14 distinct integer values in 0\.\.13\)/);
});

test('a 2-D slice, a 4-D series, NaN/Inf voxels and MRI-like intensities each give their reason', () => {
  const slice = new Int16Array(64 * 64).map((_, n) => (n % 7 === 0 ? -1000 : n % 300));
  assert.match(ctInputProblems({ dims: [64, 64, 1], frames: 1, data: slice }).join(), /2-D after dropping size-1 dimensions \(64x64x1\)/);
  assert.match(ctInputProblems({ ...ct, frames: 120 }).join(), /120 frames \(4-D/);
  const nan = Float32Array.from(phantom.image.data);
  nan[5] = NaN;
  nan[9] = Infinity;
  assert.match(ctInputProblems({ ...ct, data: nan }).join(), /2 of \d+ voxels are NaN or infinite/);
  const mri = Float32Array.from(phantom.image.data, (v) => v + 1024);
  assert.match(ctInputProblems({ ...ct, data: mri }).join(), /not CT Hounsfield units \(nothing below -200 HU/);
});

test('a uint8 map with 200 distinct values is not called a label map (too many), but fails the HU check', () => {
  const data = new Uint8Array(40 * 40 * 40).map((_, n) => n % 200);
  const problems = ctInputProblems({ dims: [40, 40, 40], frames: 1, data });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /not CT Hounsfield units/);
  assert.deepEqual(ctInputStats(Float32Array.of(0, 1.5, 2)), { min: 0, max: 2, nonFinite: 0, smallIntegerDistinct: -1 });
});
