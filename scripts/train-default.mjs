#!/usr/bin/env node
// The reproducible command for the default 13-organ model (`npm run train:default`):
//   1. `anadiff synth`: synthetic CTs with exact BTCV-13 labels from five label maps in ../shared/data (subject A's
//      TotalSegmentator prediction and four TotalSegmentator-dataset reference label maps), fixed seed; one synthetic
//      case of a sixth subject (s0001) validates; s0328 is never used (eval:default tests on it). Cases already
//      written are kept, so an interrupted run resumes;
//   2. `anadiff train`: fpn3d small + FPN head, BCE + soft Dice, AdamW 3e-4, augmented patches, a quarter of them cut
//      from thin slabs (4-40 slices, padded as segment pads a partial scan), fixed seed; rerunning resumes the run;
//   3. copies model.onnx, model.json and report.json to models/default/, and scores the model on the REAL subject-A
//      CT (`segment` + `evaluate`), added to models/default/report.json as `realSubjectA`. The real subject-A CT is
//      never trained on (it is the test of `npm run eval:default`).
// Sized for the 2-core development box: 3.6-3.8 s per step (batch 1, 2 threads), validation about 40 s per epoch.
// Options (after `--`): --epochs E --steps-per-epoch S --batch B --out DIR --work DIR --seed S --lr LR --slabs P
//   --init MODEL.onnx: fine-tune from an existing model (copied into the work folder first, since --out may be the
//   folder it came from); how the shipped model was made is in models/default/report.json's `command`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '16' }, 'steps-per-epoch': { type: 'string', default: '60' },
    batch: { type: 'string', default: '1' }, seed: { type: 'string', default: '0' }, lr: { type: 'string', default: '3e-4' },
    slabs: { type: 'string', default: '0.25' }, init: { type: 'string' },
    out: { type: 'string', default: join(root, 'models', 'default') }, work: { type: 'string', default: join(root, '.anadiff', 'default-model') },
  },
});
const shared = resolve(root, '../shared/data');
const subjectA = join(shared, 'totalsegmentator');
const dataset = join(shared, 'totalsegmentator-dataset');
const realCt = join(subjectA, 'example_ct.nii.gz');
const realRef = join(subjectA, 'example_ct_btcv13_from_totalseg_fast.nii.gz');
/**
 * Label maps -> synthetic cases (first case index, count). Indices keep each source's cases apart in one folder; the
 * validation source sorts last, so `train --val 1` takes it. s0002/s0003 (neck, esophagus only) add no abdominal
 * organ, and s0328 is the held-out test anatomy of eval:default.
 */
const TRAIN_SOURCES = [
  { labels: join(subjectA, 'example_seg_fast_force_split.nii.gz'), start: 0, n: 10 },
  { labels: join(dataset, 's0004_seg_total.nii.gz'), start: 100, n: 7 },
  { labels: join(dataset, 's0006_seg_total.nii.gz'), start: 200, n: 7 },
  { labels: join(dataset, 's0011_seg_total.nii.gz'), start: 300, n: 7 },
  { labels: join(dataset, 's0327_seg_total.nii.gz'), start: 400, n: 7 },
  { labels: join(dataset, 's0001_seg_total.nii.gz'), start: 900, n: 1 }, // validation
];
const missing = TRAIN_SOURCES.map((s) => s.labels).filter((p) => !existsSync(p));
if (missing.length > 0) {
  console.error(`train:default: ${missing.join(', ')} missing: the default model is made from label maps in ../shared/data`);
  process.exit(1);
}

const cli = join(root, 'dist', 'cli.js');
const run = (args, what) => {
  console.error(`\n> anadiff ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`train:default: ${what} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status === 130 ? 130 : 1);
  }
  return r.stdout;
};
if (!existsSync(cli)) {
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}

const synthDir = join(values.work, 'synth');
const runDir = join(values.work, 'run');
const started = Date.now();
for (const source of TRAIN_SOURCES) {
  run(['synth', '--labels', source.labels, '--n', String(source.n), '--start', String(source.start), '--out', synthDir, '--seed', '1', '--classes-from', 'totalseg'], `synth ${source.labels}`);
}
const initCopy = join(values.work, 'init-model.onnx');
if (values.init !== undefined && !existsSync(join(runDir, 'config.json'))) {
  mkdirSync(values.work, { recursive: true });
  copyFileSync(resolve(values.init), initCopy);
}
const trainArgs = existsSync(join(runDir, 'config.json'))
  ? ['train', '--resume', runDir, '--epochs', values.epochs]
  : ['train', '--data', synthDir, '--val', '1', '--name', 'default', '--net', 'fpn3d', '--preset', 'small', '--head', 'fpn',
    '--spacing', '1.5x1.5x3', '--patch', '128x128x32', '--batch', values.batch, '--lr', values.lr, '--warmup', '50', '--slabs', values.slabs,
    ...(values.init !== undefined ? ['--init', initCopy] : []),
    '--epochs', values.epochs, '--steps-per-epoch', values['steps-per-epoch'], '--seed', values.seed, '--checkpoint-every', '20', '--overlap', '0.25',
    '--run-dir', runDir];
run(trainArgs, 'train');

mkdirSync(values.out, { recursive: true });
for (const f of ['model.onnx', 'model.json']) copyFileSync(join(runDir, f), join(values.out, `.${f}.tmp`)), renameSync(join(values.out, `.${f}.tmp`), join(values.out, f));
const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
report.command = `npm run train:default -- ${process.argv.slice(2).join(' ')}`.trim();
report.wallMinutes = Math.round((Date.now() - started) / 600) / 100;
if (existsSync(realCt) && existsSync(realRef)) {
  const seg = join(values.work, 'subjectA_seg.nii.gz');
  run(['segment', '--model', join(values.out, 'model.onnx'), '--input', realCt, '--output', seg, '--overwrite'], 'segment subject A');
  report.realSubjectA = JSON.parse(run(['evaluate', '--pred', seg, '--ref', realRef, '--json'], 'evaluate subject A'));
}
writeFileSync(join(values.out, '.report.json.tmp'), `${JSON.stringify(report, null, 2)}\n`);
renameSync(join(values.out, '.report.json.tmp'), join(values.out, 'report.json'));
console.error(`\ntrain:default: wrote ${join(values.out, 'model.onnx')} and report.json in ${report.wallMinutes} min`);
