import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openApp, shotIfFailed, startBrowserMode, watchProblems, type BrowserMode } from './harness/browser-mode';
import { docsShot } from './harness/docs-shots';

/**
 * Watching it learn, in Chromium through the browser mode: LeNet-5 from its template on the built-in
 * sample, one epoch of training, the confusion matrix and a cell's images, conv1's feature maps and filters,
 * pause and resume, and a learning rate of 10 diverging. The steps share one page, in order. Screenshots of each
 * go to tests/e2e/artifacts/dashboard/; the three the README shows go to docs/ under `npm run docs:screenshots`.
 * Needs `npm run build`.
 */
const ARTIFACTS = resolve('tests/e2e/artifacts/dashboard');

let mode: BrowserMode;
let context: BrowserContext;
let page: Page;
let problems: string[];

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  mode = await startBrowserMode({ name: 'dashboard-e2e' });
  context = await mode.browser.newContext({ viewport: { width: 1440, height: 960 }, colorScheme: 'light' });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
  problems = watchProblems(page);
  page.on('dialog', (d) => void d.accept());
  await openApp(page, mode.server);
});

afterAll(async () => {
  await context?.close();
  await mode?.close();
});

afterEach(async (ctx) => {
  await shotIfFailed(ctx, page, ARTIFACTS);
});

async function shot(name: string, docs?: string): Promise<void> {
  await page.mouse.move(1, 1);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  if (docs) await docsShot(page, docs);
}

const phase = () => page.getByTestId('run-status').getAttribute('data-phase');
const points = async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
async function setField(id: string, value: string): Promise<void> {
  await page.getByTestId(id).fill(value);
}
/** Every confusion-matrix cell's test id and count. */
function cellCounts(): Promise<(readonly [string, number])[]> {
  return page
    .locator('[data-testid^="cell-"][data-count]')
    .evaluateAll((cells) =>
      cells.map((c) => [c.getAttribute('data-testid')!, Number(c.getAttribute('data-count'))] as const),
    );
}
/** The cell with the most mistakes (off the diagonal). */
function worstCell(counts: (readonly [string, number])[]): readonly [string, number] {
  return counts
    .filter(([id]) => {
      const [, actual, predicted] = id.split('-');
      return actual !== predicted;
    })
    .reduce((best, c) => (c[1] > best[1] ? c : best));
}
async function waitForPhase(p: string, timeout = 60_000): Promise<void> {
  await expect.poll(phase, { timeout }).toBe(p);
}

