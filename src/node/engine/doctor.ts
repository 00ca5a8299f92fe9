/**
 * `anadiff doctor`: what this machine gives the engine (versions, CPU features, threads, providers), and for CUDA
 * exactly what is missing and how to get it. Gathers facts only; never throws because something is absent.
 */
import * as ort from 'onnxruntime-node';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { locateLibraries, suggestedLdLibraryPath, expectedCudaLibraries, type LibraryLocation } from './cuda-libs.js';
import { readElfInfo } from './elf.js';
import { cudaMarkerFile, onnxruntimeVersion } from './install-cuda.js';
import { toyLinearProgram } from '../train/jobs/toy-linear.js';
import { createEngineSession, cudaProviderFiles, defaultThreads, onnxruntimeLibDir } from './providers.js';

/** The onnxruntime-node version this project pins; the CUDA providers must match it exactly. */
export const pinnedOnnxruntime = '1.29.0';
export const cudaPackageHint = 'npm pack com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9  (ORT 1.29.0 CUDA 13 providers), then: anadiff doctor --install-cuda <the .tgz>';

export interface DoctorReport {
  readonly node: string;
  readonly platform: string;
  readonly onnxruntime: { readonly version: string; readonly pinned: string; readonly libDir: string | null; readonly backends: readonly { name: string; bundled: boolean }[] };
  readonly cpu: { readonly model: string; readonly cores: number; readonly features: readonly string[] };
  readonly threads: number;
  readonly providers: readonly string[];
  readonly cuda: {
    readonly gpu: string | null;
    readonly providerFiles: readonly { readonly name: string; readonly present: boolean }[];
    readonly installedBy: unknown;
    readonly libraries: readonly LibraryLocation[];
    readonly suggestedLdLibraryPath: string | null;
    /** Result of creating a tiny CUDA session (only tried when the provider files are present). */
    readonly sessionCheck: { readonly ok: boolean; readonly message: string } | null;
    /** What to do, one line per missing piece; empty when CUDA works. */
    readonly missing: readonly string[];
  };
}

const interestingFlags = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx_vnni', 'avx512_bf16', 'avx512_fp16', 'amx_tile', 'amx_bf16', 'asimd', 'sve', 'sve2', 'bf16', 'i8mm'];

function cpuFeatures(): string[] {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const line = /^(flags|Features)\s*:(.*)$/m.exec(text)?.[2] ?? '';
    const flags = new Set(line.trim().split(/\s+/));
    return interestingFlags.filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

function gpuName(): string | null {
  try {
    const text = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10000, stdio: ['ignore', 'pipe', 'ignore'] });
    return text.trim().split('\n').join('; ') || null;
  } catch {
    return existsSync('/proc/driver/nvidia/version') ? 'NVIDIA driver present (nvidia-smi not found)' : null;
  }
}

