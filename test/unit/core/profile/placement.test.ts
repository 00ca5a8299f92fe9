/**
 * The placement summary on a hand-made onnxruntime profile: two runs of a CUDA session in which a Shape and a
 * NonZero node fell back to the CPU and onnxruntime inserted host<->device copies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileError, cpuProvider, cudaProvider, kernelEvents, placementOn, summarisePlacement } from '../../../../src/core/profile/placement.js';

const node = (name: string, op: string, provider: string | undefined, dur: number): unknown => ({
  cat: 'Node', pid: 1, tid: 1, dur, ts: 0, ph: 'X', name: `${name}_kernel_time`,
  args: { op_name: op, ...(provider ? { provider } : {}), node_index: '0', output_size: '4' },
});
const oneRun = (scale: number): unknown[] => [
  { cat: 'Node', pid: 1, tid: 1, dur: 5, ts: 0, ph: 'X', name: 'Conv_0_fence_before', args: { op_name: 'Conv' } },
  node('Conv_0', 'Conv', cudaProvider, 100 * scale),
  node('Conv_1', 'Conv', cudaProvider, 300 * scale),
  node('Mul_2', 'Mul', cudaProvider, 20 * scale),
  node('Shape_3', 'Shape', cpuProvider, 4 * scale),
  node('NonZero_4', 'NonZero', cpuProvider, 40 * scale),
  node('Memcpy_token_5', 'MemcpyToHost', cudaProvider, 36 * scale),
];
const profile: unknown[] = [
  { cat: 'Session', pid: 1, tid: 1, dur: 9000, ts: 0, ph: 'X', name: 'model_loading_array', args: {} },
  { cat: 'Session', pid: 1, tid: 1, dur: 25000, ts: 9000, ph: 'X', name: 'session_initialization', args: {} },
  ...oneRun(1),
  ...oneRun(3),
];

test('kernelEvents keeps only node kernel events, with node name, op and provider', () => {
  const events = kernelEvents(JSON.parse(JSON.stringify(profile)));
  assert.equal(events.length, 12);
  assert.deepEqual(events[0], { node: 'Conv_0', op: 'Conv', provider: cudaProvider, us: 100 });
  assert.deepEqual(kernelEvents([node('MatMul_0/MatMulAddFusion', 'Gemm', undefined, 7)]), [{ node: 'MatMul_0/MatMulAddFusion', op: 'Gemm', provider: 'unknown', us: 7 }]);
});

test('summarisePlacement: distinct nodes and per-run kernel ms per provider and op type', () => {
  const s = summarisePlacement(kernelEvents(profile), 2);
  assert.equal(s.runs, 2);
  assert.equal(s.nodes, 6);
  // all kernel time (1 + 3) x 500 us over 2 runs = 1 ms per run
  assert.ok(Math.abs(s.ms - 1) < 1e-12);
  assert.deepEqual(s.providers.map((p) => [p.provider, p.nodes]), [[cudaProvider, 4], [cpuProvider, 2]]);
  const cuda = placementOn(s, cudaProvider);
  assert.ok(Math.abs(cuda.ms - 0.912) < 1e-12);
  assert.ok(Math.abs(cuda.nodeShare - 4 / 6) < 1e-12);
  assert.ok(Math.abs(cuda.timeShare - 0.912) < 1e-12);
  assert.deepEqual(cuda.ops.map((o) => [o.op, o.nodes]), [['Conv', 2], ['MemcpyToHost', 1], ['Mul', 1]]);
  const cpu = placementOn(s, cpuProvider);
  assert.deepEqual(cpu.ops.map((o) => o.op), ['NonZero', 'Shape']);
  assert.ok(Math.abs(cpu.ops[0]!.ms - 0.08) < 1e-12);
  assert.ok(Math.abs(cpu.timeShare - 0.088) < 1e-12);
});

test('skipRuns leaves the first runs (warmup) out of the times but not out of the node counts', () => {
  const s = summarisePlacement(kernelEvents(profile), 2, 1);
  assert.equal(s.runs, 1);
  assert.equal(s.nodes, 6);
  // only the second run: 3 x 500 us
  assert.ok(Math.abs(s.ms - 1.5) < 1e-12);
  assert.ok(Math.abs(placementOn(s, cpuProvider).ms - 0.132) < 1e-12);
  assert.throws(() => summarisePlacement([], 2, 2), /skipRuns must be an integer from 0 to 1/);
});

test('a provider with no node gets an empty row; an empty profile sums to zero', () => {
  const s = summarisePlacement(kernelEvents([]), 1);
  assert.deepEqual(s, { runs: 1, nodes: 0, ms: 0, providers: [] });
  assert.deepEqual(placementOn(s, cudaProvider), { provider: cudaProvider, nodes: 0, ms: 0, nodeShare: 0, timeShare: 0, ops: [] });
});

test('malformed profiles are ProfileErrors that say what is wrong', () => {
  assert.throws(() => kernelEvents({ traceEvents: [] }), (e: unknown) => e instanceof ProfileError && /JSON array/.test(e.message));
  assert.throws(() => kernelEvents([null]), /event 0 is not an object/);
  assert.throws(() => kernelEvents([{ cat: 'Node', name: 'Conv_0_kernel_time', dur: 'x' }]), /event 0 \(Conv_0_kernel_time\) has no valid dur/);
  assert.throws(() => summarisePlacement([], 0), /runs must be a positive integer/);
});
