import { onScopeDispose, ref, type Ref } from 'vue';
import type { Category } from '../../engine';

/** The canvas's colours. Konva draws on a canvas, so it cannot read CSS variables; these mirror src/renderer/theme.css. */
export interface CanvasTheme {
  background: string;
  grid: string;
  nodeFill: string;
  nodeText: string;
  nodeSubtle: string;
  edge: string;
  edgeSelected: string;
  selection: string;
  error: string;
  portFill: string;
  accept: string;
  rubberBand: string;
}

const light: CanvasTheme = {
  background: '#f7f7f9',
  grid: '#c4c8d2',
  nodeFill: '#ffffff',
  nodeText: '#1d2330',
  nodeSubtle: '#5b6475',
  edge: '#8a93a6',
  edgeSelected: '#2f6fed',
  selection: '#2f6fed',
  error: '#d93025',
  portFill: '#ffffff',
  accept: '#1e8e3e',
  rubberBand: 'rgba(47, 111, 237, 0.12)',
};

const dark: CanvasTheme = {
  background: '#17191e',
  grid: '#2c3038',
  nodeFill: '#22252c',
  nodeText: '#e8eaf0',
  nodeSubtle: '#a0a8b8',
  edge: '#6f7890',
  edgeSelected: '#7aa7ff',
  selection: '#7aa7ff',
  error: '#ff6b5e',
  portFill: '#22252c',
  accept: '#4cc46d',
  rubberBand: 'rgba(122, 167, 255, 0.15)',
};

/** One hue per palette group, so that a node's kind reads at a glance; the same in the palette and on nodes. */
const CATEGORY_HUES: Record<Category, number> = {
  input: 210,
  convolution: 265,
  pooling: 190,
  dense: 30,
  activation: 140,
  regularisation: 330,
  merge: 55,
  output: 0,
};

/** The accent of a category (a node's header band, the palette's dot); grey for an unknown one. */
export function categoryColour(category: string, isDark: boolean): string {
  const hue = (CATEGORY_HUES as Record<string, number>)[category];
  if (hue === undefined) return isDark ? '#6b7280' : '#9ca3af';
  return isDark ? `hsl(${hue} 55% 58%)` : `hsl(${hue} 60% 45%)`;
}

export function canvasTheme(isDark: boolean): CanvasTheme {
  return isDark ? dark : light;
}

/** Follows the operating system's light or dark setting while the calling component lives. */
export function usePrefersDark(): Ref<boolean> {
  const query =
    typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  const isDark = ref(query?.matches ?? false);
  if (query) {
    const update = (e: MediaQueryListEvent) => (isDark.value = e.matches);
    query.addEventListener('change', update);
    onScopeDispose(() => query.removeEventListener('change', update));
  }
  return isDark;
}
