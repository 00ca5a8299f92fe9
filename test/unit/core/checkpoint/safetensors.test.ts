import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeSafetensors, encodeSafetensors, readSafetensorsHeader, SafetensorsError, type NamedTensor,
} from '../../../../src/core/checkpoint/safetensors.js';

function sample(): Map<string, NamedTensor> {
  return new Map<string, NamedTensor>([
    ['conv.weight', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 4, 5, 6e-8]) }],
    ['x64', { dtype: 'F64', shape: [3], data: Float64Array.from([Math.PI, -0, 1e300]) }],
    ['half', { dtype: 'F16', shape: [2], data: Uint16Array.from([0x3c00, 0xc000]) }],
    ['step', { dtype: 'I64', shape: [], data: BigInt64Array.from([123456789012n]) }],
    ['labels', { dtype: 'I32', shape: [1, 2], data: Int32Array.from([-7, 9]) }],
    ['mask', { dtype: 'U8', shape: [3], data: Uint8Array.from([0, 1, 255]) }],
    ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
  ]);
}

test('round-trips every dtype, shape and metadata exactly', () => {
  const bytes = encodeSafetensors(sample(), { format: 'pt', step: '12' });
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { format: 'pt', step: '12' });
  for (const [name, t] of sample()) {
    const got = back.tensors.get(name);
    assert.ok(got, name);
    assert.equal(got.dtype, t.dtype);
    assert.deepEqual(got.shape, t.shape);
    assert.deepEqual(Array.from(got.data as ArrayLike<unknown>), Array.from(t.data as ArrayLike<unknown>), name);
  }
});

test('layout: 8-byte LE length, JSON header padded to 8, data offsets tile the data', () => {
  const bytes = encodeSafetensors(sample());
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: [number, number] }>;
  // widest dtype first, then by name: step (I64), x64 (F64), then conv.weight (F32)
  assert.deepEqual(header['step']?.data_offsets, [0, 8]);
  assert.deepEqual(header['conv.weight']?.data_offsets, [32, 56]);
  assert.equal(bytes.byteLength, 8 + n + 24 + 24 + 4 + 8 + 8 + 3 + 0);
  assert.equal(encodeSafetensors(sample()).join(','), bytes.join(','), 'deterministic bytes');
});

test('truncated, extended or corrupted files are rejected with a SafetensorsError', () => {
  const bytes = encodeSafetensors(sample());
  assert.throws(() => decodeSafetensors(bytes.subarray(0, bytes.byteLength - 1)), /truncated/);
  assert.throws(() => decodeSafetensors(bytes.subarray(0, 5)), SafetensorsError);
  assert.throws(() => decodeSafetensors(bytes.subarray(0, 40)), /truncated/);
  const longer = new Uint8Array(bytes.byteLength + 4);
  longer.set(bytes);
  assert.throws(() => decodeSafetensors(longer), /trailing/);
  const badLen = bytes.slice();
  badLen[7] = 0x7f;
  assert.throws(() => decodeSafetensors(badLen), /header length/);
  const badJson = bytes.slice();
  badJson[8] = 0x5b; // '[' instead of '{'
  assert.throws(() => decodeSafetensors(badJson), /JSON/);
});

test('header lies are caught: wrong byte span, gaps, unknown dtype', () => {
  const make = (header: object, dataBytes: number) => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.byteLength + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
    out.set(json, 8);
    return out;
  };
  assert.throws(() => decodeSafetensors(make({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)), /needs 12 bytes/);
  assert.throws(() => decodeSafetensors(make({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8)), /gap or overlap/);
  assert.throws(() => decodeSafetensors(make({ a: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } }, 2)), /unsupported dtype/);
  const ok = decodeSafetensors(make({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4));
  assert.equal(ok.tensors.get('a')?.data.length, 1);
  assert.equal(readSafetensorsHeader(make({}, 0)).entries.length, 0);
});

test('encoder refuses inconsistent tensors', () => {
  assert.throws(() => encodeSafetensors([['a', { dtype: 'F32', shape: [2], data: new Float32Array(3) }]]), /has 2 elements/);
  assert.throws(() => encodeSafetensors([['a', { dtype: 'F64', shape: [2], data: new Float32Array(2) }]]), /needs a Float64Array/);
  assert.throws(() => encodeSafetensors([['__metadata__', { dtype: 'U8', shape: [0], data: new Uint8Array(0) }]]), /reserved/);
});
