import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { OpenedProject, ParsedRequestOf, RequestName } from '../../shared/api';
import type {
  CellImages,
  ConfusionView,
  ConvolutionStep,
  DroppedPrediction,
  FeatureMaps,
  FilterView,
  GalleryPage,
  HistogramsView,
  Saliency,
  TrainingEnd,
  TrainingState,
} from '../../shared/training';
import { sampleDatasetPath } from '../datasets';
import { readCheckpoint } from '../session';
import type { Dialogs } from '../project/dialogs';
import type { ProjectSession } from '../project/session';
import type { Emit } from '../server/dispatch';
import { compileForTraining } from './compile';
import { exportFormats, exportProject } from './export';
import { Inspection } from './inspection';
import { graphVersion } from './record';
import { Run, type ResumeFrom, type RunResult, type RunSettings } from './run';
import { TrustedDatasets } from './trusted';
import { WindowDatasets } from './window-datasets';

type Req<K extends RequestName> = ParsedRequestOf<K>;

export interface WorkbenchOptions {
  session: ProjectSession;
  dialogs: Dialogs;
  emit: Emit;
  /** Throws when a path may not be used (the browser mode confines files to its root folder). */
  checkPath?: (path: string) => Promise<void>;
  /**
   * The browser mode's root folder (a real path): images a dataset links to from outside it are skipped, so that
   * their pixels never come back to the page as thumbnails, previews or galleries.
   */
  root?: string;
  /** Worker threads per run (default: the machine's cores). */
  threads?: number;
  /** Progress batches go to the window at most this often (default 100 ms). */
  relayIntervalMs?: number;
  /** Feature-map frames are computed at most this often during a run (default 500 ms: two a second). */
  frameIntervalMs?: number;
  /**
   * Where runs write their checkpoint, one file per run (`<id>.checkpoint`), typically `<dataDir>/checkpoints`.
   * Without it runs write none and a stopped or failed run cannot resume.
   */
  checkpointDir?: string;
}

/** The checkpoint the last run left behind, which `resumeFromCheckpoint` continues from. */
interface Resumable {
  path: string;
  epoch: number;
}

/** The run that ended last, kept so that a window that reloads can draw it again. */
interface Ended {
  run: Run;
  result: RunResult;
}

/**
 * One window's training, datasets, inspection and export, beside its ProjectSession: the Api handlers of the
 * Data, Train and Inspect views call it. It owns at most one run at a time, the dataset folders this window may
 * read (see TrustedDatasets), the network to inspect (the live one during a run, the best one after) and the
 * image the user last dropped. When a run ends its best weights become the project's and its record joins the
 * project's history, so that Save writes them.
 */
export class Workbench {
  private readonly datasets: WindowDatasets;
  private starting = false;
  /** A run being opened (dataset scan, workers starting): stopping waits for it. */
  private pendingStart: Promise<unknown> = Promise.resolve();
  private run: Run | null = null;
  /** Settles when the current run's result has been recorded. */
  private concluding: Promise<void> = Promise.resolve();
  private ended: Ended | null = null;
  /** The ended run's checkpoint, while it can be resumed. */
  private resumable: Resumable | null = null;
  private readonly inspection: Inspection;
  private closed = false;

  constructor(private readonly o: WorkbenchOptions) {
    this.datasets = new WindowDatasets(o.session, o.checkPath, o.root);
    this.inspection = new Inspection(this.datasets);
  }

  // ---- where datasets come from ----

  /** The folder dialog: the chosen folder becomes one this window may read. */
  pickFolder(title: string): Promise<{ path: string } | null> {
    return this.datasets.pickFolder(title);
  }

  /** A project the session opened from a file: its dataset folder may be read. */
  opened<P extends OpenedProject | null>(project: P): Promise<P> {
    return this.datasets.opened(project);
  }

  /** Another project replaces this one: the run stops (its result still goes to this project) and inspection ends. */
  async beforeProjectChange(): Promise<void> {
    await this.stopAndWait();
    // The run belonged to the project being replaced: it is not continued into the next one.
    await this.forgetCheckpoint();
    this.inspection.reset();
    // The last run was the other project's: its charts are not shown with this one.
    this.ended = null;
  }

  // ---- Data ----

  datasetReport(r: Req<'datasetReport'>) {
    return this.datasets.report(r);
  }

  datasetThumbnails(r: Req<'datasetThumbnails'>) {
    return this.datasets.thumbnails(r);
  }

