import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CaseSource } from '../../node/train/jobs/job-spec.js';
import { resolveBackbone, resolveInitWeights } from '../../node/train/backbone.js';
import { listLabelledCases } from '../../node/datasets/dataset-cases.js';
import { TRAIN_MODES, type TrainMode } from '../../node/train/run-config.js';
import { defaultRunsRoot, runFolderName } from '../../node/runs/run-folder.js';
import { resolveTrainConfig, TRAIN_DEFAULTS, type TrainRequest } from '../../node/train/resolve-train.js';
import { checkInputFile, checkOutputFolder } from '../../node/io/output-path.js';
import { loadRunConfig, trainRun, type TrainReport } from '../../node/train/train-run.js';
import { readRunLock, RunLockedError } from '../../node/runs/run-lock.js';
import { jobParseOptions, withJobConfig, CONFIG_USAGE } from './job-config-flag.js';
import { CliError, EXIT, UsageError, type CliCommand } from '../command.js';
import { checkTrainFlags, parseTriple, parseIntList, printProgress, stopOnSigint, positiveIntOption, numberOption } from './train-flags.js';

const d = TRAIN_DEFAULTS;
const usage = `usage: anadiff train (--data DIR | --image CT --label SEG | --phantom) [options]
       anadiff train --resume RUN_DIR [--epochs E]

Trains a 3-D segmentation model and writes a run folder (docs/run-folder.md): config.json, metrics.jsonl,
checkpoints/, best/, model.onnx + model.json, train.log, report.json. Cases are preprocessed with the vox2vec
protocol (RAS, body crop, resampling to --spacing, HU [-1350, 1000] -> [0, 1], body mask).

data:
  --data DIR            BTCV (img/ + label/), MSD (imagesTr/ + labelsTr/) or X_ct/X_seg pairs; the last --val cases
                        (sorted by id) validate, the rest train
  --val N               validation cases held out of --data (default 1; 0: no validation, last checkpoint exported)
  --image CT --label SEG  one pair (validated on itself unless --val-image/--val-label)
  --phantom             the built-in phantom (seed 1 trains, seed 2 validates; spacing 3x3x4 mm): a quick demo
  --labels 1,2,..       label values learned as classes 1..n (default 1..13, the BTCV organs)
  --spacing 1x1x2       target spacing in mm (default 1x1x2)
model:
  --mode M              ${TRAIN_MODES.join('|')} (default scratch). linear/nonlinear probe a frozen backbone with a
                        linear / FPN head; finetune unfreezes it at --unfreeze-epoch (default epochs/3)
  --backbone RUN|CKPT   start the backbone from a run folder (best/ or newest checkpoint) or a checkpoint .json
  --init MODEL|RUN|CKPT start every parameter (backbone and head) from an exported model (.onnx, e.g.
                        models/default/model.onnx) or a run/checkpoint: fine-tune a model on your scans (same net,
                        preset, head and number of labels; the optimizer starts fresh)
  --net fpn3d|unet  --preset tiny|small|paper (default small)  --channels N  --head linear|fpn
  --loss bce-dice|softmax-ce   BCE + soft Dice on sigmoid channels inside the body (default) or softmax CE + Dice
optimisation:
  --patch 128x128x32    voxels i x j x k, clamped to the smallest volume (default ${d.patch.join('x')})
  --batch N (${d.batch})  --lr (${d.lr}, AdamW)  --weight-decay (${d.weightDecay})  --warmup STEPS (${d.warmupSteps})
  --epochs E (${d.epochs})  --steps-per-epoch S (${d.stepsPerEpoch})  --seed N (${d.seed})  --checkpoint-every N (${d.checkpointEvery})
  --overlap F (validation sliding window, ${d.overlap})  --threads N
  --device auto|cpu|cuda  execution provider (default auto: CUDA when its providers are installed); not stored in
                        config.json, so a run may resume on another machine
  --no-augment          train on raw patches (default: rotations, zoom, intensity/contrast jitter, noise, blur)
  --slabs P             share of patches cut from a thin slab of the case, padded as segment pads a partial scan
                        (default ${d.slabProbability}; 0 turns it off)  --slab-slices MIN-MAX (slices at --spacing, default ${d.slabSlices.join('-')})
run:
  --name NAME  --run-dir DIR (default .anadiff/runs/<time>-<name>)  --json (print report.json)
${CONFIG_USAGE}
Ctrl-C (or SIGTERM, the editor's Stop Run) stops after writing a checkpoint; --resume RUN_DIR continues it (same results as an uninterrupted run).`;

