export {
  adamw, sgd, appendOptimizer, clipByGlobalNorm, optimizerHyper, stateNames, nextName, isFrozen, groupOf, HYPER, OptimizerError,
  type AdamWConfig, type SgdConfig, type OptimizerConfig, type ParamGroup, type CarriedPair,
} from './optimizer.js';
export { learningRate, warmupCosineLr, oneCycleLr, oneCycle, ScheduleError, type Schedule, type WarmupCosine, type OneCycle, type ConstantLr } from './schedules.js';
