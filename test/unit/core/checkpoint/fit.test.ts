import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCheckpointFits, CheckpointMismatchError, firstMisfit, type CheckpointExpectation, type TensorSpec } from '../../../../src/core/checkpoint/fit.js';
import { CheckpointError, type CheckpointManifest } from '../../../../src/core/checkpoint/manifest.js';

const hashA = 'a'.repeat(64);
const hashB = 'b'.repeat(64);
const expected: CheckpointExpectation = {
  graphHash: hashA,
  state: [
    { name: 'enc0.conv.weight', dtype: 'F32', shape: [4, 1, 3, 3, 3] },
    { name: 'dec0.block1.conv.weight', dtype: 'F32', shape: [4, 4, 3, 3, 3] },
    { name: 'adamw.m.enc0.conv.weight', dtype: 'F32', shape: [4, 1, 3, 3, 3] },
  ],
};
const tensorsOf = (specs: readonly TensorSpec[]) => new Map(specs.map((s) => [s.name, { dtype: s.dtype, shape: s.shape }]));
const manifest = (over: Partial<CheckpointManifest> = {}): CheckpointManifest => ({
  format: 'anadiff-checkpoint', version: 1, step: 6, createdAt: '2026-12-01T10:00:00.000Z', graphHash: hashB,
  rng: { algorithm: 'xoshiro128**', s: [1, 2, 3, 4] }, config: { name: 'fold-0' }, tensors: { name: 'x.safetensors', bytes: 8, sha256: hashA }, ...over,
});

test('a fitting checkpoint passes; the first differing tensor is named before the graph hash', () => {
  assert.equal(firstMisfit(expected, hashA, tensorsOf(expected.state)), undefined);
  const missing = tensorsOf(expected.state.filter((s) => s.name !== 'dec0.block1.conv.weight'));
  assert.deepEqual(firstMisfit(expected, hashB, missing), { kind: 'missing', name: 'dec0.block1.conv.weight', expected: expected.state[1] });
  const reshaped = tensorsOf(expected.state.map((s) => (s.name === 'enc0.conv.weight' ? { ...s, shape: [8, 1, 3, 3, 3] } : s)));
  assert.equal(firstMisfit(expected, hashA, reshaped)?.kind, 'shape');
  const retyped = tensorsOf(expected.state.map((s, i) => (i === 2 ? { ...s, dtype: 'F64' as const } : s)));
  assert.equal(firstMisfit(expected, hashA, retyped)?.kind, 'dtype');
  const extra = tensorsOf([...expected.state, { name: 'head.conv.weight', dtype: 'F32', shape: [1] }, { name: 'adamw.v.x', dtype: 'F32', shape: [1] }]);
  assert.deepEqual(firstMisfit(expected, hashA, extra), { kind: 'unexpected', name: 'adamw.v.x', actual: { name: 'adamw.v.x', dtype: 'F32', shape: [1] } });
  assert.equal(firstMisfit(expected, hashB, tensorsOf(expected.state))?.kind, 'graph');
});

test('the error names the tensor, the step and the writer: another version, none recorded, or this version', () => {
  const missing = tensorsOf(expected.state.filter((s) => s.name !== 'dec0.block1.conv.weight'));
  const check = (m: CheckpointManifest): string => {
    try {
      assertCheckpointFits(expected, { manifest: m, tensors: missing, manifestPath: '/runs/x/checkpoints/step-00000006.json' }, '0.2.0');
    } catch (e) {
      assert.ok(e instanceof CheckpointMismatchError && e instanceof CheckpointError);
      return e.message;
    }
    return assert.fail('no error');
  };
  const other = check(manifest({ writer: { anadiff: '0.1.0' } }));
  assert.match(other, /^checkpoint step 6 does not fit this run: tensor dec0\.block1\.conv\.weight is missing \(this graph expects F32 \[4, 4, 3, 3, 3\]\)/);
  assert.match(other, /run "fold-0" by anadiff 0\.1\.0 \(this is anadiff 0\.2\.0\)/);
  assert.match(other, /step-00000006\.json\)$/);
  assert.match(check(manifest()), /older than the version field/);
  assert.match(check(manifest({ writer: { anadiff: '0.2.0' } })), /by this version .*config/);
});
