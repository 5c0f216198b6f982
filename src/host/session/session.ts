import { availableParallelism } from 'node:os';
import {
  checkMemory,
  learningRateAt,
  Rng,
  type CompiledGraph,
  type Evaluation,
  type NamedWeights,
  type Tensor,
} from '../../engine';
import type { TrainingPlan } from '../../shared/api';
import type { StartingProgress } from '../../shared/training';
import type { DatasetBatch } from '../datasets';
import { DivergedError, TrainingPool, type KernelChoice } from '../training';
import { writeCheckpoint, type Checkpoint } from './checkpoint';
import type { TrainingData } from './data';
import { divergenceCause, lossBound } from './divergence';
import type { EpochEvent, SessionEnd, StepEvent } from './types';

/** Where and how a session runs its plan; the plan (from the Api, unchanged) says what to train. */
export interface SessionOptions {
  /** The plan's graph, compiled once by the caller (the workers compile their own copies). */
  compiled: CompiledGraph;
  /**
   * The examples. A promise lets the workers start while the dataset is still being opened: the two take about
   * as long as each other, and the first step waits for the slower one only.
   */
  data: TrainingData | Promise<TrainingData>;
  /** Worker threads (default: the machine's cores). */
  threads?: number;
  /** Written atomically at the end of every epoch, when given; a stopped or crashed run resumes from it. */
  checkpointPath?: string;
  kernels?: KernelChoice;
  /** The training worker's entry, when not where the pool looks for it (the app's build, from a benchmark). */
  workerScript?: URL;
  /** What opening is doing, for a progress bar: validation images decoded, workers started. */
  onStarting?: (p: StartingProgress) => void;
}

export interface SessionListeners {
  onStep?(e: StepEvent): void;
  onEpoch?(e: EpochEvent): void;
}

/**
 * The one training loop: the app, the command line and the benchmarks all train through it. A TrainingData
 * feeds batches (an image folder cached in memory, streamed past the budget, augmented with the session's
 * seeded generator; or tensors), a worker-thread pool steps on them, and this loop adds what a user expects
 * around that: validation each epoch, the best weights kept, early stopping, a checkpoint per epoch, pause,
 * resume and stop between steps, and a clear stop when the loss diverges.
 */
export class TrainingSession {
  private readonly rng: Rng;
  private paused: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** pause() callers waiting for the loop to be held between two steps. */
  private holdWaiters: (() => void)[] = [];
  private running = false;
  private stopRequested = false;
  private history: EpochEvent[] = [];
  private best: Checkpoint['best'] = null;
  private sinceBest = 0;
  private epochsDone = 0;
  /** The loss of the run's first step: divergence is judged against it (divergence.ts). */
  private firstLoss: number | null = null;
  /** Loaded when the first epoch ends: by then a small training split is in the image cache. */
  private trainSample: Promise<DatasetBatch> | null = null;

  private constructor(
    readonly plan: TrainingPlan,
    readonly graph: CompiledGraph,
    readonly data: TrainingData,
    readonly pool: TrainingPool,
    private readonly validation: DatasetBatch,
    private readonly checkpointPath: string | undefined,
  ) {
    this.rng = new Rng(plan.hyper.seed);
  }

  /**
   * Checks the plan fits in memory, then starts the workers while the examples are opened and the validation
   * images loaded. Errors here mean the run never started; nothing is left running.
   */
  static async open(plan: TrainingPlan, o: SessionOptions): Promise<TrainingSession> {
    const graph = o.compiled;
    const threads = o.threads ?? availableParallelism();
    // Refused with its figure before a single image is read, when training at this batch size cannot fit.
    checkMemory(graph, { batchSize: plan.hyper.batchSize, training: true, optimizer: plan.hyper.optimizer, threads });
    const say = o.onStarting ?? (() => undefined);
    say({ stage: 'workers', done: 0, total: threads });
    const starting = TrainingPool.create(plan, {
      compiled: graph,
      threads,
      ...(o.kernels ? { kernels: o.kernels } : {}),
      ...(o.workerScript ? { workerScript: o.workerScript } : {}),
    }).then((pool) => {
      say({ stage: 'workers', done: threads, total: threads });
      return pool;
    });
    const loading = (async () => {
      const data = await o.data;
      const classes = graph.outputShape.reduce((a, b) => a * b, 1);
      if (classes !== data.classes.length) {
        const out = graph.byId.get(graph.outputId)!;
        throw new DatasetMismatchError(
          `the network's output node '${out.id}' gives ${classes} values, but ${data.origin} has ${data.classes.length} classes; ` +
            `set the last Dense layer to ${data.classes.length} units`,
        );
      }
      const validation = await data.validation((done, total) => say({ stage: 'decoding', done, total }));
      return { data, validation };
    })();
    const [pool, loaded] = await Promise.allSettled([starting, loading]);
    if (pool.status === 'rejected' || loaded.status === 'rejected') {
      if (pool.status === 'fulfilled') await pool.value.close().catch(() => undefined);
      throw loaded.status === 'rejected' ? loaded.reason : (pool as PromiseRejectedResult).reason;
    }
    const { data, validation } = loaded.value;
    return new TrainingSession(plan, graph, data, pool.value, validation, o.checkpointPath);
  }

