/** The one training loop, for the desktop app, the browser mode, the command line and the benchmarks. */
export { CheckpointError, CheckpointWriteError, readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint';
export { DIVERGENCE_CEILING, DIVERGENCE_FACTOR, lossBound } from './divergence';
export { epochRecord, runRecord, stoppedReason } from './record';
export { FolderData, TensorData, TRAIN_ACCURACY_SAMPLE, type TrainingData } from './data';
export { openFolder, type FolderOptions } from './folder';
export { DatasetMismatchError, TrainingSession, type SessionListeners, type SessionOptions } from './session';
export type { EpochEvent, SessionEnd, StepEvent } from './types';
