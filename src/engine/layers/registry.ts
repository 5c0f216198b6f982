import add from './add';
import avgpool2d from './avgpool2d';
import batchnorm from './batchnorm';
import concat from './concat';
import conv2d from './conv2d';
import dense from './dense';
import dropout from './dropout';
import flatten from './flatten';
import globalavgpool from './globalavgpool';
import globalmaxpool from './globalmaxpool';
import input from './input';
import leakyRelu from './leaky_relu';
import maxpool2d from './maxpool2d';
import relu from './relu';
import relu6 from './relu6';
import sigmoid from './sigmoid';
import softmax from './softmax';
import tanh from './tanh';
import type { LayerDef, ParamSpec, ParamValue, Params } from './types';

/**
 * The one list of layer types. The palette, the inspector, shape inference, the trainer and the
 * exporters all read it; adding a layer is adding its file and one line here.
 */
const registry = new Map<string, LayerDef>();

export function registerLayer(def: LayerDef): void {
  if (registry.has(def.type)) throw new Error(`layer type '${def.type}' is registered twice`);
  registry.set(def.type, def);
}

for (const def of [
  input,
  conv2d,
  maxpool2d,
  avgpool2d,
  globalavgpool,
  globalmaxpool,
  flatten,
  dense,
  sigmoid,
  tanh,
  relu,
  relu6,
  leakyRelu,
  softmax,
  dropout,
  batchnorm,
  add,
  concat,
]) {
  registerLayer(def);
}

export function getLayer(type: string): LayerDef | undefined {
  return registry.get(type);
}

export function listLayers(): LayerDef[] {
  return [...registry.values()];
}

/** Why a value does not fit its spec, or null when it does. */
export function checkParam(spec: ParamSpec, v: ParamValue): string | null {
  switch (spec.kind) {
    case 'bool':
      return typeof v === 'boolean' ? null : 'expected true or false';
    case 'choice':
      return typeof v === 'string' && spec.choices.includes(v) ? null : `expected one of ${spec.choices.join(', ')}`;
    case 'padding':
      if (v === 'same') return null;
      return typeof v === 'number' && Number.isInteger(v) && v >= spec.min && v <= spec.max
        ? null
        : `expected 'same' or a whole number from ${spec.min} to ${spec.max}`;
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= spec.min && v <= spec.max
        ? null
        : `expected a whole number from ${spec.min} to ${spec.max}`;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && v >= spec.min && v <= spec.max
        ? null
        : `expected a number from ${spec.min} to ${spec.max}`;
  }
}

/**
 * A node's params with defaults filled in, checked against the layer's specs.
 * Throws with the parameter's name on an unknown key or a bad value.
 */
export function resolveParams(def: LayerDef, raw: Readonly<Record<string, ParamValue>>): Params {
  const out: Record<string, ParamValue> = Object.create(null) as Record<string, ParamValue>;
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(def.params, key)) throw new Error(`unknown parameter '${key}' for ${def.label}`);
  }
  for (const [key, spec] of Object.entries(def.params) as [string, ParamSpec][]) {
    const v = Object.hasOwn(raw, key) ? raw[key] : spec.default;
    const problem = checkParam(spec, v);
    if (problem) throw new Error(`parameter '${spec.label}' is ${JSON.stringify(v)}: ${problem}`);
    out[key] = v;
  }
  return out;
}
