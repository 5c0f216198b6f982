/** Training runs on image folders, for the desktop app, the browser mode and the command line. */
export { CheckpointError, CheckpointWriteError, readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint';
export { DIVERGENCE_CEILING, DIVERGENCE_FACTOR, lossBound } from './divergence';
export { epochRecord } from './record';
export { DatasetMismatchError, TrainingSession, type SessionListeners } from './session';
export type { DataSettings, EpochEvent, Hyperparameters, SessionConfig, SessionEnd, StepEvent } from './types';
