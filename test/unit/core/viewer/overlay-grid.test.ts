import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { overlapFraction, placeOverlay } from '../../../../src/core/viewer/overlay-grid.js';

const image = { dims: [100, 100, 50], ijkToRas: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1] };

test('same grid', () => {
  assert.deepEqual(placeOverlay(image, { ...image, ijkToRas: [...image.ijkToRas] }), { kind: 'same-grid' });
});

test('half-resolution overlay over the same box is placed by its affine', () => {
  const coarse = { dims: [50, 50, 25], ijkToRas: [2, 0, 0, 0.5, 0, 2, 0, 0.5, 0, 0, 4, 1, 0, 0, 0, 1] };
  const p = placeOverlay(image, coarse, 'ct', 'seg');
  assert.equal(p.kind, 'by-affine');
  assert.ok(overlapFraction(image, coarse) > 0.99);
});

test('an overlay outside the image is refused with both boxes named', () => {
  const shifted = { dims: [100, 100, 50], ijkToRas: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 500, 0, 0, 0, 1] };
  const p = placeOverlay(image, shifted, 'ct.nii.gz', 'seg.nii.gz');
  assert.equal(p.kind, 'refused');
  assert.match(p.kind === 'refused' ? p.message : '', /seg\.nii\.gz .*does not overlap ct\.nii\.gz.*mm/);
});

test('a 4D overlay is refused', () => {
  const p = placeOverlay(image, { dims: [100, 100, 50, 3], ijkToRas: image.ijkToRas });
  assert.equal(p.kind, 'refused');
});
