/**
 * Checkpoints on disk: `<dir>/step-00000120.safetensors` (parameters and optimizer state by graph input name) and
 * `<dir>/step-00000120.json` (the manifest, written last). Loading verifies the manifest, the file size and the sha256
 * before decoding, so a corrupt or truncated checkpoint is refused whole and nothing half-loaded reaches a session.
 */
import { readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CheckpointError, checkpointBaseName, manifestFormat, manifestVersion, parseManifest, stepOfManifestName,
  type CheckpointManifest, type Json,
} from '../../core/checkpoint/manifest.js';
import { decodeSafetensors, planSafetensors, SafetensorsError, type NamedTensor } from '../../core/checkpoint/safetensors.js';
import type { RngState } from '../../core/random/rng.js';
import { ANADIFF_VERSION } from '../version.js';
import { sha256Hex, writeFileAtomic } from '../io/atomic-write.js';

export interface CheckpointContent {
  readonly step: number;
  readonly tensors: ReadonlyMap<string, NamedTensor>;
  readonly rng: RngState;
  readonly graphHash: string;
  readonly config: Json;
  readonly loss?: number;
}

export interface LoadedCheckpoint {
  readonly manifest: CheckpointManifest;
  readonly manifestPath: string;
  readonly tensors: ReadonlyMap<string, NamedTensor>;
}

/** Writes one checkpoint atomically (tensors first, manifest last); returns the manifest path. */
export function writeCheckpoint(dir: string, content: CheckpointContent): string {
  const base = checkpointBaseName(content.step);
  const tensorName = `${base}.safetensors`;
  const plan = planSafetensors(content.tensors, { format: 'anadiff', step: String(content.step) });
  const crash = crashHookFor(content.step);
  // Overwrite is allowed: a run resumed from step k rewrites checkpoints after k that a killed run may have left.
  const written = writeFileAtomic(join(dir, tensorName), crash([plan.header, ...plan.parts]), { overwrite: true });
  const manifest: CheckpointManifest = {
    format: manifestFormat,
    version: manifestVersion,
    step: content.step,
    createdAt: new Date().toISOString(),
    graphHash: content.graphHash,
    rng: content.rng,
    config: content.config,
    tensors: { name: tensorName, bytes: written.bytes, sha256: written.sha256 },
    ...(content.loss !== undefined ? { loss: content.loss } : {}),
    writer: { anadiff: ANADIFF_VERSION },
  };
  const manifestPath = join(dir, `${base}.json`);
  writeFileAtomic(manifestPath, crash([new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`)]), { overwrite: true });
  return manifestPath;
}

/**
 * Fault-injection hook for tests: ANADIFF_TEST_CRASH_CHECKPOINT_AT_BYTE="STEP:N" (or "N": whichever checkpoint comes
 * first) SIGKILLs this process once N bytes of that checkpoint are written: bytes of the tensor file first, then of
 * the manifest, so N = the tensor file's size dies between its rename and the manifest. Costs nothing when unset.
 */
function crashHookFor(step: number): (chunks: Iterable<Uint8Array>) => Iterable<Uint8Array> {
  const spec = process.env.ANADIFF_TEST_CRASH_CHECKPOINT_AT_BYTE;
  if (!spec) return (chunks) => chunks;
  const m = /^(?:(\d+):)?(\d+)$/.exec(spec);
  if (!m) throw new Error(`ANADIFF_TEST_CRASH_CHECKPOINT_AT_BYTE must be N or STEP:N, got ${spec}`);
  if (m[1] !== undefined && Number(m[1]) !== step) return (chunks) => chunks;
  let left = Number(m[2]);
  return function* (chunks) {
    for (const chunk of chunks) {
      if (left >= chunk.byteLength && left > 0) {
        left -= chunk.byteLength;
        yield chunk;
        continue;
      }
      if (left > 0) yield chunk.subarray(0, left);
      // Resumed after the writer wrote the first N bytes (kill(2) on ourselves: nothing after it runs).
      process.kill(process.pid, 'SIGKILL');
    }
  };
}

/** Steps of the checkpoints that have a manifest, ascending. Incomplete writes (no manifest) are not listed. */
export function listCheckpointSteps(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map(stepOfManifestName)
    .filter((s): s is number => s !== undefined)
    .sort((a, b) => a - b);
}

export function manifestPathFor(dir: string, step: number): string {
  return join(dir, `${checkpointBaseName(step)}.json`);
}

/** Reads, verifies and decodes one checkpoint; throws CheckpointError naming the file and what is wrong. */
export function loadCheckpoint(manifestPath: string): LoadedCheckpoint {
  let raw: string;
  try {
    raw = readFileSync(manifestPath, 'utf8');
  } catch (e) {
    throw new CheckpointError(`cannot read manifest: ${(e as Error).message}`, manifestPath);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new CheckpointError(`manifest is not valid JSON: ${(e as Error).message}`, manifestPath);
  }
  const manifest = parseManifest(json, manifestPath);
  const tensorPath = join(manifestPath, '..', manifest.tensors.name);
  let size: number;
  try {
    size = statSync(tensorPath).size;
  } catch {
    throw new CheckpointError('tensor file is missing', tensorPath);
  }
  if (size !== manifest.tensors.bytes) {
    throw new CheckpointError(`tensor file is ${size} bytes, manifest says ${manifest.tensors.bytes}${size < manifest.tensors.bytes ? ' (truncated)' : ''}`, tensorPath);
  }
  const bytes = new Uint8Array(readFileSync(tensorPath));
  const digest = sha256Hex(bytes);
  if (digest !== manifest.tensors.sha256) {
    throw new CheckpointError(`tensor file sha256 ${digest.slice(0, 12)}… does not match the manifest's ${manifest.tensors.sha256.slice(0, 12)}… (corrupt)`, tensorPath);
  }
  try {
    return { manifest, manifestPath, tensors: decodeSafetensors(bytes).tensors };
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError(`tensor file: ${e.message}`, tensorPath);
    throw e;
  }
}

/** The newest checkpoint in `dir`, verified; undefined when there is none. A corrupt newest checkpoint throws. */
export function loadLatestCheckpoint(dir: string): LoadedCheckpoint | undefined {
  const steps = listCheckpointSteps(dir);
  const last = steps[steps.length - 1];
  return last === undefined ? undefined : loadCheckpoint(manifestPathFor(dir, last));
}

/** Deletes all but the newest `keep` checkpoints, and checkpoints newer than `upToStep` when given. */
export function pruneCheckpoints(dir: string, keep: number, upToStep = Number.POSITIVE_INFINITY): void {
  const steps = listCheckpointSteps(dir);
  const stale = steps.filter((s) => s > upToStep);
  const kept = steps.filter((s) => s <= upToStep);
  stale.push(...kept.slice(0, Math.max(0, kept.length - keep)));
  for (const step of stale) {
    const base = join(dir, checkpointBaseName(step));
    rmSync(`${base}.json`, { force: true }); // manifest first: a half-deleted checkpoint is then simply absent
    rmSync(`${base}.safetensors`, { force: true });
  }
}
