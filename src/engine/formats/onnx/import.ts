import { parseUntrustedJson } from '../../../shared/safe-json';
import { GRAPH_VERSION, parseGraph, type Graph, type GraphNode, type ParamValue } from '../../../shared/graph';
import { flowLayout } from '../../../shared/layout';
import { compileGraph, GraphError } from '../../graph';
import { checkParam, getLayer, resolveParams } from '../../layers/registry';
import type { ParamSpec } from '../../layers/types';
import type { NamedWeights } from '../../network';
import { sizeOf, type Shape, type Tensor } from '../../tensor';
import { classesFromMetadata } from '../model-info';
import { FormatError } from '../types';
import { checkWeights } from '../weights';
import { ONNX_GRAPH_METADATA_KEY } from './export';
import { foldNode, FOLDABLE } from './fold';
import { opRules, SUPPORTED_OPS, type ImportedNode, type OpContext, type Value } from './import-ops';
import type { GraphProto, NodeProto, ValueInfoProto } from './proto';
import { toNumber } from './proto';
import { Attributes, decodeModel, defaultOpset, readTensor, type OnnxConstant } from './read';

/** An imported network: an editable graph, its weights by Convas name, and notes about what was ignored. */
export interface OnnxImport {
  graph: Graph;
  weights: NamedWeights;
  warnings: string[];
  /** The class names the file's metadata gives (key 'classes', a JSON list, one per output), or null. */
  classes: string[] | null;
}

/** Makes an ONNX name a Convas node id: a letter, then letters, digits, _ or - ('/features/conv/Conv' → 'features_conv_Conv'). */
export function cleanId(raw: string): string {
  const id = raw
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[^A-Za-z]+/, '')
    .replace(/_$/, '')
    .slice(0, 56); // room for a '_123' suffix within the 64 characters an id may have
  return id || 'node';
}

/**
 * The module path of a node name PyTorch wrote: '/layer2/downsample/downsample.0/Conv' is the Conv of module
 * 'layer2.downsample.0' (each scope repeats its parent's name for a Sequential's children), '/Relu' is at the top
 * (''). Null for names PyTorch did not write (Convas's own files name nodes by id).
 */
export function torchModulePath(raw: string): string | null {
  if (!raw.startsWith('/')) return null;
  const path: string[] = [];
  for (const seg of raw.split('/').filter(Boolean).slice(0, -1)) {
    if (path.length && seg.startsWith(`${path[path.length - 1]}.`)) path[path.length - 1] = seg;
    else path.push(seg);
  }
  return path.join('.');
}

/**
 * The readable id of a PyTorch node: its module's name ('features.0' → 'features_0', the name a PyTorch user knows
 * it by, not 'features_features_0_Conv'), or for an operation called in a module's forward (F.relu, +) or at the
 * top, that module's name and the operator ('layer1_relu', 'flatten'). `containers` holds the module paths that have
 * modules inside them, whose own nodes are such calls.
 */
function torchId(raw: string, op: string, containers: ReadonlySet<string>): string | null {
  const path = torchModulePath(raw);
  if (path === null) return null;
  if (path === '') return cleanId(op.toLowerCase());
  const id = path.replace(/\./g, '_');
  return cleanId(containers.has(path) ? `${id}_${op.toLowerCase()}` : id);
}

/**
 * Hands out unique ids: `id`, or `id_2`, `id_3`, ... whichever is not taken yet. The next suffix to try is kept
 * per base id, so that a file where thousands of nodes share one name imports in linear time, not quadratic.
 */
class Ids {
  private readonly taken = new Set<string>();
  private readonly next = new Map<string, number>();
  add(id: string): void {
    this.taken.add(id);
  }
  unique(id: string): string {
    if (!this.taken.has(id)) return id;
    let k = this.next.get(id) ?? 2;
    while (this.taken.has(`${id}_${k}`)) k++;
    this.next.set(id, k + 1);
    return `${id}_${k}`;
  }
}

