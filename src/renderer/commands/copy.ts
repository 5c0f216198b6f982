import { clipOf } from './clipboard';
import { defineAction } from './registry';

/** Puts the selected nodes, and the edges among them, on the editor's clipboard. */
export default defineAction({
  name: 'edit.copy',
  label: 'Copy',
  group: 'Edit',
  keys: ['Mod+C'],
  enabled: (ctx) => ctx.selection.nodes.length > 0,
  run(ctx) {
    if (ctx.selection.nodes.length) ctx.setClipboard(clipOf(ctx.graph, ctx.selection.nodes));
  },
});
