/**
 * What the trainer runs: one ONNX training-step graph (forward + backward + optimizer update) plus what it needs to
 * feed it. Parameters and optimizer state are graph inputs whose updated values come back as outputs (`carry`); the
 * trainer feeds each output back as the next step's input. Any network, optimizer or task plugs in through this shape.
 */
import type { NamedTensor, SafetensorsDtype } from '../../core/checkpoint/safetensors.js';
import type { Graph } from '../../core/graph/graph.js';
import type { Rng } from '../../core/random/rng.js';
import type { CarriedNames } from '../../core/train/step.js';

/** One carried state input: what a checkpoint must hold for it (checked before a resume touches anything). */
export interface CarriedState {
  readonly input: string;
  readonly output: string;
  /** A network parameter, or optimizer state (moments, velocity) of one. */
  readonly role: 'param' | 'state';
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
}

export interface StepProgram {
  /** Serialised ModelProto of the whole training step. */
  readonly model: Uint8Array;
  /** State inputs and the outputs that carry their updated values (parameters, optimizer moments, ...). */
  readonly carry: readonly CarriedState[];
  /** Name of the scalar loss output. */
  readonly lossOutput: string;
  /** Scalar outputs of the loss's terms by the name metrics.jsonl gives them (`terms`), when the step has several. */
  readonly termOutputs?: Readonly<Record<string, string>>;
  /** Initial values of every `carry` input, drawn from `rng` (the init stream). */
  initState(rng: Rng): Map<string, NamedTensor>;
  /** Data and hyper-parameter inputs for `step` (1-based), drawing any randomness from `rng` (the data stream). */
  batch(step: number, rng: Rng): Map<string, NamedTensor>;
  /** The scalar batch input holding the step's learning rate, recorded in metrics.jsonl (default 'lr'). */
  readonly lrInput?: string;
  /** The standalone inference graph: `params` are its inputs that get baked in as initializers on export. */
  readonly inference?: { readonly model: Uint8Array; readonly params: readonly string[] };
}

/** A step graph's carried pairs with their dtype and shape read from the graph's inputs (float32 state only). */
export function carriedStates(graph: Graph, carried: readonly CarriedNames[]): CarriedState[] {
  const inputs = new Map(graph.inputs.map((i) => [i.value.name, i.value]));
  return carried.map(({ input, output, role }) => {
    const value = inputs.get(input);
    if (!value || value.dtype !== 'float32') throw new Error(`carried input ${input} is not a float32 input of the step graph`);
    return { input, output, role, dtype: 'F32', shape: value.shape };
  });
}
