import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { transferWeights, type CompiledGraph, type NamedWeights, type Tensor } from '../../engine';
import type { KeptWeights } from '../project/project-file';
import type { TrainingPlan } from '../../shared/api';
import { toMetric, type TrainingRun } from '../../shared/project';
import type {
  EpochPoint,
  FeatureMaps,
  Hyperparameters,
  ImageRef,
  StartingProgress,
  StepPoint,
  TrainingEnd,
  TrainingProgress,
  TrainingStatus,
} from '../../shared/training';
import { CoalescingRelay, type RelayBatch } from '../relay/coalescing-relay';
import {
  epochRecord,
  runRecord,
  TrainingSession,
  type Checkpoint,
  type EpochEvent,
  type StepEvent,
  type TrainingData,
} from '../session';
import { featureMapsOf } from './inspect';
import { LiveModel, LocalModel, type InspectModel } from './model';
import { graphVersion } from './record';

/** The node and image whose feature maps stream while a run goes on. */
export interface FeatureWatch {
  nodeId: string;
  image: ImageRef;
}

export interface RunOptions {
  /** What to train, as the window sent it. */
  plan: TrainingPlan;
  /** The plan's graph, compiled once (by the workbench, which refused a graph that does not compile). */
  compiled: CompiledGraph;
  /** The dataset folder, and what the history calls it ('built-in sample' or the path). */
  root: string;
  datasetName: string;
  /** Opens the examples (a resumed run opens them again); the workers start meanwhile. */
  openData(): Promise<TrainingData>;
  threads?: number;
  /** The training worker's entry, when not where the pool looks for it. */
  workerScript?: URL;
  /** Progress batches go out at most this often. */
  relayIntervalMs: number;
  /** Feature-map frames are computed at most this often. */
  frameIntervalMs: number;
  /** What opening is doing, before the first step (see StartingProgress). */
  starting(p: StartingProgress): void;
  progress(p: TrainingProgress): void;
  frame(f: FeatureMaps): void;
  /** What to stream now, if anything. */
  watch(): FeatureWatch | null;
  /** The batch of one that an image reference names, for this run's network. */
  imageFor(ref: ImageRef, model: InspectModel): Promise<Tensor>;
  /** Written at the end of every epoch, when given: a stopped, failed or diverged run can resume from it. */
  checkpointPath?: string;
  /** Continues an earlier run from its checkpoint, keeping that run's start time and its steps up to the checkpoint. */
  resume?: ResumeFrom;
  /**
   * A new run that continues from these weights (the project's current ones): each layer whose weights still fit
   * the graph starts from them, the others from a fresh initialisation. Absent: from scratch.
   */
  continueFrom?: NamedWeights;
}

/** What a resumed run takes over from the run it continues. */
export interface ResumeFrom {
  checkpoint: Checkpoint;
  startedAt: string;
  points: readonly StepPoint[];
}

/** The settings a run was started with: a resumed run reuses them. */
export type RunSettings = Pick<RunOptions, 'plan' | 'compiled' | 'root' | 'datasetName' | 'openData' | 'continueFrom'>;

/** What a run leaves behind. */
export interface RunResult {
  end: TrainingEnd;
  record: TrainingRun;
  /** The best weights, to become the project's; null when no epoch finished. */
  weights: NamedWeights | null;
  /** The finished network, to inspect; null when the training pool broke. */
  model: LocalModel | null;
  /** The weight sets the project keeps for this run: its best epoch's, and its last when that differs. */
  kept: KeptWeights[];
}

type Point = { kind: 'step'; step: StepPoint } | { kind: 'epoch'; epoch: EpochPoint };
type Frame = { kind: 'status'; status: TrainingStatus } | { kind: 'maps'; maps: FeatureMaps };

/**
 * One training run of a window: a TrainingSession on worker threads, its progress relayed to the window (every
 * step's loss, coalesced into a few batches a second), the watched node's feature maps sampled at a throttled
 * rate (only the latest frame is kept), and at the end the record for the project's history.
 */
export class Run {
  readonly id = randomUUID();
  /** The first run's start time, for a resumed run: both are one run in the project's history. */
  readonly startedAt: string;
  phase: 'running' | 'paused' | 'stopping' = 'running';
  readonly points: StepPoint[] = [];
  readonly epochs: EpochPoint[] = [];
  status: TrainingStatus | null = null;
  readonly model: LiveModel;
  /** Resolves when the run has ended and its workers are closed. */
  readonly finished: Promise<RunResult>;
  private readonly relay: CoalescingRelay<Point, Frame>;
  private lastFrameAt = -Infinity;
  private frameInFlight: Promise<void> | null = null;

