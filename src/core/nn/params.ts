import type { Graph, Value } from '../graph/graph.js';
import type { Shape } from '../graph/types.js';
import { numel } from '../graph/types.js';
import { fillUniform, type Rng } from '../random/rng.js';

/** How a parameter starts: PyTorch's defaults, so a fresh anadiff net trains like a fresh PyTorch net. */
export type ParamInit =
  | { readonly kind: 'uniform'; readonly bound: number } // conv weight and bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  | { readonly kind: 'constant'; readonly value: number }; // norm gamma 1, beta 0

export interface ParamSpec {
  readonly name: string;
  readonly shape: Shape;
  readonly init: ParamInit;
}

/**
 * What a network builder writes into while it builds: the graph and the parameters it created, in creation order.
 * Building the same network into two graphs gives the same parameter names (they come from module paths).
 */
export interface NetContext {
  readonly g: Graph;
  readonly params: ParamSpec[];
  /** Parameter dtype: float32 on CPU; float16 is the door left open for CUDA (initParams still yields float32). */
  readonly dtype: 'float32' | 'float16';
}

export function createNetContext(g: Graph, dtype: NetContext['dtype'] = 'float32'): NetContext {
  return { g, params: [], dtype };
}

/** Creates a parameter input `${path}.${local}` and records how to initialise it. */
export function param(ctx: NetContext, local: string, shape: Shape, init: ParamInit): Value {
  const v = ctx.g.param(local, shape, ctx.dtype);
  ctx.params.push({ name: v.name, shape: v.shape, init });
  return v;
}

export class ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

/** Initial values for every parameter, drawn from `rng` in creation order (deterministic for a seed). */
export function initParams(specs: readonly ParamSpec[], rng: Rng): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const spec of specs) {
    const data = new Float32Array(numel(spec.shape));
    if (spec.init.kind === 'uniform') fillUniform(rng, data, -spec.init.bound, spec.init.bound);
    else data.fill(spec.init.value);
    out.set(spec.name, data);
  }
  return out;
}

/** Total parameter count (for presets and logs). */
export function countParams(specs: readonly ParamSpec[]): number {
  return specs.reduce((n, s) => n + numel(s.shape), 0);
}
