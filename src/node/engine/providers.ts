/**
 * Execution providers: CPU always; CUDA when its provider libraries are installed and load. onnxruntime does NOT fall
 * back by itself (`executionProviders: ['cuda', 'cpu']` throws when CUDA libraries are missing), so CUDA is tried
 * alone, any failure is caught, and the session is created on CPU with a message saying why.
 */
import * as ort from 'onnxruntime-node';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';

/** The execution provider asked for: auto (CUDA when its provider libraries are installed, else CPU), cpu or cuda. */
export type ProviderChoice = 'auto' | 'cpu' | 'cuda';

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

/**
 * The most intra-op threads a session may be asked for: four per core this process may use. More only adds
 * contention (each thread spins between ops), and a value like 1000 is a typo that would start a thousand threads.
 */
export function maxThreads(): number {
  return 4 * availableParallelism();
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

/** How to open a session: the one place where anadiff's session options are decided (trainer, StepRunner, bench). */
export interface EngineSessionOptions {
  /** `auto` (default): CUDA when its provider files are installed, else CPU. */
  readonly provider?: ProviderChoice;
  /** Intra-op threads; default every core (`defaultThreads()`). */
  readonly threads?: number;
  /** CUDA device ordinal (default 0). */
  readonly deviceId?: number;
  /**
   * onnxruntime's CPU memory arena, off unless asked (inference keeps its lower peak: `segment` stays under 700 MB).
   * Off, a 64^3 UNet training step peaks at 550 MB instead of 970 MB (96^3: 1.5 GB instead of 2.9 GB; PyTorch 2.0 GB)
   * and was not slower on a quiet Xeon (1384 vs 1466-1595 ms, 2 threads; docs/engine-nets.md). On the 2-core
   * development VM (2026-12-03) it is: every step's buffers are then mapped afresh and page-faulted, and an FPN3d
   * 64^3 step took 3803 ms without the arena against 2191 ms with it (peak 1088 vs 1664 MB; `bench train --net
   * fpn3d --only anadiff [--arena]`, training paused). The trainer therefore turns it on (trainer.ts).
   */
  readonly memArena?: boolean;
  /** onnxruntime's profiler: writes `${prefix}_<date>.json` (see nets' summariseProfile). */
  readonly profilePrefix?: string;
  /**
   * Throw an EngineSessionError instead of falling back to CPU when the asked provider cannot start (a GPU benchmark
   * must never silently measure the CPU). Default false: fall back with `fallbackReason`.
   */
  readonly strict?: boolean;
}

export class EngineSessionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineSessionError';
  }
}

function sessionOptions(options: EngineSessionOptions, providers: NonNullable<ort.InferenceSession.SessionOptions['executionProviders']>): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    intraOpNumThreads: options.threads ?? defaultThreads(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: options.memArena === true,
    ...(options.profilePrefix ? { enableProfiling: true, profileFilePrefix: options.profilePrefix } : {}),
  };
}

/**
 * Creates a session on the chosen provider. `auto` tries CUDA only when its provider files are installed; `cuda`
 * always tries it. Never throws because of CUDA (unless `strict`): the CPU session is the fallback, with
 * `fallbackReason` set.
 */
export async function createEngineSession(model: Uint8Array, options: EngineSessionOptions = {}): Promise<EngineSession> {
  const choice = options.provider ?? 'auto';
  let fallbackReason: string | undefined;
  if (choice === 'cuda' || (choice === 'auto' && cudaProvidersInstalled())) {
    if (!cudaProvidersInstalled()) {
      fallbackReason = `CUDA provider libraries are not installed next to libonnxruntime.so.1 (${onnxruntimeLibDir() ?? 'not found'}); run \`anadiff doctor\` for how to get them`;
    } else {
      try {
        const session = await ort.InferenceSession.create(model, sessionOptions(options, [{ name: 'cuda', deviceId: options.deviceId ?? 0 }]));
        return { session, provider: 'cuda' };
      } catch (e) {
        fallbackReason = `CUDA session failed: ${firstLine(e)}`;
      }
    }
  }
  if (fallbackReason !== undefined && options.strict === true) throw new EngineSessionError(`provider ${choice}: ${fallbackReason}`);
  const session = await ort.InferenceSession.create(model, sessionOptions(options, ['cpu']));
  return fallbackReason === undefined ? { session, provider: 'cpu' } : { session, provider: 'cpu', fallbackReason };
}

/**
 * The bare session for tools and tests: CPU unless a provider is named, and strict (a named provider that cannot
 * start is an EngineSessionError, not a silent CPU run).
 */
export async function createSession(model: Uint8Array, options: EngineSessionOptions = {}): Promise<ort.InferenceSession> {
  return (await createEngineSession(model, { provider: 'cpu', strict: true, ...options })).session;
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n').find((l) => l.trim().length > 0)?.trim() ?? text;
}
