import { probabilitiesOf, sizeOf } from '../../engine';
import { toMetric } from '../../shared/project';
import type { CellImages, ConfusionView, GalleryPage, GallerySort, ScoredImage } from '../../shared/training';
import { imageOf, pngDataUrl } from './images';
import type { InspectModel } from './model';

/** What the network makes of every validation image. */
export interface Scores {
  /** [N, K] class probabilities. */
  probabilities: Float32Array;
  classes: number;
  predicted: Int32Array;
  /** The predicted class's probability. */
  confidence: Float32Array;
}

/** Scores from probabilities [N, K]: the predicted class (the first of equals) and its probability. */
export function scoresOf(probabilities: Float32Array, classes: number): Scores {
  const n = probabilities.length / classes;
  const predicted = new Int32Array(n);
  const confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (probabilities[i * classes + j] > probabilities[i * classes + best]) best = j;
    predicted[i] = best;
    confidence[i] = probabilities[i * classes + best];
  }
  return { probabilities, classes, predicted, confidence };
}

/** Runs the whole validation split through the model. */
export async function scoreValidation(model: InspectModel): Promise<Scores> {
  const output = await model.predict(model.validation.x);
  return scoresOf(probabilitiesOf(model.graph, output), sizeOf(model.graph.outputShape));
}

/** Confusion matrix, accuracy, cross-entropy loss and per-class accuracy. */
export function confusionOf(scores: Scores, labels: Int32Array, classNames: readonly string[]): ConfusionView {
  const k = scores.classes;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let lossSum = 0;
  for (let i = 0; i < labels.length; i++) {
    matrix[labels[i]][scores.predicted[i]]++;
    if (scores.predicted[i] === labels[i]) correct++;
    // Clamped like any cross-entropy: a probability of exactly 0 would make the loss infinite.
    lossSum -= Math.log(Math.max(scores.probabilities[i * k + labels[i]], 1e-7));
  }
  const n = Math.max(labels.length, 1);
  return {
    classes: [...classNames],
    matrix,
    accuracy: toMetric(correct / n),
    loss: toMetric(lossSum / n),
    perClass: classNames.map((name, c) => {
      const total = matrix[c].reduce((a, b) => a + b, 0);
      return { name, correct: matrix[c][c], total, accuracy: total === 0 ? null : matrix[c][c] / total };
    }),
  };
}

/** Indices of the validation images in cell [actual][predicted], least confident first. */
export function cellIndices(scores: Scores, labels: Int32Array, actual: number, predicted: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] === actual && scores.predicted[i] === predicted) out.push(i);
  return out.sort((a, b) => scores.confidence[a] - scores.confidence[b] || a - b);
}

/** Every validation image's index, in the gallery's order. */
export function galleryOrder(scores: Scores, files: readonly string[], sort: GallerySort): number[] {
  const all = Array.from(files, (_, i) => i);
  if (sort === 'file') return all;
  const sign = sort === 'least-confident' ? 1 : -1;
  return all.sort((a, b) => sign * (scores.confidence[a] - scores.confidence[b]) || a - b);
}

/** The images at `indices` with their scores and pictures. */
export async function scoredImages(
  model: InspectModel,
  scores: Scores,
  indices: readonly number[],
): Promise<ScoredImage[]> {
  const { x, labels, files } = model.validation;
  const k = scores.classes;
  return Promise.all(
    indices.map(async (i) => ({
      index: i,
      file: files[i],
      label: labels[i],
      predicted: scores.predicted[i],
      confidence: scores.confidence[i],
      probabilities: Array.from(scores.probabilities.subarray(i * k, (i + 1) * k)),
      png: await pngDataUrl(imageOf(x, i)),
    })),
  );
}

/** The images of one confusion-matrix cell. */
export async function cellImages(
  model: InspectModel,
  scores: Scores,
  actual: number,
  predicted: number,
  limit: number,
): Promise<CellImages> {
  const k = scores.classes;
  if (actual >= k || predicted >= k) {
    throw new RangeError(`the network has ${k} classes; there is no cell [${actual}][${predicted}]`);
  }
  const all = cellIndices(scores, model.validation.labels, actual, predicted);
  return { actual, predicted, total: all.length, images: await scoredImages(model, scores, all.slice(0, limit)) };
}

/** A page of the gallery. */
export async function galleryPage(
  model: InspectModel,
  scores: Scores,
  sort: GallerySort,
  offset: number,
  limit: number,
): Promise<GalleryPage> {
  const order = galleryOrder(scores, model.validation.files, sort);
  return { total: order.length, items: await scoredImages(model, scores, order.slice(offset, offset + limit)) };
}