  augmentPreview(r: Req<'augmentPreview'>) {
    return this.datasets.augmentPreview(r);
  }

  // ---- Train ----

  async startTraining(r: Req<'startTraining'>): Promise<TrainingState> {
    if (this.starting || this.run)
      throw new Error('a training run is already going on; stop it before starting another');
    const compiled = compileForTraining(r.graph);
    const root = this.datasets.folderOf(r.dataset);
    const current = this.o.session.currentWeights;
    if (r.start === 'continue' && Object.keys(current).length === 0) {
      throw new Error('there are no trained weights to continue from; train from scratch first');
    }
    const settings: RunSettings = {
      graph: r.graph,
      compiled,
      root,
      datasetName: TrustedDatasets.isSample(root) ? 'built-in sample' : root,
      data: r.data,
      hyper: r.hyper,
      ...(r.start === 'continue' ? { continueFrom: current } : {}),
    };
    this.starting = true;
    let checkpointPath: string | undefined;
    try {
      checkpointPath = await this.newCheckpointPath();
    } finally {
      this.starting = false;
    }
    return this.launch(settings, checkpointPath, undefined);
  }

  /**
   * Continues the last run from the checkpoint it left behind (a stop, a failure, a divergence), with its dataset and
   * settings; its epochs so far stay, and the epochs still to go are trained. Refused when the network has changed.
   */
  async resumeFromCheckpoint(r: Req<'resumeFromCheckpoint'>): Promise<TrainingState> {
    if (this.starting || this.run)
      throw new Error('a training run is already going on; stop it before starting another');
    const ended = this.ended;
    const resumable = this.resumable;
    if (!ended || !resumable) throw new Error('there is no stopped run with a checkpoint to resume from');
    const settings = ended.run.settings;
    if (graphVersion(r.graph) !== graphVersion(settings.graph)) {
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

  /** Opens a run and starts it in the background. */
  private async launch(
    settings: RunSettings,
    checkpointPath: string | undefined,
    resume: ResumeFrom | undefined,
  ): Promise<TrainingState> {
    this.starting = true;
    const opening = Run.start({
      ...settings,
      ...(checkpointPath ? { checkpointPath } : {}),
      ...(resume ? { resume } : {}),
      threads: this.o.threads ?? availableParallelism(),
      relayIntervalMs: this.o.relayIntervalMs ?? 100,
      frameIntervalMs: this.o.frameIntervalMs ?? 500,
      progress: (p) => this.o.emit('trainingProgress', p),
      frame: (f) => this.o.emit('featureMapFrame', f),
      watch: () => this.inspection.watch(),
      imageFor: (ref, model) => this.inspection.imageFor(ref, model),
    });
    this.pendingStart = opening.catch(() => undefined);
    try {
      const run = await opening;
      this.run = run;
      this.inspection.runStarted(run.model, graphVersion(run.settings.graph));
      // The checkpoint is the new run's now (a resumed run writes on to it).
      this.resumable = null;
      this.concluding = this.conclude(run, settings.root);
      // The window closed while the run was opening: it ends at once.
      if (this.closed) run.stop();
    } finally {
      this.starting = false;
    }
    return this.state();
  }

  /** Answers once the run is held between two steps: the state it returns then has every step taken. */
  async pause(): Promise<TrainingState> {
    await this.run?.pause();
    return this.state();
  }

  resume(): TrainingState {
    this.run?.resume();
    return this.state();
  }

  stop(): TrainingState {
    this.run?.stop();
    return this.state();
  }

  state(): TrainingState {
    const run = this.run ?? this.ended?.run ?? null;
    const ended = this.ended?.result.end ?? null;
    const { modelGraph, classes } = this.inspection.view();
    return {
      phase: this.starting ? 'starting' : this.run ? this.run.phase : 'idle',
      runId: run?.id ?? null,
      hyper: run ? run.hyper : null,
      modelGraph,
      status: run?.status ?? null,
      points: run ? [...run.points] : [],
      epochs: run ? [...run.epochs] : [],
      end: this.run || !ended ? null : this.endWithCheckpoint(ended),
      classes,
    };
  }

  /** Makes the project's saved weights inspectable on its dataset (a trained project opened from a file). */
  async prepareInspection(r: Req<'prepareInspection'>): Promise<TrainingState> {
    if (this.run) return this.state();
    await this.inspection.prepare(r, this.o.session.currentWeights);
    return this.state();
  }

  /**
   * A weight set kept for an earlier run becomes the project's current weights; the window inspects them again
   * (prepareInspection). Refused during a run, which holds the network.
   */
  restoreWeights(r: Req<'restoreWeights'>): OpenedProject {
    if (this.starting || this.run) throw new Error('stop the run in progress before restoring other weights');
    const opened = this.o.session.restoreKept(r.run, r.kind);
    this.inspection.forgetModel();
    return opened;
  }

  // ---- Inspect ----

  confusion(): Promise<ConfusionView> {
    return this.inspection.confusion();
  }

  cellImages(r: Req<'cellImages'>): Promise<CellImages> {
    return this.inspection.cellImages(r);
  }

  gallery(r: Req<'gallery'>): Promise<GalleryPage> {
    return this.inspection.gallery(r);
  }

  predictImage(r: Req<'predictImage'>): Promise<DroppedPrediction> {
    return this.inspection.predictImage(r);
  }

  featureMaps(r: Req<'featureMaps'>): Promise<FeatureMaps> {
    return this.inspection.featureMaps(r);
  }

  watchFeatureMaps(r: Req<'watchFeatureMaps'>): null {
    return this.inspection.watchFeatureMaps(r);
  }

  filters(nodeId: string): Promise<FilterView> {
    return this.inspection.filters(nodeId);
  }

  histograms(nodeId: string): Promise<HistogramsView> {
    return this.inspection.histograms(nodeId);
  }

  convolutionStep(r: Req<'convolutionStep'>): Promise<ConvolutionStep> {
    return this.inspection.convolutionStep(r);
  }

  saliency(r: Req<'saliency'>): Promise<Saliency> {
    return this.inspection.saliency(r);
  }

  // ---- Export ----

  listExportFormats() {
    return exportFormats();
  }

  exportModel(r: Req<'exportModel'>) {
    return exportProject(this.o, r.formatId, r.graph);
  }

  /** The window is closing: the run stops, and its result reaches the project before the session backs it up. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stopAndWait();
    // A checkpoint is resumed from this window only: none is left behind in the data folder.
    await this.forgetCheckpoint();
  }

  // ---- inside ----

  private async stopAndWait(): Promise<void> {
    await this.pendingStart;
    const run = this.run;
    if (!run) return;
    run.stop();
    await this.concluding;
  }

  /** A file for a new run's checkpoint, replacing the last run's (only the last run can be resumed). */
  private async newCheckpointPath(): Promise<string | undefined> {
    await this.forgetCheckpoint();
    const dir = this.o.checkpointDir;
    if (!dir) return undefined;
    await mkdir(dir, { recursive: true });
    return join(dir, `${randomUUID()}.checkpoint`);
  }

  private async forgetCheckpoint(): Promise<void> {
    const path = this.resumable?.path;
    this.resumable = null;
    if (path) await rm(path, { force: true });
  }

  /** How the last run ended, saying whether it can still resume (a new project or run takes that away). */
  private endWithCheckpoint(end: TrainingEnd): TrainingEnd {
    const { resumeFrom: _resumeFrom, ...rest } = end;
    return this.resumable ? { ...rest, resumeFrom: this.resumable.epoch } : rest;
  }

  /** When the run ends: its network becomes the one to inspect, its result joins the project, the window is told. */
  private async conclude(run: Run, root: string): Promise<void> {
    const result = await run.finished;
    const path = run.checkpointPath;
    if (result.end.resumeFrom !== undefined && path) this.resumable = { path, epoch: result.end.resumeFrom };
    // Nothing to resume from (the run finished): its checkpoint goes.
    else if (path) await rm(path, { force: true }).catch(() => undefined);
    this.inspection.runEnded(result.model, graphVersion(run.settings.graph));
    let project: OpenedProject | null = null;
    try {
      const location = { path: TrustedDatasets.isSample(root) ? sampleDatasetPath() : root, classes: [...run.classes] };
      project = this.o.session.adoptTraining(
        result.weights,
        (content) => ({
          ...content,
          ...(result.weights ? { dataset: location } : {}),
          // A resumed run replaces the record of the run it continues: each epoch is in the history once.
          history: [
            ...content.history.filter((h) => !run.resumed || h.startedAt !== result.record.startedAt),
            result.record,
          ].slice(-1000),
        }),
        { graphVersion: graphVersion(run.settings.graph), kept: result.kept },
      );
    } catch {
      // No project to record it in (the window never loaded one): the window still hears how the run ended.
    }
    this.ended = { run, result };
    this.run = null;
    this.o.emit('trainingEnded', { runId: run.id, end: result.end, run: result.record, project });
  }
}
