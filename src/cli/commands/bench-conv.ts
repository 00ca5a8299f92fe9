/**
 * `anadiff bench conv`: the three kernels of a 3x3x3 convolution layer (forward, input gradient, weight gradient) as
 * anadiff emits them for onnxruntime, against PyTorch's own kernels on the same shapes and threads, in one command.
 * It answers "where does a training step lose to PyTorch?" one layer at a time (the UNet's levels by default).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { gradients } from '../../core/autodiff/index.js';
import { Graph, type Value } from '../../core/graph/index.js';
import { conv3d, mul, reduceSum } from '../../core/ops/index.js';
import { randomFeeds, timeGraph } from '../../node/bench/time-graph.js';
import { UsageError, type CliCommand } from '../command.js';
import { findPython, peerScriptPath, runJsonChild } from './bench-peer.js';

const usage = `usage: anadiff bench conv [--shapes 16@64,32@32,64@16] [--runs 7] [--threads N] [--python PATH] [--only anadiff] [--json]

Times one 3x3x3 convolution layer (C -> C channels, stride 1, padding 1, batch 1, float32) three ways, as in a
training step: forward, input gradient (dX) and weight gradient (dW), in onnxruntime with anadiff's lowerings
(src/core/lowering.ts) and in PyTorch (aten convolution / convolution_backward), same thread count, medians of
--runs after one warm-up. --shapes lists C@N for an N^3 volume (default: the bench UNet's three levels at 64^3).`;

type Kernel = 'forward' | 'dX' | 'dW';
const KERNELS: readonly Kernel[] = ['forward', 'dX', 'dW'];

interface Row { readonly c: number; readonly n: number; readonly kernel: Kernel; readonly anadiffMs: number; readonly pytorchMs: number | null; readonly gflop: number }

/** One graph per kernel: the forward conv, or d(sum(y * r))/dx resp. /dw, whose only work is the conv backward. */
function kernelGraph(kernel: Kernel, c: number, n: number): Graph {
  const g = new Graph(`conv-${kernel}`);
  const x = g.input('x', 'float32', [1, c, n, n, n], 'data');
  const w = kernel === 'dW' ? g.param('w', [c, c, 3, 3, 3]) : g.input('w', 'float32', [c, c, 3, 3, 3], 'data');
  const y = conv3d(x, w, undefined, { pad: 1 });
  if (kernel === 'forward') {
    g.output(y, 'y');
    return g;
  }
  const r = g.input('r', 'float32', y.shape, 'data');
  const wrt: Value = kernel === 'dX' ? x : w;
  const [grad] = gradients(reduceSum(mul(y, r)), [wrt]);
  g.output(grad!, 'grad');
  return g;
}

function parseShapes(text: string): [number, number][] {
  return text.split(',').map((s) => {
    const m = /^(\d+)@(\d+)$/.exec(s.trim());
    if (!m) throw new UsageError(`--shapes: "${s}" is not C@N (channels @ cube side), e.g. 16@64`);
    return [Number(m[1]), Number(m[2])];
  });
}

function torchTimes(python: string, shapes: readonly [number, number][], runs: number, threads: number): Map<string, number> {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const args = [peerScriptPath('anadiff_torch.py'), 'conv', '--shapes', shapes.map(([c, n]) => `${c}@${n}`).join(','), '--runs', String(runs), '--threads', String(threads)];
  return new Map(Object.entries(runJsonChild('bench conv', 'PyTorch', python, args, env) as Record<string, number>));
}

export const benchConvCommand: CliCommand = {
  name: 'bench conv',
  summary: 'time one conv layer (forward, dX, dW) against PyTorch\'s kernels',
  usage,
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: {
      shapes: { type: 'string' }, runs: { type: 'string' }, threads: { type: 'string' }, python: { type: 'string' }, json: { type: 'boolean' }, only: { type: 'string' },
    } });
    const shapes = parseShapes(values.shapes ?? '16@64,32@32,64@16');
    const runs = Number(values.runs ?? 7);
    const threads = Number(values.threads ?? availableParallelism());
    if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a positive integer, got ${values.runs}`);
    if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--threads must be a positive integer, got ${values.threads}`);
    if (values.only !== undefined && values.only !== 'anadiff') throw new UsageError(`--only takes "anadiff" (skip PyTorch), got "${values.only}"`);
    const torch = values.only === 'anadiff' ? undefined : torchTimes(findPython('bench conv', 'torch', values.python), shapes, runs, threads);
    const rows: Row[] = [];
    for (const [c, n] of shapes) {
      for (const kernel of KERNELS) {
        const g = kernelGraph(kernel, c, n);
        const t = await timeGraph(g, randomFeeds(g), { threads, runs, memArena: false });
        rows.push({ c, n, kernel, anadiffMs: t.medianMs, pytorchMs: torch?.get(`${c}@${n}:${kernel}`) ?? null, gflop: (2 * c * c * 27 * n ** 3) / 1e9 });
      }
    }
    const total = (k: 'anadiffMs' | 'pytorchMs'): number => rows.reduce((s, r) => s + (r[k] ?? 0), 0);
    if (values.json) {
      console.log(JSON.stringify({ threads, rows, ratio: torch ? total('anadiffMs') / total('pytorchMs') : null }));
      return 0;
    }
    console.log(`bench conv: 3x3x3, stride 1, batch 1, ${threads} threads, median of ${runs}; GFLOP/s = 2*C*C*27*N^3 / time`);
    console.log('layer        kernel    anadiff ms  GFLOP/s   pytorch ms  GFLOP/s   ratio');
    for (const r of rows) {
      const p = r.pytorchMs;
      console.log(`${`${r.c}ch ${r.n}^3`.padEnd(12)} ${r.kernel.padEnd(8)} ${r.anadiffMs.toFixed(1).padStart(11)} ${(r.gflop / r.anadiffMs * 1000).toFixed(0).padStart(8)}`
        + (p === null ? '' : ` ${p.toFixed(1).padStart(12)} ${(r.gflop / p * 1000).toFixed(0).padStart(8)} ${(r.anadiffMs / p).toFixed(2).padStart(7)}`));
    }
    if (torch) console.log(`all kernels: anadiff ${total('anadiffMs').toFixed(0)} ms, pytorch ${total('pytorchMs').toFixed(0)} ms, ratio ${(total('anadiffMs') / total('pytorchMs')).toFixed(2)}`);
    return 0;
  },
};
