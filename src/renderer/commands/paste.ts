import { pasteClip } from './clipboard';
import { defineEdit } from './registry';
import type { Clip } from './types';

/** Adds copies of what was copied or cut, wired among themselves as the originals were; they become the selection. */
export default defineEdit<Clip>({
  name: 'edit.paste',
  label: 'Paste',
  group: 'Edit',
  keys: ['Mod+V'],
  argsFrom: (ctx) => (ctx.clipboard && ctx.clipboard.nodes.length ? ctx.clipboard : null),
  perform: (graph, clip) => pasteClip(graph, clip),
});
