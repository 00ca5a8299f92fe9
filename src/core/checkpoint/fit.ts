/**
 * Does a checkpoint fit a step graph? Checked on the manifest and the decoded tensor index BEFORE a resume converts
 * or writes anything: every expected tensor present with its dtype and shape, nothing extra, and the graph hash
 * equal. A misfit names the first differing tensor (in the graph's carry order, then extra names sorted) and which
 * build wrote the checkpoint, so "the network changed between versions" reads as such instead of as zeros.
 */
import { CheckpointError, type CheckpointManifest } from './manifest.js';
import type { SafetensorsDtype } from './safetensors.js';
import { EMA_PREFIX } from '../optim/ema.js';

export interface TensorSpec {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
}

/** What a step graph expects of a checkpoint. */
export interface CheckpointExpectation {
  readonly graphHash: string;
  readonly state: readonly TensorSpec[];
}

export type Misfit =
  | { readonly kind: 'missing'; readonly name: string; readonly expected: TensorSpec }
  | { readonly kind: 'unexpected'; readonly name: string; readonly actual: TensorSpec }
  | { readonly kind: 'dtype' | 'shape'; readonly name: string; readonly expected: TensorSpec; readonly actual: TensorSpec }
  | { readonly kind: 'graph'; readonly expected: string; readonly actual: string };

const specText = (t: TensorSpec): string => `${t.dtype} [${t.shape.join(', ')}]`;
/** An EMA cannot be switched on midway: what it averaged before the checkpoint is gone. */
const emaHint = ': the checkpoint keeps no EMA of the weights (written without --ema, or before it existed), and a run cannot start one midway';

/** The first tensor that differs, else a differing graph hash (same tensors, other ops or hyper-parameters), else undefined. */
export function firstMisfit(expected: CheckpointExpectation, graphHash: string, tensors: ReadonlyMap<string, Omit<TensorSpec, 'name'>>): Misfit | undefined {
  const tensorMisfit = firstTensorMisfit(expected.state, tensors);
  if (tensorMisfit) return tensorMisfit;
  if (graphHash !== expected.graphHash) return { kind: 'graph', expected: expected.graphHash, actual: graphHash };
  return undefined;
}

/** The first tensor that differs (a state converted in memory has no graph hash of its own). */
export function firstTensorMisfit(expected: readonly TensorSpec[], tensors: ReadonlyMap<string, Omit<TensorSpec, 'name'>>): Misfit | undefined {
  const wanted = new Set<string>();
  for (const e of expected) {
    wanted.add(e.name);
    const a = tensors.get(e.name);
    if (!a) return { kind: 'missing', name: e.name, expected: e };
    const actual = { name: e.name, dtype: a.dtype, shape: a.shape };
    if (a.dtype !== e.dtype) return { kind: 'dtype', name: e.name, expected: e, actual };
    if (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape[i])) return { kind: 'shape', name: e.name, expected: e, actual };
  }
  const extra = [...tensors.keys()].filter((n) => !wanted.has(n)).sort()[0];
  if (extra !== undefined) {
    const a = tensors.get(extra)!;
    return { kind: 'unexpected', name: extra, actual: { name: extra, dtype: a.dtype, shape: a.shape } };
  }
  return undefined;
}

export function describeMisfit(m: Misfit): string {
  switch (m.kind) {
    case 'missing': return `tensor ${m.name} is missing (this graph expects ${specText(m.expected)})${m.name.startsWith(EMA_PREFIX) ? emaHint : ''}`;
    case 'unexpected': return `tensor ${m.name} (${specText(m.actual)}) is not in this graph`;
    case 'dtype':
    case 'shape': return `tensor ${m.name} is ${specText(m.actual)}, this graph expects ${specText(m.expected)}`;
    case 'graph': return `every tensor matches but the step graph differs (hash ${m.actual.slice(0, 12)}…, this run ${m.expected.slice(0, 12)}…): the ops or optimizer changed`;
    default: {
      const never: never = m;
      return never;
    }
  }
}

export class CheckpointMismatchError extends CheckpointError {
  constructor(readonly misfit: Misfit, manifest: CheckpointManifest, thisVersion: string, path?: string) {
    super(`checkpoint step ${manifest.step} does not fit this run: ${describeMisfit(misfit)}; ${writerHint(manifest, thisVersion)}`, path);
    this.name = 'CheckpointMismatchError';
  }
}

/** Which build wrote the checkpoint, against this one: the likely reason for a misfit. */
export function writerHint(manifest: CheckpointManifest, thisVersion: string): string {
  const run = typeof manifest.config === 'object' && manifest.config !== null && !Array.isArray(manifest.config) && typeof (manifest.config as Record<string, unknown>).name === 'string'
    ? ` for run "${(manifest.config as Record<string, unknown>).name as string}"` : '';
  const when = `written ${manifest.createdAt}${run}`;
  if (!manifest.writer) return `${when} by an anadiff older than the version field (this is anadiff ${thisVersion}): a network change between versions`;
  if (manifest.writer.anadiff !== thisVersion) return `${when} by anadiff ${manifest.writer.anadiff} (this is anadiff ${thisVersion}): the network changed between versions; finish it with ${manifest.writer.anadiff}`;
  return `${when} by this version (anadiff ${thisVersion}): the run's config (network, preset, channels, patch, mode) differs from the one that wrote it`;
}

/** Throws CheckpointMismatchError unless the checkpoint fits. */
export function assertCheckpointFits(
  expected: CheckpointExpectation,
  checkpoint: { readonly manifest: CheckpointManifest; readonly tensors: ReadonlyMap<string, Omit<TensorSpec, 'name'>>; readonly manifestPath?: string },
  thisVersion: string,
): void {
  const misfit = firstMisfit(expected, checkpoint.manifest.graphHash, checkpoint.tensors);
  if (misfit) throw new CheckpointMismatchError(misfit, checkpoint.manifest, thisVersion, checkpoint.manifestPath);
}
