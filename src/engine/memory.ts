import type { CompiledGraph, CompiledNode } from './graph';
import type { OptimizerKind } from './optim';
import { sizeOf } from './tensor';

/**
 * How much memory a network needs, worked out from its shapes alone, before anything is allocated: a graph of
 * a trillion weights must be refused in a millisecond with its figure, not after minutes of paging. Every figure
 * is a JS number (a double, exact up to 2^53), never an int32, so nothing wraps at 2^31 or 2^32.
 *
 * What it counts, at 4 bytes (float32) a number:
 * - weights: every parameter tensor, batch-norm running statistics included;
 * - gradients: one buffer per parameter, per training thread (each worker keeps its own region);
 * - optimizer state: momentum keeps one slot per trainable number, Adam two;
 * - activations: every node's output for the whole batch, the input's included, and when training the
 *   gradient flowing back through each of them (about the same size again).
 * It leaves out convolution scratch space and the dataset's image cache (which has its own budget).
 */
export interface MemoryEstimate {
  batchSize: number;
  training: boolean;
  /** Numbers in all parameter tensors, and the trainable ones among them. */
  parameters: number;
  trainable: number;
  weightBytes: number;
  gradientBytes: number;
  optimizerBytes: number;
  activationBytes: number;
  totalBytes: number;
  /** The node that takes the most of it, with its share in bytes; null for an empty graph. */
  dominant: { id: string; name: string; label: string; bytes: number; weights: number } | null;
}

export interface MemoryOptions {
  /** Examples per batch (default 1). */
  batchSize?: number;
  /** Training also keeps gradients, optimizer state and backward activations (default false: inference). */
  training?: boolean;
  /** The optimizer, when training (default Adam, the one that keeps the most). */
  optimizer?: OptimizerKind;
  /** Training threads: each keeps a gradient region of its own (default 1). */
  threads?: number;
}

const BYTES = 4;
const SLOTS: Record<OptimizerKind, number> = { sgd: 0, momentum: 1, adam: 2 };

/** The estimate for a compiled graph; O(nodes), allocates nothing the size of a tensor. */
export function estimateMemory(graph: CompiledGraph, options: MemoryOptions = {}): MemoryEstimate {
  const batchSize = options.batchSize ?? 1;
  const training = options.training ?? false;
  const threads = training ? (options.threads ?? 1) : 1;
  const slots = training ? SLOTS[options.optimizer ?? 'adam'] : 0;
  let parameters = 0;
  let trainable = 0;
  let activations = 0;
  let dominant: MemoryEstimate['dominant'] = null;
  for (const node of graph.nodes) {
    const own = nodeFigures(node);
    parameters += own.parameters;
    trainable += own.trainable;
    activations += own.outputs;
    const bytes =
      BYTES * (own.parameters * (1 + threads) + own.trainable * slots + own.outputs * batchSize * (training ? 2 : 1));
    if (!dominant || bytes > dominant.bytes) {
      dominant = { id: node.id, name: node.name, label: node.def.label, bytes, weights: own.parameters };
    }
  }
  const weightBytes = parameters * BYTES;
  // A Network allocates a gradient buffer per parameter even for inference; a training pool one per thread.
  const gradientBytes = parameters * BYTES * threads;
  const optimizerBytes = trainable * BYTES * slots;
  const activationBytes = activations * batchSize * BYTES * (training ? 2 : 1);
  return {
    batchSize,
    training,
    parameters,
    trainable,
    weightBytes,
    gradientBytes,
    optimizerBytes,
    activationBytes,
    totalBytes: weightBytes + gradientBytes + optimizerBytes + activationBytes,
    dominant,
  };
}

function nodeFigures(node: CompiledNode): { parameters: number; trainable: number; outputs: number } {
  let parameters = 0;
  let trainable = 0;
  for (const w of node.weightSpecs) {
    const n = sizeOf(w.shape);
    parameters += n;
    if (w.trainable) trainable += n;
  }
  return { parameters, trainable, outputs: sizeOf(node.outShape) };
}