  private constructor(
    private readonly o: RunOptions,
    private readonly session: TrainingSession,
  ) {
    this.startedAt = o.resume?.startedAt ?? new Date().toISOString();
    const resumed = o.resume?.checkpoint.history ?? [];
    // The steps after the checkpoint are trained again: only those it holds are kept.
    const lastStep = resumed[resumed.length - 1]?.globalStep ?? 0;
    for (const p of o.resume?.points ?? []) if (p.step <= lastStep) this.points.push(p);
    for (const e of resumed) this.epochs.push(epochPoint(e));
    this.model = new LiveModel(session, () => this.status?.globalStep ?? 0);
    this.relay = new CoalescingRelay((b) => this.send(b), { intervalMs: o.relayIntervalMs });
    this.finished = this.execute();
  }

  /** Opens the dataset and starts the workers (errors here mean the run never started), then trains in the background. */
  static async start(o: RunOptions): Promise<Run> {
    const session = await TrainingSession.open(o.plan, {
      compiled: o.compiled,
      data: o.openData(),
      ...(o.threads === undefined ? {} : { threads: o.threads }),
      ...(o.checkpointPath ? { checkpointPath: o.checkpointPath } : {}),
      ...(o.workerScript ? { workerScript: o.workerScript } : {}),
      onStarting: o.starting,
    });
    if (o.resume) {
      try {
        await session.restore(o.resume.checkpoint);
      } catch (e) {
        await session.close().catch(() => undefined);
        throw new Error(`the checkpoint cannot be loaded into this network: ${(e as Error).message}`);
      }
    } else if (o.continueFrom) {
      // Continue: the layers that still fit start from the project's weights, the rest as initialised.
      const fresh = await session.pool.getWeights();
      await session.pool.setWeights(transferWeights(o.compiled, fresh, o.continueFrom).weights);
    }
    return new Run(o, session);
  }

  get settings(): RunSettings {
    const { plan, compiled, root, datasetName, openData, continueFrom } = this.o;
    return { plan, compiled, root, datasetName, openData, ...(continueFrom ? { continueFrom } : {}) };
  }

  get checkpointPath(): string | undefined {
    return this.o.checkpointPath;
  }

  /** Whether this run continues an earlier one from its checkpoint. */
  get resumed(): boolean {
    return this.o.resume !== undefined;
  }

  get hyper(): Hyperparameters {
    return this.o.plan.hyper;
  }

  get classes(): readonly string[] {
    return this.session.classes;
  }

  /** Pauses between two steps; resolves once held there, with every earlier step sent to the window. */
  async pause(): Promise<void> {
    if (this.phase !== 'running') return;
    this.phase = 'paused';
    await this.session.pause();
    this.relay.flush();
  }

  resume(): void {
    if (this.phase !== 'paused') return;
    this.session.resume();
    this.phase = 'running';
  }

  stop(): void {
    if (this.phase === 'stopping') return;
    this.session.stop();
    this.phase = 'stopping';
  }

  private async execute(): Promise<RunResult> {
    let end: TrainingEnd;
    try {
      const e = await this.session.run({ onStep: (s) => this.onStep(s), onEpoch: (e) => this.onEpoch(e) });
      end = { status: e.status, epochs: e.epochs, reason: 'reason' in e ? e.reason : null };
    } catch (e) {
      end = { status: 'failed', epochs: this.epochs.length, reason: (e as Error).message };
    }
    const resumeFrom = await this.checkpointEpoch(end);
    if (resumeFrom !== null) end.resumeFrom = resumeFrom;
    await this.frameInFlight;
    this.relay.close();
    let weights: NamedWeights | null = null;
    let model: LocalModel | null = null;
    const kept: KeptWeights[] = [];
    try {
      const best = await this.session.bestWeights();
      model = LocalModel.build(this.o.compiled, best, this.session.classes, this.session.validationSet);
      // Weights from before the first epoch ended are not worth keeping over the project's own.
      if (this.epochs.length > 0) {
        weights = best;
        kept.push(...(await this.keptSets(best, end)));
      }
    } catch {
      // The pool broke (a worker was killed): there is nothing to keep or inspect; the reason is in `end`.
    }
    await this.session.close().catch(() => undefined);
    const record = runRecord({
      plan: this.o.plan,
      dataset: this.o.datasetName,
      startedAt: this.startedAt,
      epochs: this.epochs,
      end,
      start: this.o.continueFrom || this.o.resume ? 'continue' : 'scratch',
    });
    return { end, record, weights, model, kept };
  }

