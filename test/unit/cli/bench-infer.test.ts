/**
 * `anadiff bench infer` at a toy size (small phantom at 4x4x8 mm, tiny UNet, 32x32x16 windows): both sides run in
 * their own processes over the same windows, and `--json` prints exactly the documented object.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const bench = (args: readonly string[]): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'bench', 'infer', ...args], { cwd: root, encoding: 'utf8' });

test('bench infer --json prints one object: both medians, peak RSS, the ratio', (t) => {
  const args = ['--size', '160x128x64', '--preset', 'tiny', '--spacing', '4x4x8', '--roi', '32x32x16', '--repeat', '1', '--threads', '1', '--json'];
  if (!hasTorch) t.diagnostic('/usr/bin/python3 has no torch: anadiff side only');
  const r = bench(hasTorch ? args : [...args, '--only', 'anadiff']);
  assert.equal(r.status, 0, String(r.stderr));
  const lines = String(r.stdout).trim().split('\n');
  assert.equal(lines.length, 1, `exactly one line, got ${String(r.stdout)}`);
  const out = JSON.parse(lines[0]!) as { anadiff: { median_ms: number; peak_rss_mb: number }; pytorch: { median_ms: number; peak_rss_mb: number } | null; ratio: number | null };
  assert.deepEqual(Object.keys(out), ['anadiff', 'pytorch', 'ratio']);
  assert.deepEqual(Object.keys(out.anadiff), ['median_ms', 'peak_rss_mb']);
  assert.ok(out.anadiff.median_ms > 0 && out.anadiff.peak_rss_mb > 10);
  if (hasTorch) {
    assert.ok(out.pytorch && out.pytorch.median_ms > 0 && out.pytorch.peak_rss_mb > 10);
    assert.ok(Math.abs(out.ratio! - out.anadiff.median_ms / out.pytorch.median_ms) < 0.01 * out.ratio! + 2e-3, 'ratio = anadiff / pytorch');
  }
});

test('bench infer refuses sizes it cannot generate and bad options', () => {
  const size = bench(['--size', '100x100x100', '--only', 'anadiff']);
  assert.equal(size.status, 2);
  assert.match(String(size.stderr), /--size must be one of 512x512x300, 160x128x64/);
  const roi = bench(['--roi', '32x32', '--only', 'anadiff']);
  assert.equal(roi.status, 2);
  assert.match(String(roi.stderr), /--roi must be three integers/);
});
