import { getLayer, type ParamSpec } from '../../engine';
import type { GraphNode, ParamValue } from '../../shared/graph';

type P = Readonly<Record<string, ParamValue>>;

/**
 * How a node's key parameters read on the canvas: '16@5×5 s1 p2', '2×2 s2 p0', '120 units'.
 * The rules follow parameter names, not layer types, so a new layer with `units` or `stride` reads the same
 * without a change here. Parameters no rule covers show only when they differ from their default.
 * (A `summary(params)` on each layer definition would be the cleaner home; see the report.)
 */
const RULES: { needs: readonly string[]; also?: readonly string[]; text: (p: P) => string }[] = [
  {
    needs: ['channels', 'height', 'width'],
    also: ['vector'],
    // The shape line already says C×H×W; this says what it means.
    text: (p) =>
      `${p.channels === 1 ? 'grayscale' : p.channels === 3 ? 'RGB' : `${p.channels} channels`} ${p.height}×${p.width}` +
      (p.vector ? ', flat' : ''),
  },
  { needs: ['filters', 'kernelH', 'kernelW'], text: (p) => `${p.filters}@${p.kernelH}×${p.kernelW}` },
  { needs: ['size'], text: (p) => `${p.size}×${p.size}` },
  { needs: ['stride'], text: (p) => `s${p.stride}` },
  { needs: ['padding'], text: (p) => (p.padding === 'same' ? 'same' : `p${p.padding}`) },
  { needs: ['units'], text: (p) => `${p.units} units` },
  { needs: ['rate'], text: (p) => `rate ${p.rate}` },
  { needs: ['slope'], text: (p) => `a=${p.slope}` },
];

/** Shown only when changed: the choices that rarely matter for the picture (initialisation, bias). */
function changedOther(spec: ParamSpec, value: ParamValue): string | null {
  if (value === spec.default) return null;
  if (spec.kind === 'bool') return value ? spec.label : `no ${spec.label}`;
  return `${spec.label} ${value}`;
}

/** The node's key parameters on one line; '' for layers without parameters. */
export function nodeSummary(node: GraphNode): string {
  const def = getLayer(node.type);
  if (!def) return '';
  const specs = def.params as Record<string, ParamSpec>;
  const params: Record<string, ParamValue> = {};
  for (const [k, spec] of Object.entries(specs))
    params[k] = Object.hasOwn(node.params, k) ? node.params[k] : spec.default;

  const parts: string[] = [];
  const covered = new Set<string>();
  for (const rule of RULES) {
    if (!rule.needs.every((k) => Object.hasOwn(specs, k))) continue;
    parts.push(rule.text(params));
    [...rule.needs, ...(rule.also ?? [])].forEach((k) => covered.add(k));
  }
  for (const [k, spec] of Object.entries(specs)) {
    if (covered.has(k)) continue;
    const text = changedOther(spec, params[k]);
    if (text) parts.push(text);
  }
  return parts.join(' ');
}
