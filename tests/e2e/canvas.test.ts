import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readProjectFile } from '../../src/host/project/project-file';
import type { RunningServer } from '../../src/host/server/server';
import type { Point } from '../../src/renderer/commands/types';
import type { NodeText } from '../../src/renderer/editor/canvas/node-text';
import type { Graph } from '../../src/shared/graph';
import { shotIfFailed, startBrowserMode, watchProblems, type BrowserMode } from './harness/browser-mode';
import { docsShot } from './harness/docs-shots';

/**
 * The canvas editor in Chromium through the browser mode, driven with the real mouse and keyboard:
 * the harness (./harness/browser-mode.ts) starts the server (127.0.0.1, port 0) and the browser and closes them
 * at the end. Needs the renderer built (`npm run build`). Screenshots of the key steps go to
 * tests/e2e/artifacts/canvas/; the one the README shows goes to docs/canvas.png under `npm run docs:screenshots`.
 *
 * Konva draws pixels, so the test finds ports and reads node text through window.__convasCanvas, a read-only
 * probe the canvas installs (src/renderer/editor/canvas/probe.ts); every action goes through the real mouse.
 */
const ARTIFACTS = resolve('tests/e2e/artifacts/canvas');

let mode: BrowserMode;
let root: string;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
let problems: string[];

beforeAll(async () => {
  mode = await startBrowserMode({ name: 'canvas-e2e' });
  ({ root, server } = mode);
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await mode?.close();
});

beforeEach(async () => {
  context = await mode.browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  problems = watchProblems(page);
  page.on('dialog', (d) => void d.accept());
});

afterEach(async (ctx) => {
  await shotIfFailed(ctx, page, ARTIFACTS);
  await context?.close();
});

// ---- what the page shows, through the canvas probe ----
const nodeIds = () => page.evaluate(() => window.__convasCanvas!.nodeIds());
const text = (id: string) => page.evaluate((i) => window.__convasCanvas!.nodeText(i), id) as Promise<NodeText>;
const info = async (id: string) => (await text(id)).info;
const graph = () => page.evaluate(() => window.__convasCanvas!.graph()) as Promise<Graph>;
const grip = (id: string) => page.evaluate((i) => window.__convasCanvas!.nodeGrip(i), id) as Promise<Point>;
const outPort = (id: string) => page.evaluate((i) => window.__convasCanvas!.outputPort(i), id) as Promise<Point>;
const inPort = (id: string, port = 0) =>
  page.evaluate(([i, p]) => window.__convasCanvas!.inputPort(i, p), [id, port] as const) as Promise<Point>;

async function shot(name: string): Promise<void> {
  await page.mouse.move(1, 1); // no hover highlight unless the step is about one
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** A press, a move in small steps (as a hand makes it) and a release. */
async function drag(from: Point, to: Point): Promise<void> {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 12 });
  await page.mouse.up();
}

async function openApp(): Promise<void> {
  expect((await page.goto(server.url))?.status()).toBe(200);
  await page.locator('[data-ready="true"]').waitFor();
  await page.getByTestId('canvas').waitFor();
}

/** Drops a layer from the palette at a point of the canvas given relative to its top-left corner. */
async function dropFromPalette(type: string, at: Point): Promise<void> {
  // The palette scrolls once it has more layers than the window is tall, as a user would scroll it.
  const layer = page.locator(`[data-layer="${type}"]`);
  await layer.scrollIntoViewIfNeeded();
  const entry = await layer.boundingBox();
  const canvas = await page.getByTestId('canvas').boundingBox();
  await drag({ x: entry!.x + 30, y: entry!.y + entry!.height / 2 }, { x: canvas!.x + at.x, y: canvas!.y + at.y });
}

/** Clicks empty canvas (which also takes the focus from any field, so that shortcuts reach the editor). */
async function clickBackground(): Promise<void> {
  const canvas = await page.getByTestId('canvas').boundingBox();
  await page.mouse.click(canvas!.x + canvas!.width - 20, canvas!.y + canvas!.height - 20);
}

