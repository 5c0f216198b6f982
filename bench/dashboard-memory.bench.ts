/**
 * Renderer memory during a long run (a benchmark, not a test): LeNet-5 trains on the built-in sample in the browser
 * mode while the Inspect view is open on conv1, so that feature-map frames stream in (two a second), the confusion
 * matrix, filters and histograms refresh, and the loss chart grows by a point per step. Every few seconds the page's
 * JavaScript heap is measured after a forced garbage collection (what it really holds), with the DOM node count.
 * Target: the retained heap stays bounded, i.e. it does not keep growing with time (the loss points themselves,
 * 16 bytes a step, are the only thing meant to grow).
 *
 *   npm run build && npx tsx bench/dashboard-memory.bench.ts [--minutes 10] [--every 10]
 *
 * It prints one line per sample (minutes, retained heap, heap before collection, DOM nodes, steps trained) and at
 * the end the minimum and maximum retained heap, and the growth from the first third of the run to the last
 * third. The server (127.0.0.1, port 0) and Chromium are started here and stopped at the end.
 */
import { parseArgs } from 'node:util';
import { openApp, startBrowserMode } from '../tests/e2e/harness/browser-mode';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '10' }, every: { type: 'string', default: '10' } },
});
const minutes = Number(values.minutes);
const every = Number(values.every);
if (!(minutes > 0) || !(every > 0)) {
  console.error('usage: npx tsx bench/dashboard-memory.bench.ts [--minutes M] [--every SECONDS]');
  process.exit(2);
}

const MB = 2 ** 20;
const mode = await startBrowserMode({ name: 'dashboard-memory' });
const samples: { minutes: number; retained: number; used: number; nodes: number; steps: number }[] = [];
try {
  const context = await mode.browser.newContext({ viewport: { width: 1440, height: 960 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  page.on('dialog', (d) => void d.accept());
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await openApp(page, mode.server);

  await page.getByTestId('new').click();
  await page.getByTestId('template-lenet5').click();
  await page.getByTestId('mode-train').click();
  await page.getByTestId('hyper-epochs').fill('10000');
  await page.getByTestId('train-start').click();
  await page.locator('[data-testid="run-status"][data-phase="running"]').waitFor();
  // The feature-map view open on conv1 for the whole run.
  await page.getByTestId('mode-inspect').click();
  const grip = await page.evaluate(() => window.__convasCanvas!.nodeGrip('conv1'));
  if (!grip) throw new Error('conv1 is not on the canvas');
  await page.mouse.click(grip.x, grip.y);
  await page.locator('[data-testid="feature-maps"][data-node="conv1"][data-ready="true"]').waitFor();

  const started = Date.now();
  const end = started + minutes * 60_000;
  console.log(`training LeNet-5 with the feature maps of conv1 open, sampling every ${every} s for ${minutes} min`);
  console.log('minutes  retained MB  used MB  DOM nodes  steps');
  for (;;) {
    const used = (await cdp.send('Runtime.getHeapUsage')).usedSize;
    await cdp.send('HeapProfiler.collectGarbage');
    const retained = (await cdp.send('Runtime.getHeapUsage')).usedSize;
    const metrics = (await cdp.send('Performance.getMetrics')).metrics;
    const nodes = metrics.find((m) => m.name === 'Nodes')?.value ?? 0;
    // Steps the window has received (every one is kept for the loss chart).
    const steps = Number(await page.getByTestId('run-summary').getAttribute('data-steps'));
    const sample = { minutes: (Date.now() - started) / 60_000, retained, used, nodes, steps };
    samples.push(sample);
    console.log(
      `${sample.minutes.toFixed(2).padStart(7)}  ${(retained / MB).toFixed(2).padStart(11)}  ${(used / MB).toFixed(2).padStart(7)}  ${String(nodes).padStart(9)}  ${steps}`,
    );
    if (Date.now() >= end) break;
    await page.waitForTimeout(Math.min(every * 1000, Math.max(0, end - Date.now())));
  }
  await page.getByTestId('run-stop').click();
  await page.locator('[data-testid="run-stop"][disabled]').waitFor();
} finally {
  await mode.close();
}

const retained = samples.map((s) => s.retained);
const third = Math.max(1, Math.floor(samples.length / 3));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const early = mean(retained.slice(0, third));
const late = mean(retained.slice(-third));
console.log('');
console.log(
  `retained heap: min ${(Math.min(...retained) / MB).toFixed(2)} MB, max ${(Math.max(...retained) / MB).toFixed(2)} MB`,
);
console.log(
  `first third ${(early / MB).toFixed(2)} MB → last third ${(late / MB).toFixed(2)} MB (${(((late - early) / early) * 100).toFixed(1)}%)`,
);
console.log(
  `DOM nodes: min ${Math.min(...samples.map((s) => s.nodes))}, max ${Math.max(...samples.map((s) => s.nodes))}`,
);
