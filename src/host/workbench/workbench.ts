import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { probabilitiesOf, sizeOf, type Tensor } from '../../engine';
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
  ImageRef,
  Saliency,
  TrainingEnd,
  TrainingState,
} from '../../shared/training';
import { sampleDatasetPath } from '../datasets';
import { readCheckpoint } from '../session';
import { inputSpecOf } from '../inference/model';
import type { Dialogs } from '../project/dialogs';
import type { ProjectSession } from '../project/session';
import type { Emit } from '../server/dispatch';
import { compileForTraining } from './compile';
import { exportFormats, exportProject } from './export';
import { batchOfOne, decodeDropped, pngDataUrl, imageOf } from './images';
import { convolutionStepOf, featureMapsOf, filtersOf, histogramsOf, InspectError } from './inspect';
import { LocalModel, type InspectModel } from './model';
import { cellImages, confusionOf, galleryPage, scoresOf, scoreValidation, type Scores } from './predictions';
import { graphVersion } from './record';
import { Run, type FeatureWatch, type ResumeFrom, type RunResult, type RunSettings } from './run';
import { saliencyOf } from './saliency';
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

/** Nothing to look inside yet. */
const NO_MODEL =
  'there is no trained network to inspect yet: start training in the Train view, or open a trained project';

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
  /** The finished network to inspect (after a run, or prepared from the project's weights). */
  private model: InspectModel | null = null;
  /** graphVersion of the network `model` was built for. */
  private modelGraph: string | null = null;
  private dropped: { name: string; bytes: Uint8Array; for: InspectModel | null; x: Tensor | null } | null = null;
  private watch: FeatureWatch | null = null;
  private scores: { model: InspectModel; step: number | null; scores: Scores } | null = null;
  private closed = false;

  constructor(private readonly o: WorkbenchOptions) {
    this.datasets = new WindowDatasets(o.session, o.checkPath, o.root);
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
    this.model = null;
    this.modelGraph = null;
    this.scores = null;
    this.dropped = null;
    this.watch = null;
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
      watch: () => this.watch,
      imageFor: (ref, model) => this.imageFor(ref, model),
    });
    this.pendingStart = opening.catch(() => undefined);
    try {
      const run = await opening;
      this.run = run;
      this.scores = null;
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
    const inspectable = this.current();
    return {
      phase: this.starting ? 'starting' : this.run ? this.run.phase : 'idle',
      runId: run?.id ?? null,
      hyper: run ? run.hyper : null,
      modelGraph: this.run ? graphVersion(this.run.settings.graph) : inspectable ? this.modelGraph : null,
      status: run?.status ?? null,
      points: run ? [...run.points] : [],
      epochs: run ? [...run.epochs] : [],
      end: this.run || !ended ? null : this.endWithCheckpoint(ended),
      classes: inspectable ? [...inspectable.classes] : null,
    };
  }

  /** Makes the project's saved weights inspectable on its dataset (a trained project opened from a file). */
  async prepareInspection(r: Req<'prepareInspection'>): Promise<TrainingState> {
    if (this.run) return this.state();
    const weights = this.o.session.currentWeights;
    if (Object.keys(weights).length === 0) throw new Error('the project has no trained weights yet; train it first');
    const compiled = compileForTraining(r.graph);
    const root = this.datasets.folderOf(r.dataset);
    const { classes, validation } = await this.datasets.validationSet(
      compiled,
      root,
      r.data.validationFraction,
      r.data.resize,
    );
    try {
      this.model = LocalModel.build(compiled, weights, classes, validation);
      this.modelGraph = graphVersion(r.graph);
    } catch (e) {
      throw new Error(`the project's weights do not fit the network on the canvas: ${(e as Error).message}`);
    }
    this.scores = null;
    return this.state();
  }

  /**
   * A weight set kept for an earlier run becomes the project's current weights; the window inspects them again
   * (prepareInspection). Refused during a run, which holds the network.
   */
  restoreWeights(r: Req<'restoreWeights'>): OpenedProject {
    if (this.starting || this.run) throw new Error('stop the run in progress before restoring other weights');
    const opened = this.o.session.restoreKept(r.run, r.kind);
    this.model = null;
    this.modelGraph = null;
    this.scores = null;
    return opened;
  }

  // ---- Inspect ----

  async confusion(): Promise<ConfusionView> {
    const model = this.require();
    return confusionOf(await this.scoresOf(model), model.validation.labels, model.classes);
  }

  async cellImages(r: Req<'cellImages'>): Promise<CellImages> {
    const model = this.require();
    return cellImages(model, await this.scoresOf(model), r.actual, r.predicted, r.limit);
  }

  async gallery(r: Req<'gallery'>): Promise<GalleryPage> {
    const model = this.require();
    return galleryPage(model, await this.scoresOf(model), r.sort, r.offset, r.limit);
  }

  async predictImage(r: Req<'predictImage'>): Promise<DroppedPrediction> {
    const model = this.require();
    this.dropped = { name: r.name, bytes: Buffer.from(r.data, 'base64'), for: null, x: null };
    const x = await this.imageFor({ kind: 'dropped' }, model);
    const scores = scoresOf(probabilitiesOf(model.graph, await model.predict(x)), sizeOf(model.graph.outputShape));
    return {
      png: await pngDataUrl(imageOf(x, 0)),
      classes: [...model.classes],
      probabilities: Array.from(scores.probabilities),
      predicted: scores.predicted[0],
    };
  }

  async featureMaps(r: Req<'featureMaps'>): Promise<FeatureMaps> {
    const model = this.require();
    return featureMapsOf(model, r.nodeId, await this.imageFor(r.image, model), r.image);
  }

  watchFeatureMaps(r: Req<'watchFeatureMaps'>): null {
    this.watch = r.nodeId === null ? null : { nodeId: r.nodeId, image: r.image };
    return null;
  }

  filters(nodeId: string): Promise<FilterView> {
    return filtersOf(this.require(), nodeId);
  }

  histograms(nodeId: string): Promise<HistogramsView> {
    return histogramsOf(this.require(), nodeId);
  }

  async convolutionStep(r: Req<'convolutionStep'>): Promise<ConvolutionStep> {
    const model = this.require();
    return convolutionStepOf(model, r.nodeId, await this.imageFor(r.image, model), r);
  }

  async saliency(r: Req<'saliency'>): Promise<Saliency> {
    const model = this.require();
    return saliencyOf(model, await this.imageFor(r.image, model), r.image, r.classIndex);
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

  private current(): InspectModel | null {
    return this.run?.model ?? this.model;
  }

  private require(): InspectModel {
    const model = this.current();
    if (!model) throw new InspectError(NO_MODEL);
    return model;
  }

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
    this.model = result.model;
    this.modelGraph = graphVersion(run.settings.graph);
    this.scores = null;
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

  /** Scores of the validation images, reused while the weights have not changed. */
  private async scoresOf(model: InspectModel): Promise<Scores> {
    const step = model.step();
    if (this.scores?.model === model && this.scores.step === step) return this.scores.scores;
    const scores = await scoreValidation(model);
    this.scores = { model, step, scores };
    return scores;
  }

  /** The batch of one an image reference names: a validation image, or the dropped one decoded for this network. */
  private async imageFor(ref: ImageRef, model: InspectModel): Promise<Tensor> {
    if (ref.kind === 'validation') {
      const n = model.validation.labels.length;
      if (ref.index >= n) throw new InspectError(`there are ${n} validation images; image ${ref.index} is not one`);
      return batchOfOne(model.validation.x, ref.index);
    }
    const dropped = this.dropped;
    if (!dropped) throw new InspectError('no image has been dropped on the prediction view yet');
    if (dropped.for !== model || !dropped.x) {
      const input = inputSpecOf(model.graph);
      dropped.x = await decodeDropped(dropped.bytes, dropped.name, input, model.graph.inputShape);
      dropped.for = model;
    }
    return dropped.x;
  }
}
