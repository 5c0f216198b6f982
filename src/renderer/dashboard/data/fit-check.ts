import type { Shape } from '../../../engine';
import type { Graph, GraphNode } from '../../../shared/graph';
import type { DataSettings, DatasetReportView } from '../../../shared/training';

/** One way to make the images and the network agree, applied with one click. */
export type FitFix =
  /** A graph edit (run as the setParam command, so it can be undone). */
  | { label: string; kind: 'param'; node: string; key: string; value: number }
  | { label: string; kind: 'resize'; value: DataSettings['resize'] }
  /** Keep things as they are: the mismatch is understood and wanted. */
  | { label: string; kind: 'accept' };

export interface FitIssue {
  id: 'classes' | 'channels' | 'size';
  /** A mismatch keeps the dataset from being ready; a note only says what training will do. */
  severity: 'mismatch' | 'note';
  message: string;
  fixes: FitFix[];
}

const RESIZE_WORDS: Record<DataSettings['resize'], string> = {
  stretch: 'stretched to it (proportions change)',
  fit: 'fitted inside it, keeping their proportions (the rest is black)',
  crop: 'scaled to fill it and cropped at the centre',
};

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Layers that pass the number of values through unchanged: the last Dense before them sets the output count. */
const PASS_THROUGH = new Set(['softmax', 'relu', 'sigmoid', 'tanh', 'leaky_relu', 'dropout', 'batchnorm', 'flatten']);

/** The Dense layer whose units are the network's outputs, walking back from the output through activations. */
function lastDense(graph: Graph, output: GraphNode): GraphNode | null {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  let node: GraphNode | undefined = output;
  for (let guard = 0; node && guard < graph.nodes.length; guard++) {
    if (node.type === 'dense') return node;
    if (!PASS_THROUGH.has(node.type)) return null;
    const into = graph.edges.filter((e) => e.to.node === node!.id);
    if (into.length !== 1) return null;
    node = byId.get(into[0]!.from.node);
  }
  return null;
}

const nameOf = (n: GraphNode) => n.name || n.id;

/**
 * Checks the images against the network before training, as the Data view shows it: the class count against
 * the output's values, the images' colour against the input's channels, and their sizes against the input's
 * size and the resize policy. Each mismatch comes with the fixes that would settle it.
 */
export function checkFit(
  graph: Graph,
  shapes: ReadonlyMap<string, Shape>,
  report: DatasetReportView,
  resize: DataSettings['resize'],
  accepted: ReadonlySet<string> = new Set(),
): FitIssue[] {
  const issues: FitIssue[] = [];
  const input = graph.nodes.find((n) => n.type === 'input');
  const feeds = new Set(graph.edges.map((e) => e.from.node));
  const ends = graph.nodes.filter((n) => !feeds.has(n.id) && n.type !== 'input');
  const output = ends.length === 1 ? ends[0]! : null;
  const outShape = output ? shapes.get(output.id) : undefined;

  const classes = report.classes.length;
  if (output && outShape && classes > 0) {
    const values = outShape.reduce((a, b) => a * b, 1);
    if (values !== classes) {
      const dense = lastDense(graph, output);
      issues.push({
        id: 'classes',
        severity: 'mismatch',
        message:
          `The network gives ${count(values, 'output')} ('${nameOf(output)}'), but the images have ` +
          `${count(classes, 'class', 'classes')}: each class needs one output.`,
        fixes: dense
          ? [
              {
                label: `Set '${nameOf(dense)}' to ${classes} units`,
                kind: 'param',
                node: dense.id,
                key: 'units',
                value: classes,
              },
            ]
          : [],
      });
    }
  }

  const channels = input?.params['channels'];
  const storage = report.storage;
  if (input && typeof channels === 'number' && storage) {
    const total = storage.grayscale + storage.colour;
    if (channels === 1 && storage.colour > 0 && !accepted.has('channels')) {
      issues.push({
        id: 'channels',
        severity: 'mismatch',
        message:
          `${storage.colour === total ? 'The images are' : `${count(storage.colour, 'image')} of ${total.toLocaleString('en-US')} are`} ` +
          `in colour, but the input '${nameOf(input)}' takes 1 channel: training would turn them to grayscale.`,
        fixes: [
          {
            label: `Switch '${nameOf(input)}' to 3 channels (RGB)`,
            kind: 'param',
            node: input.id,
            key: 'channels',
            value: 3,
          },
          { label: 'Train on grayscale', kind: 'accept' },
        ],
      });
    } else if (channels === 3 && storage.colour === 0 && total > 0) {
      issues.push({
        id: 'channels',
        severity: 'note',
        message: `The images are grayscale; the input '${nameOf(input)}' takes 3 channels, so each gets its gray three times.`,
        fixes: [
          { label: `Switch '${nameOf(input)}' to 1 channel`, kind: 'param', node: input.id, key: 'channels', value: 1 },
        ],
      });
    }
  }

  const width = input?.params['width'];
  const height = input?.params['height'];
  const sizes = report.sizes;
  if (input && typeof width === 'number' && typeof height === 'number' && sizes) {
    const exact =
      sizes.width.min === width &&
      sizes.width.max === width &&
      sizes.height.min === height &&
      sizes.height.max === height;
    if (!exact) {
      const uniform = sizes.width.min === sizes.width.max && sizes.height.min === sizes.height.max;
      const what = uniform
        ? `The images are ${sizes.width.min}×${sizes.height.min} px`
        : `The images are ${sizes.width.min}–${sizes.width.max} × ${sizes.height.min}–${sizes.height.max} px (most often ${sizes.common[0]?.size ?? '?'})`;
      issues.push({
        id: 'size',
        severity: 'note',
        message: `${what}; the input '${nameOf(input)}' takes ${width}×${height}, so they are ${RESIZE_WORDS[resize]}.`,
        fixes: (['stretch', 'fit', 'crop'] as const)
          .filter((r) => r !== resize)
          .map((r) => ({
            label: { stretch: 'Stretch instead', fit: 'Keep proportions (fit)', crop: 'Crop to fill' }[r],
            kind: 'resize',
            value: r,
          })),
      });
    }
  }
  return issues;
}
