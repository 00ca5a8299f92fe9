import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignCurves } from '../../../../src/core/runs/align.js';

test('curves with their own steps share one sorted x axis, null where a curve has no point', () => {
  assert.deepEqual(alignCurves([{ x: [1, 2, 4], y: [10, 20, 40] }, { x: [2, 3], y: [0.2, 0.3] }]), [
    [1, 2, 3, 4],
    [10, 20, null, 40],
    [null, 0.2, 0.3, null],
  ]);
  assert.deepEqual(alignCurves([]), [[]]);
});
