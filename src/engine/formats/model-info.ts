import { sizeOf } from '../tensor';
import type { CompiledGraph } from '../graph';

/**
 * What a user of an exported file must know besides the weights, carried in every format's metadata under the same
 * plain keys (ONNX metadata_props, TF.js userDefinedMetadata, safetensors __metadata__; model.py writes CLASSES and
 * preprocess()): the class names in output order, and the input convention. Convas's input is the image resized to
 * the input layer's height and width, grayscale (1 channel) or RGB (3), each pixel divided by 255 (range [0, 1]),
 * channels first (NCHW) except in TF.js (NHWC), flattened for a vector input.
 */
export const INFO_KEYS = {
  classes: 'classes',
  inputShape: 'input_shape',
  inputLayout: 'input_layout',
  inputRange: 'input_range',
  inputScaling: 'input_scaling',
} as const;

export const INPUT_SCALING = 'pixel / 255: 8-bit values 0..255 become 0..1; 1 channel is grayscale, 3 are RGB';

/** The metadata entries of an export, for a format whose input layout is `layout`. */
export function modelInfoEntries(
  compiled: CompiledGraph,
  classes: readonly string[] | undefined,
  layout: 'NCHW' | 'NHWC',
): Record<string, string> {
  const shape = compiled.inputShape;
  const perExample = layout === 'NHWC' && shape.length === 3 ? [shape[1], shape[2], shape[0]] : [...shape];
  return {
    ...(classes ? { [INFO_KEYS.classes]: JSON.stringify(classes) } : {}),
    [INFO_KEYS.inputShape]: JSON.stringify(['batch', ...perExample]),
    [INFO_KEYS.inputLayout]: shape.length === 3 ? layout : 'flat',
    [INFO_KEYS.inputRange]: '[0, 1]',
    [INFO_KEYS.inputScaling]: INPUT_SCALING,
  };
}

/** Throws unless `classes` names every output of the network once, in order (a label per output unit). */
export function checkClasses(compiled: CompiledGraph, classes: readonly string[]): void {
  const outputs = sizeOf(compiled.outputShape);
  if (classes.length !== outputs)
    throw new Error(`${classes.length} class names for a network with ${outputs} outputs; give one name per output`);
}

/**
 * The class names a file's metadata carries (a JSON list of strings, as Convas and docs/formats.md write it, or a
 * comma-separated list), if they fit a network of `outputs` outputs; otherwise null, with a warning saying why.
 */
export function classesFromMetadata(
  metadata: Readonly<Record<string, string>>,
  outputs: number,
  warnings: string[],
): string[] | null {
  const text = metadata[INFO_KEYS.classes];
  if (text === undefined) return null;
  let names: unknown;
  try {
    names = text.trim().startsWith('[') ? JSON.parse(text) : text.split(',').map((s) => s.trim());
  } catch {
    warnings.push(`ignored the class names in the file's metadata: they are not a JSON list`);
    return null;
  }
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && n.length <= 255)) {
    warnings.push(`ignored the class names in the file's metadata: expected a list of names`);
    return null;
  }
  if (names.length !== outputs) {
    warnings.push(`ignored the ${names.length} class names in the file's metadata: the network has ${outputs} outputs`);
    return null;
  }
  return names as string[];
}
