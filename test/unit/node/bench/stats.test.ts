import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, round } from '../../../../src/node/bench/stats.js';

test('median: middle value, mean of the two middle ones for an even count, NaN for none; input left unsorted', () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(round(2.345, 2), 2.35);
  assert.equal(round(2.36), 2.4);
});