describe('the canvas editor in Chromium', () => {
  it('builds a network from the palette, edits it, undoes and redoes everything, saves and reopens it', async () => {
    await openApp();
    await page.getByTestId('empty-canvas').waitFor();
    expect(await page.getByTestId('empty-canvas').innerText()).toContain('Drag a layer from the left');
    await shot('01-empty');

    // Six layers dragged from the palette onto the canvas, in two rows.
    const chain = ['input', 'conv2d', 'maxpool2d', 'flatten', 'dense', 'softmax'];
    for (const [i, type] of chain.entries()) {
      await dropFromPalette(type, { x: 120 + (i % 3) * 230, y: 90 + Math.floor(i / 3) * 220 });
    }
    const ids = chain.map((t) => `${t}_1`);
    expect(await nodeIds()).toEqual(ids);
    expect(await page.title()).toMatch(/^• /); // unsaved changes show in the title
    await shot('02-dropped');

    // Wired output → input, each edge by a drag between the ports.
    for (let i = 0; i + 1 < ids.length; i++) await drag(await outPort(ids[i]), await inPort(ids[i + 1]));
    expect((await graph()).edges).toHaveLength(5);
    expect(await info('input_1')).toBe('1×28×28');
    expect(await info('conv2d_1')).toBe('8×26×26 · 80 params');
    expect(await info('maxpool2d_1')).toBe('8×13×13');
    expect(await info('flatten_1')).toBe('1352');
    expect(await info('dense_1')).toBe('10 · 13,530 params');
    expect(await info('softmax_1')).toBe('10');
    expect(await page.getByTestId('status-params').innerText()).toBe('13,610 params');
    expect(await page.getByTestId('status-state').innerText()).toBe('✓ graph valid');
    await shot('03-wired');

    // The kernel height changed in the inspector: the shapes downstream follow.
    await page.mouse.click(...xy(await grip('conv2d_1')));
    await page.locator('#param-conv2d_1-kernelH').fill('5');
    await page.keyboard.press('Tab'); // leaving the field ends its undo step
    await expect.poll(() => info('conv2d_1')).toBe('8×24×26 · 128 params');
    expect(await info('maxpool2d_1')).toBe('8×12×13');
    expect(await info('flatten_1')).toBe('1248');
    expect(await page.getByTestId('inspector-shape').innerText()).toBe('8×24×26');
    await shot('04-kernel-5');

    // A kernel taller than the image: the node shows the error (red, message on hover), and nothing follows.
    await page.locator('#param-conv2d_1-kernelH').fill('30');
    await page.keyboard.press('Tab');
    await expect.poll(() => info('conv2d_1')).toMatch(/^⚠ the 30-pixel window is larger than the input height 28/);
    expect((await text('conv2d_1')).error).toMatch(/^node 'conv2d_1' \(Conv2D\): /);
    expect(await info('maxpool2d_1')).toBe('…');
    expect(await page.getByTestId('inspector-error').innerText()).toContain('30-pixel window');
    await page.mouse.move(...xy(await grip('conv2d_1')));
    const tooltip = page.getByTestId('canvas-tooltip');
    await tooltip.waitFor();
    expect(await tooltip.innerText()).toMatch(/node 'conv2d_1' \(Conv2D\): the 30-pixel window is larger/);
    await page.screenshot({ path: join(ARTIFACTS, '05-shape-error.png') });

    // Wires that would make a cycle or a shape mismatch are refused, with the reason beside the pointer.
    await page.locator('#param-conv2d_1-kernelH').fill('3');
    await page.keyboard.press('Tab');
    await expect.poll(() => info('conv2d_1')).toBe('8×26×26 · 80 params');
    const before = await graph();
    await page.mouse.move(...xy(await outPort('flatten_1')));
    await page.mouse.down();
    await page.mouse.move(...xy(await inPort('maxpool2d_1')), { steps: 10 });
    await tooltip.waitFor();
    expect(await tooltip.innerText()).toBe(
      "connecting 'flatten_1' (Flatten) to 'maxpool2d_1' (MaxPool) would make a cycle: 'maxpool2d_1' (MaxPool) already feeds 'flatten_1' (Flatten)",
    );
    await page.mouse.up();
    expect(await page.getByTestId('canvas-notice').innerText()).toMatch(/would make a cycle/);
    await page.mouse.move(...xy(await outPort('input_1')));
    await page.mouse.down();
    await page.mouse.move(...xy(await inPort('dense_1')), { steps: 10 });
    await expect
      .poll(() => tooltip.innerText())
      .toMatch(
        /^cannot connect 'input_1' \(Input\) to 'dense_1' \(Dense\): node 'dense_1' \(Dense\): Dense needs a .*vector/,
      );
    await page.screenshot({ path: join(ARTIFACTS, '06-refused-wire.png') });
    await page.mouse.up();
    expect(await page.getByTestId('canvas-notice').innerText()).toMatch(/Dense needs a/);
    expect(await graph()).toEqual(before);

    // Undo back to the empty canvas, then redo everything.
    await clickBackground();
    const end = await graph();
    let undos = 0;
    while ((await nodeIds()).length > 0 && undos < 100) {
      await page.keyboard.press('Control+z');
      undos++;
    }
    expect(await nodeIds()).toEqual([]);
    await page.getByTestId('empty-canvas').waitFor();
    // 6 drops, 5 wires and 3 edits of the kernel field; the refused wires made no step.
    expect(undos).toBe(14);
    await shot('07-undone');
    for (let i = 0; i < undos; i++) await page.keyboard.press(i % 2 ? 'Control+y' : 'Control+Shift+z');
    expect(await graph()).toEqual(end);
    expect(await info('dense_1')).toBe('10 · 13,530 params');
    await shot('08-redone');

    // Save (Ctrl+S asks for a file name in the browser mode), reload the page, reopen from the recent list.
    await page.keyboard.press('Control+s');
    await page.getByTestId('file-picker').waitFor();
    await page.getByTestId('picker-file-name').fill('canvas-e2e');
    await page.getByTestId('picker-confirm').click();
    await page.getByTestId('file-picker').waitFor({ state: 'detached' });
    await expect.poll(() => page.title()).toMatch(/^canvas-e2e\s*— Convas$/);
    const onDisk = await readProjectFile(join(root, 'canvas-e2e.convas'));
    expect(onDisk.file.graph.nodes.map((n) => n.id)).toEqual(ids);

    await page.reload();
    await page.locator('[data-ready="true"]').waitFor();
    await expect.poll(nodeIds).toEqual([]);
    await page.getByTestId('recent').click();
    await page.getByRole('menuitem').getByText('canvas-e2e').click();
    await expect.poll(nodeIds).toEqual(ids);
    expect(await graph()).toEqual(end);
    expect(await info('flatten_1')).toBe('1352');
    await shot('09-reopened');
    expect(problems).toEqual([]);
  });

  it('selects with a rubber band, moves a group by dragging, duplicates and lays out', async () => {
    await openApp();
    await page.getByRole('button', { name: /Small MLP/ }).click();
    await expect.poll(async () => (await nodeIds()).length).toBe(5);
    const ids = await nodeIds();
    const canvas = (await page.getByTestId('canvas').boundingBox())!;

    // Shift-drag on the background around everything selects it all; a drag on one node moves them all.
    await page.keyboard.down('Shift');
    await drag(
      { x: canvas.x + 5, y: canvas.y + 5 },
      { x: canvas.x + canvas.width - 5, y: canvas.y + canvas.height - 5 },
    );
    await page.keyboard.up('Shift');
    const start = await graph();
    const g0 = await grip(ids[0]);
    await drag(g0, { x: g0.x + 47, y: g0.y + 63 });
    const moved = await graph();
    const scale = (await page.evaluate(() => window.__convasCanvas!.viewport())).scale;
    for (const [i, n] of moved.nodes.entries()) {
      const o = start.nodes[i].position;
      // The grabbed node lands on the 20-unit grid, the others keep their distances to it.
      expect(n.position.x - o.x).toBe(moved.nodes[0].position.x - start.nodes[0].position.x);
      expect(n.position.y - o.y).toBe(moved.nodes[0].position.y - start.nodes[0].position.y);
    }
    expect(moved.nodes[0].position.x % 20).toBe(0);
    expect(Math.abs(moved.nodes[0].position.x - start.nodes[0].position.x - 47 / scale)).toBeLessThanOrEqual(10);

    // Ctrl+D duplicates the selection with its wiring; L lays everything out left to right, in rows when long.
    await page.keyboard.press('Control+d');
    const dup = await graph();
    expect(dup.nodes).toHaveLength(10);
    expect(dup.edges).toHaveLength(8);
    await page.keyboard.press('l');
    const laid = await graph();
    for (const e of laid.edges) {
      const at = (id: string) => laid.nodes.find((n) => n.id === id)!.position;
      // Forward: to the right within a row, or on to a row below.
      const [a, b] = [at(e.from.node), at(e.to.node)];
      expect(b.x > a.x || b.y > a.y, `${e.from.node} → ${e.to.node}`).toBe(true);
    }
    await page.keyboard.press('f');
    await page.keyboard.press('?');
    await page.getByTestId('shortcut-sheet').waitFor();
    expect(await page.getByTestId('shortcut-sheet').innerText()).toContain('Ctrl+Shift+Z');
    await shot('10-shortcut-sheet');
    await page.keyboard.press('Escape');
    await page.getByTestId('shortcut-sheet').waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });

  it('shows LeNet-5 from its template, for the README', async () => {
    await openApp();
    await page.getByRole('button', { name: /LeNet-5/ }).click();
    await expect.poll(async () => (await nodeIds()).length).toBe(14);
    expect(await info('conv1')).toBe('6×28×28 · 156 params');
    expect(await info('fc1')).toBe('120 · 48,120 params');
    expect(await page.getByTestId('status-params').innerText()).toBe('61,706 params');
    await page.mouse.click(...xy(await grip('conv2')));
    await page.mouse.move(1, 1);
    await docsShot(page, 'canvas.png');
    await page.screenshot({ path: join(ARTIFACTS, '11-lenet5.png') });

    // The theme follows the system's: dark here.
    const background = () => page.getByTestId('canvas').evaluate((e) => getComputedStyle(e).backgroundColor);
    const light = await background();
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(background).not.toBe(light);
    await page.screenshot({ path: join(ARTIFACTS, '12-lenet5-dark.png') });
    expect(problems).toEqual([]);
  });
});

function xy(p: Point): [number, number] {
  return [p.x, p.y];
}
