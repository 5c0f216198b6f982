/**
 * Loss-chart frame rate with 100,000 points (a benchmark, not a test): the "live charts stay smooth with
 * 100,000 points". The browser mode runs in Debian's Chromium with the Train view open; the loss chart is fed
 * 100,000 step points, then every animation frame is timed for a few seconds in each of three runs while points keep
 * streaming in: streaming alone, streaming while the pointer hovers over the chart (the cursor and the live legend
 * follow it), and streaming while the user drag-zooms the chart and double-clicks it back.
 * Target: 50 frames per second or more, in every run.
 *
 *   npm run build && npx tsx bench/chart-fps.bench.ts [--points 100000] [--seconds 3]
 *
 * How the points arrive: training 100,000 steps for real would take far too long, so the points are synthetic
 * `trainingProgress` events delivered on the page's own WebSocket to the host (wrapped at page load to keep a
 * reference to it), exactly as the host's relay sends them: a batch of steps, the epochs that ended and the latest
 * status. From there the real code path runs: the Api client parses the frame, the training store checks the run
 * id, adds the points to its LossSeries (raw values and the smoothed line) and bumps its counter, and the
 * LossChart redraws through uPlot from the decimated series, at most once per animation frame. The store is told
 * the run id once (through Pinia, as a `trainingState` answer would) so that it accepts the events.
 * While measuring, a batch of STREAM_BATCH steps arrives every STREAM_MS ms (the relay's interval: 1,000 steps a
 * second, a fast run), with an epoch every STEPS_PER_EPOCH steps so that the epoch charts redraw too.
 *
 * How it measures: like bench/canvas-fps.bench.ts, requestAnimationFrame timestamps inside the page give the frame
 * intervals; a frame that takes longer than the display's 16.7 ms delays the next timestamp, so fps = frames /
 * elapsed time (at most 60 in headless Chromium). It prints, per run, fps, the median and 95th-percentile frame
 * time, and how many points the chart held; then whether every run meets 50 fps.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { openApp, startBrowserMode } from '../tests/e2e/harness/browser-mode';

const TARGET_FPS = 50;
const STREAM_MS = 100;
const STREAM_BATCH = 100;
const STEPS_PER_EPOCH = 1000;
const RUN_ID = 'chart-fps-bench';

const { values } = parseArgs({
  options: { points: { type: 'string', default: '100000' }, seconds: { type: 'string', default: '3' } },
});
const points = Number(values.points);
const seconds = Number(values.seconds);
if (!(points > 0) || !(seconds > 0)) {
  console.error('usage: npx tsx bench/chart-fps.bench.ts [--points N] [--seconds S]');
  process.exit(2);
}

/** Keeps a reference to every WebSocket the page opens (the Api client's is the only one). */
const KEEP_SOCKETS = `
  globalThis.__name = (f) => f;
  const Native = globalThis.WebSocket;
  globalThis.__benchSockets = [];
  globalThis.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      globalThis.__benchSockets.push(this);
    }
  };
`;

/**
 * Installs, in the page, `__benchFeed(from, count)`: delivers steps from..from+count-1 as one trainingProgress event
 * on the Api's socket (with an epoch for each epoch boundary crossed and the latest status), the way the host does.
 */
async function installFeeder(page: Page, totalSteps: number): Promise<void> {
  await page.evaluate(
    ([runId, stepsPerEpoch, totalSteps]) => {
      const w = window as unknown as {
        __benchSockets: WebSocket[];
        __benchFeed: (from: number, count: number) => void;
      };
      const socket = w.__benchSockets[0];
      if (!socket) throw new Error('the page opened no WebSocket');
      // A plausible loss: falling, with noise, so the smoothed line and the raw one differ.
      let seed = 1;
      const noise = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.4;
      const lossAt = (step: number) => 2.3 * Math.exp(-step / 20000) + 0.1 + noise();
      w.__benchFeed = (from, count) => {
        const batch = [];
        const epochs = [];
        for (let step = from; step < from + count; step++) {
          const epoch = Math.ceil(step / stepsPerEpoch);
          batch.push({ step, epoch, loss: lossAt(step) });
          if (step % stepsPerEpoch === 0) {
            const loss = lossAt(step);
            epochs.push({
              epoch,
              step,
              loss,
              accuracy: 1 - loss / 3,
              valLoss: loss * 1.1,
              valAccuracy: 1 - loss / 2.8,
              seconds: 1,
              best: true,
            });
          }
        }
        const last = from + count - 1;
        const status = {
          epoch: Math.ceil(last / stepsPerEpoch),
          epochs: Math.ceil(totalSteps / stepsPerEpoch),
          step: ((last - 1) % stepsPerEpoch) + 1,
          steps: stepsPerEpoch,
          globalStep: last,
          imagesPerSecond: 32000,
          etaSeconds: Math.max(0, totalSteps - last) / 1000,
        };
        const payload = { runId, points: batch, epochs, status };
        const data = JSON.stringify({ type: 'event', event: 'trainingProgress', payload });
        socket.dispatchEvent(new MessageEvent('message', { data }));
      };
    },
    [RUN_ID, STEPS_PER_EPOCH, totalSteps] as const,
  );
}

