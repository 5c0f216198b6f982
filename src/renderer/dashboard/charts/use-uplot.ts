import { onBeforeUnmount, onMounted, type Ref } from 'vue';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Whether this page can draw on a canvas (a test DOM cannot: the charts then show their numbers only). */
export function canDrawCharts(): boolean {
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

/** A CSS custom property of `el` (the theme's colours, light or dark), with a fallback. */
export function themeColour(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

/** Tick spacings for an axis of whole numbers (steps, epochs): never 2.5 steps apart. */
const WHOLE_INCREMENTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];

/** Axis styling from the theme: text in the subtle colour, grid lines in the border colour; x counts whole steps. */
export function themedAxes(el: Element, xLabel: string, yLabel: string): uPlot.Axis[] {
  const stroke = themeColour(el, '--cv-subtle', '#5b6475');
  const grid = { stroke: themeColour(el, '--cv-border', '#dcdfe6'), width: 1 };
  return [
    { stroke, grid, ticks: grid, label: xLabel, size: 36, labelSize: 14, incrs: WHOLE_INCREMENTS },
    { stroke, grid, ticks: grid, label: yLabel, size: 48, labelSize: 14 },
  ];
}

/**
 * A uPlot chart in `el` that lives as long as the component: made once (and again only when `rebuild` is called,
 * for a change of series), fed with `update`, which draws at most once per animation frame however often data
 * arrives, and as wide as its box (its height, `height`, is fixed; the legend goes below). Data is never
 * re-created per point; callers pass the current arrays.
 */
export function useUplot(
  el: Ref<HTMLElement | null>,
  height: number,
  options: (size: { width: number; height: number }) => uPlot.Options,
  data: () => uPlot.AlignedData,
) {
  let chart: uPlot | null = null;
  let frame = 0;
  let observer: ResizeObserver | null = null;
  const drawable = canDrawCharts();

  const sizeOf = (e: HTMLElement) => ({ width: Math.max(160, Math.floor(e.clientWidth)), height });

  function rebuild(): void {
    chart?.destroy();
    chart = null;
    if (!drawable || !el.value) return;
    const initial = data();
    chart = new uPlot(options(sizeOf(el.value)), initial, el.value);
    drawnExtent = initial[0].length > 0 ? [initial[0][0], initial[0][initial[0].length - 1]] : null;
  }

  /** The x extent of the data last drawn: a visible range narrower than it means the user zoomed in. */
  let drawnExtent: [number, number] | null = null;

  function update(): void {
    if (!chart || frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (!chart) return;
      const next = data();
      const xs = next[0];
      const { min, max } = chart.scales.x;
      const zoomed =
        drawnExtent !== null && min != null && max != null && (min > drawnExtent[0] || max < drawnExtent[1]);
      // New points extend the axes to show everything, unless the user zoomed in: then the view they chose stays
      // (a double-click shows everything again, and the axes follow the run from then on).
      chart.setData(next, !zoomed);
      if (xs.length > 0) drawnExtent = [xs[0], xs[xs.length - 1]];
    });
  }

  onMounted(() => {
    rebuild();
    if (!el.value || typeof ResizeObserver === 'undefined') return;
    observer = new ResizeObserver(() => {
      if (!chart || !el.value) return;
      const size = sizeOf(el.value);
      // Only a change of width: the chart's own height (and legend) must not feed back into it.
      if (size.width !== chart.width) chart.setSize(size);
    });
    observer.observe(el.value);
  });
  onBeforeUnmount(() => {
    cancelAnimationFrame(frame);
    observer?.disconnect();
    chart?.destroy();
    chart = null;
  });

  return { update, rebuild, drawable };
}