async function casesFromFlags(values: Record<string, string | boolean | undefined>): Promise<{ train: CaseSource[]; val: CaseSource[]; spacing?: [number, number, number] }> {
  const chosen = [values.data !== undefined, values.image !== undefined || values.label !== undefined, values.phantom === true].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError(`give exactly one of --data DIR, --image CT --label SEG, --phantom\n\n${usage}`);
  if (values.phantom) return { train: [{ id: 'phantom-1', phantom: { seed: 1 } }], val: [{ id: 'phantom-2', phantom: { seed: 2 } }], spacing: [3, 3, 4] };
  if (typeof values.data === 'string') {
    const all = await listLabelledCases(values.data);
    const nVal = values.val === undefined ? 1 : Number(values.val);
    if (!Number.isInteger(nVal) || nVal < 0) throw new UsageError(`--val must be a non-negative integer, got ${String(values.val)}`);
    if (all.length <= nVal) throw new CliError(`--data ${values.data}: ${all.length} case(s), too few to hold out ${nVal} for validation`);
    return { train: all.slice(0, all.length - nVal), val: all.slice(all.length - nVal) };
  }
  if (typeof values.image !== 'string' || typeof values.label !== 'string') throw new UsageError('--image and --label go together');
  for (const flag of ['image', 'label', 'val-image', 'val-label'] as const) {
    const p = values[flag];
    if (typeof p === 'string') checkInputFile(p, `--${flag}`);
  }
  const train: CaseSource = { id: 'train', image: values.image, labels: values.label };
  const valImage = values['val-image'], valLabel = values['val-label'];
  const val: CaseSource = typeof valImage === 'string' && typeof valLabel === 'string' ? { id: 'val', image: valImage, labels: valLabel } : { ...train, id: 'train-as-val' };
  return { train: [train], val: [val] };
}

