import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { protocolCommand } from '../../../../src/cli/commands/protocol.js';
import { trainCommand } from '../../../../src/cli/commands/train.js';
import { loadCheckpoint } from '../../../../src/node/engine/checkpoint-store.js';
import { loadInitTensors } from '../../../../src/node/engine/init-weights.js';
import { resolveBackbone } from '../../../../src/node/train/backbone.js';
import { loadRunConfig, trainRun } from '../../../../src/node/train/train-run.js';
import { readEmbeddedMetadata } from '../../../../src/node/segment/model-metadata.js';

const REPO_ROOT = resolve(__dirname, '../../../..');
const root = mkdtempSync(join(tmpdir(), 'anadiff-runs-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const runA = join(root, 'a');
/** The phantom demo, tiny: 2 epochs x 3 steps, a checkpoint every step. */
const flags = ['--phantom', '--preset', 'tiny', '--spacing', '8x8x10', '--patch', '24x24x12', '--batch', '1', '--warmup', '2',
  '--lr', '3e-3', '--epochs', '2', '--steps-per-epoch', '3', '--checkpoint-every', '1'];

type Line = Record<string, unknown>;
const metrics = (dir: string): Line[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const quiet = async <T>(f: () => Promise<T>): Promise<T> => {
  const { error } = console;
  console.error = () => undefined;
  try { return await f(); } finally { console.error = error; }
};

test('train writes a run folder: config, metrics with validation Dice per class, best checkpoint, model.onnx with metadata, report', async () => {
  assert.equal(await quiet(() => trainCommand.run([...flags, '--run-dir', runA])), 0);
  const lines = metrics(runA);
  assert.deepEqual(lines.filter((l) => l.kind === undefined).map((l) => l.step), [1, 2, 3, 4, 5, 6]);
  const val = lines.filter((l) => l.kind === 'validation');
  assert.deepEqual(val.map((l) => l.step), [3, 6]);
  for (const v of val) {
    assert.equal(Object.keys(v.dice as object).length, 13);
    assert.ok((v.meanDice as number) >= 0 && (v.meanDice as number) <= 1);
  }
  const config = await loadRunConfig(runA);
  assert.deepEqual(config.spacingMm, [8, 8, 10]);
  assert.equal(config.augment, true, 'train augments its patches unless --no-augment');
  const report = JSON.parse(readFileSync(join(runA, 'report.json'), 'utf8')) as { status: string; step: number; best: { step: number; meanDice: number } };
  assert.equal(report.status, 'done');
  assert.equal(report.step, 6);
  assert.equal(report.best.meanDice, Math.max(...val.map((v) => v.meanDice as number)));
  assert.equal(loadCheckpoint(resolveBackbone(runA)).manifest.step, report.best.step, '--backbone RUN resolves to the best checkpoint');
  const model = new Uint8Array(readFileSync(join(runA, 'model.onnx')));
  const meta = readEmbeddedMetadata(model, 'model.onnx');
  assert.deepEqual(meta?.patch, config.patch);
  assert.equal(meta?.classNames.length, 13);
  const session = await ort.InferenceSession.create(model);
  const [pi, pj, pk] = config.patch;
  const out = await session.run({ image: new ort.Tensor('float32', new Float32Array(pi * pj * pk).fill(0.5), [1, 1, pk, pj, pi]) });
  assert.deepEqual(out.probs?.dims, [1, 13, pk, pj, pi]);
  await session.release();
});

test('--init MODEL.onnx starts every parameter (backbone and head) at an exported model\'s weights; the optimizer starts fresh', async () => {
  const model = join(runA, 'model.onnx');
  const exported = loadInitTensors(model);
  const best = loadCheckpoint(resolveBackbone(runA)).tensors;
  const params = [...best.keys()].filter((n) => n.startsWith('backbone.') || n.startsWith('head.'));
  assert.ok(params.some((n) => n.startsWith('head.')) && params.some((n) => n.startsWith('backbone.')));
  for (const n of params) assert.deepEqual(exported.get(n)?.data, best.get(n)?.data, `model.onnx carries ${n} of the best checkpoint`);
  // One step at a learning rate too small to move anything: the step-1 checkpoint holds the model's weights.
  const runD = join(root, 'from-model');
  assert.equal(await quiet(() => trainCommand.run([...flags, '--init', model, '--lr', '1e-12', '--weight-decay', '0', '--epochs', '1', '--steps-per-epoch', '1', '--run-dir', runD])), 0);
  const started = loadCheckpoint(join(runD, 'checkpoints', 'step-00000001.json')).tensors;
  for (const n of params) {
    const a = started.get(n)!.data as Float32Array;
    const b = best.get(n)!.data as Float32Array;
    assert.ok(a.every((v, i) => Math.abs(v - b[i]!) < 1e-6), `${n} starts at the model's value`);
  }
  const moment = [...started.keys()].find((n) => n.startsWith('adamw.m.') && n.includes('head.'))!;
  const m = started.get(moment)!.data as Float32Array;
  const g = m.reduce((s, v) => s + Math.abs(v), 0);
  assert.ok(g > 0 && g < 1, `${moment}: one step of fresh moments (0.1 x |gradient|), not the source run's`);
  assert.equal((await loadRunConfig(runD)).init, model, 'the run config records where its weights came from');
  await assert.rejects(quiet(() => trainCommand.run([...flags, '--preset', 'small', '--init', model, '--run-dir', join(root, 'from-model-small')])), /init: .*(has no tensor|needs \d+ float32 values)/);
  await assert.rejects(trainCommand.run([...flags, '--init', runA, '--backbone', runA]), /give one/);
  await assert.rejects(trainCommand.run([...flags, '--init', join(root, 'nope.onnx')]), /--init .*no such model file/);
});

test('Ctrl-C stops after a checkpoint (exit 130); --resume finishes with the uninterrupted run\'s losses and Dice', async () => {
  const runB = join(root, 'b');
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'train', ...flags, '--run-dir', runB], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    if (/step 4\/6/.test(stderr) && !child.killed) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  assert.equal(code, 130, stderr);
  const stopped = JSON.parse(readFileSync(join(runB, 'report.json'), 'utf8')) as { status: string; step: number };
  assert.equal(stopped.status, 'stopped');
  assert.ok(stopped.step >= 4 && stopped.step < 6, `stopped at ${stopped.step}`);
  assert.ok(!existsSync(join(runB, 'model.onnx')));
  assert.equal(await quiet(() => trainCommand.run(['--resume', runB])), 0);
  const a = metrics(runA), b = metrics(runB);
  assert.deepEqual(b.filter((l) => l.kind === undefined).map((l) => l.loss), a.filter((l) => l.kind === undefined).map((l) => l.loss));
  assert.deepEqual(b.filter((l) => l.kind === 'validation').map((l) => l.dice), a.filter((l) => l.kind === 'validation').map((l) => l.dice));
});

test('finetune from a backbone: frozen (backbone = the given checkpoint) until --unfreeze-epoch, then trained', async () => {
  const runC = join(root, 'c');
  const args = [...flags.slice(0, flags.indexOf('--epochs')), '--epochs', '2', '--steps-per-epoch', '2', '--checkpoint-every', '2',
    '--mode', 'finetune', '--head', 'linear', '--unfreeze-epoch', '2', '--backbone', runA, '--run-dir', runC];
  assert.equal(await quiet(() => trainCommand.run(args)), 0);
  const source = loadCheckpoint(resolveBackbone(runA)).tensors;
  const at = (step: number) => loadCheckpoint(join(runC, 'checkpoints', `step-${String(step).padStart(8, '0')}.json`)).tensors;
  const name = [...source.keys()].find((n) => n.startsWith('backbone.') && n.endsWith('.weight'))!;
  const head = [...source.keys()].find((n) => n.startsWith('head.') && n.endsWith('.weight'))!;
  assert.deepEqual(at(2).get(name)?.data, source.get(name)?.data, 'epoch 1: backbone frozen at the given weights');
  // The switch converts the frozen graph's step-2 checkpoint in memory (unfreeze.test.ts); on disk it stays frozen.
  assert.equal(at(2).has(`adamw.m.${name}`), false, 'the frozen checkpoint is never rewritten');
  assert.notDeepEqual(at(4).get(name)?.data, source.get(name)?.data, 'epoch 2: backbone trained');
  assert.ok(at(4).has(`adamw.m.${name}`));
  assert.notDeepEqual(at(2).get(head)?.data, source.get(head)?.data, 'the head is fresh and trained');
});

test('finetune stopped exactly at the switch resumes through the in-memory conversion with the uninterrupted losses', async () => {
  const runC = join(root, 'c');
  const runD = join(root, 'd');
  const config = await loadRunConfig(runC);
  let seen = 0;
  const first = await quiet(() => trainRun(config, runD, { newRun: true, onProgress: (p) => { seen = p.step; }, shouldStop: () => seen >= 2 }));
  assert.equal(first.status, 'stopped');
  assert.deepEqual(readdirSync(join(runD, 'checkpoints')).filter((f) => f.endsWith('.json')), ['step-00000002.json'], 'stopped at the switch, frozen checkpoint only');
  assert.equal((await quiet(() => trainRun(config, runD))).status, 'done');
  const steps = (dir: string) => metrics(dir).filter((l) => l.kind === undefined).map((l) => l.loss);
  assert.deepEqual(steps(runD), steps(runC));
  assert.deepEqual(metrics(runD).filter((l) => l.kind === 'validation').map((l) => l.dice), metrics(runC).filter((l) => l.kind === 'validation').map((l) => l.dice));
});

test('bad input is a clear error', async () => {
  await assert.rejects(trainCommand.run(['--preset', 'tiny']), /exactly one of --data/);
  await assert.rejects(trainCommand.run(['--phantom', '--mode', 'probe']), /--mode must be one of/);
  await assert.rejects(trainCommand.run(['--phantom', '--patch', '12x12']), /--patch must be three/);
  await assert.rejects(trainCommand.run(['--phantom', '--backbone', join(root, 'nope')]), /no such file/);
  await assert.rejects(trainCommand.run(['--phantom', '--net', 'unet', '--mode', 'linear']), /needs the fpn3d backbone/);
  await assert.rejects(protocolCommand.run(['kits']), /only btcv/);
  await assert.rejects(protocolCommand.run(['btcv', '--data', root]), /--mode must be one of/);
  await assert.rejects(protocolCommand.run(['btcv', '--data', root, '--mode', 'linear', '--folds', '7', '--run-dir', join(root, 'p')]), /BTCV layout|no fold 7/);
});
