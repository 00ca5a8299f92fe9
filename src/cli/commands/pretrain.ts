import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { presetConfig, spatialMultiple } from '../../core/nn/networks.js';
import { VOX2VEC_POSITIVES } from '../../core/pretrain/contrastive.js';
import { CONDITION_DROPOUT, GUIDANCE_MODES, type GuidanceMode } from '../../core/diffusion/guided-step.js';
import { oneCycle } from '../../core/optim/schedules.js';
import { DEFAULT_EMA, defaultEma, guidanceConfig, PRETRAIN_METHODS, PRETRAIN_OPTIMIZER, type CoordsSource, type GuidanceConfig, type PretrainJob, type PretrainMethod } from '../../node/train/jobs/pretrain.js';
import type { CtSource } from '../../node/train/coords-run.js';
import { DEFAULT_SPACING_MM, PHANTOM_SPACING_MM, PRETRAIN_PHANTOM_SEEDS, pretrainRun, type PretrainRunConfig } from '../../node/train/pretrain-run.js';
import { coordsModelOf } from '../../node/datasets/coords-cache.js';
import { defaultRunsRoot, runFolderName, RUN_FILES } from '../../node/runs/run-folder.js';
import { readRunLock, RunLockedError } from '../../node/runs/run-lock.js';
import { checkOutputFolder } from '../../node/io/output-path.js';
import { jobParseOptions, withJobConfig, CONFIG_USAGE } from './job-config-flag.js';
import { CliError, UsageError, type CliCommand } from '../command.js';
import { deviceOption, listCts } from './coords.js';
import { numberOption, parseTriple, positiveIntOption, resumedStepConfig, runStepJob } from './train-flags.js';

const METHOD_LIST = `${PRETRAIN_METHODS.slice(0, -1).join(', ')} or ${PRETRAIN_METHODS.at(-1)!}`;
const DEFAULT_PATCH: readonly [number, number, number] = [64, 64, 32];

const usage = `usage: anadiff pretrain --method diffusion|guided|genesis|contrastive (--phantom | --data DIR) [options]
       anadiff pretrain --resume RUN_DIR [--steps N]

Pretrains the segmenter's FPN3d backbone on unlabelled CTs (issue 11) and writes a run folder like \`anadiff train\`:
config.json, metrics.jsonl (the loss of every step), checkpoints/ (full training state), best/ (the backbone alone,
ready for \`anadiff train --mode linear|nonlinear|finetune --backbone RUN_DIR\`), train.log, report.json, run.lock.
CTs are preprocessed as segmentation training does (RAS, body crop, --spacing, HU [-1350, 1000] -> [0, 1]).

methods:
  diffusion   DDPM: T = 1000, linear betas 1e-4..0.02, t uniform, epsilon prediction, MSE; inputs in [-1, 1]; FiLM of
              the timestep after every norm. The exported backbone has FiLM folded at t = 0 and the [-1, 1] range
              folded into its stem, so it takes the segmenter's [0, 1] images.
  genesis     Models Genesis: flip, local pixel shuffle, Bezier intensity, in-/out-painting; sigmoid head, MSE to
              the original patch.
  guided      diffusion guided by body-part coordinates (centred on each CT's body centre, divided by 100 mm):
              aux   an auxiliary head (APE's: a 1x1 conv per level, summed top-down) regresses 3 coordinate maps
                    from the backbone's features of x_t; loss = epsilon MSE + w * coordinate MSE over body voxels.
                    The backbone stays image-only: exported as for diffusion.
              cond  the 3 coordinate maps are concatenated to x_t as input channels (the stem takes 1 + 3); per
                    sample, with probability ${CONDITION_DROPOUT} (condition dropout), they are replaced by the null
                    condition, zeros; loss = epsilon MSE. Probing reads the backbone at the null condition, so the
                    exported stem keeps only its image channel (exact: the cut weights only ever saw zeros).
              both  cond's input (and dropout) with aux's head; loss = epsilon MSE + w * coordinate MSE.
  contrastive vox2vec: two overlapping crops (--patch) of one CT on its grid share an anchor body voxel; up to
              --positives body voxels inside both are positives (the same voxel in both views), every other sampled
              voxel of both views a negative; features of every pyramid level at the voxel, concatenated, through a
              projection head (Linear-BatchNorm-ReLU twice, Linear to 128, L2 norm); symmetric InfoNCE, temperature
              0.1. --batch is the crop pairs per step, all from one CT. The exported backbone is as trained.
guided:
  --guidance MODE       aux (default), cond or both: how the coordinates guide (see guided above)
  --guidance-weight W   w, the coordinate loss's weight (default 1; aux and both only)
  --coords oracle       the generator's exact coordinates: \`anadiff synth\` writes <case>_coords.nii.gz beside each
                        <case>_ct.nii.gz (RAS mm of the source label map); with --phantom, each voxel's own position.
  --coords RUN|MODEL.onnx  a body-part coordinate model (a finished \`coords train\` run, or its model.onnx with
                        model.json beside it) predicts them for every CT once, cached in .anadiff/cache/coords/ by the
                        CT's and the model's sha256 (the run records the model's, so a changed model is refused).
                        Either way preprocessed as the CT (RAS, body crop, --spacing; linear). Required with guided.
data (CTs only, no labels):
  --phantom             the built-in phantom, seeds ${PRETRAIN_PHANTOM_SEEDS.join(' and ')} (seed 2, train --phantom's validation case, stays unseen)
  --data DIR            every CT NIfTI under DIR, recursively (label maps, MRI and 4-D files are skipped)
  --spacing 1x1x2       target spacing in mm (default ${DEFAULT_SPACING_MM.join('x')}; ${PHANTOM_SPACING_MM.join('x')} with --phantom, as train --phantom)
model and optimisation:
  --preset tiny|small|paper (small): the backbone of \`train --preset\` (probe with the same preset; paper: 16 channels
              x 6 levels, method.md's, for a GPU)
  --patch IxJxK (${DEFAULT_PATCH.join('x')}, Genesis' cube), multiples of 4 (tiny) or 8 (small)
  --positives N (1024; contrastive only)
  --batch B (2)  --steps N (1000)  --lr (3e-4; AdamW, weight decay 1e-6, clip 1, one-cycle with 10% warm-up)
  --seed N (0)  --checkpoint-every N (100)  --threads N  --device auto|cpu|cuda
  --ema D (${DEFAULT_EMA} for diffusion and guided, 0 = off for genesis and contrastive): an exponential moving
              average of the weights after every optimizer step, ema = d * ema + (1 - d) * w with d = min(D,
              (1 + step) / (10 + step)) (diffusers' warm-up, so a short run does not keep its random start); kept
              in every checkpoint, and best/ is taken from it (its manifest says weights: ema). 0 turns it off.
run:
  --name NAME  --run-dir DIR (default .anadiff/runs/<time>-<name>)  --json (print report.json)
${CONFIG_USAGE}
Ctrl-C stops after writing a checkpoint (exit 130); --resume RUN_DIR continues it exactly.
Not yet: vox2vec's augmentations.`;