/** The per-example shape of the graph's input (its first axis is the batch, of any size). */
function inputShape(info: ValueInfoProto): number[] {
  const t = info.type?.tensorType;
  if (!t) throw new FormatError(`the graph input '${info.name}' is not a tensor`);
  if (t.elemType !== 1)
    throw new FormatError(
      `the graph input '${info.name}' has element type ${t.elemType}; Convas networks take float32`,
    );
  const dims = (t.shape?.dim ?? []).map((d) =>
    d.dimValue !== null && d.dimValue !== undefined ? toNumber(d.dimValue) : 0,
  );
  if (dims.length !== 2 && dims.length !== 4) {
    throw new FormatError(
      `the graph input '${info.name}' has rank ${dims.length}; Convas takes [batch, C, H, W] images or [batch, F] vectors`,
    );
  }
  const per = dims.slice(1);
  if (per.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw new FormatError(
      `the graph input '${info.name}' has shape [batch, ${per.map((d) => (d > 0 ? d : '?')).join(', ')}]; Convas needs every size but the batch fixed`,
    );
  }
  return per;
}

/** Input-node params for a vector of F features: the file's own layout if it recorded one, else 1×1×F (or rows of at most 4096). */
function vectorParams(f: number, hinted: GraphNode | undefined): Record<string, ParamValue> {
  const hp = hinted?.params;
  if (
    hp &&
    typeof hp.channels === 'number' &&
    typeof hp.height === 'number' &&
    typeof hp.width === 'number' &&
    hp.channels * hp.height * hp.width === f
  ) {
    return { channels: hp.channels, height: hp.height, width: hp.width, vector: true };
  }
  for (let h = Math.max(1, Math.ceil(f / 4096)); h <= 4096; h++) {
    if (f % h === 0 && f / h <= 4096) return { channels: 1, height: h, width: f / h, vector: true };
  }
  throw new FormatError(`the graph input has ${f} features, more than a Convas input layer can describe`);
}

