export { Graph, type ConstantData, type GraphInput, type GraphNode, type Value } from './graph.js';
export { GraphError, isFloat, numel, sameShape, shapeString, type AttrValue, type Attrs, type DType, type InputRole, type Shape, type TensorType, type TypedArray } from './types.js';
export { validateGraph } from './validate.js';
