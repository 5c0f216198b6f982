import { probabilitiesOf, sizeOf, tensor, type Tensor } from '../../engine';
import type { ImageRef, Saliency } from '../../shared/training';
import { imageOf, pngDataUrl } from './images';
import { InspectError } from './inspect';
import type { InspectModel } from './model';

/** How strongly the heat map covers the image where it is hottest. */
const OVERLAY_OPACITY = 0.65;

/**
 * Gradient saliency: how much each pixel moves the score of one class. The score is the value before Softmax (the
 * class's logit), whose gradient is not flattened where the network is already sure. Backward from a one-hot
 * gradient there gives d score / d input; a pixel's saliency is its largest |gradient| over the channels, scaled
 * so that the strongest pixel is 1.
 */
export function gradientSaliency(
  net: Awaited<ReturnType<InspectModel['network']>>,
  x: Tensor,
  classIndex: number,
): Float32Array {
  const trace = net.forward(x);
  const out = net.node(net.graph.outputId);
  const from = out.def.type === 'softmax' ? out.inputs[0] : out.id;
  const scores = trace.outputs.get(from)!;
  const grad = tensor(scores.shape);
  grad.data[classIndex] = 1;
  const dx = net.backward(trace, grad, from)!;
  // Backward also adds into the weights' gradient buffers; leave them clean for whoever runs backward next.
  net.zeroGrads();
  const [c, h, w] = x.shape.slice(1);
  const plane = h * w;
  const heat = new Float32Array(plane);
  let max = 0;
  for (let p = 0; p < plane; p++) {
    let v = 0;
    for (let ch = 0; ch < c; ch++) v = Math.max(v, Math.abs(dx.data[ch * plane + p]));
    heat[p] = v;
    max = Math.max(max, v);
  }
  if (max > 0) for (let p = 0; p < plane; p++) heat[p] /= max;
  return heat;
}

/** "Hot" colours: black → red → yellow → white as the heat goes from 0 to 1. */
function hot(h: number): [number, number, number] {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return [clamp(3 * h), clamp(3 * h - 1), clamp(3 * h - 2)];
}

/** The image in gray with the heat map laid over it in hot colours, as [3, H, W]. */
export function overlay(image: Tensor, heat: Float32Array): Tensor {
  const [c, h, w] = image.shape;
  const plane = h * w;
  const out = tensor([3, h, w]);
  for (let p = 0; p < plane; p++) {
    let gray = 0;
    for (let ch = 0; ch < c; ch++) gray += image.data[ch * plane + p];
    gray /= c;
    const colour = hot(heat[p]);
    const a = OVERLAY_OPACITY * heat[p];
    for (let ch = 0; ch < 3; ch++) out.data[ch * plane + p] = gray * (1 - a) + colour[ch] * a;
  }
  return out;
}

/** Saliency of one image (a batch of one) for a class, by default the one the network predicts. */
export async function saliencyOf(
  model: InspectModel,
  x: Tensor,
  image: ImageRef,
  classIndex?: number,
): Promise<Saliency> {
  const net = await model.network();
  const k = sizeOf(model.graph.outputShape);
  const probabilities = probabilitiesOf(model.graph, net.predict(x));
  let cls = classIndex ?? 0;
  if (classIndex === undefined) for (let j = 1; j < k; j++) if (probabilities[j] > probabilities[cls]) cls = j;
  if (cls >= k)
    throw new InspectError(`the network has ${k} classes, numbered 0 to ${k - 1}; there is no class ${cls}`);
  const heat = gradientSaliency(net, x, cls);
  const picture = imageOf(x, 0);
  const [, h, w] = picture.shape;
  return {
    image,
    classIndex: cls,
    className: model.classes[cls] ?? `class ${cls}`,
    probabilities: Array.from(probabilities),
    png: await pngDataUrl(picture),
    heatPng: await pngDataUrl(tensor([1, h, w], heat)),
    overlayPng: await pngDataUrl(overlay(picture, heat)),
  };
}
