/** `anadiff bench conv` at a toy size: three kernels per shape, PyTorch's times beside them where torch is present. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const bench = (args: readonly string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'bench', 'conv', ...args], { cwd: root, encoding: 'utf8' });

test('bench conv --json: forward, dX and dW for every shape, with the PyTorch peer and the overall ratio', () => {
  const args = ['--shapes', '4@8,8@4', '--runs', '1', '--threads', '1', '--json', ...(hasTorch ? [] : ['--only', 'anadiff'])];
  const r = bench(args);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { rows: { c: number; n: number; kernel: string; anadiffMs: number; pytorchMs: number | null }[]; ratio: number | null };
  assert.deepEqual(out.rows.map((x) => `${x.c}@${x.n}:${x.kernel}`), ['4@8:forward', '4@8:dX', '4@8:dW', '8@4:forward', '8@4:dX', '8@4:dW']);
  assert.ok(out.rows.every((x) => x.anadiffMs > 0));
  if (hasTorch) {
    assert.ok(out.rows.every((x) => typeof x.pytorchMs === 'number' && x.pytorchMs > 0));
    assert.ok(typeof out.ratio === 'number' && out.ratio > 0);
  }
});

test('bench conv rejects a malformed shape', () => {
  const r = bench(['--shapes', '16x64', '--only', 'anadiff']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /not C@N/);
});
