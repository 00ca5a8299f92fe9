/**
 * Execution providers: CPU always; CUDA when its provider libraries are installed and load. onnxruntime does NOT fall
 * back by itself (`executionProviders: ['cuda', 'cpu']` throws when CUDA libraries are missing), so CUDA is tried
 * alone, any failure is caught, and the session is created on CPU with a message saying why.
 */
import * as ort from 'onnxruntime-node';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { ProviderChoice } from '../../protocol/engine.js';

export interface EngineSession {
  readonly session: ort.InferenceSession;
  readonly provider: 'cpu' | 'cuda';
  /** Why CUDA was not used although it was asked for (auto with providers present, or cuda). */
  readonly fallbackReason?: string;
}

/** Threads used when none are given: every core, as the engine's sessions should. */
export function defaultThreads(): number {
  return availableParallelism();
}

/** The onnxruntime-node package folder (resolved at run time: the package stays external to the bundles). */
export function onnxruntimePackageDir(): string {
  return dirname(require.resolve('onnxruntime-node/package.json'));
}

/** The folder holding libonnxruntime.so.1 (and where CUDA provider libraries must be placed), if found. */
export function onnxruntimeLibDir(): string | undefined {
  const binRoot = join(onnxruntimePackageDir(), 'bin');
  if (!existsSync(binRoot)) return undefined;
  const arch = process.arch;
  for (const napi of readdirSync(binRoot)) {
    const dir = join(binRoot, napi, process.platform, arch);
    if (existsSync(dir)) return dir;
  }
  return undefined;
}

export const cudaProviderFiles = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'] as const;

export function cudaProvidersInstalled(libDir = onnxruntimeLibDir()): boolean {
  return libDir !== undefined && cudaProviderFiles.every((f) => existsSync(join(libDir, f)));
}

function sessionOptions(threads: number, providers: ort.InferenceSession.SessionOptions['executionProviders']): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers ?? ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

/**
 * Creates a session on the chosen provider. `auto` tries CUDA only when its provider files are installed; `cuda`
 * always tries it. Never throws because of CUDA: the CPU session is the fallback, with `fallbackReason` set.
 */
export async function createEngineSession(
  model: Uint8Array,
  options: { provider?: ProviderChoice; threads?: number; deviceId?: number } = {},
): Promise<EngineSession> {
  const threads = options.threads ?? defaultThreads();
  const choice = options.provider ?? 'auto';
  let fallbackReason: string | undefined;
  if (choice === 'cuda' || (choice === 'auto' && cudaProvidersInstalled())) {
    if (!cudaProvidersInstalled()) {
      fallbackReason = `CUDA provider libraries are not installed next to libonnxruntime.so.1 (${onnxruntimeLibDir() ?? 'not found'}); run \`anadiff doctor\` for how to get them`;
    } else {
      try {
        const session = await ort.InferenceSession.create(model, sessionOptions(threads, [{ name: 'cuda', deviceId: options.deviceId ?? 0 }]));
        return { session, provider: 'cuda' };
      } catch (e) {
        fallbackReason = `CUDA session failed: ${firstLine(e)}`;
      }
    }
  }
  const session = await ort.InferenceSession.create(model, sessionOptions(threads, ['cpu']));
  return fallbackReason === undefined ? { session, provider: 'cpu' } : { session, provider: 'cpu', fallbackReason };
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n').find((l) => l.trim().length > 0)?.trim() ?? text;
}
