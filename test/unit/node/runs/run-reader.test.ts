import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RunReader } from '../../../../src/node/runs/run-reader.js';

test('run reader: only appended lines come back; a rewritten (shorter) metrics.jsonl starts over; lock and report set the status', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-run-reader-'));
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ format: 'anadiff-train-run', epochs: 1, stepsPerEpoch: 4 }));
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"loss":0.9,"ms":10}\n{"step":2,"loss":0.8,"ms":10}\n{"step":3,');
    writeFileSync(join(dir, 'run.lock'), JSON.stringify({ format: 'anadiff-run-lock', pid: process.pid, host: hostname(), kind: 'train', startedAt: 'now' }));
    const reader = new RunReader(dir);
    let r = reader.read();
    assert.deepEqual(r.delta.steps.map((s) => s.step), [1, 2]);
    assert.equal(r.summary.status, 'running');
    assert.deepEqual([r.summary.step, r.summary.totalSteps], [2, 4]);
    appendFileSync(join(dir, 'metrics.jsonl'), '"loss":0.7,"ms":10}\n');
    r = reader.read();
    assert.deepEqual(r.delta.steps.map((s) => s.step), [3]);
    assert.equal(r.reset, false);
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"loss":0.95,"ms":10}\n');
    rmSync(join(dir, 'run.lock'));
    writeFileSync(join(dir, 'report.json'), JSON.stringify({ format: 'anadiff-train-report', status: 'stopped', step: 1, steps: 4 }));
    r = reader.read();
    assert.equal(r.reset, true);
    assert.deepEqual(r.delta.steps.map((s) => s.loss), [0.95]);
    assert.equal(r.summary.status, 'stopped');
    assert.equal(reader.history.steps.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
