import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compileGraph, Network } from '../../src/engine';
import { buildOnnxModel, encodeOnnx } from '../../src/engine/formats/onnx/export';
import { importOnnx } from '../../src/engine/formats/onnx/import';
import { writeProjectFile } from '../../src/host/project/project-file';
import type { Point } from '../../src/renderer/commands/types';
import type { Graph, GraphEdge, GraphNode } from '../../src/shared/graph';
import { openApp, shotIfFailed, startBrowserMode, watchProblems, type BrowserMode } from './harness/browser-mode';
import { DOCS_DIR } from './harness/docs-shots';
import { nameChecks, settle, shoot } from './shots/canvas-scale';

/**
 * The canvas at scale in Debian's Chromium at 1440×900, through the real mouse and keyboard: every template
 * and a 40-layer model imported from ONNX open fitted, with every node in view and its name drawn whole at a
 * readable size (read through the canvas probe, which measures with the canvas's own font); edges can be
 * clicked; the overview moves the view. Screenshots go to tests/e2e/artifacts/scale/.
 */
const ARTIFACTS = resolve('tests/e2e/artifacts/scale');
/** The smallest name on screen that counts as readable, in CSS pixels. */
const READABLE_PX = 10;

let mode: BrowserMode;
let context: BrowserContext;
let page: Page;
let problems: string[];

/** A 40-layer network as another tool would write it: ONNX without Convas's metadata (so no positions). */
async function writeImported(path: string): Promise<Graph> {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const add = (id: string, type: string, params: GraphNode['params']) => {
    if (nodes.length) edges.push({ from: { node: nodes.at(-1)!.id, port: 0 }, to: { node: id, port: 0 } });
    nodes.push({ id, type, params, position: { x: 0, y: 0 } });
  };
  add('image', 'input', { channels: 3, height: 16, width: 16 });
  for (let b = 1; b <= 12; b++) {
    add(`conv${b}`, 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, padding: 'same' });
    add(`bn${b}`, 'batchnorm', {});
    add(`relu${b}`, 'relu', {});
  }
  add('flatten', 'flatten', {});
  add('classifier', 'dense', { units: 10 });
  add('probabilities', 'softmax', {});
  const graph: Graph = { format: 'convas-graph', version: 1, name: 'Imported 40', nodes, edges };
  const model = buildOnnxModel({
    graph,
    compiled: compileGraph(graph),
    weights: new Network(graph, 3).getWeights(),
    baseName: 'imported',
  });
  model.metadataProps = [];
  const imported = importOnnx(encodeOnnx(model));
  await writeProjectFile(path, { graph: imported.graph, dataset: null, history: [] }, imported.weights);
  return imported.graph;
}

beforeAll(async () => {
  mode = await startBrowserMode({ name: 'canvas-scale' });
  await mkdir(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await mode?.close();
});
beforeEach(async () => {
  context = await mode.browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  problems = watchProblems(page);
});
afterEach(async (ctx) => {
  await shotIfFailed(ctx, page, ARTIFACTS);
  await context?.close();
});

const layers = () => page.getByTestId('node-count').innerText();

async function expectReadable(count: number): Promise<void> {
  // The probe answers for the graph shown; a template just chosen may still be on its way in.
  await expect.poll(async () => (await nameChecks(page)).length).toBe(count);
  await settle(page);
  const checks = await nameChecks(page);
  const bad = checks.filter((c) => !c.inView || !c.fits || c.fontPx < READABLE_PX);
  expect(bad, JSON.stringify(bad)).toEqual([]);
}

/** The middle of the straight stretch between a node's output port and the next node's input port. */
async function edgeMiddle(from: string, to: string): Promise<Point> {
  return page.evaluate(
    ([a, b]) => {
      const p = window.__convasCanvas!.outputPort(a)!;
      const q = window.__convasCanvas!.inputPort(b, 0)!;
      return { x: (p.x + q.x) / 2, y: (p.y + q.y) / 2 };
    },
    [from, to] as const,
  );
}

const edgeCount = () => page.evaluate(() => window.__convasCanvas!.graph().edges.length);

describe('the canvas at scale, at 1440×900', () => {
  it('opens every template fitted, every name readable', async () => {
    await openApp(page, mode.server);
    await page.getByTestId('new').click();
    const templates = await page
      .locator('[data-testid^="template-"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.slice('template-'.length)));
    await page.keyboard.press('Escape');
    expect(templates.length).toBeGreaterThanOrEqual(4);
    for (const id of templates) {
      // Each template is a project of its own name: the title changes once it has loaded (the layer count alone
      // may still be the previous template's).
      const before = await page.title();
      await page.getByTestId('new').click();
      await page.getByTestId(`template-${id}`).click();
      await expect.poll(() => page.title()).not.toBe(before);
      await expect.poll(layers).not.toBe('0 layers');
      const count = Number((await layers()).split(' ')[0]);
      await expectReadable(count);
      await shoot(page, ARTIFACTS, `template-${id}`);
    }
    expect(problems).toEqual([]);
  });

  it('opens an imported 40-layer ONNX model fitted and readable, with an overview; edges can be clicked', async () => {
    const graph = await writeImported(join(mode.root, 'imported-40.convas'));
    expect(graph.nodes).toHaveLength(40);
    await openApp(page, mode.server);
    await page.getByTestId('open').click();
    await page.getByTestId('entry-imported-40.convas').dblclick();
    await expect.poll(layers).toBe('40 layers');
    await expectReadable(40);
    await shoot(page, ARTIFACTS, 'imported-40');
    if (DOCS_DIR) await shoot(page, DOCS_DIR, 'large-network');

    // Zoomed out, the details fade but every name stays drawn whole at a readable size.
    await page.mouse.click(700, 880 - 200); // focus the canvas (empty area near the bottom)
    await page.keyboard.press('Control+Minus');
    await page.keyboard.press('Control+Minus');
    await settle(page);
    const zoomed = await nameChecks(page);
    expect(await page.evaluate(() => window.__convasCanvas!.viewport().scale)).toBeLessThan(0.4);
    const unreadable = zoomed.filter((c) => !c.fits || c.fontPx < READABLE_PX);
    expect(unreadable, JSON.stringify(unreadable)).toEqual([]);
    await shoot(page, ARTIFACTS, 'imported-40-zoomed-out');

    // An edge is picked with a click at this zoom, and deleted with the keyboard.
    const before = await edgeCount();
    const at = await edgeMiddle('conv2', 'bn2');
    await page.mouse.click(at.x, at.y);
    await page.keyboard.press('Delete');
    await expect.poll(edgeCount).toBe(before - 1);
    await page.keyboard.press('Control+Z');
    await expect.poll(edgeCount).toBe(before);

    // The overview: pressing its corner moves the view there.
    const minimap = page.getByTestId('minimap');
    await minimap.waitFor();
    const vp = await page.evaluate(() => window.__convasCanvas!.viewport());
    const box = (await minimap.boundingBox())!;
    await page.mouse.click(box.x + box.width - 8, box.y + box.height - 8);
    await expect.poll(() => page.evaluate(() => window.__convasCanvas!.viewport().y)).not.toBe(vp.y);
    expect(problems).toEqual([]);
  });
});
