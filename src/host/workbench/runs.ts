import { availableParallelism } from 'node:os';
import type { Tensor } from '../../engine';
import type { ParsedRequestOf, RequestName, TrainingPlan } from '../../shared/api';
import type { ImageRef, StartingProgress, TrainingState } from '../../shared/training';
import { throttleProgress } from '../relay/throttle';
import { readCheckpoint } from '../session';
import type { ProjectSession } from '../project/session';
import type { Emit } from '../server/dispatch';
import { adoptRun } from './adopt';
import { Checkpoints } from './checkpoints';
import { compileForTraining } from './compile';
import type { InspectModel } from './model';
import { graphVersion } from './record';
import { Run, type FeatureWatch, type ResumeFrom, type RunResult, type RunSettings } from './run';
import { TrustedDatasets } from './trusted';
import type { WindowDatasets } from './window-datasets';

type Req<K extends RequestName> = ParsedRequestOf<K>;

export interface RunsOptions {
  session: Pick<ProjectSession, 'currentWeights' | 'adoptTraining'>;
  emit: Emit;
  /** Worker threads per run (default: the machine's cores). */
  threads?: number;
  /** Progress batches go to the window at most this often (default 100 ms). */
  relayIntervalMs?: number;
  /** Feature-map frames are computed at most this often during a run (default 500 ms: two a second). */
  frameIntervalMs?: number;
  /** Where runs write their checkpoint (see Checkpoints); without it a stopped or failed run cannot resume. */
  checkpointDir?: string;
  /** The training worker's entry, when not where the pool looks for it (a benchmark runs the app's build). */
  workerScript?: URL;
}

/**
 * What runs need of inspection: they say when a run starts and ends (its network is the one to inspect), and
 * stream the feature maps of the node and image the window watches.
 */
export interface RunInspection {
  runStarted(model: InspectModel, graph: string): void;
  runEnded(model: InspectModel | null, graph: string): void;
  watch(): FeatureWatch | null;
  imageFor(ref: ImageRef, model: InspectModel): Promise<Tensor>;
}

/** The run that ended last, kept so that a window that reloads can draw it again. */
interface Ended {
  run: Run;
  result: RunResult;
}

const BUSY = 'a training run is already going on; stop it before starting another';

/**
 * One window's training runs, one at a time: starting one (anew, or from the last one's checkpoint), pause,
 * resume and stop, the Train view's part of the state, and what follows a run's end: its network goes to
 * inspection, its result to the project (adoptRun), and the window is told.
 */
export class Runs {
  /** A start is under way (checkpoint file, dataset scan, workers starting): the phase says 'starting'. */
  private starting = false;
  /** A run being opened (dataset scan, workers starting): stopping waits for it. */
  private pendingStart: Promise<unknown> = Promise.resolve();
  /** The run going on, and what settles when its result has been recorded. */
  private current: { run: Run; concluding: Promise<void> } | null = null;
  private ended: Ended | null = null;
  /** The window is closing: a run that was still opening ends as soon as it is open. */
  private closed = false;
  private readonly checkpoints: Checkpoints;
  /** What a run that is starting is doing, a few times a second at most. */
  private readonly reportStarting: (p: StartingProgress) => void;

  constructor(
    private readonly o: RunsOptions,
    private readonly datasets: Pick<WindowDatasets, 'folderOf' | 'openForTraining'>,
    private readonly inspection: RunInspection,
  ) {
    this.checkpoints = new Checkpoints(o.checkpointDir);
    this.reportStarting = throttleProgress((p) => this.o.emit('trainingStarting', p));
  }

  /** A run is starting or going on: another cannot start, nor the project's weights change. */
  get busy(): boolean {
    return this.starting || this.current !== null;
  }

  /** A run is going on (its live network is the one inspected). */
  get running(): boolean {
    return this.current !== null;
  }

  async start(r: Req<'startTraining'>): Promise<void> {
    if (this.busy) throw new Error(BUSY);
    const compiled = compileForTraining(r.graph);
    const root = this.datasets.folderOf(r.dataset);
    const current = this.o.session.currentWeights;
    if (r.start === 'continue' && Object.keys(current).length === 0) {
      throw new Error('there are no trained weights to continue from; train from scratch first');
    }
    const plan: TrainingPlan = { graph: r.graph, data: r.data, hyper: r.hyper };
    const settings: RunSettings = {
      plan,
      compiled,
      root,
      datasetName: TrustedDatasets.isSample(root) ? 'built-in sample' : root,
      // A resumed run opens its images the same way (from the scan and the decoded images kept).
      openData: () =>
        this.datasets.openForTraining(plan, compiled, root, (done, total) =>
          this.reportStarting({ stage: 'scanning', done, total }),
        ),
      ...(r.start === 'continue' ? { continueFrom: current } : {}),
    };
    this.starting = true;
    let checkpointPath: string | undefined;
    try {
      checkpointPath = await this.checkpoints.fresh();
    } finally {
      this.starting = false;
    }
    return this.launch(settings, checkpointPath, undefined);
  }

