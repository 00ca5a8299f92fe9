import type { Graph } from '../../core/graph/graph.js';
import type { LoweringChoices } from '../../core/lowering.js';
import { toOnnxModel } from '../../core/onnx/serialize.js';
import { type Feeds, createGraphSession } from '../ort/run-graph.js';
import { median } from './stats.js';

export interface GraphTiming {
  readonly medianMs: number;
  readonly minMs: number;
  /** Process CPU time per run (user + sys), median: steadier than wall time on a loaded machine (spinning off). */
  readonly cpuMedianMs: number;
  readonly sessionMs: number;
  readonly serialiseMs: number;
}

/** Times `runs` runs after one warm-up run. */
export async function timeGraph(g: Graph, feeds: Feeds, opts: { lowering?: Partial<LoweringChoices>; threads?: number; runs?: number; memArena?: boolean } = {}): Promise<GraphTiming> {
  const t0 = performance.now();
  toOnnxModel(g, opts.lowering ? { lowering: opts.lowering } : {});
  const serialiseMs = performance.now() - t0;
  const t1 = performance.now();
  const s = await createGraphSession(g, { ...(opts.lowering ? { lowering: opts.lowering } : {}), threads: opts.threads ?? 0, allowSpinning: false, ...(opts.memArena === false ? { memArena: false } : {}) });
  const sessionMs = performance.now() - t1;
  try {
    await s.run(feeds);
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < (opts.runs ?? 5); r++) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      await s.run(feeds);
      wall.push(performance.now() - w0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    return { medianMs: median(wall), minMs: Math.min(...wall), cpuMedianMs: median(cpu), sessionMs, serialiseMs };
  } finally {
    await s.release();
  }
}

/** Random feeds for every input: floats uniform(-0.1, 0.1), int64 labels alternating 0/1 in blocks of 128. */
export function randomFeeds(g: Graph, seed = 1): Record<string, Float32Array | BigInt64Array> {
  let a = seed >>> 0;
  const random = (): number => {
    a = (Math.imul(a ^ (a >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
    return a / 4294967296;
  };
  const feeds: Record<string, Float32Array | BigInt64Array> = {};
  for (const i of g.inputs) {
    const n = i.value.shape.reduce((p, d) => p * d, 1);
    feeds[i.value.name] = i.value.dtype === 'int64'
      ? BigInt64Array.from({ length: n }, (_, k) => BigInt((k >> 7) & 1))
      : Float32Array.from({ length: n }, () => (random() - 0.5) * 0.2);
  }
  return feeds;
}
