/**
 * Runs a training-step graph (core/train) in one onnxruntime session, step after step: every carried output is fed
 * back as the next step's input without a copy (the output tensor becomes the input tensor). Used by `bench train`
 * and the reference tests; the runtime's worker trainer follows the same contract through its StepProgram. Sessions
 * come from the runtime's one creation path (node/engine/providers.ts: threads, provider, arena off by default).
 * A class: it owns a native session and the current state between steps.
 */
import * as ort from 'onnxruntime-node';
import type { Graph } from '../../core/graph/graph.js';
import type { DType, Shape } from '../../core/graph/types.js';
import { toOnnxModel } from '../../core/onnx/index.js';
import { optimizerHyper, type OptimizerConfig } from '../../core/optim/optimizer.js';
import type { StepGraph } from '../../core/train/step.js';
import { createSession, type EngineSessionOptions } from '../engine/providers.js';

export type HostTensor = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export class StepRunnerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepRunnerError';
  }
}

/** A tensor for input `name` of `graph`, shape from the graph, checking the element count. */
export function tensorFor(graph: Graph, name: string, data: HostTensor): ort.Tensor {
  const v = graph.inputs.find((i) => i.value.name === name)?.value;
  if (!v) throw new StepRunnerError(`graph ${graph.name} has no input ${name}`);
  return makeTensor(v.dtype, v.shape, data, name);
}

function makeTensor(dtype: DType, shape: Shape, data: HostTensor, name: string): ort.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new StepRunnerError(`input ${name}: ${data.length} elements for shape [${shape.join(', ')}]`);
  return new ort.Tensor(dtype, data, [...shape]);
}

function isHostTensor(x: HostTensor | ort.Tensor): x is HostTensor {
  return ArrayBuffer.isView(x);
}

export class StepRunner {
  private readonly feeds: Record<string, ort.Tensor> = {};
  private steps = 0;

  private constructor(
    readonly step: StepGraph,
    private readonly optimizer: OptimizerConfig,
    private readonly session: ort.InferenceSession,
  ) {}

  /** `initial` holds every parameter and state input (initialTrainState gives them). CPU unless `choice.provider`. */
  static async create(step: StepGraph, optimizer: OptimizerConfig, initial: ReadonlyMap<string, Float32Array>, choice: EngineSessionOptions = {}): Promise<StepRunner> {
    const runner = new StepRunner(step, optimizer, await createSession(toOnnxModel(step.graph), choice));
    for (const { value, role } of step.graph.inputs) {
      if (role !== 'param' && role !== 'state') continue;
      const data = initial.get(value.name);
      if (!data) throw new StepRunnerError(`no initial value for ${value.name}`);
      runner.feeds[value.name] = makeTensor(value.dtype, value.shape, data, value.name);
    }
    return runner;
  }

  /** Optimizer steps taken so far. */
  get completed(): number {
    return this.steps;
  }

  /** One step on `data` (image, labels, ...) at learning rate `lr`; returns the loss and the raw outputs. */
  async run(data: Readonly<Record<string, HostTensor | ort.Tensor>>, lr: number): Promise<{ loss: number; outputs: ort.InferenceSession.ReturnType }> {
    for (const [name, d] of Object.entries(data)) this.feeds[name] = isHostTensor(d) ? tensorFor(this.step.graph, name, d) : d;
    if (this.step.hyper.length > 0) {
      for (const [name, value] of Object.entries(optimizerHyper(this.optimizer, this.steps + 1, lr))) {
        if (this.step.hyper.includes(name)) this.feeds[name] = new ort.Tensor('float32', Float32Array.of(value), []);
      }
    }
    const outputs = await this.session.run(this.feeds);
    for (const c of this.step.carried) {
      const next = outputs[c.output];
      if (!next) throw new StepRunnerError(`step output ${c.output} is missing`);
      this.feeds[c.input] = next;
    }
    this.steps += 1;
    const lossData = this.step.lossOutput ? outputs[this.step.lossOutput]?.data : undefined;
    return { loss: lossData ? Number(lossData[0]) : NaN, outputs };
  }

  /** Current value of a carried input (parameter or optimizer state). */
  value(name: string): Float32Array {
    const t = this.feeds[name];
    if (!t || !(t.data instanceof Float32Array)) throw new StepRunnerError(`no float32 state named ${name}`);
    return t.data;
  }

  /** Replaces an input's value (e.g. parameters updated by another graph's session, zeroed accumulators). */
  setInput(name: string, data: HostTensor | ort.Tensor): void {
    this.feeds[name] = isHostTensor(data) ? tensorFor(this.step.graph, name, data) : data;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Kernel milliseconds per op type per run, largest first, from an onnxruntime profile file's JSON text. */
export function summariseProfile(json: string, runs: number): { op: string; ms: number }[] {
  const events: unknown = JSON.parse(json);
  if (!Array.isArray(events)) throw new StepRunnerError('profile: expected a JSON array of events');
  const byOp = new Map<string, number>();
  for (const e of events as { cat?: string; name?: string; dur?: number; args?: { op_name?: string } }[]) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || typeof e.dur !== 'number') continue;
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 1000 / runs);
  }
  return [...byOp].map(([op, ms]) => ({ op, ms })).sort((a, b) => b.ms - a.ms);
}
