/**
 * The training loop. Reads top to bottom: open the run folder, start fresh or resume from the newest checkpoint,
 * then step: feed (state + batch) -> session.run -> carry the updated state into the next step as the same ORT
 * tensors (no copy), append a metrics line, checkpoint every N steps and at the end. Cancellation is checked between
 * steps. Everything that determines the numbers (state, data RNG, step) is in the checkpoint, so a resumed run
 * reproduces the uninterrupted run's losses exactly on CPU.
 */
import type * as ort from 'onnxruntime-node';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, type Json } from '../../core/checkpoint/manifest.js';
import type { NamedTensor } from '../../core/checkpoint/safetensors.js';
import { assertCheckpointFits, describeMisfit, firstTensorMisfit, type CheckpointExpectation } from '../../core/checkpoint/fit.js';
import { createRng, restoreRng, saveRng, type Rng, type RngState } from '../../core/random/rng.js';
import type { ProviderChoice } from './providers.js';
import { removeTempFiles, sha256Hex, writeTextAtomic } from '../io/atomic-write.js';
import { ANADIFF_VERSION } from '../version.js';
import { listCheckpointSteps, loadLatestCheckpoint, pruneCheckpoints, writeCheckpoint, type LoadedCheckpoint } from './checkpoint-store.js';
import { exportInferenceModel } from './export-onnx.js';
import { namedTensorOf, ortTensorOf } from './ort-tensors.js';
import { createEngineSession } from './providers.js';
import type { StepProgram } from './step-program.js';

/**
 * Test hook (the editor's e2e tests): a pause after every step, so a UI test on a fast machine can see a tiny run
 * running and stop it. Off unless ANADIFF_TEST_STEP_DELAY_MS is set; it changes timing only, never the numbers.
 */
const testStepDelayMs = Math.max(0, Number(process.env.ANADIFF_TEST_STEP_DELAY_MS ?? 0) || 0);

/** RNG streams: weight init and data never share draws, so changing one cannot shift the other. */
const initStream = 0;
const dataStream = 1;

/**
 * A resume point the caller already loaded and verified, in this graph's layout: the finetune switch converts the
 * frozen graph's checkpoint in memory (train-run.ts), and the checkpoint on disk stays as its graph wrote it.
 */
export interface ResumePoint {
  readonly step: number;
  readonly rng: RngState;
  readonly tensors: ReadonlyMap<string, NamedTensor>;
  /** Where it came from, for the log and errors. */
  readonly source: string;
}

/** What a training run is asked to do (TrainOptions adds the callbacks). */
export interface TrainRequestParams {
  /** Folder for config.json, metrics.jsonl, checkpoints/ and model.onnx. */
  readonly runDir: string;
  /** Total optimizer steps of the run (a resumed run continues up to this). */
  readonly steps: number;
  /** Write a checkpoint every this many steps (and always at the end). */
  readonly checkpointEvery: number;
  /** Checkpoints kept on disk (newest first); default 3. */
  readonly keepCheckpoints?: number;
  readonly seed: number;
  /** Continue from the newest checkpoint in runDir when there is one. */
  readonly resume: boolean;
  readonly provider?: ProviderChoice;
  /** Intra-op threads; default: every core. */
  readonly threads?: number;
  /** onnxruntime's CPU memory arena (default on for training: 1.7x faster steps on the 2-core VM; see providers.ts). */
  readonly memArena?: boolean;
  /** Write runDir/model.onnx (weights as initializers) when the run finishes. */
  readonly exportOnnx?: boolean;
}

export interface TrainResult {
  /** Steps completed (including those before a resume). */
  readonly step: number;
  readonly stoppedBy: 'done' | 'cancelled';
  readonly lastLoss: number | undefined;
  /** Step the run resumed from, 0 for a fresh run. */
  readonly resumedFrom: number;
  readonly provider: 'cpu' | 'cuda';
  readonly modelPath?: string;
}

/** One finished training step. */
export interface ProgressEvent {
  readonly kind: 'progress';
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly lr?: number;
  /** Wall time of session.run for this step. */
  readonly ms: number;
}

export interface CheckpointEvent {
  readonly kind: 'checkpoint';
  readonly step: number;
  readonly manifestPath: string;
}

/** Something a person should read: e.g. why CUDA was not used. */
export interface LogEvent {
  readonly kind: 'log';
  readonly level: 'info' | 'warn';
  readonly message: string;
}

export type TrainerEvent = ProgressEvent | CheckpointEvent | LogEvent;

/** What a run needs: the request (the job is already built into a StepProgram) plus the caller's hooks. */
export interface TrainOptions extends TrainRequestParams {
  /** With `resume`: start here instead of the newest checkpoint as it is. */
  readonly resumeFrom?: ResumePoint;
  /** Stored in config.json and every manifest. */
  readonly config: Json;
  /** Polled between steps; true stops the run after writing a checkpoint. */
  readonly shouldStop?: () => boolean;
  readonly onEvent?: (event: TrainerEvent) => void;
}

