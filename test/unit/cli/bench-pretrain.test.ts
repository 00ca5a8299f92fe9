/**
 * `anadiff bench pretrain` end to end at a toy size: each method's step runs on both sides, on the same network (the
 * parameter counts agree, so the ratio compares like with like); bad options are usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

function bench(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'bench', 'pretrain', ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Side { median_ms: number; peak_rss_mb: number; params: number; loss: number }

for (const method of ['diffusion', 'guided', 'genesis', 'contrastive']) {
  test(`bench pretrain --method ${method} --json: both sides time the same network (equal parameter counts) and give the ratio`, (t) => {
    const args = ['--method', method, '--preset', 'tiny', '--patch', '16x16x8', '--batch', '1', '--steps', '2', '--warmup', '1', '--threads', '1', '--json'];
    if (!hasTorch) t.diagnostic('/usr/bin/python3 has no torch: anadiff side only');
    const r = bench(hasTorch ? args : [...args, '--only', 'anadiff']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as { method: string; anadiff: Side; pytorch: Side | null; ratio: number | null };
    assert.equal(out.method, method);
    assert.ok(out.anadiff.median_ms > 0 && out.anadiff.peak_rss_mb > 10 && Number.isFinite(out.anadiff.loss));
    if (hasTorch) {
      const p = out.pytorch!;
      assert.equal(out.anadiff.params, p.params, 'the same network on both sides');
      assert.ok(Math.abs(out.ratio! - out.anadiff.median_ms / p.median_ms) < 0.02 * out.ratio! + 1e-3, 'ratio = anadiff / pytorch');
    }
  });
}

test('bench pretrain rejects bad options with a usage error', () => {
  const r = bench(['--method', 'nope', '--only', 'anadiff']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--method must be one of/);
});