  /**
   * Continues the last run from the checkpoint it left behind (a stop, a failure, a divergence), with its dataset and
   * settings; its epochs so far stay, and the epochs still to go are trained. Refused when the network has changed.
   */
  async resumeFromCheckpoint(r: Req<'resumeFromCheckpoint'>): Promise<void> {
    if (this.busy) throw new Error(BUSY);
    const ended = this.ended;
    const resumable = this.checkpoints.last;
    if (!ended || !resumable) throw new Error('there is no stopped run with a checkpoint to resume from');
    const settings = ended.run.settings;
    if (graphVersion(r.graph) !== graphVersion(settings.plan.graph)) {
      throw new Error(
        `the network has changed since this run stopped after epoch ${resumable.epoch}; ` +
          'its checkpoint only fits the network it was trained on: undo the change or start a new run',
      );
    }
    this.starting = true;
    let checkpoint;
    try {
      checkpoint = await readCheckpoint(resumable.path);
    } finally {
      this.starting = false;
    }
    const resume: ResumeFrom = { checkpoint, startedAt: ended.run.startedAt, points: ended.run.points };
    return this.launch(settings, resumable.path, resume);
  }

  /** Resolves once the run is held between two steps, with every step taken sent to the window. */
  async pause(): Promise<void> {
    await this.current?.run.pause();
  }

  resume(): void {
    this.current?.run.resume();
  }

  stop(): void {
    this.current?.run.stop();
  }

  /** The Train view's part of TrainingState: the run going on, else the one that ended last. */
  view(): Omit<TrainingState, 'modelGraph' | 'classes'> {
    const live = this.current?.run ?? null;
    const run = live ?? this.ended?.run ?? null;
    const ended = this.ended?.result.end ?? null;
    return {
      phase: this.starting ? 'starting' : live ? live.phase : 'idle',
      runId: run?.id ?? null,
      hyper: run ? run.hyper : null,
      status: run?.status ?? null,
      points: run ? [...run.points] : [],
      epochs: run ? [...run.epochs] : [],
      end: live || !ended ? null : this.checkpoints.endWith(ended),
    };
  }

  /** Stops the run, once it is open if it is opening, and resolves when its result has been recorded. */
  async stopAndWait(): Promise<void> {
    await this.pendingStart;
    const current = this.current;
    if (!current) return;
    current.run.stop();
    await current.concluding;
  }

  /** The last run's checkpoint goes: it can no longer be resumed. */
  forgetCheckpoint(): Promise<void> {
    return this.checkpoints.forget();
  }

  /** The last run is no longer drawn (it was another project's). */
  forgetEnded(): void {
    this.ended = null;
  }

  /** The window is closing: the run stops, and its result reaches the project before the session backs it up. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stopAndWait();
    // A checkpoint is resumed from this window only: none is left behind in the data folder.
    await this.checkpoints.forget();
  }

  /** Opens a run and starts it in the background. */
  private async launch(
    settings: RunSettings,
    checkpointPath: string | undefined,
    resume: ResumeFrom | undefined,
  ): Promise<void> {
    this.starting = true;
    const opening = Run.start({
      ...settings,
      ...(checkpointPath ? { checkpointPath } : {}),
      ...(resume ? { resume } : {}),
      threads: this.o.threads ?? availableParallelism(),
      ...(this.o.workerScript ? { workerScript: this.o.workerScript } : {}),
      relayIntervalMs: this.o.relayIntervalMs ?? 100,
      frameIntervalMs: this.o.frameIntervalMs ?? 500,
      starting: this.reportStarting,
      progress: (p) => this.o.emit('trainingProgress', p),
      frame: (f) => this.o.emit('featureMapFrame', f),
      watch: () => this.inspection.watch(),
      imageFor: (ref, model) => this.inspection.imageFor(ref, model),
    });
    this.pendingStart = opening.catch(() => undefined);
    try {
      const run = await opening;
      this.inspection.runStarted(run.model, graphVersion(run.settings.plan.graph));
      // The checkpoint is the new run's now (a resumed run writes on to it).
      this.checkpoints.handOver();
      this.current = { run, concluding: this.conclude(run, settings.root) };
      // The window closed while the run was opening: it ends at once.
      if (this.closed) run.stop();
    } finally {
      this.starting = false;
    }
  }

  /** When the run ends: its network becomes the one to inspect, its result joins the project, the window is told. */
  private async conclude(run: Run, root: string): Promise<void> {
    const result = await run.finished;
    const path = run.checkpointPath;
    if (result.end.resumeFrom !== undefined && path) this.checkpoints.keep(path, result.end.resumeFrom);
    // Nothing to resume from (the run finished): its checkpoint goes.
    else if (path) await this.checkpoints.discard(path);
    this.inspection.runEnded(result.model, graphVersion(run.settings.plan.graph));
    const project = adoptRun(this.o.session, run, result, root);
    this.ended = { run, result };
    this.current = null;
    this.o.emit('trainingEnded', { runId: run.id, end: result.end, run: result.record, project });
  }
}
