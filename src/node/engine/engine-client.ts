/**
 * The host side of the engine worker: starts it (worker thread, or child process when it must be killable as a
 * process), sends typed requests, resolves each with its reply, forwards events, and rejects every pending request
 * when the worker dies or the client is disposed, so no request can hang forever.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type {
  EngineRequestType, EngineRequests, TrainerEvent, WorkerMessage, EngineRequest,
} from '../../protocol/engine.js';

export class EngineError extends Error {
  constructor(message: string, readonly remoteName?: string) {
    super(message);
    this.name = remoteName ?? 'EngineError';
  }
}

export interface EngineClientOptions {
  /** 'thread' (default) shares the process; 'process' is a separate OS process (survivable SIGKILL, own memory). */
  readonly mode?: 'thread' | 'process';
  /** Worker entry; default: dist/worker-train.js next to the running bundle, else the TypeScript source via tsx. */
  readonly entry?: string;
  readonly onEvent?: (event: TrainerEvent) => void;
  /** Extra environment for a child process. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Finds the worker entry: the bundle when running from dist/, the source (run through tsx) in tests. */
export function resolveWorkerEntry(): { file: string; execArgv: string[] } {
  const bundled = join(__dirname, 'worker-train.js');
  if (existsSync(bundled)) return { file: bundled, execArgv: [] };
  const source = resolve(__dirname, '../workers/train-worker.ts');
  if (existsSync(source)) return { file: source, execArgv: ['--import', 'tsx'] };
  throw new EngineError(`engine worker entry not found (looked for ${bundled} and ${source}); run \`npm run build\``);
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class EngineClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed: Error | undefined;
  private readonly post: (m: EngineRequest) => void;
  private readonly kill: () => Promise<void>;
  /** Resolves with the worker's pid once it has started. */
  readonly ready: Promise<number>;
  /** The child process, in 'process' mode (tests use it to SIGKILL the worker). */
  readonly child: ChildProcess | undefined;

  constructor(private readonly options: EngineClientOptions = {}) {
    const { file, execArgv } = options.entry ? { file: options.entry, execArgv: options.entry.endsWith('.ts') ? ['--import', 'tsx'] : [] } : resolveWorkerEntry();
    let markReady: (pid: number) => void = () => undefined;
    this.ready = new Promise<number>((res) => { markReady = res; });
    const onMessage = (m: WorkerMessage): void => {
      if (m.kind === 'ready') markReady(m.pid);
      else this.receive(m);
    };
    if (options.mode === 'process') {
      const child = fork(file, [], { execArgv, serialization: 'advanced', env: { ...process.env, ...options.env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      this.child = child;
      child.on('message', (m) => onMessage(m as WorkerMessage));
      child.on('exit', (code, signal) => this.fail(new EngineError(`engine worker process exited (${signal ?? `code ${code}`})`)));
      child.on('error', (e) => this.fail(new EngineError(`engine worker process error: ${e.message}`)));
      this.post = (m) => { child.send(m); };
      this.kill = async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        // Give a worker that was told to shut down a moment to exit by itself; then end it.
        const exited = new Promise((res) => child.once('exit', res));
        await Promise.race([exited, new Promise((res) => setTimeout(res, 1000).unref())]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
    } else {
      // Worker threads ignore `--import tsx` for their entry; a TypeScript entry (tests) is loaded through tsx's
      // CommonJS hook from a one-line bootstrap instead.
      const worker = file.endsWith('.ts')
        ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true })
        : new Worker(file);
      this.child = undefined;
      worker.on('message', onMessage);
      worker.on('error', (e) => this.fail(new EngineError(`engine worker crashed: ${e.message}`)));
      worker.on('exit', (code) => this.fail(new EngineError(`engine worker exited (code ${code})`)));
      this.post = (m) => worker.postMessage(m);
      this.kill = async () => { await worker.terminate(); };
    }
    this.ready.catch(() => undefined);
  }

  /** Sends a request; resolves with its result or rejects with the worker's error (or when the worker dies). */
  request<K extends EngineRequestType>(type: K, params: EngineRequests[K]['params']): Promise<EngineRequests[K]['result']> & { readonly id: number } {
    const id = this.nextId++;
    const promise = new Promise<EngineRequests[K]['result']>((res, rej) => {
      if (this.closed) return rej(this.closed);
      this.pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
      this.post({ kind: 'request', id, type, params } as EngineRequest);
    });
    return Object.assign(promise, { id });
  }

  /** Asks the worker to finish (it stops a running train after its current step), then ends it. */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    const timer = new Promise((res) => setTimeout(res, timeoutMs).unref());
    await Promise.race([this.request('shutdown', {}).catch(() => undefined), timer]);
    await this.dispose();
  }

  /** Ends the worker now; pending requests are rejected. */
  async dispose(): Promise<void> {
    this.fail(new EngineError('engine client disposed'));
    await this.kill();
  }

  private receive(m: Exclude<WorkerMessage, { kind: 'ready' }>): void {
    switch (m.kind) {
      case 'reply': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(new EngineError(m.error.message, m.error.name));
        return;
      }
      case 'progress':
      case 'checkpoint':
      case 'log':
        this.options.onEvent?.(m);
        return;
      default: {
        const unknownMessage: never = m;
        throw new EngineError(`unknown worker message ${JSON.stringify(unknownMessage)}`);
      }
    }
  }

  private fail(error: Error): void {
    this.closed ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
