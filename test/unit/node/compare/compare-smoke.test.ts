// `anadiff compare --smoke`, the whole experiment chain on the phantom as CI runs it: every arm pretrains (where it
// has pretraining), trains its head, scores the unseen test phantoms; each run's loss falls; the diffusion arms' probing
// timestep sweep; the report, its tables and figures are written. A first sitting with one arm is kept by the full run
// (nothing redone), and a rerun of a finished compare changes no run. Bad command lines and configs are refused before
// any work.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareCommand } from '../../../../src/cli/commands/compare.js';
import { EXIT } from '../../../../src/cli/command.js';
import { COMPARE_ARMS } from '../../../../src/core/compare/arms.js';
import { SMOKE_CONFIG } from '../../../../src/core/compare/config.js';
import type { CompareOutcome } from '../../../../src/node/compare/compare-run.js';
import { loadCheckpoint } from '../../../../src/node/engine/checkpoint-store.js';
import { resolveBackbone } from '../../../../src/node/train/backbone.js';

const root = mkdtempSync(join(tmpdir(), 'anadiff-compare-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const dir = join(root, 'smoke');

const quiet = async <T>(f: () => Promise<T>): Promise<T> => {
  const { error, log } = console;
  console.error = () => undefined;
  console.log = () => undefined;
  try { return await f(); } finally { Object.assign(console, { error, log }); }
};
const report = (): CompareOutcome['report'] => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
/** Every file under the compare folder's run folders with its size and mtime, except the report's own files. */
const runFiles = (): Map<string, string> => {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!/(run\.lock|train\.log|compare\.log)$/.test(p)) out.set(p, `${statSync(p).size}:${statSync(p).mtimeMs}`);
    }
  };
  for (const sub of ['pretrain', 'probe']) if (existsSync(join(dir, sub))) walk(join(dir, sub));
  return out;
};

test('compare --smoke: a first sitting with one arm, then every arm; each loss falls; the report holds every arm', async () => {
  assert.equal(await quiet(() => compareCommand.run(['--smoke', '--run-dir', dir, '--arms', 'diffusion'])), EXIT.ok);
  const first = report();
  assert.deepEqual(first.tables[0]!.arms.map((a) => a.arm), ['diffusion']);
  assert.ok(first.missing.includes('guided-aux seed 0'));
  const diffusionScores = join(dir, 'probe', 'diffusion-seed0-nonlinear', 'test-scores.json');
  const kept = statSync(diffusionScores).mtimeMs;

  assert.equal(await quiet(() => compareCommand.run(['--smoke', '--run-dir', dir])), EXIT.ok);
  assert.equal(statSync(diffusionScores).mtimeMs, kept, 'the first sitting\'s diffusion run was kept, not redone');
  const r = report();
  const table = r.tables[0]!;
  assert.equal(table.mode, 'nonlinear');
  assert.deepEqual(table.arms.map((a) => a.arm), [...COMPARE_ARMS]);
  assert.deepEqual(r.testCases, ['phantom-4', 'phantom-5']);
  assert.deepEqual(r.missing, []);
  for (const row of table.arms) assert.ok(Number.isFinite(row.overSeeds.mean) && row.overSeeds.mean >= 0 && row.overSeeds.mean <= 1, row.arm);
  assert.deepEqual(table.differences.map((d) => `${d.guided} - ${d.baseline}`).slice(0, 2), ['guided-aux - guided-cond', 'guided-aux - diffusion']);
  // Five pretraining runs and seven head trainings, each with a falling loss.
  assert.equal(r.losses.filter((l) => l.run.startsWith('pretrain/')).length, 5);
  assert.equal(r.losses.filter((l) => l.run.startsWith('probe/')).length, 7);
  for (const l of r.losses) assert.ok(l.fell, `${l.run}: ${l.first} -> ${l.last}`);
  // The probing timestep sweep: each diffusion arm at t = 0 (its main probe) and t = 10, validation Dice only.
  assert.deepEqual(r.timestepSweep.map((p) => `${p.arm}@${p.t}`), ['guided-aux@0', 'guided-aux@10', 'guided-cond@0', 'guided-cond@10', 'diffusion@0', 'diffusion@10']);
  for (const p of r.timestepSweep) assert.ok(p.validationDice >= 0 && p.validationDice <= 1, `${p.arm}@${p.t}`);
  const t10 = loadCheckpoint(resolveBackbone(join(dir, 'pretrain', 'diffusion-seed0', 'backbone-t10'))).manifest.config as { filmFoldedAt?: number };
  assert.equal(t10.filmFoldedAt, 10, 'the sweep probes a backbone folded at t = 10');
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /Paired differences/);
  assert.match(md, /Probing timestep .*\n\n.*\n\n\| arm \| t = 0 \| t = 10 \|/);
  for (const f of ['dice-nonlinear.svg', 'organs-nonlinear.svg', 'pretrain-loss.svg']) assert.match(readFileSync(join(dir, 'plots', f), 'utf8'), /^<svg[\s\S]*<\/svg>\n$/, f);
  assert.equal(existsSync(join(dir, 'run.lock')), false, 'the compare lock is released');

  const before = runFiles();
  assert.equal(await quiet(() => compareCommand.run(['--smoke', '--run-dir', dir])), EXIT.ok);
  assert.deepEqual(runFiles(), before, 'a rerun of a finished compare changes no run');
});

