/**
 * scripts/gpu-session.sh fails loudly when a piece is missing (the full rehearsal, `gpu-session.sh rehearse`, packs
 * and runs benchmarks for minutes, so it is run by hand: docs/gpu.md). The script runs from a copy in a temporary
 * repository root, so the checkout's own .gpu/ never stands in for what was not carried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const script = resolve(__dirname, '../../../scripts/gpu-session.sh');

function sandbox(t: { after: (fn: () => void) => void }): { root: string; sh: (args: string[], env?: Record<string, string>) => { status: number | null; out: string } } {
  const root = mkdtempSync(join(tmpdir(), 'anadiff-gpu-session-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'scripts'));
  copyFileSync(script, join(root, 'scripts', 'gpu-session.sh'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', STASH: join(root, 'stash'), APP: join(root, 'app'), OUT: join(root, 'out') };
  return {
    root,
    sh: (args, extra = {}) => {
      const r = spawnSync('bash', [join(root, 'scripts', 'gpu-session.sh'), ...args], { cwd: root, encoding: 'utf8', env: { ...env, ...extra } });
      return { status: r.status, out: r.stdout + r.stderr };
    },
  };
}

test('run without a carried bundle: exit 1, a FAILED line naming it, summary.json saying so', (t) => {
  const { root, sh } = sandbox(t);
  const r = sh(['run']);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /gpu-session: FAILED: no bundle: carry \.gpu\/bundle/);
  const summary = JSON.parse(readFileSync(join(root, 'out', 'summary.json'), 'utf8')) as { ok: boolean; device: string; steps: { step: string; status: string; note: string }[] };
  assert.equal(summary.ok, false);
  assert.equal(summary.device, 'cuda');
  assert.deepEqual(summary.steps.map((s) => [s.step, s.status]), [['setup', 'failed']]);
  assert.match(summary.steps[0]!.note, /no bundle/);
  assert.ok(existsSync(join(root, 'out', 'session.log')));
});

test('stash refuses a part whose sha256 differs from its manifest, and names the parts still to carry', (t) => {
  const { root, sh } = sandbox(t);
  const dir = join(root, '.gpu', 'cuda-1');
  mkdirSync(dir, { recursive: true });
  const part = Buffer.from('part zero');
  writeFileSync(join(dir, 'providers.tar.xz.part00'), part);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  writeFileSync(join(dir, 'providers.manifest'), `parts 2\nproviders.tar.xz ${'0'.repeat(64)}\nproviders.tar.xz.part00 ${sha(part)}\nproviders.tar.xz.part01 ${'1'.repeat(64)}\n`);
  const ok = sh(['stash', dir]);
  assert.equal(ok.status, 0, ok.out);
  assert.match(ok.out, /providers: 1 of 2 parts stashed; still to carry: providers\.tar\.xz\.part01/);
  writeFileSync(join(dir, 'providers.tar.xz.part00'), 'tampered');
  const bad = sh(['stash', dir]);
  assert.equal(bad.status, 1);
  assert.match(bad.out, /FAILED: stash: .*part00 is corrupt/);
  const none = sh(['stash', join(root, '.gpu', 'cuda-9')]);
  assert.equal(none.status, 1);
  assert.match(none.out, /cuda-9 was not carried here/);
});

test('a wrong command line exits 2', (t) => {
  const { sh } = sandbox(t);
  assert.equal(sh(['frobnicate']).status, 2);
  const r = sh(['run'], { DEVICE: 'gpu' });
  assert.equal(r.status, 2);
  assert.match(r.out, /DEVICE must be cuda or cpu, got gpu/);
});
