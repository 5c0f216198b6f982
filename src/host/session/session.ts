import { availableParallelism } from 'node:os';
import {
  checkMemory,
  compileGraph,
  reshape,
  Rng,
  type CompiledGraph,
  type Evaluation,
  type NamedWeights,
  type Tensor,
} from '../../engine';
import { DatasetSource, openDataset, sampleDatasetPath, type DatasetBatch, type DatasetIndex } from '../datasets';
import { inputSpecOf } from '../inference/model';
import { DivergedError, TrainingPool } from '../training';
import { writeCheckpoint, type Checkpoint } from './checkpoint';
import { divergenceCause, lossBound } from './divergence';
import type { EpochEvent, SessionConfig, SessionEnd, StepEvent } from './types';

/** Training images whose accuracy is reported each epoch (measured in inference mode after the epoch). */
const TRAIN_ACCURACY_SAMPLE = 2000;

export interface SessionListeners {
  onStep?(e: StepEvent): void;
  onEpoch?(e: EpochEvent): void;
}

/**
 * A training run on an image folder: the dataset service feeds batches (cached in memory, streamed past the
 * budget, augmented with the session's seeded generator), a worker-thread pool trains on them, and this loop
 * adds what a user expects around that: validation each epoch, the best weights kept, early stopping, a
 * checkpoint per epoch, pause, resume and stop between steps, and a clear stop when the loss diverges.
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

  private constructor(
    readonly config: SessionConfig,
    readonly graph: CompiledGraph,
    readonly index: DatasetIndex,
    private readonly source: DatasetSource,
    readonly pool: TrainingPool,
    private readonly validation: DatasetBatch,
    private readonly trainSample: DatasetBatch,
  ) {
    this.rng = new Rng(config.hyper.seed);
  }

  /** Compiles the graph, opens and checks the dataset, loads validation images and starts the workers. */
  static async open(config: SessionConfig): Promise<TrainingSession> {
    const graph = compileGraph(config.graph);
    // Refused with its figure before a single image is read, when training at this batch size cannot fit.
    const { batchSize, optimizer, threads } = config.hyper;
    checkMemory(graph, {
      batchSize,
      training: true,
      optimizer: optimizer.kind,
      threads: threads ?? availableParallelism(),
    });
    const root = config.data.root ?? sampleDatasetPath();
    const index = await openDataset(root, {
      validationFraction: config.data.validationFraction,
      seed: config.hyper.seed,
    });
    const classes = graph.outputShape.reduce((a, b) => a * b, 1);
    if (classes !== index.classes.length) {
      const out = graph.byId.get(graph.outputId)!;
      throw new DatasetMismatchError(
        `the network's output node '${out.id}' gives ${classes} values, but ${root} has ${index.classes.length} classes; ` +
          `set the last Dense layer to ${index.classes.length} units`,
      );
    }
    const input = inputSpecOf(graph, config.data.resize);
    const source = DatasetSource.create(index, input, {
      cacheBytes: config.data.cacheBytes,
    });
    // Images arrive as [N, C, H, W]; a network with a flat-vector input takes the same values as [N, C·H·W].
    const asInput = (b: DatasetBatch): DatasetBatch => ({
      ...b,
      x: reshape(b.x, [b.x.shape[0], ...graph.inputShape]),
    });
    const validation = asInput(await source.load('validation'));
    const trainSample = asInput(await sampleOf(source, index, config.hyper.seed));
    const pool = await TrainingPool.create({
      graph: config.graph,
      optimizer: config.hyper.optimizer,
      seed: config.hyper.seed,
      loss: 'cross_entropy',
      threads: config.hyper.threads,
    });
    return new TrainingSession(config, graph, index, source, pool, validation, trainSample);
  }

  get classes(): readonly string[] {
    return this.index.classes;
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
    this.running = true;
    try {
      return await this.train(listeners);
    } finally {
      this.running = false;
      this.releaseHold();
    }
  }

  private async train(listeners: SessionListeners): Promise<SessionEnd> {
    const { epochs, batchSize, patience } = this.config.hyper;
    const augment = this.config.data.augment;
    const trainCount = this.source.count('train');
    const stepsPerEpoch = Math.ceil(trainCount / batchSize);
    let secondsPerStep = 0;
    let globalStep = this.epochsDone * stepsPerEpoch;
    for (let epoch = this.epochsDone + 1; epoch <= epochs; epoch++) {
      const started = performance.now();
      let busy = 0;
      let lossSum = 0;
      let step = 0;
      for await (const batch of this.source.batches('train', batchSize, { rng: this.rng, augment })) {
        if (this.paused) {
          this.releaseHold();
          await this.paused;
        }
        if (this.stopRequested) return { status: 'stopped', epochs: this.epochsDone };
        const t0 = performance.now();
        let loss: number;
        try {
          const x = reshape(batch.x, [batch.x.shape[0], ...this.graph.inputShape]);
          loss = await this.pool.step(x, batch.labels, lossBound(this.firstLoss));
        } catch (e) {
          if (!(e instanceof DivergedError)) throw e;
          const reason =
            `${divergenceCause(e.loss, this.firstLoss)} at epoch ${epoch}, batch ${step + 1} of ${stepsPerEpoch} (step ${globalStep + 1}); ` +
            `training stopped with the weights of the step before. Try a lower learning rate (now ${this.config.hyper.optimizer.learningRate}).`;
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
          imagesPerSecond: batch.labels.length / dt,
          etaSeconds: remaining * secondsPerStep,
        });
      }
      const val = await this.evaluate(this.validation);
      const train = await this.evaluate(this.trainSample);
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
      if (this.config.checkpointPath) await writeCheckpoint(this.config.checkpointPath, await this.checkpoint());
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
      seed: this.config.hyper.seed,
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

/** The graph cannot learn this dataset as it stands (its output size differs from the number of classes). */
export class DatasetMismatchError extends Error {
  override name = 'DatasetMismatchError';
}

/** A fixed, seeded subset of the training split, for the per-epoch training accuracy. */
async function sampleOf(source: DatasetSource, index: DatasetIndex, seed: number): Promise<DatasetBatch> {
  const n = index.splits.train.length;
  if (n <= TRAIN_ACCURACY_SAMPLE) return source.load('train');
  const it = source.batches('train', TRAIN_ACCURACY_SAMPLE, { rng: new Rng(seed + 1) });
  const first = await it.next();
  await it.return?.(undefined);
  return first.value as DatasetBatch;
}
