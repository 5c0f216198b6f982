import { clipOf } from './clipboard';
import { defineAction } from './registry';
import remove from './remove';

/** Copy, then delete: one undo step (the delete) brings the nodes back. */
export default defineAction({
  name: 'edit.cut',
  label: 'Cut',
  group: 'Edit',
  keys: ['Mod+X'],
  enabled: (ctx) => ctx.selection.nodes.length > 0,
  run(ctx) {
    if (!ctx.selection.nodes.length) return;
    ctx.setClipboard(clipOf(ctx.graph, ctx.selection.nodes));
    ctx.run(remove, { nodes: ctx.selection.nodes, edges: [] });
  },
});
