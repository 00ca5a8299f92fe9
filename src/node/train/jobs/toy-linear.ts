/**
 * The built-in smoke job: linear regression y = x·w* + b* + noise, trained with momentum SGD, as a hand-written ONNX
 * training step. Small (milliseconds per step) and exercising everything the runtime does with a real network:
 * parameters AND optimizer state carried between steps, a data stream from the seeded RNG, a learning-rate input.
 */
import type { NamedTensor } from '../../../core/checkpoint/safetensors.js';
import { fillNormal, nextNormal, type Rng } from '../../../core/random/rng.js';
import type { JobSpec } from './job-spec.js';
import type { StepProgram } from '../../engine/step-program.js';
import { handModelBytes, type HandModel } from './onnx-hand.js';

/** Defaults: 16 features, 64 samples per step, lr 0.05 (decaying as lr / (1 + 0.01 (step - 1))), momentum 0.9. */
export type ToyLinearSpec = Extract<JobSpec, { kind: 'toy-linear' }>;

const f32 = (shape: number[], data: Float32Array): NamedTensor => ({ dtype: 'F32', shape, data });

export function toyLinearProgram(spec: ToyLinearSpec): StepProgram {
  const k = spec.features ?? 16;
  const n = spec.batch ?? 64;
  const lr = spec.lr ?? 0.05;
  const momentum = spec.momentum ?? 0.9;
  // The task itself is fixed (seed-independent) so runs with different seeds learn the same target.
  const trueW = Float32Array.from({ length: k }, (_, i) => Math.sin(i + 1));
  const trueB = 0.5;

  const m: HandModel = {
    inputs: [
      { name: 'linear.weight', dtype: 'float32', shape: [k, 1] },
      { name: 'linear.bias', dtype: 'float32', shape: [1] },
      { name: 'sgd.v.linear.weight', dtype: 'float32', shape: [k, 1] },
      { name: 'sgd.v.linear.bias', dtype: 'float32', shape: [1] },
      { name: 'x', dtype: 'float32', shape: [n, k] },
      { name: 'y', dtype: 'float32', shape: [n, 1] },
      { name: 'lr', dtype: 'float32', shape: [] },
    ],
    outputs: [
      { name: 'loss', dtype: 'float32', shape: [] },
      { name: 'linear.weight.next', dtype: 'float32', shape: [k, 1] },
      { name: 'linear.bias.next', dtype: 'float32', shape: [1] },
      { name: 'sgd.v.linear.weight.next', dtype: 'float32', shape: [k, 1] },
      { name: 'sgd.v.linear.bias.next', dtype: 'float32', shape: [1] },
    ],
    constants: [
      { name: 'two_over_n', dtype: 'float32', shape: [], values: [2 / n] },
      { name: 'momentum', dtype: 'float32', shape: [], values: [momentum] },
      { name: 'axis0', dtype: 'int64', shape: [1], values: [0] },
    ],
    nodes: [
      // forward: pred = x W + b; loss = mean((pred - y)^2)
      { op: 'MatMul', inputs: ['x', 'linear.weight'], outputs: ['linear.matmul'] },
      { op: 'Add', inputs: ['linear.matmul', 'linear.bias'], outputs: ['pred'] },
      { op: 'Sub', inputs: ['pred', 'y'], outputs: ['diff'] },
      { op: 'Mul', inputs: ['diff', 'diff'], outputs: ['sq'] },
      { op: 'ReduceMean', inputs: ['sq'], outputs: ['loss'], attrs: { keepdims: 0 } },
      // backward: dpred = 2/n (pred - y); dW = x^T dpred; db = sum(dpred)
      { op: 'Mul', inputs: ['diff', 'two_over_n'], outputs: ['pred.grad'] },
      { op: 'Transpose', inputs: ['x'], outputs: ['x.t'], attrs: { perm: [1, 0] } },
      { op: 'MatMul', inputs: ['x.t', 'pred.grad'], outputs: ['linear.weight.grad'] },
      { op: 'ReduceSum', inputs: ['pred.grad', 'axis0'], outputs: ['linear.bias.grad'], attrs: { keepdims: 0 } },
      // momentum SGD: v' = mu v + g; p' = p - lr v'
      ...(['linear.weight', 'linear.bias'] as const).flatMap((p) => [
        { op: 'Mul', inputs: [`sgd.v.${p}`, 'momentum'], outputs: [`sgd.v.${p}.decayed`] },
        { op: 'Add', inputs: [`sgd.v.${p}.decayed`, `${p}.grad`], outputs: [`sgd.v.${p}.next`] },
        { op: 'Mul', inputs: ['lr', `sgd.v.${p}.next`], outputs: [`${p}.delta`] },
        { op: 'Sub', inputs: [p, `${p}.delta`], outputs: [`${p}.next`] },
      ]),
    ],
  };
  const inference: HandModel = {
    inputs: [m.inputs[0]!, m.inputs[1]!, m.inputs[4]!],
    outputs: [{ name: 'pred', dtype: 'float32', shape: [n, 1] }],
    constants: [],
    nodes: m.nodes.slice(0, 2),
  };

  return {
    model: handModelBytes(m, 'toy_linear_train_step'),
    carry: ([['linear.weight', 'param', [k, 1]], ['linear.bias', 'param', [1]], ['sgd.v.linear.weight', 'state', [k, 1]], ['sgd.v.linear.bias', 'state', [1]]] as const)
      .map(([p, role, shape]) => ({ input: p, output: `${p}.next`, role, dtype: 'F32' as const, shape })),
    lossOutput: 'loss',
    initState(rng) {
      const w = new Float32Array(k);
      fillNormal(rng, w, 1 / Math.sqrt(k));
      return new Map([
        ['linear.weight', f32([k, 1], w)],
        ['linear.bias', f32([1], new Float32Array(1))],
        ['sgd.v.linear.weight', f32([k, 1], new Float32Array(k))],
        ['sgd.v.linear.bias', f32([1], new Float32Array(1))],
      ]);
    },
    batch(step, rng) {
      const x = new Float32Array(n * k);
      fillNormal(rng, x);
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let dot = trueB;
        for (let j = 0; j < k; j++) dot += x[i * k + j]! * trueW[j]!;
        y[i] = dot + 0.01 * nextNormal(rng);
      }
      // A small decay so the lr input visibly matters and is part of what resume must reproduce.
      const lrNow = lr / (1 + 0.01 * (step - 1));
      return new Map([
        ['x', f32([n, k], x)],
        ['y', f32([n, 1], y)],
        ['lr', f32([], Float32Array.of(lrNow))],
      ]);
    },
    inference: { model: handModelBytes(inference, 'toy_linear_infer'), params: ['linear.weight', 'linear.bias'] },
  };
}
