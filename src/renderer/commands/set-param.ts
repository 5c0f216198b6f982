import { checkParam } from '../../engine';
import type { ParamValue } from '../../shared/graph';
import { describeNode, findNode, layerOf, replaceNodes } from './graph-ops';
import { defineEdit } from './registry';
import { CommandError } from './types';

export interface SetParamArgs {
  node: string;
  /** The parameter's key in the layer's `params` (kernelH), not its label. */
  key: string;
  value: ParamValue;
}

/** Changes one parameter, checked against the layer's spec; keystrokes in one field are one undo step. */
export default defineEdit<SetParamArgs>({
  name: 'graph.setParam',
  label: 'Set a parameter',
  group: 'Edit',
  coalesceKey: ({ node, key }) => `param:${node}:${key}`,
  perform(graph, { node, key, value }) {
    const n = findNode(graph, node);
    const def = layerOf(n.type);
    if (!Object.hasOwn(def.params, key)) throw new CommandError(`${describeNode(n)} has no parameter '${key}'`);
    const spec = def.params[key];
    const problem = checkParam(spec, value);
    if (problem) throw new CommandError(`${describeNode(n)}: ${spec.label} ${JSON.stringify(value)}: ${problem}`);
    if (n.params[key] === value) return { graph };
    return { graph: replaceNodes(graph, new Map([[node, { ...n, params: { ...n.params, [key]: value } }]])) };
  },
});
