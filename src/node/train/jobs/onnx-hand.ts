/**
 * A minimal hand-writer of ONNX models through onnx-proto, for the small built-in smoke jobs (doctor, runtime tests)
 * that must not depend on the graph builder. Real networks come from core's builder (`toOnnxModel`).
 */
import { onnx } from 'onnx-proto';

export type HandDtype = 'float32' | 'int64';
const elemType: Record<HandDtype, number> = { float32: onnx.TensorProto.DataType.FLOAT, int64: onnx.TensorProto.DataType.INT64 };

export interface HandNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, number | readonly number[]>>;
}

export interface HandModel {
  readonly inputs: readonly { name: string; dtype: HandDtype; shape: readonly number[] }[];
  readonly outputs: readonly { name: string; dtype: HandDtype; shape: readonly number[] }[];
  readonly constants: readonly { name: string; dtype: HandDtype; shape: readonly number[]; values: readonly number[] }[];
  readonly nodes: readonly HandNode[];
}

function valueInfo(v: { name: string; dtype: HandDtype; shape: readonly number[] }): onnx.IValueInfoProto {
  return {
    name: v.name,
    type: { tensorType: { elemType: elemType[v.dtype], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } },
  };
}

function attribute(name: string, value: number | readonly number[]): onnx.IAttributeProto {
  return typeof value === 'number'
    ? { name, type: onnx.AttributeProto.AttributeType.INT, i: value }
    : { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...value] };
}

/** Serialises to ModelProto bytes, opset 21 (IR version 10). */
export function handModelBytes(m: HandModel, graphName: string): Uint8Array {
  const initializer = m.constants.map((c): onnx.ITensorProto => ({
    name: c.name,
    dataType: elemType[c.dtype],
    dims: [...c.shape],
    ...(c.dtype === 'float32' ? { floatData: [...c.values] } : { int64Data: [...c.values] }),
  }));
  const model: onnx.IModelProto = {
    irVersion: 10,
    producerName: 'anadiff',
    opsetImport: [{ domain: '', version: 21 }],
    graph: {
      name: graphName,
      input: m.inputs.map(valueInfo),
      output: m.outputs.map(valueInfo),
      initializer,
      node: m.nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        opType: n.op,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
