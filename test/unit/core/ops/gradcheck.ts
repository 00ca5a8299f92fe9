// Finite-difference gradient check for engine ops, run through onnxruntime-node.
// loss = sum(f(inputs) * R) with a fixed random R, so every output element carries a distinct weight.
import { gradients } from '../../../../src/core/autodiff/index.js';
import { Graph, type DType, type Value } from '../../../../src/core/graph/index.js';
import type { LoweringChoices } from '../../../../src/core/lowering.js';
import { mul, reduceSum } from '../../../../src/core/ops/index.js';
import { createGraphSession } from '../../../../src/node/ort/run-graph.js';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GradInput {
  readonly name: string;
  readonly shape: readonly number[];
  /** Defaults to uniform(-1, 1). */
  readonly data?: readonly number[];
  /** Not differentiated (labels, masks). */
  readonly constant?: boolean;
  readonly dtype?: DType;
}

export interface GradCheckCase {
  readonly inputs: readonly GradInput[];
  readonly build: (xs: Value[]) => Value;
  readonly dtype: 'float32' | 'float64';
  /** Elements checked per input (spread evenly). */
  readonly samples?: number;
  readonly step?: number;
  readonly lowering?: Partial<LoweringChoices>;
  readonly seed?: number;
}

export interface GradCheckResult {
  /** max over inputs of ||analytic - numeric|| / max(||analytic||, ||numeric||) over the sampled elements */
  readonly relError: number;
  readonly perInput: Record<string, number>;
}

function typed(dtype: DType, values: readonly number[]): Float32Array | Float64Array | BigInt64Array {
  if (dtype === 'float64') return Float64Array.from(values);
  if (dtype === 'int64') return BigInt64Array.from(values, (v) => BigInt(v));
  return Float32Array.from(values);
}

export async function gradCheck(c: GradCheckCase): Promise<GradCheckResult> {
  const random = rng(c.seed ?? 1);
  const g = new Graph('gradcheck');
  const data = c.inputs.map((i) => [...(i.data ?? Array.from({ length: i.shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1))]);
  const values = c.inputs.map((i) => g.input(i.name, i.dtype ?? c.dtype, i.shape, i.constant ? 'data' : 'param'));
  const y = c.build(values);
  const weights = Array.from({ length: y.shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
  const loss = reduceSum(mul(y, g.constant('R', y.dtype, y.shape, typed(y.dtype, weights) as Float32Array)));
  const wrt = values.filter((_, k) => !c.inputs[k]?.constant);
  const grads = gradients(loss, wrt);
  g.output(loss, 'loss');
  for (const d of grads) g.output(d);
  const session = await createGraphSession(g, { ...(c.lowering ? { lowering: c.lowering } : {}), threads: 1 });
  const feeds = (arrays: number[][]): Record<string, Float32Array | Float64Array | BigInt64Array> =>
    Object.fromEntries(c.inputs.map((i, k) => [i.name, typed(i.dtype ?? c.dtype, arrays[k] ?? [])]));
  try {
    const base = await session.run(feeds(data));
    const h = c.step ?? (c.dtype === 'float64' ? 1e-6 : 1e-2);
    const perInput: Record<string, number> = {};
    let worst = 0;
    for (const [k, input] of c.inputs.entries()) {
      if (input.constant) continue;
      const analyticAll = base[`${input.name}.grad`];
      if (!analyticAll) throw new Error(`no gradient output for ${input.name}`);
      const n = analyticAll.length;
      const count = Math.min(n, c.samples ?? 8);
      let diff = 0;
      let normA = 0;
      let normN = 0;
      for (let s = 0; s < count; s++) {
        const idx = Math.floor(((s + 0.5) * n) / count);
        const lossAt = async (delta: number): Promise<number> => {
          const perturbed = data.map((d) => [...d]);
          const row = perturbed[k];
          if (row) row[idx] = (row[idx] ?? 0) + delta;
          const out = await session.run(feeds(perturbed));
          return Number(out.loss?.[0]);
        };
        const numeric = ((await lossAt(h)) - (await lossAt(-h))) / (2 * h);
        const analytic = Number(analyticAll[idx]);
        diff += (analytic - numeric) ** 2;
        normA += analytic ** 2;
        normN += numeric ** 2;
      }
      const rel = Math.sqrt(diff) / Math.max(Math.sqrt(normA), Math.sqrt(normN), 1e-12);
      perInput[input.name] = rel;
      worst = Math.max(worst, rel);
    }
    return { relError: worst, perInput };
  } finally {
    await session.release();
  }
}
