/** Training on worker threads: a data-parallel pool that a host (the main process, the CLI, a benchmark) drives. */
export { DivergedError, TrainingError } from './errors';
export { TrainingPool, type EpochResult, type SessionState, type TrainingOptions } from './pool';
export type { KernelChoice, ReplicaRandomState, StepProgress } from './messages';
export { sharedByteTensor, sharedTensor, type ByteTensor, type Inputs } from './shared-memory';
