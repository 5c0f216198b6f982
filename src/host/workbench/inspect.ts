import { outputSize, sizeOf, tensor, type CompiledNode, type Tensor } from '../../engine';
import { tileChannels } from '../../engine/inspect';
import type {
  ConvolutionStep,
  FeatureMaps,
  FilterView,
  Histogram,
  HistogramsView,
  ImageRef,
} from '../../shared/training';
import { pngDataUrl } from './images';
import type { InspectModel } from './model';

/** A request about a node the network cannot answer (no such node, no filters there, a position outside). */
export class InspectError extends Error {
  override name = 'InspectError';
}

/** Bins of every histogram. */
export const HISTOGRAM_BINS = 40;
/** Validation images whose activations the histogram counts. */
export const HISTOGRAM_IMAGES = 32;
/** A filter picture shows at most this many filters and input channels. */
const MAX_FILTER_ROWS = 64;
const MAX_FILTER_COLUMNS = 32;
/** The convolution step lists at most this many input channels' windows (the sum always covers all of them). */
const MAX_STEP_CHANNELS = 16;

const describe = (n: CompiledNode) =>
  n.name !== n.id ? `'${n.name}' (${n.def.label}, ${n.id})` : `'${n.id}' (${n.def.label})`;

export function nodeOf(model: InspectModel, nodeId: string): CompiledNode {
  const node = model.graph.byId.get(nodeId);
  if (!node)
    throw new InspectError(`the trained network has no node '${nodeId}'; train again after changing the graph`);
  return node;
}

/** Tiles for one image's output of a node: one per channel, or one pixel per value of a vector output. */
export async function featureMapsOf(
  model: InspectModel,
  nodeId: string,
  x: Tensor,
  image: ImageRef,
): Promise<FeatureMaps> {
  const node = nodeOf(model, nodeId);
  const out = await model.activations(x, nodeId);
  const shape = [...node.outShape];
  // A vector ([F]) is shown as a square of single pixels: F channels of 1×1, without gaps.
  const maps = shape.length === 3 ? tensor(shape, out.data) : tensor([sizeOf(shape), 1, 1], out.data);
  const [c, h, w] = maps.shape;
  const gap = shape.length === 3 ? 1 : 0;
  const columns = Math.ceil(Math.sqrt(c));
  const tiled = tileChannels(maps, { columns, gap });
  return {
    nodeId,
    image,
    shape,
    png: await pngDataUrl(tiled.image),
    min: tiled.min,
    max: tiled.max,
    columns,
    rows: Math.ceil(c / columns),
    tileWidth: w,
    tileHeight: h,
    gap,
    step: model.step(),
  };
}

/** The 4-D kernel [F, C, KH, KW] of a convolution node, or an InspectError saying why there is none. */
async function kernelOf(model: InspectModel, node: CompiledNode): Promise<{ kernel: Tensor; bias: Tensor | null }> {
  const w = await model.weights();
  const kernel = w[`${node.id}.kernel`];
  if (node.def.category !== 'convolution' || !kernel || kernel.shape.length !== 4) {
    throw new InspectError(`${describe(node)} has no filters to show; filters belong to convolution layers`);
  }
  return { kernel, bias: w[`${node.id}.bias`] ?? null };
}

/**
 * A convolution's filters as pictures, one colour scale for all: a filter over one input channel is one tile, laid
 * out in a square; over several channels, one row per filter and one tile per input channel.
 */
export async function filtersOf(model: InspectModel, nodeId: string): Promise<FilterView> {
  const node = nodeOf(model, nodeId);
  const { kernel } = await kernelOf(model, node);
  const [f, c, kh, kw] = kernel.shape;
  const plane = kh * kw;
  let tiles: Tensor;
  let columns: number;
  if (c === 1) {
    columns = Math.ceil(Math.sqrt(f));
    tiles = tensor([f, kh, kw], kernel.data);
  } else {
    const rows = Math.min(f, MAX_FILTER_ROWS);
    columns = Math.min(c, MAX_FILTER_COLUMNS);
    tiles = tensor([rows * columns, kh, kw]);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < columns; k++) {
        const from = (r * c + k) * plane;
        tiles.data.set(kernel.data.subarray(from, from + plane), (r * columns + k) * plane);
      }
    }
  }
  const tiled = tileChannels(tiles, { columns, gap: 1 });
  return {
    nodeId,
    shape: [f, c, kh, kw],
    png: await pngDataUrl(tiled.image),
    min: tiled.min,
    max: tiled.max,
    columns,
    rows: Math.ceil(tiles.shape[0] / columns),
    tileWidth: kw,
    tileHeight: kh,
    gap: 1,
  };
}

