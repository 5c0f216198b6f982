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
  TrainingState,
} from '../../shared/training';
import type { Dialogs } from '../project/dialogs';
import type { ProjectSession } from '../project/session';
import type { Emit } from '../server/dispatch';
import { exportFormats, exportProject } from './export';
import { Inspection } from './inspection';
import { Runs } from './runs';
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
  /** The training worker's entry, when not where the pool looks for it (a benchmark runs the app's build). */
  workerScript?: URL;
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

/**
 * One window's training, datasets, inspection and export, beside its ProjectSession: the Api handlers of the
 * Data, Train and Inspect views call it. It only wires four parts with one job each, which talk through narrow
 * interfaces: WindowDatasets (the dataset folders this window may read), Runs (at most one training run at a time,
 * its checkpoint, and its result joining the project so that Save writes it), Inspection (the network to look
 * inside: the live one during a run, the best one after, or the project's saved weights) and export.ts.
 */
export class Workbench {
  private readonly datasets: WindowDatasets;
  private readonly inspection: Inspection;
  private readonly runs: Runs;

  constructor(private readonly o: WorkbenchOptions) {
    this.datasets = new WindowDatasets(o.session, o.checkPath, o.root);
    this.inspection = new Inspection(this.datasets);
    this.runs = new Runs(o, this.datasets, this.inspection);
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
    // A run still opening is waited for, then stopped: its result is recorded in the project being replaced.
    await this.runs.stopAndWait();
    // The run belonged to the project being replaced: it is not continued into the next one.
    await this.runs.forgetCheckpoint();
    this.inspection.reset();
    // The last run was the other project's: its charts are not shown with this one.
    this.runs.forgetEnded();
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
    await this.runs.start(r);
    return this.state();
  }

  /**
   * Continues the last run from the checkpoint it left behind (a stop, a failure, a divergence), with its dataset and
   * settings; its epochs so far stay, and the epochs still to go are trained. Refused when the network has changed.
   */
  async resumeFromCheckpoint(r: Req<'resumeFromCheckpoint'>): Promise<TrainingState> {
    await this.runs.resumeFromCheckpoint(r);
    return this.state();
  }

  /** Answers once the run is held between two steps: the state it returns then has every step taken. */
  async pause(): Promise<TrainingState> {
    await this.runs.pause();
    return this.state();
  }

  resume(): TrainingState {
    this.runs.resume();
    return this.state();
  }

  stop(): TrainingState {
    this.runs.stop();
    return this.state();
  }

  /** The run's part of the state, and the inspected network's (whose graph and classes the views check against). */
  state(): TrainingState {
    const { phase, runId, hyper, status, points, epochs, end } = this.runs.view();
    const { modelGraph, classes } = this.inspection.view();
    return { phase, runId, hyper, modelGraph, status, points, epochs, end, classes };
  }

  /** Makes the project's saved weights inspectable on its dataset (a trained project opened from a file). */
  async prepareInspection(r: Req<'prepareInspection'>): Promise<TrainingState> {
    // During a run the live network is inspected: the saved weights are not the project's current ones for long.
    if (this.runs.running) return this.state();
    await this.inspection.prepare(r, this.o.session.currentWeights);
    return this.state();
  }

  /**
   * A weight set kept for an earlier run becomes the project's current weights; the window inspects them again
   * (prepareInspection). Refused during a run, which holds the network.
   */
  restoreWeights(r: Req<'restoreWeights'>): OpenedProject {
    if (this.runs.busy) throw new Error('stop the run in progress before restoring other weights');
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
  close(): Promise<void> {
    return this.runs.close();
  }
}