export class TrainerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainerError';
  }
}

interface MetricsLine {
  readonly step: number;
  readonly loss: number;
  /** The loss's terms (StepProgram.termOutputs), e.g. guided diffusion's {eps, coords}. */
  readonly terms?: Readonly<Record<string, number>>;
  readonly lr?: number;
  readonly ms: number;
}

export async function runTraining(program: StepProgram, options: TrainOptions): Promise<TrainResult> {
  const { runDir, steps, checkpointEvery } = options;
  if (!Number.isSafeInteger(steps) || steps < 1) throw new TrainerError(`steps must be a positive integer, got ${steps}`);
  if (!Number.isSafeInteger(checkpointEvery) || checkpointEvery < 1) throw new TrainerError(`checkpointEvery must be a positive integer, got ${checkpointEvery}`);
  const emit = options.onEvent ?? (() => undefined);
  const ckptDir = join(runDir, 'checkpoints');
  const metricsPath = join(runDir, 'metrics.jsonl');
  const expected = expectationOf(program);
  const graphHash = expected.graphHash;

  // 1. Start state: the newest checkpoint, verified (graph hash, every tensor's name, dtype and shape) before anything
  //    in the folder is written; or a fresh init.
  let state: Map<string, ort.Tensor>;
  let rng: Rng;
  let startStep = 0;
  const resumeFrom = options.resume ? (options.resumeFrom ?? resumePointOf(expected, loadLatestCheckpoint(ckptDir))) : undefined;
  if (resumeFrom) {
    state = stateFromTensors(expected, resumeFrom.tensors, resumeFrom.source);
    rng = restoreRng(resumeFrom.rng);
    startStep = resumeFrom.step;
    // Later checkpoints and metrics lines belong to steps this run will redo: drop them, and the temporary files of a
    // checkpoint write that was killed.
    pruneCheckpoints(ckptDir, Number.POSITIVE_INFINITY, startStep);
    removeTempFiles(ckptDir);
    truncateMetrics(metricsPath, startStep);
    emit({ kind: 'log', level: 'info', message: `resuming from step ${startStep} (${resumeFrom.source})` });
  } else {
    mkdirSync(ckptDir, { recursive: true });
    if (listCheckpointSteps(ckptDir).length > 0) {
      throw new TrainerError(`${runDir} already holds checkpoints; resume it or choose another run folder`);
    }
    state = stateFromTensors(expected, program.initState(createRng(options.seed, initStream)), 'initState');
    rng = createRng(options.seed, dataStream);
    writeTextAtomic(join(runDir, 'config.json'), `${JSON.stringify(options.config, null, 2)}\n`, { overwrite: true });
    writeTextAtomic(metricsPath, '', { overwrite: true });
  }

  // 2. The session (CUDA if asked and available, else CPU with the reason).
  const opened = await createEngineSession(program.model, {
    ...(options.provider ? { provider: options.provider } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    // The arena on unless asked off: the step re-allocates the same buffers every run, and without the arena each
    // one is freshly mapped and page-faulted (1.7x slower steps on the 2-core VM; providers.ts, memArena).
    memArena: options.memArena ?? true,
  });
  if (opened.fallbackReason) emit({ kind: 'log', level: 'warn', message: `using CPU: ${opened.fallbackReason}` });
  const session = opened.session;

  const checkpoint = (step: number, loss: number | undefined): void => {
    const manifestPath = writeCheckpoint(ckptDir, {
      step, tensors: tensorsOfState(state), rng: saveRng(rng), graphHash, config: options.config,
      ...(loss !== undefined ? { loss } : {}),
    });
    pruneCheckpoints(ckptDir, options.keepCheckpoints ?? 3);
    emit({ kind: 'checkpoint', step, manifestPath });
  };

  // 3. The loop.
  let step = startStep;
  let lastLoss: number | undefined;
  let lastCheckpoint = startStep;
  let stoppedBy: TrainResult['stoppedBy'] = 'done';
  try {
    while (step < steps) {
      if (options.shouldStop?.()) {
        stoppedBy = 'cancelled';
        break;
      }
      const batch = program.batch(step + 1, rng);
      const feeds: Record<string, ort.Tensor> = Object.fromEntries(state);
      for (const [name, t] of batch) feeds[name] = ortTensorOf(t);
      const t0 = performance.now();
      const out = await session.run(feeds);
      const ms = performance.now() - t0;
      step += 1;
      const lossTensor = out[program.lossOutput];
      if (!lossTensor) throw new TrainerError(`step graph has no output "${program.lossOutput}"`);
      lastLoss = Number((lossTensor.data as Float32Array)[0]);
      for (const { input, output } of program.carry) {
        const next = out[output];
        if (!next) throw new TrainerError(`step graph has no output "${output}" (the update of "${input}")`);
        state.set(input, next);
      }
      const lr = scalarOf(batch.get(program.lrInput ?? 'lr'));
      const terms = program.termOutputs ? lossTerms(out, program.termOutputs) : undefined;
      const line: MetricsLine = { step, loss: lastLoss, ...(terms ? { terms } : {}), ...(lr !== undefined ? { lr } : {}), ms: Math.round(ms * 100) / 100 };
      appendLine(metricsPath, JSON.stringify(line));
      emit({ kind: 'progress', steps, step, loss: line.loss, ...(lr !== undefined ? { lr } : {}), ms: line.ms });
      if (testStepDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, testStepDelayMs));
      if (step % checkpointEvery === 0 || step === steps) {
        checkpoint(step, lastLoss);
        lastCheckpoint = step;
      }
    }
    if (lastCheckpoint !== step) checkpoint(step, lastLoss);
    let modelPath: string | undefined;
    if (options.exportOnnx && program.inference) {
      modelPath = join(runDir, 'model.onnx');
      exportInferenceModel(program.inference.model, tensorsOfState(state), program.inference.params, modelPath);
    }
    return {
      step, stoppedBy, lastLoss, resumedFrom: startStep, provider: opened.provider,
      ...(modelPath ? { modelPath } : {}),
    };
  } finally {
    await session.release();
  }
}

