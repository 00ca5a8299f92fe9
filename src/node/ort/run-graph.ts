import * as ort from 'onnxruntime-node';
import type { Graph } from '../../core/graph/graph.js';
import type { DType, TypedArray } from '../../core/graph/types.js';
import type { LoweringChoices } from '../../core/lowering.js';
import { toOnnxModel } from '../../core/onnx/serialize.js';

export interface GraphSessionOptions {
  readonly lowering?: Partial<LoweringChoices>;
  /** Intra-op threads; 0 or absent lets onnxruntime use all cores. */
  readonly threads?: number;
  readonly executionProviders?: readonly string[];
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  readonly enableProfiling?: boolean;
  /** 'parallel' lets independent branches (for example the shifted GEMMs of one weight gradient) overlap. */
  readonly executionMode?: 'sequential' | 'parallel';
  /** onnxruntime's CPU memory arena (default on); off gives honest peak RSS, as the trainer runs. */
  readonly memArena?: boolean;
  /** false stops idle ORT threads from spinning: CPU time then measures work done (benchmarks on a shared box). */
  readonly allowSpinning?: boolean;
  /** Where ORT writes the profile JSON (path prefix); `session.endProfiling()` returns the file. */
  readonly profileFilePrefix?: string;
}

export type Feeds = Readonly<Record<string, TypedArray>>;
export type Fetches = Record<string, TypedArray>;

const ORT_TYPES: Record<DType, ort.Tensor.Type> = {
  float32: 'float32', float64: 'float64', float16: 'float16', int64: 'int64', int32: 'int32', bool: 'bool', uint8: 'uint8',
};

/** A session over one graph; feeds are checked against the graph's inputs by name, dtype and size. */
export interface GraphSession {
  readonly session: ort.InferenceSession;
  readonly modelBytes: number;
  run(feeds: Feeds): Promise<Fetches>;
  release(): Promise<void>;
}

export async function createGraphSession(g: Graph, opts: GraphSessionOptions = {}): Promise<GraphSession> {
  const model = toOnnxModel(g, opts.lowering ? { lowering: opts.lowering } : {});
  const session = await ort.InferenceSession.create(model, {
    executionProviders: [...(opts.executionProviders ?? ['cpu'])],
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
    ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
    ...(opts.executionMode ? { executionMode: opts.executionMode } : {}),
    ...(opts.memArena === false ? { enableCpuMemArena: false } : {}),
    ...(opts.allowSpinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } } : {}),
    ...(opts.enableProfiling ? { enableProfiling: true, profileFilePrefix: opts.profileFilePrefix ?? 'anadiff-ort-profile' } : {}),
  });
  const inputs = g.inputs.map((i) => i.value);
  return {
    session,
    modelBytes: model.byteLength,
    async run(feeds: Feeds): Promise<Fetches> {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const v of inputs) {
        const data = feeds[v.name];
        const count = v.shape.reduce((a, b) => a * b, 1);
        if (!data) throw new Error(`runGraph: missing feed for input ${v.name} ${v.dtype}[${v.shape.join(', ')}]`);
        if (data.length !== count) throw new Error(`runGraph: feed ${v.name} has ${data.length} elements, input needs ${count}`);
        ortFeeds[v.name] = new ort.Tensor(ORT_TYPES[v.dtype], data as ort.Tensor.DataType, [...v.shape]);
      }
      const out = await session.run(ortFeeds);
      const result: Fetches = {};
      for (const [name, t] of Object.entries(out)) result[name] = t.data as TypedArray;
      return result;
    },
    release: () => session.release(),
  };
}

/** One-shot: serialise, create a session, run once, release. For tests and small tools. */
export async function runGraph(g: Graph, feeds: Feeds, opts: GraphSessionOptions = {}): Promise<Fetches> {
  const s = await createGraphSession(g, opts);
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}