interface Run {
  frames: number;
  fps: number;
  /** Median and 95th-percentile frame interval, ms. */
  median: number;
  p95: number;
  /** Points the chart held at the end, read from the chart's own figures. */
  held: number;
  /** Points that arrived during the run. */
  streamed: number;
}

/**
 * Runs `kind` for `ms` milliseconds in the page: points stream in every STREAM_MS, and every animation frame moves
 * the pointer over the chart (hover) or drags out a zoom / double-clicks it back (zoom).
 */
function measure(page: Page, kind: 'stream' | 'hover' | 'zoom', ms: number, firstStep: number): Promise<Run> {
  return page.evaluate(
    ([kind, ms, firstStep, streamMs, streamBatch]) =>
      new Promise<Run>((done) => {
        const w = window as unknown as { __benchFeed: (from: number, count: number) => void };
        const chart = document.querySelector('[data-testid="loss-chart"]') as HTMLElement;
        const over = chart.querySelector('.u-over') as HTMLElement;
        if (!over) throw new Error('the loss chart has no uPlot overlay: it did not draw');
        const r = over.getBoundingClientRect();
        const y = r.top + r.height / 2;
        const mouse = (type: string, x: number, target: EventTarget = over) =>
          target.dispatchEvent(
            new MouseEvent(type, { clientX: x, clientY: y, movementX: 1, bubbles: true, button: 0, buttons: 1 }),
          );
        let next = firstStep;
        const feeding = setInterval(() => {
          w.__benchFeed(next, streamBatch);
          next += streamBatch;
        }, streamMs);
        const stamps: number[] = [];
        let step = 0;
        const frame = (t: number) => {
          stamps.push(t);
          step++;
          if (kind === 'hover') {
            // Back and forth across the plot, 6 px a frame.
            const span = Math.max(1, Math.floor(r.width / 6) - 1);
            const i = step % (2 * span);
            mouse('mousemove', r.left + 6 * (i < span ? i : 2 * span - i));
          } else if (kind === 'zoom') {
            // Frame by frame: press, drag across a third of the plot, release (a zoom); then a double-click resets.
            const phase = step % 4;
            const x0 = r.left + r.width * 0.3;
            const x1 = r.left + r.width * 0.6;
            if (phase === 0) {
              mouse('mousemove', x0);
              mouse('mousedown', x0);
            } else if (phase === 1) mouse('mousemove', x1);
            else if (phase === 2) mouse('mouseup', x1, document);
            else mouse('dblclick', x1);
          }
          if (t - stamps[0] < ms) requestAnimationFrame(frame);
          else {
            clearInterval(feeding);
            if (kind === 'zoom') mouse('mouseup', r.left, document);
            const gaps = stamps
              .slice(1)
              .map((s, i) => s - stamps[i])
              .sort((a, b) => a - b);
            done({
              frames: gaps.length,
              fps: (gaps.length / (stamps[stamps.length - 1] - stamps[0])) * 1000,
              median: gaps[Math.floor(gaps.length / 2)],
              p95: gaps[Math.floor(gaps.length * 0.95)],
              held: Number(chart.dataset['points']),
              streamed: next - firstStep,
            });
          }
        };
        requestAnimationFrame(frame);
      }),
    [kind, ms, firstStep, STREAM_MS, STREAM_BATCH] as const,
  );
}

/**
 * The step the live legend shows with the pointer over the plot's middle: unzoomed, after a drag-zoom over the
 * middle third, and after the next batch of points, to check that the zoom run really zoomed and whether it holds.
 */
function zoomProbe(page: Page, from: number): Promise<{ whole: string; zoomed: string; afterPoints: string }> {
  return page.evaluate(async (from) => {
    const w = window as unknown as { __benchFeed: (from: number, count: number) => void };
    const chart = document.querySelector('[data-testid="loss-chart"]') as HTMLElement;
    const over = chart.querySelector('.u-over') as HTMLElement;
    const r = over.getBoundingClientRect();
    const y = r.top + r.height / 2;
    const frame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    const mouse = (type: string, x: number, target: EventTarget = over) =>
      target.dispatchEvent(
        new MouseEvent(type, { clientX: x, clientY: y, movementX: 1, bubbles: true, button: 0, buttons: 1 }),
      );
    const middle = async () => {
      mouse('mousemove', r.left + r.width / 2);
      await frame();
      return chart.querySelector('.u-legend .u-series .u-value')?.textContent ?? '';
    };
    // uPlot ignores a move without movement while a button is down (a Chrome quirk): the events above carry some.
    mouse('mouseup', r.left + r.width / 2, document);
    mouse('dblclick', r.left + r.width / 2);
    await frame();
    const whole = await middle();
    mouse('mousemove', r.left + r.width * 0.3);
    mouse('mousedown', r.left + r.width * 0.3);
    mouse('mousemove', r.left + r.width * 0.6);
    mouse('mouseup', r.left + r.width * 0.6, document);
    await frame();
    const zoomed = await middle();
    w.__benchFeed(from, 100);
    await frame();
    const afterPoints = await middle();
    return { whole, zoomed, afterPoints };
  }, from);
}

