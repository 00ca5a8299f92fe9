import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { APE_CROP_DEFAULTS } from '../../core/coords/crop-pairs.js';
import { oneCycle } from '../../core/optim/schedules.js';
import { APE_OPTIMIZER, type CoordsJob } from '../../node/train/jobs/coords.js';
import { coordsRun, type CoordsRunConfig, type CtSource } from '../../node/train/coords-run.js';
import { defaultRunsRoot, runFolderName, RUN_FILES } from '../../node/runs/run-folder.js';
import { readRunLock, RunLockedError } from '../../node/runs/run-lock.js';
import { jobParseOptions, withJobConfig, CONFIG_USAGE } from './job-config-flag.js';
import { CliError, UsageError, type CliCommand } from '../command.js';
import { checkInputFile, checkOutputFolder } from '../../node/io/output-path.js';
import { matchPoint } from '../../node/coords/match-file.js';
import { DatasetError } from '../../node/datasets/layouts.js';
import { listCts as listCtsUnder } from '../../node/datasets/list-cts.js';
import { predictCoordsFile, type CoordsPredictSummary } from '../../node/coords/predict-file.js';
import { numberOption, parseTriple, positiveIntOption, resumedStepConfig, runStepJob, stopOnSigint } from './train-flags.js';

const usage = `usage: anadiff coords train (--phantom | --data DIR [--val N] | --image CT... [--val-image CT...]) [options]
       anadiff coords train --resume RUN_DIR [--steps N]

Trains a body-part coordinate model without labels (APE's loss: embedding distances match physical distances
between two crops of one CT at random spacings; docs/coords.md) and writes a run folder like \`anadiff train\`:
config.json, metrics.jsonl (steps; validation lines with the distance correlation on held-out CTs), checkpoints/,
best/, model.onnx + model.json, train.log, report.json, run.lock while it runs.

data (CTs only, no labels):
  --phantom             the built-in phantom (seed 1 trains, seed 2 validates): a quick demo
  --data DIR            every CT NIfTI under DIR, recursively (label maps, MRI and 4-D files are skipped); the last
                        --val files by path (default 1) validate
  --image CT            a training CT (repeat for more)   --val-image CT   a validation CT (repeat for more)
model and optimisation (defaults: APE's where it fits a CPU):
  --preset tiny|small|paper (small)  --channels N
  --pairs N             crop pairs of one CT per step (8, as APE)
  --patch IxJxK         crop size in voxels, multiples of the network's stride (${APE_CROP_DEFAULTS.patch.join('x')})
  --slots B,G           body and background voxels per view (${APE_CROP_DEFAULTS.bodySlots},${APE_CROP_DEFAULTS.backgroundSlots})
  --steps N (1000)  --lr (3e-4, AdamW eps 1e-3, one-cycle)  --warmup-frac F (0.1)  --seed N (0)
  --no-augment          raw crops (default: APE's blur/sharpen, noise, brightness, contrast, gamma, block masking)
  --validate-every N (100)  --checkpoint-every N (100)  --threads N  --device auto|cpu|cuda
run:
  --name NAME  --run-dir DIR (default .anadiff/runs/<time>-<name>)  --json (print report.json)
${CONFIG_USAGE}
Ctrl-C stops after writing a checkpoint; --resume RUN_DIR continues it exactly.`;

/** `--data DIR`'s CTs (node/datasets/list-cts.ts), each skipped file said on stderr; errors name the flag. */
export async function listCts(dir: string): Promise<string[]> {
  return listCtsUnder(dir, (p, why) => console.error(`--data: skipping ${p}: ${why}`)).catch((e: unknown) => {
    throw e instanceof DatasetError ? new CliError(`--data ${e.message}`) : e;
  });
}

async function sourcesFromFlags(values: Record<string, unknown>): Promise<{ train: CtSource[]; val: CtSource[] }> {
  const images = (values.image as string[] | undefined) ?? [];
  const chosen = [values.phantom === true, values.data !== undefined, images.length > 0].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError(`give exactly one of --phantom, --data DIR, --image CT\n\n${usage}`);
  if (values.phantom) return { train: [{ id: 'phantom-1', phantom: { seed: 1 } }], val: [{ id: 'phantom-2', phantom: { seed: 2 } }] };
  const asSource = (root: string) => (p: string): CtSource => ({ id: relative(root, p) || p, image: resolve(p) });
  if (typeof values.data === 'string') {
    const all = await listCts(values.data);
    const nVal = values.val === undefined ? 1 : Number(values.val);
    if (!Number.isInteger(nVal) || nVal < 0) throw new UsageError(`--val must be a non-negative integer, got ${String(values.val)}`);
    if (all.length <= nVal) throw new CliError(`--data ${values.data}: ${all.length} CT file(s), too few to hold out ${nVal} for validation`);
    return { train: all.slice(0, all.length - nVal).map(asSource(values.data)), val: all.slice(all.length - nVal).map(asSource(values.data)) };
  }
  const valImages = (values['val-image'] as string[] | undefined) ?? [];
  for (const p of images) checkInputFile(p, '--image');
  for (const p of valImages) checkInputFile(p, '--val-image');
  return { train: images.map((p) => ({ id: p, image: resolve(p) })), val: valImages.map((p) => ({ id: p, image: resolve(p) })) };
}

