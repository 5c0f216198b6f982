/**
 * Opening a large project (a benchmark, not a test): a 10,000-layer network is opened in the browser mode in
 * Debian's Chromium, through the in-page picker, and the time until the canvas shows it and the page's
 * JavaScript heap afterwards are reported. Targets: under 3 s to open, under 300 MB of heap.
 *
 *   npm run build && npx tsx bench/canvas-open.bench.ts [--nodes 10000]
 *
 * The time runs from the click on Open in the picker to the canvas probe answering for every node and two
 * frames drawn after that (and, reported alongside, the time to fit the whole graph with F); the heap is Chromium's own figure (CDP Performance.getMetrics, JSHeapUsedSize) after a
 * garbage collection. The server runs on 127.0.0.1 (port 0) and stops at the end.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeProjectFile } from '../src/host/project/project-file';
import { newProjectContent } from '../src/shared/project';
import { flowLayout } from '../src/shared/layout';
import type { Graph, GraphEdge, GraphNode } from '../src/shared/graph';
import { openApp, startBrowserMode } from '../tests/e2e/harness/browser-mode';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '10000' } } });
const NODES = Number(values.nodes);
const TARGET_MS = 3000;
const TARGET_HEAP_MB = 300;

/** A chain of small conv / ReLU / BatchNorm layers, laid out as the app would lay it out. */
function bigGraph(): Graph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (let i = 0; i < NODES; i++) {
    const id = `n${i}`;
    const position = { x: 0, y: 0 };
    if (i === 0) nodes.push({ id, type: 'input', params: { channels: 1, height: 8, width: 8 }, position });
    else if (i % 10 === 5) nodes.push({ id, type: 'batchnorm', params: {}, position });
    else if (i % 2) nodes.push({ id, type: 'conv2d', params: { filters: 2, padding: 'same' }, position });
    else nodes.push({ id, type: 'relu', params: {}, position });
    if (i > 0) edges.push({ from: { node: `n${i - 1}`, port: 0 }, to: { node: id, port: 0 } });
  }
  const at = flowLayout({ nodes, edges });
  for (const n of nodes) n.position = at.get(n.id)!;
  return { format: 'convas-graph', version: 1, name: `${NODES} layers`, nodes, edges };
}

async function main(): Promise<void> {
  const mode = await startBrowserMode({ name: 'open-big' });
  await writeProjectFile(join(mode.root, 'huge.convas'), newProjectContent(bigGraph(), `${NODES} layers`), {});
  try {
    const page = await mode.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await openApp(page, mode.server);
    await page.getByTestId('open').click();
    await page.getByTestId('entry-huge.convas').click();
    const started = Date.now();
    await page.getByTestId('picker-confirm').click();
    await page.waitForFunction((n) => window.__convasCanvas?.nodeIds().length === n, NODES, { timeout: 300_000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const ms = Date.now() - started;
    // Then the whole graph at once (F fits it, at the smallest zoom): far out, the nodes are plain boxes.
    const fitStarted = Date.now();
    await page.keyboard.press('f');
    await page.waitForFunction(() => window.__convasCanvas!.viewport().scale < 0.2);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const fitMs = Date.now() - fitStarted;
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN) / 2 ** 20;
    console.log(`Opening a ${NODES.toLocaleString('en')}-layer project, Chromium ${mode.browser.version()}, 1440×900`);
    console.log(`  machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} over the last minute`);
    console.log(`  open to drawn  ${(ms / 1000).toFixed(2)} s   (target < ${TARGET_MS / 1000} s)`);
    console.log(`  fit all (F)    ${(fitMs / 1000).toFixed(2)} s`);
    console.log(`  page JS heap   ${heap.toFixed(0)} MB   (target < ${TARGET_HEAP_MB} MB)`);
    const ok = ms < TARGET_MS && heap < TARGET_HEAP_MB;
    console.log(ok ? 'meets both targets' : 'MISSES a target');
  } finally {
    await mode.close();
  }
}

await main();