test('compare refuses bad command lines, a test set that was trained on, and another experiment in the same folder', async () => {
  const usage = async (args: string[], message: RegExp): Promise<void> => {
    await assert.rejects(compareCommand.run(args), (e: Error & { exitCode?: number }) => e.exitCode === EXIT.usage && message.test(e.message), args.join(' '));
  };
  await usage([], /exactly one of --config FILE\.json, --smoke/);
  await usage(['--smoke', '--config', 'x.json'], /exactly one/);
  await usage(['--smoke', '--arms', 'diffusion,vae'], /unknown arm\(s\) vae/);
  await usage(['--smoke', '--seeds', '7'], /seed 7 not in the config/);
  await usage(['--smoke', '--device', 'tpu'], /--device must be auto, cpu or cuda/);

  const write = (name: string, value: unknown): string => {
    const path = join(root, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };
  const leaky = write('leaky.json', { ...SMOKE_CONFIG, name: 'leaky', data: { ...SMOKE_CONFIG.data, test: [{ phantom: [3, 4] }] } });
  await assert.rejects(quiet(() => compareCommand.run(['--config', leaky, '--run-dir', join(root, 'leaky')])), /test case\(s\) phantom-3 are also in a training set/);
  assert.equal(existsSync(join(root, 'leaky', 'pretrain')), false, 'refused before any pretraining');
  await assert.rejects(compareCommand.run(['--config', write('bad.json', { ...SMOKE_CONFIG, pretrain: { ...SMOKE_CONFIG.pretrain, steps: -3 } })]), /bad\.json: pretrain\.steps must be a positive integer, got -3/);
  await assert.rejects(compareCommand.run(['--config', join(root, 'none.json')]), /none\.json: no such file/);
  const noModel = write('no-model.json', { ...SMOKE_CONFIG, name: 'no-model', pretrain: { ...SMOKE_CONFIG.pretrain, coords: 'runs/no-such-coords-run' } });
  await assert.rejects(quiet(() => compareCommand.run(['--config', noModel, '--run-dir', join(root, 'no-model')])), /pretrain\.coords: .*no-such-coords-run.* does not exist/);
  assert.equal(existsSync(join(root, 'no-model', 'pretrain')), false, 'a missing coordinate model is refused before any pretraining');

  const other = write('other.json', { ...SMOKE_CONFIG, pretrain: { ...SMOKE_CONFIG.pretrain, steps: 31 } });
  await assert.rejects(quiet(() => compareCommand.run(['--config', other, '--run-dir', dir])), /holds another experiment \(pretrain differ/);
});
