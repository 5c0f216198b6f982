import { sizeOf, type CompiledGraph } from '../../engine';
import type { OpenedProject, ParsedRequestOf, TrainingPlan } from '../../shared/api';
import { openScanned, type DatasetBatch } from '../datasets';
import { inputSpecOf } from '../inference/model';
import { FolderData, openFolder, type TrainingData } from '../session';
import type { ProjectSession } from '../project/session';
import { augmentPreview, DatasetCache, reportView, thumbnails } from './dataset-view';
import { TrustedDatasets } from './trusted';

/**
 * The datasets one window may read: the folders the host handed it (TrustedDatasets) and the scans of those it
 * looked at lately (DatasetCache). A dataset the window names is read only through folderOf, here or in the run
 * and inspection parts, so that a path from the window is never used as such.
 */
export class WindowDatasets {
  private readonly trusted: TrustedDatasets;
  private readonly cache: DatasetCache;

  constructor(
    private readonly picker: Pick<ProjectSession, 'pickFolder'>,
    checkPath: ((path: string) => Promise<void>) | undefined,
    /** The browser mode's root folder (WorkbenchOptions.root): images linked from outside it are skipped. */
    root: string | undefined,
  ) {
    this.trusted = new TrustedDatasets(checkPath);
    this.cache = new DatasetCache(2, root);
  }

  /** The folder dialog: the chosen folder becomes one this window may read. */
  async pickFolder(title: string): Promise<{ path: string } | null> {
    const picked = await this.picker.pickFolder(title);
    if (picked) {
      await this.trusted.add(picked.path);
      this.cache.forget(picked.path);
    }
    return picked;
  }

  /** A project the session opened from a file: its dataset folder may be read. */
  async opened<P extends OpenedProject | null>(project: P): Promise<P> {
    const path = project?.project.dataset?.path;
    if (path) await this.trusted.add(path);
    return project;
  }

  /** The folder to read for the window's choice (null: the built-in sample); throws for one never handed out. */
  folderOf(choice: string | null): string {
    return this.trusted.folderOf(choice);
  }

  async report(r: ParsedRequestOf<'datasetReport'>) {
    const root = this.trusted.folderOf(r.dataset);
    const { report } = await this.cache.inspect(root, r.validationFraction);
    return reportView(report, TrustedDatasets.isSample(root));
  }

  async thumbnails(r: ParsedRequestOf<'datasetThumbnails'>) {
    const { index } = await this.cache.inspect(this.trusted.folderOf(r.dataset), 0.2);
    return thumbnails(index, r.perClass);
  }

  async augmentPreview(r: ParsedRequestOf<'augmentPreview'>) {
    const { index } = await this.cache.inspect(this.trusted.folderOf(r.dataset), 0.2);
    return augmentPreview(index, r.augment, r.seed);
  }

  /**
   * A run's images (root from folderOf): the folder's scan from the Data view when it has one (else scanned now,
   * once, `onScan` hearing of each file), decoded through the cache the last run on this folder and input size
   * filled, so that a second run decodes nothing.
   */
  async openForTraining(
    plan: TrainingPlan,
    compiled: CompiledGraph,
    root: string,
    onScan: (done: number, total: number) => void,
  ): Promise<TrainingData> {
    const scanned = await this.cache.scan(root, onScan);
    const cache = this.cache.pixels(root, inputSpecOf(compiled, plan.data.resize));
    return openFolder(plan, compiled, { root, scanned, cache });
  }

  /** The validation split of a folder (from folderOf) as the network's input, for inspecting saved weights. */
  async validationSet(
    compiled: CompiledGraph,
    root: string,
    validationFraction: number,
    resize: 'stretch' | 'fit' | 'crop',
  ): Promise<{ classes: readonly string[]; validation: DatasetBatch }> {
    const index = openScanned(await this.cache.scan(root), { validationFraction, seed: 1 });
    const outputs = sizeOf(compiled.outputShape);
    if (outputs !== index.classes.length) {
      throw new Error(`the network gives ${outputs} values, but ${root} has ${index.classes.length} classes`);
    }
    // The run's own path to its validation images (decoded through the same cache, shaped as the network's input).
    const input = inputSpecOf(compiled, resize);
    const data = new FolderData(index, compiled, input, { cache: this.cache.pixels(root, input) });
    return { classes: index.classes, validation: await data.validation() };
  }
}