function checkDataFlags(values: { phantom?: boolean; data?: string }): void {
  if ((values.phantom === true) === (values.data !== undefined)) throw new UsageError(`give exactly one of --phantom, --data DIR\n\n${usage}`);
}

/** --guidance, --guidance-weight and --coords: required shape for guided, refused for the other methods. */
function guidanceFromFlags(method: PretrainMethod, values: { guidance?: string; 'guidance-weight'?: string; coords?: string }): GuidanceConfig | undefined {
  const given = (['guidance', 'guidance-weight', 'coords'] as const).filter((k) => values[k] !== undefined);
  if (method !== 'guided') {
    if (given.length > 0) throw new UsageError(`${given.map((k) => `--${k}`).join(', ')} only apply to --method guided`);
    return undefined;
  }
  const mode = values.guidance ?? 'aux';
  if (!(GUIDANCE_MODES as readonly string[]).includes(mode)) throw new UsageError(`--guidance must be aux, cond or both, got ${mode}`);
  if (mode === 'cond' && values['guidance-weight'] !== undefined) throw new UsageError('--guidance-weight weighs the coordinate head\'s loss: it applies to --guidance aux or both, not cond');
  const weight = numberOption('guidance-weight', values['guidance-weight']) ?? 1;
  if (!(weight >= 0) || !Number.isFinite(weight)) throw new UsageError(`--guidance-weight must be a number >= 0, got ${values['guidance-weight']}`);
  if (values.coords === undefined) throw new UsageError('--method guided needs --coords oracle (the coordinates `anadiff synth` writes beside each case) or --coords RUN|MODEL.onnx (a coordinate model)');
  return guidanceConfig(mode as GuidanceMode, weight, values.coords === 'oracle' ? 'oracle' : coordsModelFromFlag(values.coords));
}

/** --coords RUN|MODEL.onnx: the coordinate model (a finished `coords train` run or its model.onnx with model.json), by content. */
function coordsModelFromFlag(given: string): CoordsSource {
  try {
    return coordsModelOf(given);
  } catch (e) {
    throw new CliError(`--coords ${(e as Error).message.replace(/^--model \S+: /, '')}`);
  }
}

/** --ema D: the job's EMA decay, undefined for none (0, or a method whose default is none). */
function emaFromFlag(method: PretrainMethod, value: string | undefined): number | undefined {
  const decay = numberOption('ema', value) ?? defaultEma(method) ?? 0;
  if (!(decay >= 0 && decay < 1)) throw new UsageError(`--ema must be 0 (off) or a decay in (0, 1), got ${value}`);
  return decay === 0 ? undefined : decay;
}

async function sourcesFromFlags(values: { phantom?: boolean; data?: string }): Promise<CtSource[]> {
  checkDataFlags(values);
  if (values.phantom) return PRETRAIN_PHANTOM_SEEDS.map((seed) => ({ id: `phantom-${seed}`, phantom: { seed } }));
  const dir = values.data!;
  const cts = await listCts(dir);
  if (cts.length === 0) throw new CliError(`--data ${dir}: no CT NIfTI file found`);
  return cts.map((p) => ({ id: relative(dir, p) || p, image: resolve(p) }));
}

