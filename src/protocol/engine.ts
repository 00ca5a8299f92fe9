/**
 * Messages between a host (the extension or the CLI) and the engine worker (a worker thread or a child process).
 * Every request carries an `id`; the worker answers each with exactly one `reply` carrying a result or an error.
 * Events (`progress`, `checkpoint`, `log`) name the request they belong to. Dispatch with exhaustive switches.
 * Only plain data crosses: JSON-able values and typed arrays (structured clone).
 */

/** The training job to build inside the worker; add a kind here and in node/engine/jobs/index.ts. */
export type JobSpec =
  | {
      /** Built-in smoke job: linear regression with momentum SGD (hand-written ONNX). */
      readonly kind: 'toy-linear';
      readonly features?: number;
      readonly batch?: number;
      readonly lr?: number;
      readonly momentum?: number;
    };

export type ProviderChoice = 'auto' | 'cpu' | 'cuda';

export interface TrainRequestParams {
  readonly job: JobSpec;
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

export interface ProbeResult {
  readonly onnxruntimeVersion: string;
  readonly backends: readonly { readonly name: string; readonly bundled: boolean }[];
  readonly threads: number;
}

/** Host -> worker requests, by type: what each takes and what its reply's result is. */
export interface EngineRequests {
  /** Build the job's step graph and train; progress events follow; resolves when done or cancelled. */
  train: { params: TrainRequestParams; result: TrainResult };
  /** Ask a running `train` (by its request id) to stop after the current step, writing a checkpoint. */
  cancel: { params: { readonly trainId: number }; result: { readonly wasRunning: boolean } };
  /** What the worker's onnxruntime sees (versions, backends, threads). */
  probe: { params: Record<string, never>; result: ProbeResult };
  /** Finish: the worker replies, then exits. A running train is cancelled first. */
  shutdown: { params: Record<string, never>; result: { readonly ok: true } };
}

export type EngineRequestType = keyof EngineRequests;

export type EngineRequest = {
  [K in EngineRequestType]: { readonly kind: 'request'; readonly id: number; readonly type: K; readonly params: EngineRequests[K]['params'] };
}[EngineRequestType];

export interface EngineErrorInfo {
  /** The error's class name, e.g. CheckpointError. */
  readonly name: string;
  readonly message: string;
}

export type EngineReply =
  | { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: EngineErrorInfo };

/** One finished training step. */
export interface ProgressEvent {
  readonly kind: 'progress';
  readonly requestId: number;
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly lr?: number;
  /** Wall time of session.run for this step. */
  readonly ms: number;
}

export interface CheckpointEvent {
  readonly kind: 'checkpoint';
  readonly requestId: number;
  readonly step: number;
  readonly manifestPath: string;
}

/** Something a person should read: e.g. why CUDA was not used. */
export interface LogEvent {
  readonly kind: 'log';
  readonly requestId: number;
  readonly level: 'info' | 'warn';
  readonly message: string;
}

export type TrainerEvent = ProgressEvent | CheckpointEvent | LogEvent;

/** Everything the worker sends. `ready` is sent once, before any reply. */
export type WorkerMessage = EngineReply | TrainerEvent | { readonly kind: 'ready'; readonly pid: number };