/** What this program's checkpoints hold: the step graph's hash and every carried input's dtype and shape. */
export function expectationOf(program: StepProgram): CheckpointExpectation {
  return { graphHash: sha256Hex(program.model), state: program.carry.map(({ input, dtype, shape }) => ({ name: input, dtype, shape })) };
}

/** The newest checkpoint as a resume point once it fits `expected` exactly; CheckpointMismatchError otherwise. */
export function resumePointOf(expected: CheckpointExpectation, checkpoint: LoadedCheckpoint | undefined): ResumePoint | undefined {
  if (!checkpoint) return undefined;
  assertCheckpointFits(expected, checkpoint, ANADIFF_VERSION);
  return { step: checkpoint.manifest.step, rng: checkpoint.manifest.rng, tensors: checkpoint.tensors, source: checkpoint.manifestPath };
}

/** Appends one line; a failure (a full disk) names the file. A torn last line is skipped by every reader. */
function appendLine(path: string, text: string): void {
  try {
    appendFileSync(path, `${text}\n`);
  } catch (e) {
    throw Object.assign(new Error(`cannot append to ${path}: ${(e as Error).message}`, { cause: e }), { code: (e as NodeJS.ErrnoException).code });
  }
}

/** The named scalar outputs of one step (`names`: metrics name -> graph output). */
function lossTerms(out: Readonly<Record<string, ort.Tensor>>, names: Readonly<Record<string, string>>): Record<string, number> {
  const terms: Record<string, number> = {};
  for (const [name, output] of Object.entries(names)) {
    const t = out[output];
    if (!t) throw new TrainerError(`step graph has no output "${output}" (the loss term "${name}")`);
    terms[name] = Number((t.data as Float32Array)[0]);
  }
  return terms;
}

function scalarOf(t: NamedTensor | undefined): number | undefined {
  return t && t.data.length === 1 && typeof t.data[0] === 'number' ? t.data[0] : undefined;
}

/** Checks that the tensors hold exactly the program's carried inputs (names, dtypes, shapes), then wraps them as ORT tensors. */
function stateFromTensors(expected: CheckpointExpectation, tensors: ReadonlyMap<string, NamedTensor>, where: string): Map<string, ort.Tensor> {
  const misfit = firstTensorMisfit(expected.state, tensors);
  if (misfit) throw new CheckpointError(`state does not fit the step graph: ${describeMisfit(misfit)}`, where);
  return new Map(expected.state.map(({ name }) => [name, ortTensorOf(tensors.get(name)!)]));
}

function tensorsOfState(state: ReadonlyMap<string, ort.Tensor>): Map<string, NamedTensor> {
  return new Map([...state].map(([name, t]) => [name, namedTensorOf(name, t)]));
}

/** Keeps the metrics lines of steps <= `step` (a killed run may have left later ones, or half a line). */
function truncateMetrics(path: string, step: number): void {
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
  const kept = lines.filter((l) => {
    try {
      const parsed = JSON.parse(l) as { step?: unknown };
      return typeof parsed.step === 'number' && parsed.step <= step;
    } catch {
      return false;
    }
  });
  writeTextAtomic(path, kept.map((l) => `${l}\n`).join(''), { overwrite: true });
}