  get classes(): readonly string[] {
    return this.data.classes;
  }

  get epochHistory(): readonly EpochEvent[] {
    return this.history;
  }

  /** Continues from a checkpoint: its weights, optimizer state, generator, history and best weights. */
  async restore(c: Checkpoint): Promise<void> {
    await this.pool.setWeights(c.weights);
    await this.pool.setOptimizerState(c.optimizer);
    this.rng.setState(c.rngState);
    this.history = [...c.history];
    this.best = c.best;
    this.sinceBest = c.sinceBest;
    this.epochsDone = c.epoch;
    this.firstLoss = c.firstLoss ?? c.history[0]?.loss ?? null;
    // Dropout masks follow each thread's generator: with as many threads the run continues exactly as it would
    // have; with another count it continues from fresh generators.
    if (c.workers?.length === this.pool.threads) await this.pool.setRandomState(c.workers);
  }

  /** Trains until the last epoch, an early stop, stop() or divergence. */
  async run(listeners: SessionListeners = {}): Promise<SessionEnd> {
    // Two loops would share the generator and the pool, and neither would be the run the user started.
    if (this.running) throw new Error('this session is already training; wait for its run to end');
    this.running = true;
    try {
      return await this.train(listeners);
    } finally {
      this.running = false;
      this.releaseHold();
    }
  }

  private async train(listeners: SessionListeners): Promise<SessionEnd> {
    const { epochs, batchSize, patience, schedule, learningRate: baseRate } = this.plan.hyper;
    const augment = this.plan.data.augment;
    const trainCount = this.data.trainCount;
    const stepsPerEpoch = Math.ceil(trainCount / batchSize);
    let secondsPerStep = 0;
    let globalStep = this.epochsDone * stepsPerEpoch;
    for (let epoch = this.epochsDone + 1; epoch <= epochs; epoch++) {
      const started = performance.now();
      let busy = 0;
      let lossSum = 0;
      let step = 0;
      const batches = this.data.batches(batchSize, this.rng, augment);
      // The next batch is gathered and augmented on this thread while the workers step on the current one, so
      // the cores never wait for it. Batches are still drawn in order, from the same generator: same run.
      const ahead = () => {
        const p = batches.next();
        p.catch(() => undefined); // a run that ends early never awaits it; its failure must not go unhandled
        return p;
      };
      try {
        let next = ahead();
        for (let item = await next; !item.done; item = await next) {
          const batch = item.value;
          if (this.paused) {
            this.releaseHold();
            await this.paused;
          }
          if (this.stopRequested) return { status: 'stopped', epochs: this.epochsDone };
          const t0 = performance.now();
          // The schedule runs over the planned steps; a resumed run picks it up at its global step.
          const learningRate = learningRateAt(schedule, baseRate, globalStep, epochs * stepsPerEpoch);
          const stepping = this.pool.step(batch.x, batch.labels, lossBound(this.firstLoss), learningRate);
          next = ahead();
          let loss: number;
          try {
            loss = await stepping;
          } catch (e) {
            if (!(e instanceof DivergedError)) throw e;
            const reason =
              `${divergenceCause(e.loss, this.firstLoss)} at epoch ${epoch}, batch ${step + 1} of ${stepsPerEpoch} (step ${globalStep + 1}); ` +
              `training stopped with the weights of the step before. Try a lower learning rate (${rateNow(learningRate, baseRate)}).`;
            return { status: 'diverged', epochs: this.epochsDone, reason };
          }
          this.firstLoss ??= loss;
          const dt = (performance.now() - t0) / 1000;
          busy += dt;
          // The pace of recent steps, smoothed, predicts the rest.
          secondsPerStep = secondsPerStep === 0 ? dt : 0.9 * secondsPerStep + 0.1 * dt;
          step++;
          globalStep++;
          lossSum += loss;
          const remaining = stepsPerEpoch - step + (epochs - epoch) * stepsPerEpoch;
          listeners.onStep?.({
            epoch,
            step,
            steps: stepsPerEpoch,
            globalStep,
            loss,
            learningRate,
            imagesPerSecond: batch.labels.length / dt,
            etaSeconds: remaining * secondsPerStep,
          });
          // The step copied the batch into the workers' memory: its buffers can serve a later batch.
          this.data.release?.(batch);
        }
      } finally {
        await batches.return(undefined).catch(() => undefined);
      }
      const val = await this.evaluate(this.validation);
      this.trainSample ??= this.data.trainSample(this.plan.hyper.seed);
      const train = await this.evaluate(await this.trainSample);
      const improved = !this.best || val.accuracy > this.best.valAccuracy;
      if (improved) {
        this.best = { valAccuracy: val.accuracy, epoch, weights: await this.pool.getWeights() };
        this.sinceBest = 0;
      } else {
        this.sinceBest++;
      }
      const event: EpochEvent = {
        epoch,
        globalStep,
        loss: lossSum / Math.max(step, 1),
        accuracy: train.accuracy,
        valLoss: val.loss,
        valAccuracy: val.accuracy,
        seconds: (performance.now() - started) / 1000,
        imagesPerSecond: trainCount / Math.max(busy, 1e-9),
        best: improved,
      };
      this.history.push(event);
      this.epochsDone = epoch;
      if (this.checkpointPath) await writeCheckpoint(this.checkpointPath, await this.checkpoint());
      listeners.onEpoch?.(event);
      if (patience > 0 && this.sinceBest >= patience) {
        const reason = `validation accuracy has not improved for ${patience} epochs (best ${(this.best!.valAccuracy * 100).toFixed(1)}% at epoch ${this.best!.epoch})`;
        return { status: 'early-stopped', epochs: epoch, reason };
      }
    }
    return { status: 'finished', epochs: this.epochsDone };
  }

