import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ImageRef } from '../../shared/training';

/** The four views of one project. The canvas stays visible in all of them. */
export const MODES = ['design', 'data', 'train', 'inspect'] as const;
export type Mode = (typeof MODES)[number];

export const MODE_LABELS: Record<Mode, string> = { design: 'Design', data: 'Data', train: 'Train', inspect: 'Inspect' };

/** What the Inspect view's left side shows. */
export type InspectTab = 'mistakes' | 'gallery' | 'predict';

/**
 * Where the user is looking (not part of the project): the mode, the image the Inspect view examines, its tab and
 * whether the export dialog is open.
 */
export const useViewStore = defineStore('dashboard-view', () => {
  const mode = ref<Mode>('design');
  const image = ref<ImageRef>({ kind: 'validation', index: 0 });
  const inspectTab = ref<InspectTab>('mistakes');
  const exportOpen = ref(false);
  /** Height of the bottom panel as a share of the window below the mode bar (the rest is the canvas). */
  const panelShare = ref(0.6);

  return { mode, image, inspectTab, exportOpen, panelShare };
});