function enumOption<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${value}`);
  return value as T;
}

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'train a segmentation model (scratch, linear/nonlinear probing or finetuning a backbone) into a run folder',
  usage,
  run: (argv) => withJobConfig('train', argv, async (argv) => {
    const { values } = parseArgs({ args: [...argv], options: jobParseOptions('train') });
    const device = enumOption('device', values.device, ['auto', 'cpu', 'cuda'] as const);
    const stop = stopOnSigint();
    let report: TrainReport;
    try {
      if (values.resume !== undefined) {
        const runDir = resolve(values.resume);
        let config = await loadRunConfig(runDir).catch((e: unknown) => { throw new CliError(`--resume ${values.resume}: ${(e as Error).message}`); });
        if (values.epochs !== undefined) config = Object.freeze({ ...config, epochs: positiveIntOption('epochs', values.epochs)! });
        console.error(`resuming ${runDir}`);
        report = await trainRun(config, runDir, { lockKind: 'resume', shouldStop: stop.requested, onProgress: printProgress, onMessage: (m) => console.error(m), ...(device ? { provider: device } : {}) });
      } else {
        const mode = enumOption<TrainMode>('mode', values.mode, TRAIN_MODES);
        // Every flag is parsed and range-checked before the data is listed or a case read.
        const flagged: Omit<TrainRequest, 'train' | 'val' | 'spacingMm'> = {
          ...(values.name !== undefined ? { name: values.name } : mode ? { name: mode } : {}),
          ...(mode ? { mode } : {}),
          ...(values.backbone !== undefined ? { backbone: resolveBackbone(values.backbone) } : {}),
          ...(values.init !== undefined ? { init: resolveInitWeights(values.init) } : {}),
          ...optional('net', enumOption('net', values.net, ['fpn3d', 'unet'] as const)),
          ...optional('preset', enumOption('preset', values.preset, ['tiny', 'small', 'paper'] as const)),
          ...optional('head', enumOption('head', values.head, ['linear', 'fpn'] as const)),
          ...optional('loss', enumOption('loss', values.loss, ['bce-dice', 'softmax-ce'] as const)),
          ...optional('channels', positiveIntOption('channels', values.channels)),
          ...optional('patch', values.patch !== undefined ? parseTriple('patch', values.patch, true) : undefined),
          ...optional('labels', values.labels !== undefined ? parseIntList('labels', values.labels) : undefined),
          ...optional('batch', positiveIntOption('batch', values.batch)),
          ...optional('lr', numberOption('lr', values.lr)),
          ...optional('weightDecay', numberOption('weight-decay', values['weight-decay'])),
          ...optional('warmupSteps', numberOption('warmup', values.warmup)),
          ...optional('epochs', positiveIntOption('epochs', values.epochs)),
          ...optional('stepsPerEpoch', positiveIntOption('steps-per-epoch', values['steps-per-epoch'])),
          ...optional('unfreezeEpoch', positiveIntOption('unfreeze-epoch', values['unfreeze-epoch'])),
          ...optional('seed', numberOption('seed', values.seed)),
          ...optional('checkpointEvery', positiveIntOption('checkpoint-every', values['checkpoint-every'])),
          ...optional('overlap', numberOption('overlap', values.overlap)),
          ...optional('threads', positiveIntOption('threads', values.threads)),
          ...(values['no-augment'] ? { augment: false } : {}),
          ...optional('slabProbability', numberOption('slabs', values.slabs)),
          ...optional('slabSlices', values['slab-slices'] !== undefined ? parseSlabSlices(values['slab-slices']) : undefined),
        };
        checkTrainFlags(flagged);
        const spacing = values.spacing !== undefined ? parseTriple('spacing', values.spacing, false) : undefined;
        const cases = await casesFromFlags(values);
        const request: TrainRequest = { ...flagged, train: cases.train, val: cases.val, ...optional('spacingMm', spacing ?? cases.spacing) };
        // The run folder is checked before any case is preprocessed: a folder that cannot be written fails now.
        const runDir = resolve(values['run-dir'] ?? join(defaultRunsRoot(), runFolderName(request.name ?? TRAIN_DEFAULTS.mode)));
        checkOutputFolder(runDir, values['run-dir'] !== undefined ? '--run-dir' : 'run folder');
        // A folder in use names its holder; one that holds a finished or stopped run says how to continue it. Both
        // are checked again under the lock by trainRun (newRun), so this early answer cannot race.
        const holder = readRunLock(runDir);
        if (holder && holder.alive !== false) throw new RunLockedError(runDir, holder);
        if (existsSync(join(runDir, 'checkpoints'))) throw new CliError(`${runDir} already holds a run: continue it with --resume ${runDir} or pick another --run-dir`);
        const cache = new Map();
        const config = await resolveTrainConfig(request, cache);
        console.error(`run folder ${runDir}`);
        report = await trainRun(config, runDir, { newRun: true, shouldStop: stop.requested, onProgress: printProgress, onMessage: (m) => console.error(m), preparedCache: cache, ...(device ? { provider: device } : {}) });
      }
    } finally {
      stop.dispose();
    }
    if (values.json) console.log(JSON.stringify(report, null, 2));
    return report.status === 'stopped' ? EXIT.interrupted : EXIT.ok;
  }),
};

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** `--slab-slices 4-40`: the inclusive range of slab lengths. */
function parseSlabSlices(text: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`--slab-slices must be MIN-MAX (e.g. 4-40), got ${text}`);
  return [Number(m[1]), Number(m[2])];
}