/**
 * The graph needs more memory than the machine has. Like a GraphError it names the node at fault (the one that
 * takes most of it); it is its own class, not a GraphError, so that graph.ts can import this file without a cycle.
 */
export class MemoryError extends Error {
  override name = 'MemoryError';
  readonly nodeId: string | undefined;
  constructor(
    message: string,
    readonly estimate: MemoryEstimate,
    readonly availableBytes: number,
    nodeId = estimate.dominant?.id,
  ) {
    super(message);
    this.nodeId = nodeId;
  }
}

/**
 * Bytes the process may plan to use, set by the host from the machine's memory (os.totalmem()); null (the
 * default, as in the renderer, which trains nothing itself) leaves only the hard limit below.
 */
let limit: number | null = null;

/**
 * The longest typed array V8 allocates (Node 20 refuses 2^32 + 1 elements with "Invalid typed array length"),
 * so a larger tensor could never be built, whatever the machine.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 32;

export function setMemoryLimit(bytes: number | null): void {
  if (bytes !== null && !(bytes > 0))
    throw new Error(`a memory limit must be a positive number of bytes, got ${bytes}`);
  limit = bytes;
}

export function memoryLimit(): number | null {
  return limit;
}

/**
 * Throws MemoryError when the estimate exceeds `available` bytes (default: the limit the host set), or when one
 * tensor alone is beyond what the JavaScript engine can allocate. Returns the estimate otherwise.
 */
export function checkMemory(
  graph: CompiledGraph,
  options: MemoryOptions = {},
  available: number | null = limit,
): MemoryEstimate {
  const e = estimateMemory(graph, options);
  if (available !== null && e.totalBytes > available)
    throw new MemoryError(describeShortfall(e, available), e, available);
  for (const node of graph.nodes) {
    for (const w of node.weightSpecs) {
      const n = sizeOf(w.shape);
      if (n > MAX_TENSOR_ELEMENTS) {
        throw new MemoryError(
          `node ${describeNode(node)}: its ${w.name} of ${formatCount(n)} numbers (${formatBytes(n * BYTES)}) ` +
            `is larger than the biggest array JavaScript can allocate (${formatCount(MAX_TENSOR_ELEMENTS)} numbers); ` +
            `make the layer smaller`,
          e,
          available ?? Infinity,
          node.id,
        );
      }
    }
  }
  return e;
}

/** The refusal, with the figures a user needs to fix it. */
export function describeShortfall(e: MemoryEstimate, available: number): string {
  const what = e.training ? `to train at batch ${e.batchSize}` : `to run at batch ${e.batchSize}`;
  const parts = [
    `weights ${formatBytes(e.weightBytes)}`,
    `gradients ${formatBytes(e.gradientBytes)}`,
    ...(e.optimizerBytes > 0 ? [`optimizer state ${formatBytes(e.optimizerBytes)}`] : []),
    `activations ${formatBytes(e.activationBytes)}`,
  ];
  const d = e.dominant;
  const culprit = d
    ? `; node '${d.name}' (${d.label}${d.name === d.id ? '' : `, ${d.id}`}) takes ${formatBytes(d.bytes)} of it` +
      (d.weights > 0 ? ` with ${formatCount(d.weights)} weights` : '') +
      ': make it smaller'
    : '';
  return (
    `the network needs about ${formatBytes(e.totalBytes)} ${what} (${parts.join(', ')}), ` +
    `more than this machine's ${formatBytes(available)} of memory${culprit}`
  );
}

function describeNode(n: CompiledNode): string {
  return n.name && n.name !== n.id ? `'${n.name}' (${n.def.label}, ${n.id})` : `'${n.id}' (${n.def.label})`;
}

/** Bytes in binary units, as operating systems show memory: 1_990_000 → '1.9 MB'. */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