  /**
   * Asks the run to pause before its next step. Resolves once it is held there, every step before the pause
   * reported through onStep (or at once when no run is going on), so that callers can tell the user exactly
   * where it paused.
   */
  pause(): Promise<void> {
    if (!this.paused) this.paused = new Promise((r) => (this.wake = r));
    if (!this.running) return Promise.resolve();
    return new Promise((r) => this.holdWaiters.push(r));
  }

  private releaseHold(): void {
    this.holdWaiters.splice(0).forEach((r) => r());
  }

  resume(): void {
    this.wake?.();
    this.paused = null;
    this.wake = null;
  }

  /** Ends the run before its next step (a paused run ends at once). */
  stop(): void {
    this.stopRequested = true;
    this.resume();
  }

  /** Everything needed to continue later. */
  async checkpoint(): Promise<Checkpoint> {
    return {
      epoch: this.epochsDone,
      seed: this.plan.hyper.seed,
      rngState: this.rng.getState(),
      optimizer: await this.pool.getOptimizerState(),
      weights: await this.pool.getWeights(),
      best: this.best,
      history: this.history,
      sinceBest: this.sinceBest,
      workers: await this.pool.getRandomState(),
      ...(this.firstLoss === null ? {} : { firstLoss: this.firstLoss }),
    };
  }

  /** The weights with the best validation accuracy so far (the current ones before the first epoch ends). */
  async bestWeights(): Promise<NamedWeights> {
    return this.best ? this.best.weights : this.pool.getWeights();
  }

  /** Loss, accuracy and confusion matrix of the current weights on the validation split. */
  validate(): Promise<Evaluation> {
    return this.evaluate(this.validation);
  }

  /** The validation images, with the files they came from, for the gallery and the confusion matrix's cells. */
  get validationSet(): DatasetBatch {
    return this.validation;
  }

  activations(x: Tensor, nodeId: string): Promise<Tensor> {
    return this.pool.activations(x, nodeId);
  }

  predict(x: Tensor): Promise<Tensor> {
    return this.pool.predict(x);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private evaluate(b: DatasetBatch): Promise<Evaluation> {
    return this.pool.evaluate(b.x, b.labels);
  }
}

/** The rate a diverged step used, and the run's starting rate when a schedule had moved it. */
const rateNow = (used: number, base: number) =>
  used === base ? `now ${base}` : `this step used ${Number(used.toPrecision(4))}, starting from ${base}`;

/** The graph cannot learn this dataset as it stands (its output size differs from the number of classes). */
export class DatasetMismatchError extends Error {
  override name = 'DatasetMismatchError';
}
