/**
 * Fault injection on run folders: a checkpoint that does not fit the run, kill -9 in the middle of a checkpoint write
 * (at chosen byte offsets, through ANADIFF_TEST_CRASH_CHECKPOINT_AT_BYTE), a full disk (a tiny tmpfs, as root), and
 * two writers at once. Each ends in a clear error or an exact resume, never in a silently different run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CheckpointMismatchError } from '../../../../src/core/checkpoint/fit.js';
import type { NamedTensor } from '../../../../src/core/checkpoint/safetensors.js';
import { trainCommand } from '../../../../src/cli/commands/train.js';
import { loadCheckpoint, loadLatestCheckpoint, writeCheckpoint } from '../../../../src/node/engine/checkpoint-store.js';
import { toyLinearProgram } from '../../../../src/node/train/jobs/toy-linear.js';
import { runTraining, type TrainOptions } from '../../../../src/node/engine/trainer.js';
import { acquireRunLock, RunLockedError, RUN_LOCK_FILE } from '../../../../src/node/runs/run-lock.js';

const REPO_ROOT = resolve(__dirname, '../../../..');
const CLI = join(REPO_ROOT, 'src/cli/main.ts');
const root = mkdtempSync(join(tmpdir(), 'anadiff-faults-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
/** The phantom demo at its smallest: 3 steps, a checkpoint every step, one validation. */
const flags = ['--phantom', '--preset', 'tiny', '--spacing', '8x8x10', '--patch', '24x24x12', '--batch', '1', '--warmup', '2',
  '--lr', '3e-3', '--epochs', '1', '--steps-per-epoch', '3', '--checkpoint-every', '1', '--threads', '1'];
const base = join(root, 'base');
const toyJob = { kind: 'toy-linear' as const };

