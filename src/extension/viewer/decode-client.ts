// Runs the decode worker (dist/worker-viewer-decode.js) for one request. A fresh worker per file: its memory
// (the float32 copy of a CT can be 300 MB) is returned to the system as soon as the reply is out.
import { Worker } from 'node:worker_threads';
import type { DecodeReply, DecodeRequest, GridResult } from '../../protocol/viewer.js';

/** The worker script: dist/worker-viewer-decode.js in the extension, a tsx shim over the source in unit tests. */
export interface WorkerSpec {
  readonly file: string;
}

export type Decoded = Extract<DecodeReply, { type: 'decoded' }>;
export type FirstPaintReply = Extract<DecodeReply, { type: 'firstPaint' }>;

/** A file the worker could not decode; the message is the reader's, written for a person. */
export class DecodeError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Cancels a running decode (the panel closed): the worker is terminated and the promise rejects. */
export interface DecodeHandle<T> {
  readonly result: Promise<T>;
  cancel(): void;
}

export function decodeVolume(
  worker: WorkerSpec,
  request: Extract<DecodeRequest, { type: 'decode' }>,
  onFirstPaint?: (reply: FirstPaintReply) => void,
): DecodeHandle<Decoded> {
  return runWorker(worker, request, (reply, settle) => {
    if (reply.type === 'firstPaint') onFirstPaint?.(reply);
    else if (reply.type === 'decoded') settle.resolve(reply);
    else if (reply.type === 'failed') settle.reject(new DecodeError(request.path, reply.message));
  });
}

export function readGrids(worker: WorkerSpec, paths: readonly string[]): DecodeHandle<readonly GridResult[]> {
  return runWorker(worker, { type: 'grids', paths }, (reply, settle) => {
    if (reply.type === 'grids') settle.resolve(reply.results);
    else if (reply.type === 'failed') settle.reject(new DecodeError(paths.join(', '), reply.message));
  });
}

interface Settle<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

function runWorker<T>(spec: WorkerSpec, request: DecodeRequest, onReply: (reply: DecodeReply, settle: Settle<T>) => void): DecodeHandle<T> {
  const worker = new Worker(spec.file);
  let done = false;
  let settle!: Settle<T>;
  const result = new Promise<T>((resolve, reject) => {
    settle = {
      resolve: (v) => { if (!done) { done = true; resolve(v); void worker.terminate(); } },
      reject: (e) => { if (!done) { done = true; reject(e); void worker.terminate(); } },
    };
  });
  worker.on('message', (reply: DecodeReply) => onReply(reply, settle));
  worker.on('error', (err) => settle.reject(err));
  worker.on('exit', (code) => settle.reject(new Error(`the decode worker exited (code ${code}) before replying`)));
  worker.postMessage(request);
  return { result, cancel: () => settle.reject(new Error('cancelled')) };
}
