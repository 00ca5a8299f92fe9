export { appendLoss, lossInputs, type LossConfig, type DataInputSpec } from './loss.js';
export {
  buildTrainStep, buildGradientGraph, buildGradStep, buildApplyStep, buildEvalGraph, buildInferenceGraph, initialTrainState, accumulatorName,
  TrainSpecError, type TrainSpec, type StepGraph, type TrainStepGraph, type BuiltGraph, type BatchShape, type CarriedNames,
} from './step.js';
