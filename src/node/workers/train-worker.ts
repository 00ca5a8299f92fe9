/**
 * The engine worker's entry (bundled to dist/worker-train.js). Runs in a worker thread (parentPort) or a forked
 * child process (process.send), because session.run blocks its thread. Catches every error at this boundary and turns
 * it into an error reply; one request at a time trains, others (cancel, probe, shutdown) are answered meanwhile.
 */
import { parentPort } from 'node:worker_threads';
import type { Json } from '../../core/checkpoint/manifest.js';
import type { EngineRequest, EngineRequests, TrainerEvent, WorkerMessage } from '../../protocol/engine.js';
import { buildStepProgram } from '../engine/jobs/index.js';
import { defaultThreads } from '../engine/providers.js';
import { runTraining } from '../engine/trainer.js';

type Post = (message: WorkerMessage) => void;

function connect(): { post: Post; listen: (handler: (m: EngineRequest) => void) => void; exit: () => void } {
  if (parentPort) {
    const port = parentPort;
    return { post: (m) => port.postMessage(m), listen: (h) => port.on('message', h), exit: () => port.close() };
  }
  if (process.send) {
    const send = process.send.bind(process);
    return {
      post: (m) => send(m),
      listen: (h) => process.on('message', (m) => h(m as EngineRequest)),
      exit: () => process.disconnect(),
    };
  }
  throw new Error('train-worker must run as a worker thread or a forked child process');
}

const { post, listen, exit } = connect();
/** Request id of the running train, and whether it was asked to stop. */
let running: { id: number; stop: boolean } | undefined;

function reply<K extends keyof EngineRequests>(id: number, _type: K, result: EngineRequests[K]['result']): void {
  post({ kind: 'reply', id, ok: true, result });
}

async function handle(request: EngineRequest): Promise<void> {
  switch (request.type) {
    case 'train': {
      if (running) throw new Error(`a training run (request ${running.id}) is already in progress in this worker`);
      const current = { id: request.id, stop: false };
      running = current;
      try {
        const p = request.params;
        const result = await runTraining(await buildStepProgram(p.job), {
          runDir: p.runDir, steps: p.steps, checkpointEvery: p.checkpointEvery, seed: p.seed, resume: p.resume,
          // The request is plain data by protocol; the JSON round trip gives its Json type (interfaces have no index signature).
          config: JSON.parse(JSON.stringify(p)) as Json,
          ...(p.keepCheckpoints !== undefined ? { keepCheckpoints: p.keepCheckpoints } : {}),
          ...(p.provider !== undefined ? { provider: p.provider } : {}),
          ...(p.threads !== undefined ? { threads: p.threads } : {}),
          ...(p.memArena !== undefined ? { memArena: p.memArena } : {}),
          ...(p.exportOnnx !== undefined ? { exportOnnx: p.exportOnnx } : {}),
          shouldStop: () => current.stop,
          onEvent: (e: TrainerEvent) => post({ ...e, requestId: request.id }),
        });
        reply(request.id, 'train', result);
      } finally {
        running = undefined;
      }
      return;
    }
    case 'cancel': {
      const wasRunning = running?.id === request.params.trainId;
      if (running && wasRunning) running.stop = true;
      reply(request.id, 'cancel', { wasRunning });
      return;
    }
    case 'probe': {
      const ort = await import('onnxruntime-node');
      const { version } = require('onnxruntime-node/package.json') as { version: string };
      reply(request.id, 'probe', { onnxruntimeVersion: version, backends: ort.listSupportedBackends(), threads: defaultThreads() });
      return;
    }
    case 'shutdown': {
      if (running) running.stop = true;
      while (running) await new Promise((r) => setTimeout(r, 10));
      reply(request.id, 'shutdown', { ok: true });
      exit();
      return;
    }
    default: {
      const unknownType: never = request;
      throw new Error(`unknown request ${JSON.stringify(unknownType)}`);
    }
  }
}

listen((request) => {
  handle(request).catch((e: unknown) => {
    const error = e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
    post({ kind: 'reply', id: request.id, ok: false, error });
  });
});
post({ kind: 'ready', pid: process.pid });