type Line = Record<string, unknown>;
const metrics = (dir: string): Line[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const losses = (dir: string): unknown[] => metrics(dir).filter((l) => l.kind === undefined).map((l) => l.loss);
const quiet = async <T>(f: () => Promise<T>): Promise<T> => {
  const { error } = console;
  console.error = () => undefined;
  try { return await f(); } finally { console.error = error; }
};
/** Every file under `dir` by relative path -> sha256: equal snapshots mean nothing was written. */
const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
};
const tempFiles = (dir: string): string[] => readdirSync(dir).filter((f) => /\.tmp-\d+$/.test(f));
const cli = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
  spawn(process.execPath, ['--import', 'tsx', CLI, 'train', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
const exited = (child: ReturnType<typeof cli>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> => {
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
  return new Promise((done) => child.on('exit', (code, signal) => done({ code, signal, stderr })));
};

test('the uninterrupted reference run', async () => {
  assert.equal(await quiet(() => trainCommand.run([...flags, '--run-dir', base])), 0);
  assert.deepEqual(metrics(base).filter((l) => l.kind === undefined).map((l) => l.step), [1, 2, 3]);
  assert.equal(existsSync(join(base, RUN_LOCK_FILE)), false, 'the lock is released when the run is done');
});

test('a checkpoint of another graph is refused before anything is converted or written, naming the tensor and its writer', async () => {
  const latest = loadLatestCheckpoint(join(base, 'checkpoints'))!;
  const weight = [...latest.tensors.keys()].find((n) => n.endsWith('conv2.weight') && !n.startsWith('adamw'))!;
  const cases: [string, (tensors: Map<string, NamedTensor>) => void, RegExp][] = [
    // The case: another graph hash and one weight missing (resumed to "done" with zeros before).
    ['missing', (t) => t.delete(weight), new RegExp(`tensor ${weight.replace(/\./g, '\\.')} is missing \\(this graph expects F32 \\[`)],
    // A foreign checkpoint: another network's head (rewritten in place before it failed).
    ['foreign', (t) => t.set('head.level0.weight', { dtype: 'F32', shape: [13, 99, 1, 1, 1], data: new Float32Array(13 * 99) }), /tensor head\.level0\.weight is F32 \[13, 99, 1, 1, 1\], this graph expects F32 \[/],
  ];
  for (const [name, edit, expected] of cases) {
    const dir = join(root, `misfit-${name}`);
    cpSync(base, dir, { recursive: true });
    const tensors = new Map(latest.tensors);
    edit(tensors);
    const manifestPath = writeCheckpoint(join(dir, 'checkpoints'), { step: latest.manifest.step, tensors, rng: latest.manifest.rng, graphHash: 'c'.repeat(64), config: latest.manifest.config });
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, writer: { anadiff: '0.0.9' } }));
    const before = snapshot(dir);
    await assert.rejects(quiet(() => trainCommand.run(['--resume', dir, '--epochs', '2'])), (e: unknown) => {
      assert.ok(e instanceof CheckpointMismatchError, String(e));
      assert.match(e.message, expected);
      assert.match(e.message, /^checkpoint step 3 does not fit this run: .* by anadiff 0\.0\.9 \(this is anadiff \d/);
      return true;
    });
    assert.deepEqual(snapshot(dir), before, `${name}: the run folder is untouched`);
  }
});

test('kill -9 at six byte offsets of a checkpoint write: the trainer resumes exactly from the previous good checkpoint', async () => {
  // The toy job through the trainer (milliseconds a run), killed while writing checkpoint 20 of 30.
  const options = (runDir: string): TrainOptions => ({ runDir, steps: 30, checkpointEvery: 10, seed: 5, resume: true, provider: 'cpu', threads: 1, config: { job: toyJob } });
  const whole = join(root, 'toy-whole');
  await runTraining(toyLinearProgram(toyJob), options(whole));
  const size = statSync(join(whole, 'checkpoints', 'step-00000020.safetensors')).size;
  // Nothing written, inside the safetensors header, inside the data, one byte short (before the rename), the whole
  // tensor file (renamed, no manifest yet), inside the manifest.
  const offsets = [0, 40, Math.floor(size * 0.61), size - 1, size, size + 40];
  const script = (runDir: string): string => `
    Promise.all([import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'src/node/engine/trainer.ts')).href)}), import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'src/node/train/jobs/toy-linear.ts')).href)})])
      .then(([t, j]) => (t.runTraining ?? t.default.runTraining)((j.toyLinearProgram ?? j.default.toyLinearProgram)(${JSON.stringify(toyJob)}), ${JSON.stringify(options(runDir))}));`;
  for (const offset of offsets) {
    const dir = join(root, `toy-crash-${offset}`);
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(dir)], { env: { ...process.env, ANADIFF_TEST_CRASH_CHECKPOINT_AT_BYTE: `20:${offset}` } });
    assert.equal(child.signal, 'SIGKILL', `offset ${offset}: ${child.stderr.toString()}`);
    assert.deepEqual(readdirSync(join(dir, 'checkpoints')).filter((f) => f.endsWith('.json')), ['step-00000010.json'], `offset ${offset}`);
    const resumed = await runTraining(toyLinearProgram(toyJob), options(dir));
    assert.equal(resumed.resumedFrom, 10, `offset ${offset}`);
    assert.deepEqual(losses(dir), losses(whole), `offset ${offset}: the losses of the uninterrupted run`);
    assert.deepEqual(tempFiles(join(dir, 'checkpoints')), [], `offset ${offset}: the killed write's temporary file is gone`);
  }
});

test('kill -9 inside a checkpoint write of `anadiff train`: the stale lock is taken over and --resume matches the uninterrupted run', async () => {
  const dir = join(root, 'crash');
  const size = statSync(join(base, 'checkpoints', 'step-00000002.safetensors')).size;
  const { signal, stderr } = await exited(cli([...flags, '--run-dir', dir], { ANADIFF_TEST_CRASH_CHECKPOINT_AT_BYTE: `2:${Math.floor(size * 0.61)}` }));
  assert.equal(signal, 'SIGKILL', stderr);
  assert.deepEqual(readdirSync(join(dir, 'checkpoints')).filter((f) => f.endsWith('.json')), ['step-00000001.json']);
  assert.ok(existsSync(join(dir, RUN_LOCK_FILE)), 'SIGKILL leaves the lock behind');
  assert.equal(await quiet(() => trainCommand.run(['--resume', dir])), 0);
  assert.deepEqual(losses(dir), losses(base));
  assert.deepEqual(metrics(dir).find((l) => l.kind === 'validation')?.dice, metrics(base).find((l) => l.kind === 'validation')?.dice);
  assert.deepEqual(tempFiles(join(dir, 'checkpoints')), []);
  assert.equal(existsSync(join(dir, RUN_LOCK_FILE)), false);
});

