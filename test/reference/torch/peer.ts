/**
 * Test support: runs scripts/torch/anadiff_torch.py (the PyTorch peer) through Debian's /usr/bin/python3 and exchanges
 * tensors as safetensors files (the runtime's codec on this side, json + struct + torch.frombuffer on the other).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../../src/core/checkpoint/safetensors.js';

export const repoRoot = resolve(__dirname, '../../..');
export const torchScript = join(repoRoot, 'scripts/torch/anadiff_torch.py');
export const python = '/usr/bin/python3';

/** Why torch cannot be used here, or undefined when it can. */
export function torchMissing(): string | undefined {
  const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${python} cannot import torch (apt-get install python3-torch)`;
}

export function f32(shape: readonly number[], data: Float32Array): NamedTensor {
  return { dtype: 'F32', shape, data };
}

export function i64(shape: readonly number[], data: BigInt64Array): NamedTensor {
  return { dtype: 'I64', shape, data };
}

/** Runs `anadiff_torch.py reference` and returns its output tensors. */
export function torchReference(config: unknown, weights: Map<string, NamedTensor>, batch: Map<string, NamedTensor>): Map<string, NamedTensor> {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-torch-'));
  try {
    writeFileSync(join(dir, 'weights.safetensors'), encodeSafetensors(weights));
    writeFileSync(join(dir, 'batch.safetensors'), encodeSafetensors(batch));
    const out = join(dir, 'out.safetensors');
    const r = spawnSync(python, [torchScript, 'reference', '--config', JSON.stringify(config), '--weights', join(dir, 'weights.safetensors'),
      '--batch', join(dir, 'batch.safetensors'), '--out', out, '--threads', '1'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`torch reference failed: ${r.stderr}`);
    return new Map(decodeSafetensors(new Uint8Array(readFileSync(out))).tensors);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * max |a - b| / max(max |b|, floor): the error relative to the reference tensor's scale (elementwise ratios blow up
 * near 0). `floor` keeps a tensor that is zero in exact arithmetic (rounding noise on both sides) from dividing by ~0.
 */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 0): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  scale = Math.max(scale, floor);
  return scale === 0 ? diff : diff / scale;
}

export function asNumbers(t: NamedTensor | undefined, what: string): Float32Array | Float64Array {
  if (!t || !(t.data instanceof Float32Array || t.data instanceof Float64Array)) throw new Error(`torch output ${what} missing or not float`);
  return t.data;
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}