/** The Convas graph a Convas-made file carries in its metadata (for names, positions and settings ONNX has no field for), if valid. */
function metadataGraph(
  props: { key?: string | null; value?: string | null }[] | null | undefined,
  warnings: string[],
): Graph | null {
  const entry = props?.find((p) => p.key === ONNX_GRAPH_METADATA_KEY);
  if (!entry?.value) return null;
  try {
    return parseGraph(parseUntrustedJson(entry.value, 'the Convas graph'), 'the Convas graph in the metadata');
  } catch (e) {
    warnings.push(`ignored the Convas graph stored in the file's metadata: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

/** The params of a metadata node that are valid for its layer (the rest fall back to defaults). */
function validParams(n: GraphNode): Record<string, ParamValue> {
  const def = getLayer(n.type);
  const out: Record<string, ParamValue> = {};
  if (!def) return out;
  for (const [key, spec] of Object.entries(def.params) as [string, ParamSpec][]) {
    if (Object.hasOwn(n.params, key) && checkParam(spec, n.params[key]) === null) out[key] = n.params[key];
  }
  return out;
}

/**
 * Puts back the Dropout layers a Convas-made file recorded in its metadata but left out of the inference
 * graph. Dropout is the identity at inference, so inserting one can never change a prediction, whatever
 * the metadata says; it goes back only where the metadata's wiring around it matches the imported graph.
 * `outputId` is the imported network's output (a dropout at the very end goes after it).
 */
function restoreDropouts(nodes: ImportedNode[], meta: Graph | null, outputId: string): void {
  if (!meta) return;
  for (let changed = true; changed;) {
    changed = false;
    for (const d of meta.nodes) {
      if (d.type !== 'dropout' || nodes.some((n) => n.id === d.id)) continue;
      const into = meta.edges.filter((e) => e.to.node === d.id);
      const at = into.length === 1 ? nodes.findIndex((n) => n.id === into[0].from.node) : -1;
      if (at < 0) continue;
      const from = nodes[at].id;
      const outs = meta.edges.filter((e) => e.from.node === d.id);
      const consumers = outs.map((e) => ({ node: nodes.find((n) => n.id === e.to.node), port: e.to.port }));
      const fits = outs.length > 0 ? consumers.every((c) => c.node?.inputs[c.port] === from) : from === outputId;
      if (!fits) continue;
      for (const c of consumers) c.node!.inputs[c.port] = d.id;
      nodes.splice(at + 1, 0, { id: d.id, type: 'dropout', params: validParams(d), inputs: [from], weights: {} });
      if (outs.length === 0) outputId = d.id;
      changed = true;
    }
  }
}

/** The most nodes a Convas graph holds (the graph schema's limit, src/shared/graph.ts): a larger file is refused as soon as it passes it. */
const MAX_NODES = 10_000;

/** Walks the ONNX nodes in order, turning each into Convas nodes through its operator's rule. */
class Importer {
  readonly nodes: ImportedNode[] = [];
  readonly values = new Map<string, Value>();
  readonly constants = new Map<string, OnnxConstant>();
  /** The Convas node whose own output is this ONNX value (aliases excluded), for bias fusion. */
  readonly producers = new Map<string, ImportedNode>();
  readonly uses = new Map<string, number>();
  readonly ids = new Ids();
  /** Softmax nodes that stand for a LogSoftmax: allowed only as the network's output. */
  readonly logSoftmax = new Set<string>();

  /** Module paths with modules inside them (see torchId). */
  readonly containers = new Set<string>();

  constructor(
    readonly graph: GraphProto,
    readonly opset: number,
    readonly hints: Map<string, GraphNode>,
  ) {
    for (const n of graph.node ?? []) {
      const path = torchModulePath(n.name ?? '');
      for (let i = path ? path.lastIndexOf('.') : -1; i > 0; i = path!.lastIndexOf('.', i - 1))
        this.containers.add(path!.slice(0, i));
    }
    for (const n of graph.node ?? [])
      for (const i of n.input ?? []) if (i) this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    for (const o of graph.output ?? []) this.uses.set(o.name ?? '', (this.uses.get(o.name ?? '') ?? 0) + 1);
  }

  /** A validated hint: the metadata node's param, if its layer has that param and the value is valid for it. */
  hint(id: string, key: string): ParamValue | undefined {
    const n = this.hints.get(id);
    const def = n && getLayer(n.type);
    if (!n || !def || !Object.hasOwn(def.params, key) || !Object.hasOwn(n.params, key)) return undefined;
    const spec = (def.params as Record<string, ParamSpec>)[key];
    return checkParam(spec, n.params[key]) === null ? n.params[key] : undefined;
  }

  add(
    id: string,
    type: string,
    params: Record<string, ParamValue>,
    inputs: Value[],
    weights: Record<string, Tensor>,
    where: string,
  ): Value {
    const def = getLayer(type)!;
    if (this.nodes.length >= MAX_NODES)
      throw new FormatError(
        `${where}: the network has more than ${MAX_NODES.toLocaleString('en')} layers, more than a Convas graph holds`,
      );
    let shape: Shape;
    try {
      const resolved = resolveParams(def, params);
      shape = def.inferShape(
        inputs.map((v) => v.shape),
        resolved,
      );
    } catch (e) {
      throw new FormatError(`${where}: as a Convas ${def.label} layer: ${(e as Error).message}`);
    }
    this.ids.add(id);
    this.nodes.push({ id, type, params, inputs: inputs.map((v) => v.node), weights });
    return { node: id, shape };
  }

  run(node: NodeProto, index: number): void {
    const op = node.opType ?? '';
    const label = node.name || node.output?.[0] || `#${index}`;
    const where = `ONNX node '${label}' (${op})`;
    if (node.domain && node.domain !== 'ai.onnx') {
      throw new FormatError(
        `${where}: operator '${node.domain}.${op}' is not a standard ONNX operator; Convas reads ${SUPPORTED_OPS.join(', ')}`,
      );
    }
    const attrs = new Attributes(node, where);
    const outputs = node.output ?? [];
    if (op === 'Constant') {
      this.constants.set(outputs[0] ?? '', constantValue(attrs, where));
      return;
    }
    const inputs = node.input ?? [];
    if (FOLDABLE.has(op)) {
      const known = inputs.map((name) => (name ? (this.constants.get(name) ?? null) : undefined));
      const computed = inputs[0] ? (this.values.get(inputs[0])?.shape ?? null) : null;
      const folded = foldNode(op, attrs, this.opset, known, computed, where);
      if (folded) {
        this.constants.set(outputs[0] ?? '', folded);
        return;
      }
      // Concat and Identity of computed tensors are layers (or nothing): their rules below read them.
      if (op !== 'Concat' && op !== 'Identity')
        throw new FormatError(`${where}: Convas reads ${op} only on shapes and constants`);
    }
    const rule = Object.hasOwn(opRules, op) ? opRules[op] : undefined;
    if (!rule)
      throw new FormatError(
        `${where}: the ONNX operator '${op}' is not supported; Convas reads ${SUPPORTED_OPS.join(', ')}`,
      );
    outputs.slice(1).forEach((o, k) => {
      if (o && (this.uses.get(o) ?? 0) > 0)
        throw new FormatError(
          `${where}: its output ${k + 1} ('${o}') is used, but Convas computes only the first output of ${op}`,
        );
    });
    const id = this.ids.unique(torchId(node.name ?? '', op, this.containers) ?? cleanId(node.name || outputs[0] || op));
    let emitted = 0;
    const ctx: OpContext = {
      where,
      attrs,
      opset: this.opset,
      inputCount: inputs.length,
      has: (i) => !!inputs[i],
      value: (i) => {
        const name = inputs[i];
        const v = name ? this.values.get(name) : undefined;
        if (v) return v;
        if (!name) throw new FormatError(`${where}: input ${i} is missing`);
        if (this.constants.has(name))
          throw new FormatError(`${where}: input ${i} ('${name}') is a constant where Convas needs a computed tensor`);
        throw new FormatError(
          `${where}: input ${i} ('${name}') is computed by no earlier node; the graph is not sorted or not complete`,
        );
      },
      constant: (i) => (inputs[i] ? (this.constants.get(inputs[i]) ?? null) : null),
      uses: (i) => this.uses.get(inputs[i]) ?? 0,
      producer: (i) => this.producers.get(inputs[i]) ?? null,
      hint: (key) => this.hint(id, key),
      emit: (type, params, ins, weights = {}) => {
        // One ONNX node becomes at most a couple of Convas nodes; the first keeps the name.
        const nodeId = emitted++ === 0 ? id : this.ids.unique(cleanId(`${id}_${type}`));
        return this.add(nodeId, type, params, ins, weights, where);
      },
    };
    const out = rule(ctx);
    if (op === 'LogSoftmax') this.logSoftmax.add(out.node);
    this.values.set(outputs[0] ?? '', out);
    const last = this.nodes[this.nodes.length - 1];
    if (emitted > 0 && last.id === out.node) this.producers.set(outputs[0] ?? '', last);
  }
}

/** The value of a Constant node as a constant tensor. */
function constantValue(attrs: Attributes, where: string): OnnxConstant {
  const t = attrs.tensor('value');
  if (t) return readTensor(t, where);
  if (attrs.has('value_float')) return { dims: [], values: Float64Array.of(attrs.float('value_float', 0)) };
  if (attrs.has('value_int')) return { dims: [], values: Float64Array.of(attrs.int('value_int', 0)) };
  const list = attrs.floats('value_floats', null) ?? attrs.ints('value_ints', null);
  if (list) return { dims: [list.length], values: Float64Array.from(list) };
  throw new FormatError(`${where}: a Constant of kind ${attrs.names().join(', ') || 'nothing'} is not supported`);
}

/**
 * Opens an ONNX model as an editable Convas graph with its weights. Reads what the ONNX exporter writes
 * and the common equivalents other tools write (Conv with pads or auto_pad, Gemm with or without transB,
 * MatMul + Add, Flatten or a flattening Reshape, Constant, Identity, global pooling); anything else is
 * refused with the operator named. The result compiles and its weights are checked (shapes, finite).
 */
export function importOnnx(bytes: Uint8Array): OnnxImport {
  const model = decodeModel(bytes);
  const g = model.graph!;
  const warnings: string[] = [];
  const meta = metadataGraph(model.metadataProps, warnings);
  const hints = new Map((meta?.nodes ?? []).map((n) => [n.id, n]));
  const imp = new Importer(g, defaultOpset(model), hints);

  for (const init of g.initializer ?? [])
    imp.constants.set(init.name ?? '', readTensor(init, `initializer '${init.name}'`));
  if ((g.sparseInitializer?.length ?? 0) > 0)
    throw new FormatError('the ONNX graph has sparse initializers, which Convas does not read');
  // Old files list initializers among the inputs too; the real input is the one that is not a constant.
  const realInputs = (g.input ?? []).filter((i) => !imp.constants.has(i.name ?? ''));
  if (realInputs.length !== 1) {
    throw new FormatError(
      `the ONNX graph has ${realInputs.length} inputs (${realInputs.map((i) => i.name).join(', ')}); a Convas network takes one`,
    );
  }
  const input = realInputs[0];
  const shape = inputShape(input);
  const inputId = cleanId(input.name || 'input');
  const inputParams =
    shape.length === 3
      ? { channels: shape[0], height: shape[1], width: shape[2], vector: false }
      : vectorParams(shape[0], hints.get(inputId));
  imp.add(inputId, 'input', inputParams, [], {}, `the graph input '${input.name}'`);
  imp.values.set(input.name ?? '', { node: inputId, shape });

  (g.node ?? []).forEach((n, i) => imp.run(n, i));

  const outputs = g.output ?? [];
  if (outputs.length !== 1)
    throw new FormatError(`the ONNX graph has ${outputs.length} outputs; a Convas network has one`);
  const out = imp.values.get(outputs[0].name ?? '');
  if (!out) throw new FormatError(`the graph output '${outputs[0].name}' is not computed by any node Convas reads`);

  for (const id of imp.logSoftmax) {
    if (id !== out.node)
      throw new FormatError(
        `node '${id}' (LogSoftmax): Convas reads LogSoftmax only as the network's output, and here it feeds other layers`,
      );
    warnings.push(
      `the network ends in LogSoftmax (log-probabilities, as trained with nll_loss); Convas imports it as Softmax, so ` +
        `its output is the probabilities, e^(the file's output), and it trains with cross-entropy, the same loss as nll_loss on log-softmax`,
    );
  }
  // Keep only what the output depends on (an ONNX graph may compute values nobody reads).
  const keep = new Set<string>([out.node]);
  for (let k = imp.nodes.length - 1; k >= 0; k--)
    if (keep.has(imp.nodes[k].id)) for (const i of imp.nodes[k].inputs) keep.add(i);
  if (!keep.has(inputId)) throw new FormatError('the graph output does not depend on the graph input');
  const nodes = imp.nodes.filter((n) => keep.has(n.id));
  restoreDropouts(nodes, meta, out.node);
  const positions = flowLayout(
    {
      nodes,
      edges: nodes.flatMap((n) => n.inputs.map((from) => ({ from: { node: from }, to: { node: n.id } }))),
    },
    { origin: { x: 60, y: 60 } },
  );

  const graph: Graph = {
    format: 'convas-graph',
    version: GRAPH_VERSION,
    ...(g.name ? { name: g.name.slice(0, 200) } : {}),
    nodes: nodes.map((n) => {
      const hinted = hints.get(n.id);
      const same = hinted && hinted.type === n.type;
      return {
        id: n.id,
        type: n.type,
        ...(same && hinted.name !== undefined ? { name: hinted.name } : {}),
        params: n.params,
        position: same ? hinted.position : positions.get(n.id)!,
      };
    }),
    edges: nodes.flatMap((n) =>
      n.inputs.map((from, port) => ({ from: { node: from, port: 0 }, to: { node: n.id, port } })),
    ),
  };
  const weights: NamedWeights = {};
  for (const n of nodes) for (const [k, t] of Object.entries(n.weights)) weights[`${n.id}.${k}`] = t;

  let compiled;
  try {
    compiled = compileGraph(parseGraph(graph, 'the imported graph'));
  } catch (e) {
    if (e instanceof GraphError) throw new FormatError(`the imported graph does not compile: ${e.message}`);
    throw e;
  }
  const props = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const classes = classesFromMetadata(props, sizeOf(compiled.outputShape), warnings);
  return { graph, weights: checkWeights(compiled, weights, 'the ONNX file'), warnings, classes };
}
