/**
 * A hand-written ONNX "network" with a known answer for segmentation tests: probs = sigmoid(gain * (image - level)),
 * `batch: 'N'` declares a symbolic batch; one sigmoid channel per level (a negative gain gives the complement, a softmax-like background channel), so the segmentation must equal thresholding the preprocessed intensity.
 */
import { onnx } from 'onnx-proto';

export function thresholdModel(patch: readonly [number, number, number], levels: readonly number[], gains: readonly number[] = levels.map(() => 1e4), batch: number | 'N' = 1): Uint8Array {
  const [pi, pj, pk] = patch;
  const F = onnx.TensorProto.DataType.FLOAT;
  const info = (name: string, channels: number): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: F, shape: { dim: [batch === 'N' ? { dimParam: 'N' } : { dimValue: batch }, ...[channels, pk, pj, pi].map((d) => ({ dimValue: d }))] } } },
  });
  const scalar = (name: string, values: readonly number[]): onnx.ITensorProto => ({ name, dataType: F, dims: [1, values.length, 1, 1, 1], floatData: [...values] });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'threshold',
      node: [
        { opType: 'Sub', input: ['image', 'level'], output: ['centred'] },
        { opType: 'Mul', input: ['centred', 'gain'], output: ['logits'] },
        { opType: 'Sigmoid', input: ['logits'], output: ['probs'] },
      ],
      initializer: [scalar('level', levels), scalar('gain', gains)],
      input: [info('image', 1)],
      output: [info('probs', levels.length)],
    },
  }).finish();
}