test('disk full on the run folder (a tiny tmpfs): a clear error naming the file, the previous checkpoint intact, then an exact resume', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to mount a tmpfs (run the suite as root, as CI does)');
  const mountPoint = join(root, 'tiny-disk');
  mkdirSync(mountPoint);
  // Config, log and metrics take a page each; one checkpoint (~0.6 MB) fits, the second does not.
  const size = statSync(join(base, 'checkpoints', 'step-00000001.safetensors')).size;
  const kb = Math.ceil((size * 1.5) / 1024);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', mountPoint]);
  if (mounted.status !== 0) return t.skip(`mount -t tmpfs failed: ${mounted.stderr.toString().trim()}`);
  t.after(() => spawnSync('umount', [mountPoint]));
  const dir = join(mountPoint, 'run');
  await assert.rejects(quiet(() => trainCommand.run([...flags, '--run-dir', dir])), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'ENOSPC');
    assert.match(e.message, new RegExp(`^cannot write ${join(dir, 'checkpoints', 'step-00000002.safetensors').replace(/[.]/g, '\\.')}: ENOSPC`));
    return true;
  });
  assert.equal(loadLatestCheckpoint(join(dir, 'checkpoints'))?.manifest.step, 1, 'the previous checkpoint loads (size and sha256 verified)');
  assert.deepEqual(tempFiles(join(dir, 'checkpoints')), []);
  assert.equal(existsSync(join(dir, RUN_LOCK_FILE)), false, 'the lock is released on the error path');
  assert.equal(spawnSync('mount', ['-o', 'remount,size=16m', mountPoint]).status, 0);
  assert.equal(await quiet(() => trainCommand.run(['--resume', dir])), 0);
  assert.deepEqual(losses(dir), losses(base));
});

test('two writers on one run folder: the second fails at once naming the holder, and the run stays whole', async () => {
  const dir = join(root, 'contended');
  const first = cli([...flags.slice(0, flags.indexOf('--steps-per-epoch')), '--steps-per-epoch', '400', '--checkpoint-every', '5', '--threads', '1', '--name', 'first', '--run-dir', dir]);
  const firstExit = exited(first);
  let firstErr = '';
  await new Promise<void>((ready) => first.stderr!.on('data', (b: Buffer) => { firstErr += b.toString(); if (/step \d+\/400/.test(firstErr)) ready(); }));
  const second = await exited(cli([...flags, '--name', 'second', '--run-dir', dir]));
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`anadiff: run folder ${dir.replace(/[.]/g, '\\.')} is in use by train \\(pid ${first.pid}, since [^)]+\\); stop it first`));
  first.kill('SIGTERM');
  const stopped = await firstExit;
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.equal(existsSync(join(dir, RUN_LOCK_FILE)), false, 'SIGTERM stops after a checkpoint and releases the lock');
  assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).name, 'first', 'config.json is the first run\'s');
  const steps = metrics(dir).map((l) => l.step as number);
  assert.deepEqual(steps, steps.map((_, i) => i + 1), 'metrics.jsonl: one line per step, in order, none doubled');
  const last = loadLatestCheckpoint(join(dir, 'checkpoints'))!;
  assert.equal(last.manifest.step, steps.at(-1), 'the stop wrote a checkpoint at the last step');
  assert.equal((last.manifest.config as { name: string }).name, 'first');
  const untouched = snapshot(dir);
  await assert.rejects(quiet(() => trainCommand.run([...flags, '--run-dir', dir])), /already holds a run: continue it with --resume/);
  assert.deepEqual(snapshot(dir), untouched, 'a later new run on the folder is refused without writing');
  // A resume while another writer holds the folder is refused the same way (the test process holds it here, so
  // nothing else can have moved the files between the two snapshots).
  const held = acquireRunLock(dir, 'resume');
  try {
    const before = snapshot(dir);
    await assert.rejects(quiet(() => trainCommand.run(['--resume', dir])), (e: unknown) => e instanceof RunLockedError && new RegExp(`in use by resume \\(pid ${process.pid}`).test(e.message));
    const after = snapshot(dir);
    assert.deepEqual(after, before, 'the refused resume wrote nothing');
  } finally {
    held.release();
  }
  assert.ok(loadCheckpoint(last.manifestPath));
});
