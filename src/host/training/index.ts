/** Training on worker threads: a data-parallel pool that a host (the main process, the CLI, a benchmark) drives. */
export { DivergedError, TrainingError } from './errors';
export { TrainingPool, type PoolOptions } from './pool';
export { optimizerOf, type PoolPlan } from './plan';
export type { KernelChoice, ReplicaRandomState } from './messages';
export { sharedByteTensor, sharedTensor, type ByteTensor, type Inputs } from './shared-memory';
