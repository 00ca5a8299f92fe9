// What Segment Organs reads of `segment --json` (src/protocol/segment-summary.ts): organs with their confidence, the
// warnings, and foreign shapes degraded to less rather than passed on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSegmentSummary } from '../../../src/protocol/segment-summary.js';

const liver = { label: 6, name: 'liver', voxels: 10, volumeMl: 1.5, meanValue: 58 };

test('organs keep a confidence in [0, 1]; warnings are the strings given', () => {
  const s = parseSegmentSummary({ organs: [{ ...liver, confidence: 0.91, extra: 'dropped' }], warnings: ['thin slab: only 6 voxels'], ms: 3 });
  assert.deepEqual(s, { organs: [{ ...liver, confidence: 0.91 }], warnings: ['thin slab: only 6 voxels'] });
});

test('an older CLI (no confidence, no warnings), malformed rows and values, and non-objects degrade to less', () => {
  assert.deepEqual(parseSegmentSummary({ organs: [liver] }), { organs: [liver], warnings: [] });
  assert.deepEqual(parseSegmentSummary({ organs: [{ ...liver, confidence: 'high' }, { ...liver, confidence: 1.5 }, { label: 1 }, null], warnings: [3, 'w'] }), { organs: [liver, liver], warnings: ['w'] });
  for (const v of [null, undefined, 'text', 42, []]) assert.deepEqual(parseSegmentSummary(v), { organs: [], warnings: [] });
});
