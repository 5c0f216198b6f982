import { defineAction } from './registry';

/** One zoom step closer, about the centre of the view (the wheel zooms about the pointer). */
export default defineAction({
  name: 'view.zoomIn',
  label: 'Zoom in',
  group: 'View',
  keys: ['Mod+=', 'Mod++'],
  run: (ctx) => ctx.zoomBy(1.25),
});