const mode = await startBrowserMode({ name: 'chart-fps' });
try {
  const page = await mode.browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(60_000);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.addInitScript({ content: KEEP_SOCKETS });
  await openApp(page, mode.server);
  await page.getByTestId('new').click();
  await page.getByTestId('template-lenet5').click();
  await page.getByTestId('mode-train').click();
  await page.getByTestId('loss-chart').waitFor();
  // The run the events belong to, as a trainingState answer would set it.
  await page.evaluate((runId) => {
    const el = document.querySelector('#app') as unknown as {
      __vue_app__: { config: { globalProperties: { $pinia: { _s: Map<string, { runId: string | null }> } } } };
    };
    const training = el.__vue_app__.config.globalProperties.$pinia._s.get('training');
    if (!training) throw new Error('the training store is not there');
    training.runId = runId;
  }, RUN_ID);
  await installFeeder(page, points + 100_000);

  // The first `points` steps, in batches of 1,000, each given a frame to draw.
  const loadStarted = Date.now();
  for (let from = 1; from <= points; from += 1000) {
    await page.evaluate(
      ([f, n]) => (window as unknown as { __benchFeed(a: number, b: number): void }).__benchFeed(f, n),
      [from, Math.min(1000, points - from + 1)] as const,
    );
  }
  await page.locator(`[data-testid="loss-chart"][data-points="${points}"]`).waitFor();
  const loadSeconds = (Date.now() - loadStarted) / 1000;
  await page.waitForTimeout(300);

  let nextStep = points + 1;
  const results: [string, Run][] = [];
  for (const [label, kind] of [
    ['streaming', 'stream'],
    ['streaming + hover', 'hover'],
    ['streaming + drag-zoom / reset', 'zoom'],
  ] as const) {
    const warm = await measure(page, kind, 500, nextStep);
    nextStep += warm.streamed;
    const run = await measure(page, kind, seconds * 1000, nextStep);
    nextStep += run.streamed;
    if (run.held < points + run.streamed) {
      throw new Error(`${label}: the chart holds ${run.held} points, fewer than were sent, so it did not keep up`);
    }
    results.push([label, run]);
  }
  if (problems.length > 0) throw new Error(`the page failed: ${problems.join('; ')}`);
  const zoom = await zoomProbe(page, nextStep);
  if (zoom.zoomed === zoom.whole)
    throw new Error(
      `a drag over the chart did not zoom it (${JSON.stringify(zoom)}), so the zoom run measured nothing`,
    );

  console.log(
    `Loss chart frame rate, ${points.toLocaleString('en')} points then ${(1000 / STREAM_MS) * STREAM_BATCH} more a second, ` +
      `${seconds} s per run, Chromium ${mode.browser.version()}, 1280×800`,
  );
  console.log(`  machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} over the last minute`);
  console.log(`  loading ${points.toLocaleString('en')} points took ${loadSeconds.toFixed(1)} s (batches of 1,000)`);
  for (const [label, r] of results) {
    console.log(
      `  ${label.padEnd(30)} ${r.fps.toFixed(1).padStart(5)} fps  (${r.frames} frames, median frame ${r.median.toFixed(1)} ms, ` +
        `p95 ${r.p95.toFixed(1)} ms; chart holds ${r.held.toLocaleString('en')} points)`,
    );
  }
  console.log(
    `  zoom check: step under the plot's middle ${zoom.whole} unzoomed, ${zoom.zoomed} after a drag-zoom, ` +
      `${zoom.afterPoints} once more points arrived (${zoom.afterPoints === zoom.zoomed ? 'the zoom holds' : 'new points undo the zoom'})`,
  );
  const worst = Math.min(...results.map(([, r]) => r.fps));
  const verdict = worst >= TARGET_FPS ? 'meet' : 'MISS';
  console.log(`the loss chart's runs ${verdict} the target of ${TARGET_FPS} fps (lowest ${worst.toFixed(1)} fps)`);
} finally {
  await mode.close();
}
