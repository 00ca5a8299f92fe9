/**
 * `anadiff doctor --install-cuda <dir-or-.tgz>`: puts onnxruntime's CUDA provider libraries next to
 * libonnxruntime.so.1, where onnxruntime loads them from. Verifies first (ELF for this CPU, built for exactly the
 * onnxruntime version we run, found by the version string the provider embeds), copies atomically, never replaces a
 * different existing file without `force`, and records what it installed in `anadiff-cuda-providers.json`.
 * The npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 (ORT 1.29.0, CUDA 13) unpacks to
 * package/Plugins/Linux/x64/*.so.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { writeTextAtomic } from '../io/atomic-write.js';
import { elfMachineOfArch, fileContains, readElfInfo } from './elf.js';
import { cudaProviderFiles, onnxruntimeLibDir, onnxruntimePackageDir } from './providers.js';

export const cudaMarkerFile = 'anadiff-cuda-providers.json';

export class InstallCudaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstallCudaError';
  }
}

export interface InstalledFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly action: 'copied' | 'unchanged' | 'replaced';
}

export interface InstallCudaResult {
  readonly libDir: string;
  readonly onnxruntimeVersion: string;
  readonly files: readonly InstalledFile[];
}

export function onnxruntimeVersion(): string {
  return (JSON.parse(readFileSync(join(onnxruntimePackageDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = readFileSync(path); // provider files are read once here; 230 MB is acceptable for an install step
  hash.update(fd);
  return hash.digest('hex');
}

function findFiles(root: string, names: readonly string[], depth = 8): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string, left: number): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory() && left > 0) walk(p, left - 1);
      else if (entry.isFile() && names.includes(entry.name) && !found.has(entry.name)) found.set(entry.name, p);
    }
  };
  walk(root, depth);
  return found;
}

export function installCudaProviders(
  source: string,
  options: { libDir?: string; force?: boolean; version?: string } = {},
): InstallCudaResult {
  const libDir = options.libDir ?? onnxruntimeLibDir();
  if (!libDir || !existsSync(libDir)) throw new InstallCudaError('cannot find the onnxruntime-node library folder (libonnxruntime.so.1); is onnxruntime-node installed?');
  const version = options.version ?? onnxruntimeVersion();
  if (!existsSync(source)) throw new InstallCudaError(`${source} does not exist`);

  let root = source;
  let scratch: string | undefined;
  if (statSync(source).isFile()) {
    if (!/\.(tgz|tar\.gz)$/.test(source)) throw new InstallCudaError(`${source}: expected a folder or a .tgz`);
    scratch = mkdtempSync(join(tmpdir(), 'anadiff-cuda-'));
    try {
      execFileSync('tar', ['-xzf', source, '-C', scratch], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      rmSync(scratch, { recursive: true, force: true });
      throw new InstallCudaError(`cannot unpack ${source}: ${(e as Error).message.split('\n')[0]}`);
    }
    root = scratch;
  }
  try {
    const found = findFiles(root, cudaProviderFiles);
    const missing = cudaProviderFiles.filter((f) => !found.has(f));
    if (missing.length > 0) throw new InstallCudaError(`${source} lacks ${missing.join(', ')}`);

    const machine = elfMachineOfArch[process.arch];
    for (const [name, path] of found) {
      const info = readElfInfo(path);
      if (machine !== undefined && info.machine !== machine) throw new InstallCudaError(`${name} is built for ELF machine ${info.machine}, this CPU (${process.arch}) needs ${machine}`);
    }
    const cudaPath = found.get('libonnxruntime_providers_cuda.so')!;
    // The provider embeds its ORT version as a NUL-terminated string; a mismatched provider fails to load or crashes.
    if (!fileContains(cudaPath, new TextEncoder().encode(`\0${version}\0`)) && !options.force) {
      throw new InstallCudaError(`libonnxruntime_providers_cuda.so does not contain the version string ${version}: it was built for a different onnxruntime (we run onnxruntime-node ${version}; the npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 matches 1.29.0). Pass --force to install anyway.`);
    }

    const plan = [...found].map(([name, from]) => {
      const sha256 = sha256File(from);
      const target = join(libDir, name);
      const existing = existsSync(target) ? sha256File(target) : undefined;
      if (existing !== undefined && existing !== sha256 && !options.force) {
        throw new InstallCudaError(`${target} exists and differs from ${from}; pass --force to replace it`);
      }
      const action: InstalledFile['action'] = existing === undefined ? 'copied' : existing === sha256 ? 'unchanged' : 'replaced';
      return { name, from, target, sha256, bytes: statSync(from).size, action };
    });
    for (const p of plan) {
      if (p.action === 'unchanged') continue;
      const tmp = join(libDir, `.${basename(p.target)}.tmp-${process.pid}`);
      copyFileSync(p.from, tmp);
      renameSync(tmp, p.target);
    }
    const files = plan.map(({ name, bytes, sha256, action }) => ({ name, bytes, sha256, action }));
    writeTextAtomic(join(libDir, cudaMarkerFile), `${JSON.stringify({ onnxruntimeVersion: version, source, installedAt: new Date().toISOString(), files }, null, 2)}\n`, { overwrite: true });
    return { libDir, onnxruntimeVersion: version, files };
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