type Device = 'auto' | 'cpu' | 'cuda';

/** `--device` of every coords command: auto (CUDA when its providers are installed, else CPU), cpu or cuda. */
export function deviceOption(value: string | undefined): Device {
  const device = value ?? 'auto';
  if (device !== 'auto' && device !== 'cpu' && device !== 'cuda') throw new UsageError(`--device must be auto, cpu or cuda, got ${device}`);
  return device;
}

function parseSlots(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map(Number);
  if (parts.length !== 2 || parts.some((n) => !Number.isInteger(n) || n < 0) || parts[0] === 0) {
    throw new UsageError(`--slots must be B,G with integers B >= 1 and G >= 0 (body and background voxels per view), got ${value}`);
  }
  return parts as [number, number];
}

export const coordsTrainCommand: CliCommand = {
  name: 'coords train',
  summary: 'train a body-part coordinate model on unlabelled CTs (APE) into a run folder',
  usage,
  run: (argv) => withJobConfig('coords train', argv, async (argv) => {
    const { values } = parseArgs({ args: [...argv], options: jobParseOptions('coords train') });
    let config: CoordsRunConfig;
    let runDir: string;
    if (values.resume !== undefined) {
      ({ runDir, config } = resumedStepConfig<CoordsRunConfig>(values.resume, 'anadiff-coords-run', values.steps));
      console.error(`resuming ${runDir}`);
    } else {
      const preset = values.preset ?? 'small';
      if (!['tiny', 'small', 'paper'].includes(preset)) throw new UsageError(`--preset must be tiny, small or paper, got ${preset}`);
      const device = deviceOption(values.device);
      const steps = positiveIntOption('steps', values.steps) ?? 1000;
      const lr = numberOption('lr', values.lr) ?? 3e-4;
      const warmup = numberOption('warmup-frac', values['warmup-frac']) ?? 0.1;
      if (!(lr > 0)) throw new UsageError(`--lr must be positive, got ${lr}`);
      if (!(warmup > 0 && warmup < 1)) throw new UsageError(`--warmup-frac must be in (0, 1), got ${warmup}`);
      const patch = values.patch !== undefined ? parseTriple('patch', values.patch, true) : APE_CROP_DEFAULTS.patch;
      const slots = parseSlots(values.slots);
      const sources = await sourcesFromFlags(values);
      const channels = positiveIntOption('channels', values.channels);
      const job: CoordsJob = {
        kind: 'coords', preset: preset as CoordsJob['preset'], ...(channels !== undefined ? { channels } : {}),
        pairs: positiveIntOption('pairs', values.pairs) ?? 8,
        crops: { ...APE_CROP_DEFAULTS, patch, ...(slots ? { bodySlots: slots[0], backgroundSlots: slots[1] } : {}) },
        optimizer: APE_OPTIMIZER, augment: values['no-augment'] !== true,
        schedule: oneCycle(lr, steps, { pctStart: warmup }),
      };
      const name = values.name ?? 'coords';
      const threads = positiveIntOption('threads', values.threads);
      config = {
        format: 'anadiff-coords-run', version: 1, kind: 'coords', name, job, train: sources.train, val: sources.val, steps,
        checkpointEvery: positiveIntOption('checkpoint-every', values['checkpoint-every']) ?? 100,
        validateEvery: positiveIntOption('validate-every', values['validate-every']) ?? 100,
        seed: numberOption('seed', values.seed) ?? 0, ...(threads !== undefined ? { threads } : {}), provider: device,
      };
      runDir = resolve(values['run-dir'] ?? join(defaultRunsRoot(), runFolderName(name)));
      checkOutputFolder(runDir, values['run-dir'] !== undefined ? '--run-dir' : 'run folder');
      const holder = readRunLock(runDir);
      if (holder && holder.alive !== false) throw new RunLockedError(runDir, holder);
      if (existsSync(join(runDir, RUN_FILES.checkpoints))) throw new CliError(`${runDir} already holds a run: continue it with --resume ${runDir} or pick another --run-dir`);
      console.error(`run folder ${runDir}`);
    }
    return runStepJob(values.json, (hooks) => coordsRun(config, runDir, hooks));
  }),
};

