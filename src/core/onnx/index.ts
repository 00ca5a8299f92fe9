export { IR_VERSION, OPSET, toModelProto, toOnnxModel, type OnnxExportOptions } from './serialize.js';
