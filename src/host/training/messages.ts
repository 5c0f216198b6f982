import type { MessagePort } from 'node:worker_threads';
import type { LossKind, OptimizerState } from '../../engine';
import type { PoolPlan } from './plan';

/**
 * Everything that crosses the boundary between the host (the thread that owns a TrainingPool) and its
 * training workers. Tensors cross as Float32Arrays over SharedArrayBuffers (shared, not copied) or as
 * transferred buffers; nothing is ever serialised to JSON.
 */

/** Which kernels a worker installs: the fastest available (WebAssembly SIMD, else reference), or the reference ones. */
export type KernelChoice = 'auto' | 'reference';

/** What every worker of a pool is told once, at start: the run's plan, unchanged, and its place in the pool. */
export interface ReplicaConfig {
  /** Initial weights derive from plan.hyper.seed, dropout masks from it with the rank mixed in. */
  plan: PoolPlan;
  /** This worker's index, 0 ≤ rank < threads. Rank 0 leads: it answers queries. */
  rank: number;
  threads: number;
  loss: LossKind;
  kernels: KernelChoice;
}

/** Memory every worker of a pool shares. */
export interface SharedBuffers {
  /** All parameters end to end (engine's parameterLayout); one copy for the whole pool. */
  weights: Float32Array;
  /** One gradient region per worker, each as long as `weights`: region r holds rank r's shard gradient. */
  grads: Float32Array;
  /** Barrier words; see control.ts. */
  control: Int32Array;
  /** Each rank's share of the batch loss for the current step. */
  losses: Float64Array;
}

/**
 * Input values: float32, or bytes 0–255 (8-bit images, a quarter of the memory) that the workers divide by
 * 255 as they read them, so that the network sees [0, 1] either way.
 */
export type Pixels = Float32Array | Uint8Array;

/** Examples in shared memory: x holds n examples of the network's input shape, labels one class index each. */
export interface SharedExamples {
  x: Pixels;
  labels: Int32Array;
  n: number;
}

/** Inputs in shared memory for inference, and where to write the outputs (n × the node's output size). */
export interface InferenceJob {
  x: Pixels;
  n: number;
  nodeId: string;
  out: Float32Array;
  batchSize: number;
}

/** How a step ended, as every rank saw it (they agree by construction). */
export interface StepOutcome {
  status: 'done' | 'diverged';
  /** Optimizer steps taken by this pool so far. */
  globalStep: number;
  /** The batch's mean loss before the step. */
  loss: number;
  /** For 'diverged': what was not finite (or 'bound': the loss was finite but above the step's maxLoss). */
  badPart?: DivergedPart;
}

export type DivergedPart = 'loss' | 'gradient' | 'weights' | 'bound';

/** One rank's part of an evaluation; the host adds the parts. */
export interface PartialEvaluation {
  lossSum: number;
  correct: number;
  count: number;
  /** classes × classes, row = actual, column = predicted */
  confusion: Int32Array;
}

/** What a worker reports when it has started. */
export interface ReplicaInfo {
  rank: number;
  /** Name of the installed kernel backend. */
  kernels: string;
  /** Why the preferred kernels could not be installed, when they could not. */
  notice?: string;
}

/**
 * What a rank draws from and where it is: with the weights and the optimizer's state, all a checkpoint needs for
 * a resumed run to equal the uninterrupted one bit for bit (dropout masks differ per rank).
 */
export interface ReplicaRandomState {
  /** This rank's dropout generator. (Batches are shuffled by the session, whose generator the checkpoint holds.) */
  dropout: number;
  /** Optimizer steps this rank has taken. */
  globalStep: number;
}

/**
 * Host → worker requests and their results, one entry per `type`. A request is answered by exactly one
 * 'result' (with the same id) or one 'error'.
 */
export interface Calls {
  /** Rank 0 also receives the port it answers Queries on. */
  init: { args: { config: ReplicaConfig; shared: SharedBuffers; queries?: MessagePort }; result: ReplicaInfo };
  /** One optimizer step on a batch the host put in shared memory; each rank takes its shard of it. */
  step: { args: { batch: SharedExamples; maxLoss?: number; learningRate?: number }; result: StepOutcome };
  infer: { args: { job: InferenceJob }; result: null };
  evaluate: { args: { data: SharedExamples; batchSize: number }; result: PartialEvaluation };
  getOptimizerState: { args: Record<string, never>; result: OptimizerState };
  setOptimizerState: { args: { state: OptimizerState }; result: null };
  /** Every rank's generators and step count, in rank order, for a checkpoint; each rank takes its own back. */
  getRandomState: { args: Record<string, never>; result: ReplicaRandomState };
  setRandomState: { args: { states: ReplicaRandomState[] }; result: null };
  close: { args: Record<string, never>; result: null };
}

/**
 * Queries rank 0 answers on its query port, between two steps while a run is going on, or at once when
 * idle: reading the weights or a node's activations never waits for the pool's job queue.
 */
export interface Queries {
  /** A consistent copy of all weights (the flat layout). */
  weights: { args: Record<string, never>; result: Float32Array };
  /** Replaces all weights (the flat layout); the host sends it only while no run is stepping. */
  setWeights: { args: { flat: Float32Array }; result: null };
  /** A node's outputs for a few inputs, in inference mode. */
  activations: {
    args: { x: Float32Array; n: number; nodeId: string };
    result: { shape: number[]; data: Float32Array };
  };
}

type Requests<T> = { [K in keyof T]: { type: K; id: number } & (T[K] extends { args: infer A } ? A : never) }[keyof T];

/** A request to a worker: a discriminated union on `type`. */
export type HostRequest = Requests<Calls>;
export type QueryRequest = Requests<Queries>;

/** An error as it crosses the boundary: Error objects lose their class, so the name travels beside the message. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
}

/** Worker → host messages: a discriminated union on `type`. */
export type WorkerMessage =
  { type: 'result'; id: number; value: unknown } | { type: 'error'; id: number; error: WireError };
