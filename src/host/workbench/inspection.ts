import { probabilitiesOf, sizeOf, type NamedWeights, type Tensor } from '../../engine';
import type { ParsedRequestOf, RequestName } from '../../shared/api';
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
  TrainingState,
} from '../../shared/training';
import { compileForTraining } from './compile';
import { ImageRefs } from './image-refs';
import { imageOf, pngDataUrl } from './images';
import { convolutionStepOf, featureMapsOf, filtersOf, histogramsOf, InspectError } from './inspect';
import { LocalModel, type InspectModel } from './model';
import { cellImages, confusionOf, galleryPage, scoresOf } from './predictions';
import { graphVersion } from './record';
import type { FeatureWatch } from './run';
import type { RunInspection } from './runs';
import { saliencyOf } from './saliency';
import { ScoreCache } from './score-cache';
import type { WindowDatasets } from './window-datasets';

type Req<K extends RequestName> = ParsedRequestOf<K>;

/** Nothing to look inside yet. */
const NO_MODEL =
  'there is no trained network to inspect yet: start training in the Train view, or open a trained project';

/** A network to inspect, with the graphVersion of the network it was built for. */
interface Held {
  model: InspectModel;
  graph: string;
}

/**
 * The network the Inspect view looks inside, and every view of it. During a run it is the run's live network,
 * after a run the run's best one, or the project's saved weights once prepared. The run part says when a run
 * starts and ends (runStarted, runEnded) rather than this part reading the run, and borrows from it what a run
 * streams: the watched node (watch) and the images references name (imageFor).
 */
export class Inspection implements RunInspection {
  /** The network of the run going on: its weights change between two calls. */
  private live: Held | null = null;
  /** The finished network (after a run, or prepared from the project's weights). */
  private finished: Held | null = null;
  /** The node and image whose feature maps stream during a run. */
  private watched: FeatureWatch | null = null;
  private readonly images = new ImageRefs();
  private readonly scores = new ScoreCache();

  constructor(private readonly datasets: Pick<WindowDatasets, 'folderOf' | 'validationSet'>) {}

  // ---- what the run part says ----

  /** A run started: its live network is the one inspected until it ends. */
  runStarted(model: InspectModel, graph: string): void {
    this.live = { model, graph };
    this.scores.clear();
  }

  /** A run ended with this network (null when its pool broke): it is the one inspected now. */
  runEnded(model: InspectModel | null, graph: string): void {
    this.live = null;
    this.finished = model ? { model, graph } : null;
    this.scores.clear();
  }

  /** What the run streams feature maps of, asked at each step: the window may change it during the run. */
  watch(): FeatureWatch | null {
    return this.watched;
  }

  imageFor(ref: ImageRef, model: InspectModel): Promise<Tensor> {
    return this.images.imageFor(ref, model);
  }

  // ---- what the window says ----

  /** TrainingState's part about the network inspected now (none: nothing to inspect). */
  view(): Pick<TrainingState, 'modelGraph' | 'classes'> {
    const held = this.current();
    return { modelGraph: held?.graph ?? null, classes: held ? [...held.model.classes] : null };
  }

  /** Makes the project's saved weights inspectable on its dataset (a trained project opened from a file). */
  async prepare(r: Req<'prepareInspection'>, weights: NamedWeights): Promise<void> {
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
      this.finished = { model: LocalModel.build(compiled, weights, classes, validation), graph: graphVersion(r.graph) };
    } catch (e) {
      throw new Error(`the project's weights do not fit the network on the canvas: ${(e as Error).message}`);
    }
    this.scores.clear();
  }

  /** The project's weights changed under the finished network (weights restored): there is none until prepared. */
  forgetModel(): void {
    this.finished = null;
    this.scores.clear();
  }

  /** Another project: nothing of this one stays, not the dropped image nor the watched node. */
  reset(): void {
    this.forgetModel();
    this.images.clear();
    this.watched = null;
  }

  async confusion(): Promise<ConfusionView> {
    const model = this.require();
    return confusionOf(await this.scores.of(model), model.validation.labels, model.classes);
  }

  async cellImages(r: Req<'cellImages'>): Promise<CellImages> {
    const model = this.require();
    return cellImages(model, await this.scores.of(model), r.actual, r.predicted, r.limit);
  }

  async gallery(r: Req<'gallery'>): Promise<GalleryPage> {
    const model = this.require();
    return galleryPage(model, await this.scores.of(model), r.sort, r.offset, r.limit);
  }

  async predictImage(r: Req<'predictImage'>): Promise<DroppedPrediction> {
    const model = this.require();
    this.images.drop(r.name, Buffer.from(r.data, 'base64'));
    const x = await this.images.imageFor({ kind: 'dropped' }, model);
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
    return featureMapsOf(model, r.nodeId, await this.images.imageFor(r.image, model), r.image);
  }

  watchFeatureMaps(r: Req<'watchFeatureMaps'>): null {
    this.watched = r.nodeId === null ? null : { nodeId: r.nodeId, image: r.image };
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
    return convolutionStepOf(model, r.nodeId, await this.images.imageFor(r.image, model), r);
  }

  async saliency(r: Req<'saliency'>): Promise<Saliency> {
    const model = this.require();
    return saliencyOf(model, await this.images.imageFor(r.image, model), r.image, r.classIndex);
  }

  // ---- inside ----

  /** The live network during a run, else the finished one. */
  private current(): Held | null {
    return this.live ?? this.finished;
  }

  private require(): InspectModel {
    const model = this.current()?.model;
    if (!model) throw new InspectError(NO_MODEL);
    return model;
  }
}