export const pretrainCommand: CliCommand = {
  name: 'pretrain',
  summary: 'pretrain a backbone on unlabelled CTs (diffusion, coordinate-guided diffusion, Models Genesis or vox2vec) into a run folder',
  usage,
  run: (argv) => withJobConfig('pretrain', argv, async (argv) => {
    const { values } = parseArgs({ args: [...argv], options: jobParseOptions('pretrain') });
    let config: PretrainRunConfig;
    let runDir: string;
    if (values.resume !== undefined) {
      const fresh = (['method', 'phantom', 'data', 'spacing', 'preset', 'patch', 'batch', 'positives', 'lr', 'seed', 'run-dir', 'guidance', 'guidance-weight', 'coords', 'ema'] as const).filter((k) => values[k] !== undefined);
      if (fresh.length > 0) throw new UsageError(`--resume continues a run with its own config.json; drop ${fresh.map((k) => `--${k}`).join(', ')}`);
      ({ runDir, config } = resumedStepConfig<PretrainRunConfig>(values.resume, 'anadiff-pretrain-run', values.steps));
      const device = values.device !== undefined ? deviceOption(values.device) : undefined;
      const threads = positiveIntOption('threads', values.threads);
      config = { ...config, ...(device ? { provider: device } : {}), ...(threads !== undefined ? { threads } : {}) };
      console.error(`resuming ${runDir}`);
    } else {
      // Every flag is parsed and range-checked before the data is listed or a CT read.
      if (values.method === undefined) throw new UsageError(`--method is required (${METHOD_LIST})\n\n${usage}`);
      if (!(PRETRAIN_METHODS as readonly string[]).includes(values.method)) throw new UsageError(`--method must be ${METHOD_LIST}, got ${values.method}`);
      const method = values.method as PretrainMethod;
      const positives = positiveIntOption('positives', values.positives);
      if (positives !== undefined && method !== 'contrastive') throw new UsageError(`--positives is for --method contrastive, not ${method}`);
      checkDataFlags(values);
      const guidance = guidanceFromFlags(method, values);
      const ema = emaFromFlag(method, values.ema);
      const preset = values.preset ?? 'small';
      if (preset !== 'tiny' && preset !== 'small' && preset !== 'paper') throw new UsageError(`--preset must be tiny, small or paper, got ${preset}`);
      const patch = values.patch !== undefined ? parseTriple('patch', values.patch, true) : DEFAULT_PATCH;
      const multiple = spatialMultiple(presetConfig('fpn3d', preset));
      if (patch.some((p) => p % multiple !== 0)) throw new UsageError(`--patch ${patch.join('x')}: every size must be a multiple of ${multiple} (the ${preset} backbone's downsampling)`);
      const steps = positiveIntOption('steps', values.steps) ?? 1000;
      const lr = numberOption('lr', values.lr) ?? 3e-4;
      if (!(lr > 0)) throw new UsageError(`--lr must be positive, got ${lr}`);
      const device = deviceOption(values.device);
      const threads = positiveIntOption('threads', values.threads);
      const spacing = values.spacing !== undefined ? parseTriple('spacing', values.spacing, false) : undefined;
      const job: PretrainJob = {
        kind: 'pretrain', method, preset, patch, batch: positiveIntOption('batch', values.batch) ?? 2, ...(guidance ? { guidance } : {}),
        optimizer: PRETRAIN_OPTIMIZER, schedule: oneCycle(lr, steps, { pctStart: 0.1 }), ...(ema !== undefined ? { ema } : {}),
        ...(method === 'contrastive' ? { positives: positives ?? VOX2VEC_POSITIVES } : {}),
      };
      const name = values.name ?? method;
      runDir = resolve(values['run-dir'] ?? join(defaultRunsRoot(), runFolderName(name)));
      checkOutputFolder(runDir, values['run-dir'] !== undefined ? '--run-dir' : 'run folder');
      const holder = readRunLock(runDir);
      if (holder && holder.alive !== false) throw new RunLockedError(runDir, holder);
      if (existsSync(join(runDir, RUN_FILES.checkpoints))) throw new CliError(`${runDir} already holds a run: continue it with --resume ${runDir} or pick another --run-dir`);
      const train = await sourcesFromFlags(values);
      config = {
        format: 'anadiff-pretrain-run', version: 1, kind: 'pretrain', name, job, train,
        spacingMm: spacing ?? (values.phantom ? PHANTOM_SPACING_MM : DEFAULT_SPACING_MM), steps,
        checkpointEvery: positiveIntOption('checkpoint-every', values['checkpoint-every']) ?? 100,
        seed: numberOption('seed', values.seed) ?? 0, ...(threads !== undefined ? { threads } : {}), provider: device,
      };
      console.error(`run folder ${runDir}`);
    }
    return runStepJob(values.json, (hooks) => pretrainRun(config, runDir, hooks));
  }),
};
