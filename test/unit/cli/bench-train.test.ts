/**
 * `anadiff bench train` end to end at a toy size: both sides run in their own processes and `--json` prints exactly
 * one object of the documented shape (the PyTorch side only where /usr/bin/python3 has torch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

function bench(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'bench', 'train', ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bench train --json prints one object: both medians, peak RSS, the ratio', async (t) => {
  const args = ['--size', '8', '--channels', '4', '--steps', '2', '--warmup', '1', '--threads', '1', '--json'];
  if (!hasTorch) t.diagnostic('/usr/bin/python3 has no torch: anadiff side only');
  const r = bench(hasTorch ? args : [...args, '--only', 'anadiff']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `exactly one line, got ${r.stdout}`);
  const out = JSON.parse(lines[0]!) as Record<string, { median_ms: number; peak_rss_mb: number } | number | null>;
  assert.deepEqual(Object.keys(out), ['anadiff', 'pytorch', 'ratio']);
  const a = out.anadiff as { median_ms: number; peak_rss_mb: number };
  assert.ok(a.median_ms > 0 && a.peak_rss_mb > 10);
  if (hasTorch) {
    const p = out.pytorch as { median_ms: number; peak_rss_mb: number };
    assert.ok(p.median_ms > 0 && p.peak_rss_mb > 10);
    assert.ok(Math.abs((out.ratio as number) - a.median_ms / p.median_ms) < 0.02 * (out.ratio as number) + 1e-3, 'ratio = anadiff / pytorch');
  }
});

test('bench train rejects bad options with a usage error', () => {
  const r = bench(['--net', 'fpn3d', '--size', '12', '--only', 'anadiff']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /multiple of 8 for fpn3d/);
  const l = bench(['--lowering', 'notAKnob=1', '--only', 'anadiff']);
  assert.equal(l.status, 2);
  assert.match(l.stderr, /known keys are/);
});
