import { computed, onScopeDispose, shallowRef, watch, type Ref } from 'vue';
import { OVERSCAN, drawnArea, redrawFor, slideTransform } from './culling';
import type { Viewport } from './viewport';

/** A zoom that pauses this long is over: the canvas is redrawn sharp. */
const SETTLE_MS = 120;
/** A zoom step this soon after another belongs to the same burst (a wheel turned); a lone step redraws at once. */
const BURST_MS = 200;

/**
 * The viewport the Konva stage is drawn at, which lags behind the view: panning slides the drawn canvas with
 * a CSS transform and redraws only after half the overscan, and a wheel zoom stretches it, redrawing when the
 * stretch grows too large and once the wheel pauses. Redrawing hundreds of nodes every frame is what would
 * make pan and zoom stutter; sliding and stretching a canvas is the compositor's work.
 */
export function useDrawnView(view: Ref<Viewport>, size: Ref<{ width: number; height: number }>) {
  const drawn = shallowRef<Viewport>({ ...view.value });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastZoomAt = -Infinity;

  watch(view, (v) => {
    let when = redrawFor(drawn.value, v);
    if (when === 'soon') {
      // Fit, a zoom key or a newly opened graph: one step, drawn sharp at once. A wheel: many, stretched between.
      const now = performance.now();
      if (now - lastZoomAt > BURST_MS) when = 'now';
      lastZoomAt = now;
    }
    clearTimeout(timer);
    timer = undefined;
    if (when === 'now') drawn.value = { ...v };
    else if (when === 'soon') {
      timer = setTimeout(() => {
        timer = undefined;
        drawn.value = { ...view.value };
      }, SETTLE_MS);
    }
  });
  onScopeDispose(() => clearTimeout(timer));

  /** The style of the element holding the stage: placed OVERSCAN up and left, moved to match the view. */
  const slide = computed(() => ({
    left: `${-OVERSCAN}px`,
    top: `${-OVERSCAN}px`,
    transformOrigin: '0 0',
    transform: slideTransform(drawn.value, view.value),
  }));

  /** The stage covers the view and the overscan all round. */
  const stageConfig = computed(() => ({
    width: size.value.width + 2 * OVERSCAN,
    height: size.value.height + 2 * OVERSCAN,
    x: drawn.value.x + OVERSCAN,
    y: drawn.value.y + OVERSCAN,
    scaleX: drawn.value.scale,
    scaleY: drawn.value.scale,
    listening: false,
  }));

  /** The part of the graph the stage covers, in graph units: what is worth drawing. */
  const area = computed(() => drawnArea(drawn.value, size.value));

  return { drawn, slide, stageConfig, area };
}
