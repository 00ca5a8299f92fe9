/**
 * safetensors interchange with PyTorch (Debian python3-torch; the `safetensors` package is not on Debian, so Python
 * parses and writes the format by hand with struct/json/torch.frombuffer, following the published spec).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../../src/core/checkpoint/safetensors.js';

const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

const script = String.raw`
import json, struct, sys, torch
src, dst = sys.argv[1], sys.argv[2]
dtypes = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'I64': torch.int64, 'I32': torch.int32, 'U8': torch.uint8}
names = {v: k for k, v in dtypes.items()}
raw = open(src, 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
meta = header.pop('__metadata__', {})
data = raw[8 + n:]
out = {}
for name, e in header.items():
    b, end = e['data_offsets']
    t = torch.frombuffer(bytearray(data[b:end]), dtype=dtypes[e['dtype']]).reshape(e['shape'])
    out[name] = t
# Report what torch read, then write torch-made tensors back in the same format.
report = {k: {'dtype': str(v.dtype), 'shape': list(v.shape), 'sum': float(v.double().sum())} for k, v in out.items()}
made = {'torch.w': torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7, 'torch.h': torch.tensor([1.5, -2.0], dtype=torch.float16),
        'torch.i': torch.tensor([[-3, 2**40]], dtype=torch.int64), 'torch.echo': out['w'] * 2}
hdr, blobs, off = {'__metadata__': {'by': 'torch', 'seen': meta.get('note', '')}}, [], 0
for k, v in made.items():
    b = v.contiguous().numpy().tobytes() if v.dtype != torch.float16 else v.view(torch.int16).numpy().tobytes()
    hdr[k] = {'dtype': names[v.dtype], 'shape': list(v.shape), 'data_offsets': [off, off + len(b)]}
    blobs.append(b); off += len(b)
h = json.dumps(hdr).encode()
h += b' ' * (-len(h) % 8)
open(dst, 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
print(json.dumps(report))
`;

test('anadiff-written safetensors load in PyTorch and PyTorch-written ones load in anadiff', (t) => {
  if (!hasTorch) {
    t.skip('safetensors-torch: /usr/bin/python3 with torch absent');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-st-torch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tensors = new Map<string, NamedTensor>([
    ['w', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([0.5, -1, 2, 3.25, 4, -5]) }],
    ['d', { dtype: 'F64', shape: [2], data: Float64Array.from([1e-12, 2]) }],
    ['h', { dtype: 'F16', shape: [3], data: Uint16Array.from([0x3c00, 0x4000, 0xbc00]) }], // 1, 2, -1
    ['step', { dtype: 'I64', shape: [], data: BigInt64Array.of(7n) }],
    ['m', { dtype: 'U8', shape: [4], data: Uint8Array.from([1, 0, 1, 1]) }],
  ]);
  writeFileSync(join(dir, 'a.safetensors'), encodeSafetensors(tensors, { note: 'hello' }));
  const run = spawnSync(python, ['-c', script, join(dir, 'a.safetensors'), join(dir, 'b.safetensors')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const seen = JSON.parse(run.stdout) as Record<string, { dtype: string; shape: number[]; sum: number }>;
  assert.deepEqual(seen.w, { dtype: 'torch.float32', shape: [2, 3], sum: 3.75 });
  assert.deepEqual(seen.h, { dtype: 'torch.float16', shape: [3], sum: 2 });
  assert.deepEqual(seen.step, { dtype: 'torch.int64', shape: [], sum: 7 });
  assert.equal(seen.d?.sum, 2 + 1e-12);
  assert.equal(seen.m?.sum, 3);

  const back = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'b.safetensors'))));
  assert.deepEqual(back.metadata, { by: 'torch', seen: 'hello' });
  const w = back.tensors.get('torch.w')!;
  assert.deepEqual(w.shape, [3, 4]);
  assert.deepEqual(Array.from(w.data as Float32Array), Array.from(Float32Array.from({ length: 12 }, (_, i) => i / 7)));
  assert.deepEqual(Array.from(back.tensors.get('torch.h')!.data as Uint16Array), [0x3e00, 0xc000]); // 1.5, -2 as half bits
  assert.deepEqual(Array.from(back.tensors.get('torch.i')!.data as BigInt64Array), [-3n, 2n ** 40n]);
  assert.deepEqual(Array.from(back.tensors.get('torch.echo')!.data as Float32Array), [1, -2, 4, 6.5, 8, -10]);
});
