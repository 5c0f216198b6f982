import { checkParam, type LayerDef, type ParamSpec } from '../../../engine';
import type { ParamValue } from '../../../shared/graph';

/** One inspector field, generated from a layer's parameter spec and the node's current value. */
export interface Field {
  /** The parameter's key in the node's params. */
  key: string;
  spec: ParamSpec;
  value: ParamValue;
  /** The step of a number field: 1 for whole numbers, 'any' for real numbers. */
  step: number | 'any';
}

/** The fields of a node's inspector, in the order the layer declares its parameters. */
export function fieldsFor(def: LayerDef, params: Readonly<Record<string, ParamValue>>): Field[] {
  return Object.entries(def.params as Record<string, ParamSpec>).map(([key, spec]) => ({
    key,
    spec,
    value: Object.hasOwn(params, key) ? params[key] : spec.default,
    step: spec.kind === 'number' ? 'any' : 1,
  }));
}

export type Parsed = { ok: true; value: ParamValue } | { ok: false; error: string };

/**
 * Reads what was typed (or ticked, or chosen) into a value the spec accepts, or says what is wrong with it,
 * in the engine's own words (checkParam), so that the inspector and the engine never disagree.
 */
export function parseField(spec: ParamSpec, raw: string | boolean): Parsed {
  let value: ParamValue;
  if (spec.kind === 'bool') {
    value = raw === true || raw === 'true';
  } else if (spec.kind === 'choice') {
    value = String(raw);
  } else {
    const text = String(raw).trim();
    if (spec.kind === 'padding' && text.toLowerCase() === 'same') value = 'same';
    else value = text === '' ? NaN : Number(text);
  }
  const problem = checkParam(spec, value);
  return problem ? { ok: false, error: problem } : { ok: true, value };
}
