/**
 * The checkpoint manifest: a small JSON file written LAST, after the tensor file it describes is complete on disk.
 * A checkpoint exists only if its manifest does, and it is usable only if the tensor file matches the manifest's size
 * and sha256. It describes itself (nanoGPT habit): the run config, the step, the RNG state and the graph hash.
 */
import type { RngState } from '../random/rng.js';
import { restoreRng, saveRng } from '../random/rng.js';

export const manifestFormat = 'anadiff-checkpoint';
export const manifestVersion = 1;

/** A JSON value (what `config` may hold). */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export interface CheckpointFileRef {
  /** File name relative to the manifest's folder. */
  readonly name: string;
  readonly bytes: number;
  /** Lower-case hex sha256 of the whole file. */
  readonly sha256: string;
}

export interface CheckpointManifest {
  readonly format: typeof manifestFormat;
  readonly version: typeof manifestVersion;
  /** Optimizer steps completed when this checkpoint was taken. */
  readonly step: number;
  /** ISO 8601. */
  readonly createdAt: string;
  /** sha256 of the training-step graph bytes: resuming with a different graph is refused. */
  readonly graphHash: string;
  /** The data RNG's state after `step` steps. */
  readonly rng: RngState;
  /** The run configuration, as given (already validated by its owner). */
  readonly config: Json;
  /** Parameters and optimizer state, by graph input name. */
  readonly tensors: CheckpointFileRef;
  /** Last step's loss, for people reading the folder. */
  readonly loss?: number;
  /** Which build wrote it (absent in checkpoints written before it was recorded): the hint when one does not fit. */
  readonly writer?: CheckpointWriter;
}

export interface CheckpointWriter {
  /** anadiff's package version. */
  readonly anadiff: string;
}

export class CheckpointError extends Error {
  constructor(message: string, readonly path?: string) {
    super(path ? `${message} (${path})` : message);
    this.name = 'CheckpointError';
  }
}

const hex64 = /^[0-9a-f]{64}$/;

/** `unknown` (parsed JSON) -> a typed manifest, or a CheckpointError naming the first bad field. */
export function parseManifest(value: unknown, where?: string): CheckpointManifest {
  const fail = (msg: string): never => {
    throw new CheckpointError(`invalid checkpoint manifest: ${msg}`, where);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('expected a JSON object');
  const m = value as Record<string, unknown>;
  if (m.format !== manifestFormat) fail(`"format" must be "${manifestFormat}", got ${JSON.stringify(m.format)}`);
  if (m.version !== manifestVersion) fail(`unsupported "version" ${JSON.stringify(m.version)} (this build reads ${manifestVersion})`);
  if (!Number.isSafeInteger(m.step) || (m.step as number) < 0) fail('"step" must be a non-negative integer');
  if (typeof m.createdAt !== 'string') fail('"createdAt" must be a string');
  if (typeof m.graphHash !== 'string' || !hex64.test(m.graphHash)) fail('"graphHash" must be a sha256 hex string');
  let rng: RngState;
  try {
    rng = saveRng(restoreRng(m.rng));
  } catch (e) {
    return fail(`"rng": ${(e as Error).message}`);
  }
  const t = m.tensors as Record<string, unknown> | undefined;
  if (typeof t !== 'object' || t === null) return fail('"tensors" must be an object');
  if (typeof t.name !== 'string' || t.name.includes('/') || t.name.includes('\\') || t.name.startsWith('.')) {
    fail('"tensors.name" must be a plain file name');
  }
  if (!Number.isSafeInteger(t.bytes) || (t.bytes as number) < 8) fail('"tensors.bytes" must be an integer >= 8');
  if (typeof t.sha256 !== 'string' || !hex64.test(t.sha256)) fail('"tensors.sha256" must be a sha256 hex string');
  if (m.loss !== undefined && typeof m.loss !== 'number') fail('"loss" must be a number');
  const w = m.writer as Record<string, unknown> | undefined;
  if (w !== undefined && (typeof w !== 'object' || w === null || typeof w.anadiff !== 'string')) fail('"writer" must be { "anadiff": version }');
  const manifest: CheckpointManifest = {
    format: manifestFormat,
    version: manifestVersion,
    step: m.step as number,
    createdAt: m.createdAt as string,
    graphHash: m.graphHash as string,
    rng,
    config: (m.config ?? null) as Json,
    tensors: { name: t.name as string, bytes: t.bytes as number, sha256: t.sha256 as string },
    ...(typeof m.loss === 'number' ? { loss: m.loss } : {}),
    ...(w ? { writer: { anadiff: w.anadiff as string } } : {}),
  };
  return manifest;
}

/** Checkpoint files are named by step, zero-padded so they sort: `step-00000120.json` / `.safetensors`. */
export function checkpointBaseName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** The step encoded in a manifest file name, or undefined for any other file. */
export function stepOfManifestName(fileName: string): number | undefined {
  const m = /^step-(\d{8,})\.json$/.exec(fileName);
  return m ? Number(m[1]) : undefined;
}
