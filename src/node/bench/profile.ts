import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../../core/graph/graph.js';
import type { LoweringChoices } from '../../core/lowering.js';
import { type Feeds, createGraphSession } from '../ort/run-graph.js';

export interface OpTime {
  readonly op: string;
  readonly ms: number;
}

export interface StepProfile {
  /** Kernel time per ONNX op type, one run, largest first. */
  readonly byOp: OpTime[];
  /** Kernel time per ONNX node (its name starts with the engine node name), largest first. */
  readonly byNode: OpTime[];
  readonly totalMs: number;
}

interface ProfileEvent {
  readonly cat: string;
  readonly name: string;
  readonly dur: number;
  readonly args?: { readonly op_name?: string };
}

/** Runs `g` `runs` times with ORT profiling on and sums kernel times of the last run by op type and node. */
export async function profileGraph(g: Graph, feeds: Feeds, opts: { lowering?: Partial<LoweringChoices>; threads?: number; runs?: number; memArena?: boolean } = {}): Promise<StepProfile> {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-prof-'));
  const s = await createGraphSession(g, { ...(opts.lowering ? { lowering: opts.lowering } : {}), threads: opts.threads ?? 0, ...(opts.memArena === false ? { memArena: false } : {}), enableProfiling: true, profileFilePrefix: join(dir, 'ort') });
  const runs = opts.runs ?? 2;
  for (let r = 0; r < runs; r++) await s.run(feeds);
  // the Node binding's endProfiling returns nothing: the one file ORT wrote is found in our temporary folder
  s.session.endProfiling();
  await s.release();
  const file = readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) throw new Error(`ORT wrote no profile in ${dir}`);
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[];
  rmSync(dir, { recursive: true, force: true });
  const byOp = new Map<string, number>();
  const byNode = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    const us = e.dur / runs;
    byOp.set(op, (byOp.get(op) ?? 0) + us);
    const node = e.name.replace(/_kernel_time$/, '');
    byNode.set(node, (byNode.get(node) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>): OpTime[] => [...m].map(([op, us]) => ({ op, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  const all = sorted(byOp);
  return { byOp: all, byNode: sorted(byNode), totalMs: all.reduce((a, b) => a + b.ms, 0) };
}