  /** The best epoch's weights, and the last weights when they are not the same (a later epoch, or a stop mid-epoch). */
  private async keptSets(best: NamedWeights, end: TrainingEnd): Promise<KeptWeights[]> {
    const version = graphVersion(this.o.plan.graph);
    const last = this.epochs[this.epochs.length - 1];
    const bestEpoch = [...this.epochs].reverse().find((e) => e.best) ?? last;
    const sets: KeptWeights[] = [
      {
        run: this.startedAt,
        kind: 'best',
        epoch: bestEpoch.epoch,
        ...(bestEpoch.valAccuracy === undefined ? {} : { valAccuracy: bestEpoch.valAccuracy }),
        graphVersion: version,
        weights: best,
      },
    ];
    const midEpoch = end.status === 'stopped' || end.status === 'diverged' || end.status === 'failed';
    if (bestEpoch !== last || midEpoch) {
      sets.push({
        run: this.startedAt,
        kind: 'final',
        epoch: last.epoch,
        graphVersion: version,
        weights: await this.session.pool.getWeights(),
      });
    }
    return sets;
  }

  /** The epoch a run that ended early can resume from: its last one, whose checkpoint was written before it was told. */
  private async checkpointEpoch(end: TrainingEnd): Promise<number | null> {
    const path = this.o.checkpointPath;
    const last = this.epochs[this.epochs.length - 1]?.epoch ?? 0;
    if (!path || last === 0 || last >= this.o.plan.hyper.epochs) return null;
    if (end.status !== 'stopped' && end.status !== 'failed' && end.status !== 'diverged') return null;
    const written = await stat(path).then(
      (s) => s.isFile(),
      () => false,
    );
    return written ? last : null;
  }

  private onStep(s: StepEvent): void {
    const point: StepPoint = { step: s.globalStep, epoch: s.epoch, loss: toMetric(s.loss) };
    this.points.push(point);
    this.status = {
      epoch: s.epoch,
      epochs: this.o.plan.hyper.epochs,
      step: s.step,
      steps: s.steps,
      globalStep: s.globalStep,
      learningRate: s.learningRate,
      imagesPerSecond: Number.isFinite(s.imagesPerSecond) ? s.imagesPerSecond : 0,
      etaSeconds: Number.isFinite(s.etaSeconds) ? s.etaSeconds : 0,
    };
    this.relay.point({ kind: 'step', step: point });
    this.relay.frame('status', { kind: 'status', status: this.status });
    this.maybeSampleFeatureMaps();
  }

  private onEpoch(e: EpochEvent): void {
    const point = epochPoint(e);
    this.epochs.push(point);
    this.relay.point({ kind: 'epoch', epoch: point });
  }

  /** At most one frame in flight and one per interval: the pool answers between two steps, so training hardly slows. */
  private maybeSampleFeatureMaps(): void {
    const watch = this.o.watch();
    const now = performance.now();
    if (!watch || this.frameInFlight || now - this.lastFrameAt < this.o.frameIntervalMs) return;
    this.lastFrameAt = now;
    this.frameInFlight = (async () => {
      try {
        const x = await this.o.imageFor(watch.image, this.model);
        const maps = await featureMapsOf(this.model, watch.nodeId, x, watch.image);
        if (this.phase !== 'stopping') this.relay.frame('maps', { kind: 'maps', maps });
      } catch {
        // A node or image that no longer exists: the window asks again with a valid one.
      } finally {
        this.frameInFlight = null;
      }
    })();
  }

  private send(batch: RelayBatch<Point, Frame>): void {
    const points: StepPoint[] = [];
    const epochs: EpochPoint[] = [];
    for (const p of batch.points) {
      if (p.kind === 'step') points.push(p.step);
      else epochs.push(p.epoch);
    }
    let status: TrainingStatus | null = null;
    for (const f of batch.frames) {
      if (f.kind === 'status') status = f.status;
      else this.o.frame(f.maps);
    }
    if (points.length > 0 || epochs.length > 0 || status) this.o.progress({ runId: this.id, points, epochs, status });
  }
}

/** An epoch as the window and the project's history see it. */
function epochPoint(e: EpochEvent): EpochPoint {
  return { ...epochRecord(e), best: e.best };
}
