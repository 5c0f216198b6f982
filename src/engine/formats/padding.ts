import { outputSize } from '../layers/geometry';

/**
 * A window's padding as explicit [top, left, bottom, right], for formats that cannot say 'same'
 * (ONNX pads, PyTorch ZeroPad2d). The engine pads P on every side, rounding down as every framework does, so a
 * number is P everywhere; 'same' is the TensorFlow way (output ceil(H/S), the odd pixel at the bottom/right),
 * whose end padding is whatever makes floor((H + begin + end − K)/S) + 1 equal the engine's output size.
 */
export function explicitPads(
  inShape: readonly number[],
  kernelH: number,
  kernelW: number,
  stride: number,
  padding: number | 'same',
): [top: number, left: number, bottom: number, right: number] {
  if (padding !== 'same') return [padding, padding, padding, padding];
  const [, h, w] = inShape;
  const y = outputSize('height', h, kernelH, stride, padding);
  const x = outputSize('width', w, kernelW, stride, padding);
  const bottom = Math.max((y.out - 1) * stride + kernelH - h - y.padBefore, 0);
  const right = Math.max((x.out - 1) * stride + kernelW - w - x.padBefore, 0);
  return [y.padBefore, x.padBefore, bottom, right];
}
