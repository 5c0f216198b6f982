/** The Convas engine: pure TypeScript, no DOM, Node or Vue import, so it runs in a worker, the renderer or a test. */
export * from './tensor';
export { Rng } from './rng';
export {
  CATEGORIES,
  ShapeError,
  type Category,
  type LayerDef,
  type ParamSpec,
  type Params,
  type WeightSpec,
} from './layers/types';
export { checkParam, getLayer, listLayers, registerLayer, resolveParams } from './layers/registry';
export { outputSize } from './layers/geometry';
export {
  analyseGraph,
  compileGraph,
  GraphError,
  type CompiledGraph,
  type CompiledNode,
  type GraphAnalysis,
} from './graph';
export {
  checkMemory,
  describeShortfall,
  estimateMemory,
  MAX_TENSOR_ELEMENTS,
  memoryLimit,
  MemoryError,
  setMemoryLimit,
  type MemoryEstimate,
  type MemoryOptions,
} from './memory';
export { Network, type NamedWeights, type Parameter, type Trace } from './network';
export { transferWeights, weightFit, type NodeFit, type WeightShape } from './transfer';
export { meanSquaredError, oneHot, softmaxCrossEntropy, type LossKind, type LossResult } from './losses';
export {
  createOptimizer,
  learningRateAt,
  OPTIMIZER_KINDS,
  type LrSchedule,
  type Optimizer,
  type OptimizerConfig,
  type OptimizerKind,
  type OptimizerState,
} from './optim';
export { probabilitiesOf } from './probabilities';
export { argmaxRows, computeLoss, evaluate, gather, Trainer, type Evaluation, type Examples } from './train';
export {
  kernels,
  referenceKernels,
  useKernels,
  type ConvGeometry,
  type Kernels,
  type NormGeometry,
  type PoolGeometry,
} from './kernels';
