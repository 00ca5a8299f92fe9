/**
 * Where onnxruntime ran each node: an onnxruntime profile (the JSON array of trace events that `enableProfiling`
 * writes) read into a placement summary per execution provider. Pure: the caller reads the file.
 *
 * A node's kernel event is `{ cat: 'Node', name: '<node>_kernel_time', dur: <us>, args: { op_name, provider,
 * node_index } }`, once per run. On CUDAExecutionProvider `dur` is the host-side time of launching the kernel
 * (onnxruntime does not synchronise the stream per node), so for CUDA the node counts and the op types placed on
 * CPU are the reliable part; the step's wall time is the measure of speed.
 */

/** One node's kernel event of one run, as the profile holds it. */
export interface KernelEvent {
  /** The node name without the `_kernel_time` suffix (after onnxruntime's fusions, e.g. `MatMul_0/MatMulAddFusion`). */
  readonly node: string;
  readonly op: string;
  /** `CPUExecutionProvider`, `CUDAExecutionProvider`, ... (`unknown` when the event carries none). */
  readonly provider: string;
  readonly us: number;
}

export interface OpPlacement {
  readonly op: string;
  /** Distinct nodes of this op type on the provider. */
  readonly nodes: number;
  /** Kernel milliseconds per run. */
  readonly ms: number;
}

export interface ProviderPlacement {
  readonly provider: string;
  readonly nodes: number;
  /** Kernel milliseconds per run, summed over the provider's nodes. */
  readonly ms: number;
  /** Share of all nodes, 0..1. */
  readonly nodeShare: number;
  /** Share of all kernel time, 0..1. */
  readonly timeShare: number;
  /** Op types on this provider, most kernel time first. */
  readonly ops: readonly OpPlacement[];
}

export interface PlacementSummary {
  /** Runs the kernel times were averaged over (the profile's runs less the skipped ones). */
  readonly runs: number;
  readonly nodes: number;
  readonly ms: number;
  /** Providers, most nodes first. */
  readonly providers: readonly ProviderPlacement[];
}

export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}

export const cpuProvider = 'CPUExecutionProvider';
export const cudaProvider = 'CUDAExecutionProvider';

const kernelSuffix = '_kernel_time';

/** The node kernel events of a profile's parsed JSON; session events (model loading, initialisation) are skipped. */
export function kernelEvents(profile: unknown): KernelEvent[] {
  if (!Array.isArray(profile)) throw new ProfileError('profile: expected a JSON array of trace events');
  const out: KernelEvent[] = [];
  profile.forEach((e: unknown, i) => {
    if (typeof e !== 'object' || e === null) throw new ProfileError(`profile: event ${i} is not an object`);
    const { cat, name, dur, args } = e as { cat?: unknown; name?: unknown; dur?: unknown; args?: unknown };
    if (cat !== 'Node' || typeof name !== 'string' || !name.endsWith(kernelSuffix)) return;
    if (typeof dur !== 'number' || !Number.isFinite(dur) || dur < 0) throw new ProfileError(`profile: event ${i} (${name}) has no valid dur`);
    const a = (typeof args === 'object' && args !== null ? args : {}) as { op_name?: unknown; provider?: unknown };
    out.push({
      node: name.slice(0, -kernelSuffix.length),
      op: typeof a.op_name === 'string' ? a.op_name : '?',
      provider: typeof a.provider === 'string' ? a.provider : 'unknown',
      us: dur,
    });
  });
  return out;
}

/**
 * Nodes and kernel time per provider and op type. The profile holds `runs` runs; the first `skipRuns` of them
 * (warmup: the first CUDA runs also pick kernels) are left out of the times, which are per run of the rest. Every
 * node runs once per run, so a node's k-th event belongs to run k.
 */
export function summarisePlacement(events: readonly KernelEvent[], runs: number, skipRuns = 0): PlacementSummary {
  if (!Number.isInteger(runs) || runs < 1) throw new ProfileError(`profile: runs must be a positive integer, got ${runs}`);
  if (!Number.isInteger(skipRuns) || skipRuns < 0 || skipRuns >= runs) throw new ProfileError(`profile: skipRuns must be an integer from 0 to ${runs - 1}, got ${skipRuns}`);
  const counted = runs - skipRuns;
  const seen = new Map<string, number>();
  const byProvider = new Map<string, { nodes: Set<string>; us: number; ops: Map<string, { nodes: Set<string>; us: number }> }>();
  for (const e of events) {
    const k = seen.get(e.node) ?? 0;
    seen.set(e.node, k + 1);
    const us = k < skipRuns ? 0 : e.us;
    let p = byProvider.get(e.provider);
    if (!p) byProvider.set(e.provider, (p = { nodes: new Set(), us: 0, ops: new Map() }));
    p.nodes.add(e.node);
    p.us += us;
    let o = p.ops.get(e.op);
    if (!o) p.ops.set(e.op, (o = { nodes: new Set(), us: 0 }));
    o.nodes.add(e.node);
    o.us += us;
  }
  const nodes = [...byProvider.values()].reduce((n, p) => n + p.nodes.size, 0);
  const us = [...byProvider.values()].reduce((n, p) => n + p.us, 0);
  const providers = [...byProvider].map(([provider, p]): ProviderPlacement => ({
    provider,
    nodes: p.nodes.size,
    ms: p.us / counted / 1000,
    nodeShare: nodes === 0 ? 0 : p.nodes.size / nodes,
    timeShare: us === 0 ? 0 : p.us / us,
    ops: [...p.ops].map(([op, o]) => ({ op, nodes: o.nodes.size, ms: o.us / counted / 1000 })).sort((a, b) => b.ms - a.ms || b.nodes - a.nodes || a.op.localeCompare(b.op)),
  })).sort((a, b) => b.nodes - a.nodes || a.provider.localeCompare(b.provider));
  return { runs: counted, nodes, ms: us / counted / 1000, providers };
}

/** One provider's row, or an empty one when no node ran there. */
export function placementOn(summary: PlacementSummary, provider: string): ProviderPlacement {
  return summary.providers.find((p) => p.provider === provider) ?? { provider, nodes: 0, ms: 0, nodeShare: 0, timeShare: 0, ops: [] };
}
