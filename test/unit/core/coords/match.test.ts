import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { coordinateAt, nearestCoordinate } from '../../../../src/core/coords/match.js';

test('nearestCoordinate: the closest voxel, inside the mask only', () => {
  // Four voxels with coordinates (0,0,0), (1,0,0), (0,2,0), (5,5,5).
  const coords = Float32Array.from([0, 1, 0, 5, 0, 0, 2, 5, 0, 0, 0, 5]);
  assert.deepEqual(coordinateAt(coords, 2), [0, 2, 0]);
  assert.deepEqual(nearestCoordinate(coords, [0.9, 0.1, 0]).index, 1);
  assert.ok(Math.abs(nearestCoordinate(coords, [0.9, 0.1, 0]).distance - Math.hypot(0.1, 0.1)) < 1e-6);
  assert.equal(nearestCoordinate(coords, [0.9, 0.1, 0], Uint8Array.from([1, 0, 1, 1])).index, 0);
  assert.throws(() => nearestCoordinate(coords, [0, 0, 0], new Uint8Array(4)), /empty/);
});