/** Counts of `values` in HISTOGRAM_BINS equal bins between their min and max. */
export function histogramOf(values: ArrayLike<number>): Histogram {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
    sum += values[i];
  }
  if (values.length === 0) return { min: 0, max: 0, mean: 0, counts: new Array(HISTOGRAM_BINS).fill(0), total: 0 };
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  const span = max - min;
  for (let i = 0; i < values.length; i++) {
    // The maximum belongs in the last bin; with no spread everything is in the first.
    const bin = span > 0 ? Math.min(HISTOGRAM_BINS - 1, Math.floor(((values[i] - min) / span) * HISTOGRAM_BINS)) : 0;
    counts[bin]++;
  }
  return { min, max, mean: sum / values.length, counts, total: values.length };
}

/** Histograms of a node's weights and of its outputs over the first validation images. */
export async function histogramsOf(model: InspectModel, nodeId: string): Promise<HistogramsView> {
  const node = nodeOf(model, nodeId);
  const w = await model.weights();
  const weights = node.weightSpecs.map((spec) => ({
    name: spec.name,
    histogram: histogramOf(w[`${node.id}.${spec.name}`].data),
  }));
  const { x } = model.validation;
  const n = Math.min(HISTOGRAM_IMAGES, x.shape[0]);
  const batch = tensor([n, ...x.shape.slice(1)], x.data.subarray(0, n * sizeOf(x.shape.slice(1))));
  const activations = histogramOf((await model.activations(batch, nodeId)).data);
  return { nodeId, weights, activations, images: n };
}

/**
 * One output value of a convolution, worked out the way the source text draws it: the window of the input under
 * filter `filter` at output position (y, x), the products with the filter's weights, their sum over every input
 * channel, the bias, and the result, beside the value the network computed there.
 */
export async function convolutionStepOf(
  model: InspectModel,
  nodeId: string,
  x: Tensor,
  at: { filter: number; y: number; x: number },
): Promise<ConvolutionStep> {
  const node = nodeOf(model, nodeId);
  const { kernel, bias } = await kernelOf(model, node);
  const [f, c, kh, kw] = kernel.shape;
  const [inC, inH, inW] = node.inShapes[0];
  const [, oh, ow] = node.outShape;
  if (at.filter >= f) throw new InspectError(`${describe(node)} has ${f} filters, numbered 0 to ${f - 1}`);
  if (at.y >= oh || at.x >= ow) {
    throw new InspectError(`${describe(node)} outputs ${oh}×${ow}; row ${at.y}, column ${at.x} is outside it`);
  }
  const p = node.params as { stride: number; padding: number | 'same'; groups?: number };
  // A grouped convolution's filter sees only its group's channels, starting at `base`.
  const base = Math.floor(at.filter / (f / (p.groups ?? 1))) * c;
  const padTop = outputSize('height', inH, kh, p.stride, p.padding).padBefore;
  const padLeft = outputSize('width', inW, kw, p.stride, p.padding).padBefore;
  const [input, output] = await Promise.all([model.activations(x, node.inputs[0]), model.activations(x, nodeId)]);
  const shown = Math.min(c, MAX_STEP_CHANNELS);
  const window: number[] = [];
  const weights: number[] = [];
  const products: number[] = [];
  let sum = 0;
  // The window's top-left input pixel is (y·S − padTop, x·S − padLeft); pixels outside the input are padding, 0.
  const top = at.y * p.stride - padTop;
  const left = at.x * p.stride - padLeft;
  for (let ch = 0; ch < c; ch++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const iy = top + ky;
        const ix = left + kx;
        const v = iy >= 0 && iy < inH && ix >= 0 && ix < inW ? input.data[((base + ch) * inH + iy) * inW + ix] : 0;
        const k = kernel.data[((at.filter * c + ch) * kh + ky) * kw + kx];
        sum += v * k;
        if (ch < shown) {
          window.push(v);
          weights.push(k);
          products.push(v * k);
        }
      }
    }
  }
  const b = bias ? bias.data[at.filter] : 0;
  const firstChannel = tensor([1, inH, inW], input.data.subarray(base * inH * inW, (base + 1) * inH * inW));
  const outMap = tensor([1, oh, ow], output.data.subarray(at.filter * oh * ow, (at.filter + 1) * oh * ow));
  return {
    nodeId,
    filter: at.filter,
    y: at.y,
    x: at.x,
    kernelH: kh,
    kernelW: kw,
    stride: p.stride,
    padTop,
    padLeft,
    inputShape: [inC, inH, inW],
    outputShape: [f, oh, ow],
    channelsShown: shown,
    window,
    kernel: weights,
    products,
    sum,
    bias: b,
    output: sum + b,
    networkOutput: output.data[(at.filter * oh + at.y) * ow + at.x],
    inputPng: await pngDataUrl(normalised(firstChannel)),
    outputPng: await pngDataUrl(normalised(outMap)),
  };
}

/** A copy of a [1, H, W] picture stretched to [0, 1] (min → 0, max → 1), for showing values of any range. */
export function normalised(t: Tensor): Tensor {
  let min = Infinity;
  let max = -Infinity;
  for (const v of t.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const span = max > min ? max - min : 1;
  return tensor(
    t.shape,
    Float32Array.from(t.data, (v) => (v - min) / span),
  );
}