export async function gatherDoctorReport(options: { sessionCheck?: boolean } = {}): Promise<DoctorReport> {
  const libDir = onnxruntimeLibDir() ?? null;
  const version = onnxruntimeVersion();
  const providerFiles = cudaProviderFiles.map((name) => ({ name, present: libDir !== null && existsSync(join(libDir, name)) }));
  const providersPresent = providerFiles.every((f) => f.present);
  let installedBy: unknown = null;
  const marker = libDir ? join(libDir, cudaMarkerFile) : undefined;
  if (marker && existsSync(marker)) {
    try { installedBy = JSON.parse(readFileSync(marker, 'utf8')) as unknown; } catch { installedBy = 'unreadable marker'; }
  }
  // The provider's own DT_NEEDED list is the truth when it is installed; cuDNN is opened at run time, so add it.
  let needed: string[] = [...expectedCudaLibraries];
  if (libDir && providersPresent) {
    try {
      const fromElf = readElfInfo(join(libDir, 'libonnxruntime_providers_cuda.so')).needed.filter((n) => /^lib(cu|nv)/.test(n));
      needed = [...new Set([...fromElf, 'libcudnn.so.9'])];
    } catch {
      // keep the expected list
    }
  }
  const libraries = process.platform === 'linux' ? locateLibraries(needed) : [];
  const ldPath = suggestedLdLibraryPath(libraries) ?? null;
  const gpu = gpuName();

  let sessionCheck: DoctorReport['cuda']['sessionCheck'] = null;
  if (providersPresent && options.sessionCheck !== false) {
    const probe = toyLinearProgram({ kind: 'toy-linear', features: 4, batch: 2 }).model;
    const opened = await createEngineSession(probe, { provider: 'cuda', threads: 1 });
    sessionCheck = opened.provider === 'cuda'
      ? { ok: true, message: 'created a CUDA session' }
      : { ok: false, message: opened.fallbackReason ?? 'fell back to CPU' };
    await opened.session.release();
  }

  const missing: string[] = [];
  if (process.platform !== 'linux' || process.arch !== 'x64') missing.push(`CUDA support is set up for linux x64 only (this is ${process.platform} ${process.arch})`);
  if (version !== pinnedOnnxruntime) missing.push(`onnxruntime-node is ${version}, this project pins ${pinnedOnnxruntime}: CUDA providers must match the installed version exactly`);
  if (!gpu) missing.push('no NVIDIA GPU or driver found (nvidia-smi)');
  if (!providersPresent) missing.push(`CUDA provider libraries missing in ${libDir ?? 'the onnxruntime-node folder'}: ${cudaPackageHint}`);
  for (const l of libraries) {
    if (l.visibleAt) continue;
    if (l.foundAt) missing.push(`${l.name} exists at ${l.foundAt} but the loader will not find it: set LD_LIBRARY_PATH (below)`);
    else missing.push(`${l.name} not found: ${l.name.startsWith('libcudnn') ? 'install cuDNN 9 for CUDA 13 (pip install nvidia-cudnn-cu13, or the NVIDIA apt repo)' : l.name === 'libcuda.so.1' ? 'install the NVIDIA driver' : 'install the CUDA 13 runtime (pip: nvidia-cuda-runtime, nvidia-cublas, nvidia-curand for cu13; or the CUDA 13 toolkit)'}`);
  }
  if (sessionCheck && !sessionCheck.ok) missing.push(`a CUDA session could not be created: ${sessionCheck.message}`);

  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    onnxruntime: { version, pinned: pinnedOnnxruntime, libDir, backends: ort.listSupportedBackends() },
    cpu: { model: cpus()[0]?.model ?? 'unknown', cores: cpus().length, features: cpuFeatures() },
    threads: defaultThreads(),
    providers: sessionCheck?.ok ? ['cpu', 'cuda'] : ['cpu'],
    cuda: { gpu, providerFiles, installedBy, libraries, suggestedLdLibraryPath: ldPath, sessionCheck, missing },
  };
}

export function formatDoctorReport(r: DoctorReport): string {
  const lines = [
    `node              ${r.node} (${r.platform})`,
    `onnxruntime-node  ${r.onnxruntime.version} (pinned ${r.onnxruntime.pinned}); native libs: ${r.onnxruntime.libDir ?? 'not found'}`,
    `backends          ${r.onnxruntime.backends.map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`).join(', ')}`,
    `cpu               ${r.cpu.model}, ${r.cpu.cores} logical cores; ${r.cpu.features.join(' ') || 'features unknown'}`,
    `threads           ${r.threads} (intra-op, default: every core)`,
    `providers usable  ${r.providers.join(', ')}`,
    '',
    'CUDA',
    `  gpu             ${r.cuda.gpu ?? 'none found'}`,
    ...r.cuda.providerFiles.map((f) => `  ${f.name.padEnd(38)} ${f.present ? 'present' : 'MISSING'}`),
    ...r.cuda.libraries.map((l) => `  ${l.name.padEnd(38)} ${l.visibleAt ? `ok (${l.visibleAt})` : l.foundAt ? `not on loader path (${l.foundAt})` : 'NOT FOUND'}`),
    ...(r.cuda.sessionCheck ? [`  session check   ${r.cuda.sessionCheck.ok ? 'ok' : 'FAILED'}: ${r.cuda.sessionCheck.message}`] : []),
  ];
  if (r.cuda.suggestedLdLibraryPath) lines.push('', `  export LD_LIBRARY_PATH=${r.cuda.suggestedLdLibraryPath}`);
  if (r.cuda.missing.length > 0) lines.push('', 'To use CUDA:', ...r.cuda.missing.map((m) => `  - ${m}`));
  else lines.push('', 'CUDA is ready.');
  return lines.join('\n');
}
