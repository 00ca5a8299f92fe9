import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resumeCommandOf } from '../../../../src/core/runs/resume.js';

test('resume: each run folder is continued by the job that wrote it; others are not resumable', () => {
  assert.deepEqual(resumeCommandOf({ format: 'anadiff-train-run' }), ['train']);
  assert.deepEqual(resumeCommandOf({ format: 'anadiff-pretrain-run' }), ['pretrain']);
  assert.deepEqual(resumeCommandOf({ format: 'anadiff-coords-run' }), ['coords', 'train']);
  assert.equal(resumeCommandOf({ format: 'anadiff-protocol-report' }), undefined);
  assert.equal(resumeCommandOf(undefined), undefined);
  assert.equal(resumeCommandOf('anadiff-train-run'), undefined);
});
