// Shared by the nibabel reference tests: runs test/reference/nibabel_helper.py with Debian's Python.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const PYTHON = '/usr/bin/python3';
export const HELPER = resolve(__dirname, 'nibabel_helper.py');
export const REPO_ROOT = resolve(__dirname, '../..');
export const SHARED_DATA = resolve(REPO_ROOT, '../shared/data');

/** Why nibabel cannot be used here, or undefined when it can. */
export function nibabelUnavailable(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import nibabel'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found`;
  return r.status === 0 ? undefined : `${PYTHON} has no nibabel (apt-get install python3-nibabel)`;
}

function runHelper(args: string[]): unknown {
  const r = spawnSync(PYTHON, [HELPER, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`nibabel_helper.py ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export interface GeneratedCase {
  file: string;
  case: string;
  frame: number;
}

export function nibabelMake(dir: string): GeneratedCase[] {
  return runHelper(['make', dir]) as GeneratedCase[];
}

export interface NibabelView {
  shape: [number, number, number];
  affine: number[][];
  data: Float32Array;
}

/** What nibabel reads for each file (frame `frame` of 4D files), data as float32 x fastest. */
export function nibabelDump(dir: string, files: { file: string; frame?: number }[]): NibabelView[] {
  const meta = runHelper(['dump', dir, ...files.map((f) => `${f.file}:${f.frame ?? 0}`)]) as { shape: [number, number, number]; affine: number[][] }[];
  return meta.map((m, n) => {
    const bytes = readFileSync(join(dir, `${n}.f32`));
    return { ...m, data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
  });
}