describe('training dashboard in Chromium', () => {
  it('starts LeNet-5 on the built-in sample and shows its dataset report', async () => {
    await page.getByTestId('new').click();
    await page.getByTestId('template-lenet5').click();
    await expect.poll(() => page.getByTestId('node-count').innerText()).toBe('14 layers');
    await page.getByTestId('mode-data').click();
    await page.getByTestId('class-bars').waitFor();
    expect(await page.getByTestId('dataset-label').innerText()).toMatch(/Built-in sample/);
    expect(await page.locator('[data-testid="class-bars"] .bar-row').count()).toBe(10);
    expect(await page.locator('[data-testid="thumbnails"] img').count()).toBe(40);
    await page.locator('[data-testid="augment-preview"] img').waitFor();
    // The canvas stays in view in every mode.
    expect(await page.getByTestId('canvas').isVisible()).toBe(true);
    await shot('01-data');
  });

  it('says beside a field what it accepts, and will not start with a bad value', async () => {
    await page.getByTestId('mode-train').click();
    await setField('hyper-batchSize', '0');
    expect(await page.locator('#hyper-batchSize-error').innerText()).toBe('a whole number from 1 to 4,096');
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);
    await setField('hyper-learningRate', 'fast');
    expect(await page.locator('#hyper-learningRate-error').innerText()).toBe('not a number');
    await shot('02-validation');
    await setField('hyper-batchSize', '32');
    await setField('hyper-learningRate', '0.05');
    expect(await page.locator('#hyper-batchSize-error').count()).toBe(0);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(false);
  });

  it('trains one epoch: the loss chart gains a point per step and ends lower than it starts', async () => {
    expect(await page.getByTestId('hyper-optimizer').inputValue()).toBe('sgd');
    await setField('hyper-epochs', '1');
    expect(await points()).toBe(0);
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-end').innerText(), { timeout: 90_000 }).toBe('Finished 1 epoch.');
    await waitForPhase('idle');
    // 800 training images in batches of 32: every one of the 25 steps reached the chart.
    expect(await points()).toBe(25);
    const chart = page.getByTestId('loss-chart');
    const first = Number(await chart.getAttribute('data-first'));
    const last = Number(await chart.getAttribute('data-last'));
    expect(first).toBeGreaterThan(0);
    expect(last).toBeLessThan(first);
    expect(await page.getByTestId('epoch-chart-loss').getAttribute('data-epochs')).toBe('1');
    // The trained weights are the project's now, unsaved; the run is in its history.
    await expect.poll(() => page.getByTestId('title').innerText()).toMatch(/•/);
    expect(await page.locator('[data-testid="run-history"] li').count()).toBe(1);
    await shot('03-trained');
  });

  it('shows the confusion matrix, and a cell opens its images', async () => {
    await page.getByTestId('mode-inspect').click();
    await page.getByTestId('confusion-matrix').waitFor();
    const counts = await cellCounts();
    expect(counts).toHaveLength(100);
    expect(counts.reduce((a, [, n]) => a + n, 0)).toBe(200);
    const [cell, count] = worstCell(counts);
    expect(count).toBeGreaterThan(0);
    await page.getByTestId(cell).click();
    await page.getByTestId('cell-images').waitFor();
    await expect.poll(() => page.locator('[data-testid="cell-image"]').count()).toBe(Math.min(count, 60));
    await shot('04-confusion');
  });

  it('clicking conv1 on the canvas shows its feature maps and filters', async () => {
    const grip = await page.evaluate(() => window.__convasCanvas!.nodeGrip('conv1'));
    expect(grip).not.toBeNull();
    await page.mouse.click(grip!.x, grip!.y);
    const maps = page.locator('[data-testid="feature-maps"][data-node="conv1"][data-ready="true"]');
    await maps.waitFor();
    expect(await maps.innerText()).toMatch(/6 channels of 28×28/);
    const filters = page.locator('[data-testid="filters"][data-node="conv1"][data-ready="true"]');
    await filters.waitFor();
    expect(await filters.innerText()).toMatch(/6 filters × 1 input channel\(s\), each 5×5/);
    // The pictures decoded: they have pixels.
    for (const img of [maps.locator('img'), filters.locator('img')]) {
      await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0)).toBe(true);
    }
    await shot('05-feature-maps');
    await page.getByTestId('tab-step').click();
    await expect.poll(() => page.getByTestId('convolution-sum').innerText()).toMatch(/the network computed/);
    await shot('06-convolution-step');
  });

  it('pauses and resumes a run, and refuses structural edits while it trains', async () => {
    await page.getByTestId('mode-train').click();
    await setField('hyper-epochs', '40');
    await page.getByTestId('train-start').click();
    // A few epochs in, the charts tell a story: the README's picture of the dashboard.
    const epochs = () => page.getByTestId('epoch-chart-loss').getAttribute('data-epochs').then(Number);
    await expect.poll(epochs, { timeout: 60_000 }).toBeGreaterThanOrEqual(5);
    await shot('07-training', 'dashboard.png');
    await page.getByTestId('train-pause').click();
    // The host answers once the run is held between two steps, every step before it already on the chart.
    await waitForPhase('paused');
    const paused = await points();
    const status = await page.getByTestId('run-status').innerText();
    // conv1 is still selected: Delete is refused while the run holds the network, and the canvas says why.
    await page.getByTestId('canvas').click({ position: { x: 5, y: 5 } });
    const grip = await page.evaluate(() => window.__convasCanvas!.nodeGrip('conv1'));
    await page.mouse.click(grip!.x, grip!.y);
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('canvas-notice').innerText()).toMatch(/Training is using this network/);
    expect(await page.getByTestId('node-count').innerText()).toBe('14 layers');
    // Nothing moved while it was held.
    expect(await points()).toBe(paused);
    expect(await page.getByTestId('run-status').innerText()).toBe(status);
    expect(await page.evaluate(() => window.__convasCanvas!.graph().nodes.some((n) => n.id === 'conv1'))).toBe(true);
    await shot('08-paused');
    await page.getByTestId('train-resume').click();
    await waitForPhase('running');
    await expect.poll(points, { timeout: 30_000 }).toBeGreaterThan(paused + 10);
    await page.getByTestId('train-stop').click();
    await waitForPhase('idle');
    expect(await page.getByTestId('train-end').innerText()).toMatch(/^Stopped after epoch \d+/);
  });

  it('inspects the better network of the longer run (the README pictures)', async () => {
    await page.getByTestId('mode-inspect').click();
    await page.getByTestId('confusion-matrix').waitFor();
    await page.getByTestId(worstCell(await cellCounts())[0]).click();
    await page.getByTestId('cell-images').waitFor();
    const maps = page.locator('[data-testid="feature-maps"][data-node="conv1"][data-ready="true"]');
    await maps.waitFor();
    await page.locator('[data-testid="filters"][data-ready="true"]').waitFor();
    await shot('09-inspect-after-longer-run');
    // A taller window, so that the matrix and the cell's images both fit in the panel for the README's picture.
    await page.setViewportSize({ width: 1440, height: 1400 });
    await page.mouse.move(1, 1);
    const matrix = (await page.getByTestId('confusion-matrix').boundingBox())!;
    const images = (await page.getByTestId('cell-images').boundingBox())!;
    const top = Math.min(matrix.y, images.y);
    const bottom = Math.max(matrix.y + matrix.height, images.y + images.height);
    await docsShot(page, 'confusion.png', {
      x: matrix.x,
      y: top,
      width: Math.max(matrix.width, images.width),
      height: bottom - top,
    });
    await docsShot(page.getByTestId('layer-view'), 'feature-maps.png');
    await page.setViewportSize({ width: 1440, height: 960 });
  });

  it('a learning rate of 10 shows where the run diverged, never as null', async () => {
    await page.getByTestId('mode-train').click();
    await setField('hyper-epochs', '1');
    await setField('hyper-learningRate', '10');
    await page.getByTestId('train-start').click();
    await expect
      .poll(() => page.getByTestId('train-end').innerText(), { timeout: 60_000 })
      .toMatch(/^Training diverged/);
    const message = await page.getByTestId('train-end').innerText();
    // Caught where the loss first left its bound (a hundred times the first step's) or stopped being finite.
    expect(message).toMatch(
      /the loss became (NaN|Infinity|[\d.e+]+, more than 100 times the run's first \([\d.]+\)) at epoch 1, batch \d+ of 25/,
    );
    expect(message).not.toMatch(/null/);
    await shot('10-diverged');
  });

  it('logged no console errors on the way', () => {
    expect(problems).toEqual([]);
  });
});
