import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyHistory, type MetricsHistory } from '../../../../src/core/runs/metrics.js';
import { describeRun, statusOf, summarizeRun, type LockHolder } from '../../../../src/core/runs/summary.js';

const lock = (alive: boolean | undefined): LockHolder => ({ pid: 42, host: 'here', kind: 'train', startedAt: '2026-12-03T06:00:00Z', alive });
const config = { format: 'anadiff-train-run', mode: 'scratch', net: 'fpn3d', preset: 'tiny', epochs: 2, stepsPerEpoch: 10, val: [{ id: 'phantom-2' }] };

function history(steps: number, validations: { step: number; meanDice: number }[] = []): MetricsHistory {
  const h = emptyHistory();
  for (let s = 1; s <= steps; s++) h.steps.push({ step: s, loss: 1 / s, lr: 1e-3, ms: 500 });
  for (const v of validations) h.validations.push({ kind: 'validation', step: v.step, epoch: v.step / 10, meanDice: v.meanDice, dice: { spleen: v.meanDice }, cases: [], ms: 4000 });
  return h;
}

test('status: a live lock means running even with an old report (a resumed run); a dead one is stale without a report', () => {
  assert.equal(statusOf({ lock: lock(true), report: { status: 'stopped' } }), 'running');
  assert.equal(statusOf({ lock: lock(false), report: undefined }), 'stale');
  assert.equal(statusOf({ lock: lock(false), report: { status: 'done' } }), 'done');
  assert.equal(statusOf({ lock: lock(undefined), report: undefined }), 'elsewhere');
  assert.equal(statusOf({ lock: undefined, report: { status: 'stopped' } }), 'stopped');
  assert.equal(statusOf({ lock: undefined, report: { format: 'anadiff-protocol-report', meanDice: 0.5 } }), 'done');
  assert.equal(statusOf({ lock: undefined, report: undefined, jobRunning: true }), 'running');
  assert.equal(statusOf({ lock: undefined, report: undefined }), 'failed');
});

test('summary: step/total from metrics and config, ETA from recent step times plus validations left, best Dice', () => {
  const s = summarizeRun({ name: 'r', config, report: undefined, lock: lock(true), history: history(15, [{ step: 10, meanDice: 0.31 }]) });
  assert.equal(s.status, 'running');
  assert.equal(s.step, 15);
  assert.equal(s.totalSteps, 20);
  // 5 steps x 0.5 s + 1 validation (epoch 2) x 4 s
  assert.equal(s.etaSec, 6.5);
  assert.deepEqual(s.best, { meanDice: 0.31, step: 10, epoch: 1 });
  assert.deepEqual(s.latestDice, { spleen: 0.31 });
  assert.equal(s.kind, 'train');
  assert.equal(s.description, 'scratch fpn3d tiny');
  assert.equal(describeRun(s), 'running 15/20 ETA 0m07s · best Dice 0.310');
});

test('summary: a finished run has no ETA and takes the best validation, else report.best', () => {
  const done = summarizeRun({ name: 'r', config, report: { status: 'done', step: 20, steps: 20 }, lock: undefined, history: history(20, [{ step: 10, meanDice: 0.2 }, { step: 20, meanDice: 0.6 }]) });
  assert.equal(done.status, 'done');
  assert.equal(done.etaSec, undefined);
  assert.equal(done.best?.meanDice, 0.6);
  const fromReport = summarizeRun({ name: 'r', config: undefined, report: { format: 'anadiff-train-report', status: 'done', step: 20, steps: 20, best: { step: 20, epoch: 2, meanDice: 0.7 } }, lock: undefined, history: emptyHistory() });
  assert.deepEqual([fromReport.step, fromReport.totalSteps, fromReport.best?.meanDice], [20, 20, 0.7]);
  assert.equal(describeRun(fromReport), 'done 20/20 · best Dice 0.700');
});

test('summary: pretrain and coords run folders are named by their files (kind, total steps, method, ETA without validations)', () => {
  const pretrain = { format: 'anadiff-pretrain-run', kind: 'pretrain', steps: 40, job: { method: 'diffusion', preset: 'small' } };
  const s = summarizeRun({ name: 'p', config: pretrain, report: undefined, lock: { ...lock(true), kind: 'pretrain' }, history: history(30) });
  assert.equal(s.kind, 'pretrain');
  assert.equal(s.totalSteps, 40);
  assert.equal(s.etaSec, 5, '10 steps x 0.5 s, no validation');
  assert.equal(s.description, 'diffusion small');
  const stale = summarizeRun({ name: 'p', config: pretrain, report: { format: 'anadiff-pretrain-report', status: 'done', step: 40, steps: 40 }, lock: undefined, history: history(40) });
  assert.equal(stale.kind, 'pretrain', 'without a lock the kind comes from the files');
  const coords = summarizeRun({ name: 'c', config: undefined, report: { format: 'anadiff-coords-report', status: 'stopped', step: 7, steps: 20 }, lock: undefined, history: emptyHistory() });
  assert.deepEqual([coords.kind, coords.status, coords.step, coords.totalSteps], ['coords', 'stopped', 7, 20]);
  assert.equal(summarizeRun({ name: 'x', config: { format: 'something-else' }, report: undefined, lock: undefined, history: emptyHistory() }).kind, 'run');
});
