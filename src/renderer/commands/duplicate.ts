import { clipOf, pasteClip } from './clipboard';
import { defineEdit } from './registry';

export interface DuplicateArgs {
  ids: readonly string[];
}

/** Copy and paste in one step, leaving the clipboard alone. */
export default defineEdit<DuplicateArgs>({
  name: 'edit.duplicate',
  label: 'Duplicate',
  group: 'Edit',
  keys: ['Mod+D'],
  argsFrom: (ctx) => (ctx.selection.nodes.length ? { ids: ctx.selection.nodes } : null),
  perform: (graph, { ids }) => pasteClip(graph, clipOf(graph, ids)),
});
