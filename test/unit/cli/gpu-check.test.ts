/**
 * `anadiff gpu check` end to end: on the CPU (every node on CPUExecutionProvider, a step time, the JSON shape) and,
 * on a machine without CUDA, `--device cuda` failing with exit 1 and naming what is missing (never measuring the CPU).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { cudaFailureMessage, formatGpuCheck, placementReport, type GpuCheckReport } from '../../../src/cli/commands/gpu-check.js';
import { cpuProvider, cudaProvider, summarisePlacement } from '../../../src/core/profile/placement.js';
import { cudaProvidersInstalled } from '../../../src/node/engine/providers.js';

const root = resolve(__dirname, '../../..');
const tiny = ['--size', '8', '--channels', '4', '--steps', '2', '--warmup', '1', '--threads', '1'];

function gpuCheck(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'gpu', 'check', ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('gpu check --device cpu --json: one object, every node on the CPU, a step time, the text form from it', () => {
  const r = gpuCheck(['--device', 'cpu', '--json', ...tiny]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `exactly one line, got ${r.stdout}`);
  const report = JSON.parse(lines[0]!) as GpuCheckReport;
  assert.deepEqual(Object.keys(report), ['ok', 'requested', 'provider', 'onnxruntime', 'threads', 'graph', 'session_ms', 'step', 'placement']);
  assert.equal(report.ok, true);
  assert.equal(report.requested, 'cpu');
  assert.equal(report.provider, 'cpu');
  assert.equal(report.threads, 1);
  assert.deepEqual(Object.keys(report.graph), ['net', 'size', 'channels', 'nodes', 'params', 'carried_mb']);
  assert.equal(report.graph.size, 8);
  assert.ok(report.graph.nodes > 100 && report.graph.params > 1000 && report.graph.carried_mb > 0);
  // AdamW carries parameters, first and second moments: 3 x 4 bytes per parameter
  assert.ok(Math.abs(report.graph.carried_mb - (3 * 4 * report.graph.params) / 1e6) < 1e-3);
  assert.ok(report.step.median_ms > 0 && report.step.min_ms > 0 && report.step.min_ms <= report.step.median_ms);
  assert.equal(report.step.steps, 2);
  assert.ok(Number.isFinite(report.step.loss));
  const p = report.placement;
  assert.deepEqual(Object.keys(p), ['runs', 'nodes', 'kernel_ms', 'cuda', 'cpu', 'cpu_ops', 'copies', 'providers']);
  assert.equal(p.runs, 2);
  assert.ok(p.nodes > 100);
  assert.equal(p.cpu.nodes, p.nodes);
  assert.equal(p.cpu.node_share, 1);
  assert.equal(p.cpu.time_share, 1);
  assert.deepEqual(p.cuda, { nodes: 0, kernel_ms: 0, node_share: 0, time_share: 0 });
  assert.deepEqual(p.providers.map((x) => x.provider), [cpuProvider]);
  assert.ok(p.cpu_ops.some((o) => o.op === 'Conv'));
  assert.equal(p.cpu_ops.reduce((n, o) => n + o.nodes, 0), p.nodes);
  assert.deepEqual(p.copies, []);
  const text = formatGpuCheck(report);
  assert.match(text, /session {5}cpu \(asked: cpu\)/);
  assert.match(text, /CPUExecutionProvider\s+\d+ nodes \(100\.0%\)/);
  assert.match(text, /CUDAExecutionProvider\s+0 nodes \(0\.0%\)/);
  assert.match(text, /on CPU: Conv x\d+|on CPU: .*Conv x\d+/);
});

test('gpu check --device cuda without CUDA: exit 1, nothing measured, the missing pieces named (text and JSON)', (t) => {
  if (cudaProvidersInstalled()) {
    t.skip('CUDA providers are installed here: the failure path is not reachable');
    return;
  }
  const r = gpuCheck(['--device', 'cuda', '--json', ...tiny]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^anadiff: gpu check: --device cuda: no CUDA session, nothing measured: missing: .*CUDA provider libraries missing in \S+/m);
  assert.doesNotMatch(r.stderr, /^anadiff: .*\n.*anadiff:/s, 'one error line');
  const out = JSON.parse(r.stdout.trim()) as { ok: boolean; requested: string; error: string; reason: string; missing: string[] };
  assert.equal(out.ok, false);
  assert.equal(out.requested, 'cuda');
  assert.ok(out.missing.some((m) => m.includes('com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9')), 'says how to get the providers');
  assert.match(out.reason, /CUDA provider libraries are not installed/);
  // the default device is cuda: no flag, no silent CPU run either; the text form lists each remedy on stderr
  const plain = gpuCheck(tiny);
  assert.equal(plain.status, 1);
  assert.equal(plain.stdout, '');
  assert.match(plain.stderr, /what CUDA needs here[^\n]*\n {2}- .*\n/);
  assert.match(plain.stderr, /anadiff doctor --install-cuda/);
});

test('gpu check rejects a wrong command line with exit 2 before any work', () => {
  for (const [args, message] of [
    [['--device', 'gpu'], /--device must be one of cuda, cpu, got gpu/],
    [['--size', '10'], /--size must be a multiple of 4 for unet, got 10/],
    [['--net', 'fpn3d', '--size', '12'], /multiple of 8 for fpn3d/],
    [['--steps', '0'], /--steps must be an integer from 1/],
    [['--size'], /--size needs a value/],
    [['--devic', 'cpu'], /unknown option --devic/],
  ] as const) {
    const r = gpuCheck(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('cudaFailureMessage keeps the session error when the providers are there, and each missing piece short', () => {
  const missing = ['libcudnn.so.9 not found: install cuDNN 9 for CUDA 13 (pip install nvidia-cudnn-cu13)'];
  const m = cudaFailureMessage('CUDA session failed: libcudnn.so.9: cannot open shared object file', missing);
  assert.equal(m, 'gpu check: --device cuda: no CUDA session, nothing measured: CUDA session failed: libcudnn.so.9: cannot open shared object file; missing: libcudnn.so.9 not found (how to get each: `anadiff doctor`)');
  assert.doesNotMatch(cudaFailureMessage('CUDA provider libraries are not installed next to libonnxruntime.so.1 (/x)', ['CUDA provider libraries missing in /x: npm pack ...']), /not installed next to/);
});

test('placementReport: CUDA and CPU shares, the CPU op types (fallbacks) and the copy nodes of a CUDA profile', () => {
  const ev = (node: string, op: string, provider: string, us: number) => ({ node, op, provider, us });
  const s = summarisePlacement([
    ev('Conv_0', 'Conv', cudaProvider, 800), ev('Shape_1', 'Shape', cpuProvider, 50), ev('Memcpy_2', 'MemcpyToHost', cudaProvider, 150),
  ], 1);
  const p = placementReport(s);
  assert.deepEqual(p.cuda, { nodes: 2, kernel_ms: 0.95, node_share: 0.6667, time_share: 0.95 });
  assert.deepEqual(p.cpu_ops, [{ op: 'Shape', nodes: 1, ms: 0.05 }]);
  assert.deepEqual(p.copies, [{ op: 'MemcpyToHost', nodes: 1, ms: 0.15 }]);
});