const predictUsage = `usage: anadiff coords predict --input CT --output COORDS.nii.gz [--model RUN_DIR|MODEL.onnx] [options]

Body-part coordinates for every voxel of a CT: a 4D float32 NIfTI (X, Y, Z, 3) on the input's own grid and affine.
The three values are the model's embedding (APE units, learned to match distances; not millimetres, and defined
only up to rotation/reflection: compare distances, never single axes). docs/coords.md.

  --model RUN|ONNX   a finished \`anadiff coords train\` run folder, or its model.onnx (model.json beside it);
                     default: the installed default coordinate model (models/coords/)
  --device auto|cpu|cuda  --threads N
  --overwrite        replace an existing --output (never the input)
  --force            predict on an input that does not look like a 3-D CT (2-D, 4-D, NaN, label map, no CT range)
  --json             print a JSON summary`;

export const coordsPredictCommand: CliCommand = {
  name: 'coords predict',
  summary: 'write per-voxel body-part coordinates of a CT as a 4D NIfTI (X, Y, Z, 3)',
  usage: predictUsage,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        input: { type: 'string' }, output: { type: 'string' }, model: { type: 'string' }, device: { type: 'string' }, threads: { type: 'string' },
        overwrite: { type: 'boolean' }, force: { type: 'boolean' }, json: { type: 'boolean' },
      },
    });
    if (values.input === undefined || values.output === undefined) throw new UsageError(`--input and --output are required\n\n${predictUsage}`);
    const device = deviceOption(values.device);
    const threads = positiveIntOption('threads', values.threads);
    const stop = stopOnSigint();
    let summary: CoordsPredictSummary;
    try {
      summary = await predictCoordsFile({
        input: values.input, output: values.output, ...(values.model !== undefined ? { model: values.model } : {}),
        overwrite: values.overwrite === true, force: values.force === true, provider: device,
        ...(threads !== undefined ? { threads } : {}), shouldStop: stop.requested,
        onLog: (m) => console.error(m),
        onProgress: (done, total) => { if (process.stderr.isTTY) process.stderr.write(`\rcoords: window ${done}/${total}\x1b[K${done === total ? '\n' : ''}`); },
      });
    } finally {
      stop.dispose();
    }
    if (values.json) console.log(JSON.stringify(summary, null, 2));
    else console.error(`${summary.output}: coordinates for ${summary.dims.join('x')} voxels (${summary.windows} windows at ${summary.windowSpacing.join('x')} mm, ${summary.seconds} s)`);
    return 0;
  },
};

const matchUsage = `usage: anadiff coords match --from A.nii.gz --at I,J,K --to B.nii.gz [--model RUN_DIR|MODEL.onnx] [--json]

The voxel of B at the same anatomical point as voxel (I, J, K) of A: the one whose body-part coordinates are
closest. A and B are CTs (coordinates are predicted, B's search kept to its body) or coordinate files written by
\`anadiff coords predict\` (4D float32, 3 frames; no prediction, every voxel a candidate).
  --model RUN|ONNX   as for coords predict (default: the installed default coordinate model)
  --device auto|cpu|cuda  --threads N  --force (accept inputs that do not look like CTs)  --json`;

export const coordsMatchCommand: CliCommand = {
  name: 'coords match',
  summary: 'find the same anatomical point in another scan by body-part coordinates',
  usage: matchUsage,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        from: { type: 'string' }, at: { type: 'string' }, to: { type: 'string' }, model: { type: 'string' }, device: { type: 'string' },
        threads: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' },
      },
    });
    if (values.from === undefined || values.at === undefined || values.to === undefined) throw new UsageError(`--from, --at and --to are required\n\n${matchUsage}`);
    const at = values.at.split(',').map((v) => Number(v.trim()));
    if (at.length !== 3 || at.some((v) => !Number.isInteger(v) || v < 0)) throw new UsageError(`--at must be three voxel indices I,J,K (integers >= 0), got ${values.at}`);
    const device = deviceOption(values.device);
    const threads = positiveIntOption('threads', values.threads);
    const result = await matchPoint({
      from: values.from, at: at as [number, number, number], to: values.to, ...(values.model !== undefined ? { model: values.model } : {}),
      force: values.force === true, provider: device, ...(threads !== undefined ? { threads } : {}),
    });
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else console.log(`${result.from.file} voxel ${result.from.voxel.join(',')} (${result.from.mm.join(', ')} mm) -> ${result.to.file} voxel ${result.to.voxel.join(',')} (${result.to.mm.join(', ')} mm), coordinate distance ${result.distance.toFixed(4)}`);
    return 0;
  },
};
