import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readProjectFile } from '../../src/host/project/project-file';
import { openApp, shotIfFailed, startBrowserMode, watchProblems, type BrowserMode } from './harness/browser-mode';

/**
 * The second lap, in Debian's Chromium through the browser mode: LeNet-5 on the built-in sample trained 2 epochs,
 * a from-scratch run stopped a few steps into its second epoch, the first run's weights restored with its
 * validation accuracy, a run continued from them, the project saved, the page reloaded and the project reopened
 * with its settings, runs and weights, and a trained layer edited (canvas marks, Inspect, Export). The steps share
 * one page, in order. Screenshots go to tests/e2e/artifacts/iterate/. Needs `npm run build`.
 */
const ARTIFACTS = resolve('tests/e2e/artifacts/iterate');

let mode: BrowserMode;
let context: BrowserContext;
let page: Page;
let problems: string[];

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  mode = await startBrowserMode({ name: 'iterate-e2e' });
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

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const phase = () => page.getByTestId('run-status').getAttribute('data-phase');
const points = async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
const runs = () => page.locator('[data-testid="run-history"] li');
const run = (i: number) => page.getByTestId(`run-${i}`);
/** The best validation accuracy the history shows for run i (its first epoch's, for a one-epoch run). */
const bestOf = async (i: number) => Number(await run(i).getAttribute('data-best'));
const ended = () => page.getByTestId('train-end').innerText();
const mark = (id: string) => page.evaluate((n) => window.__convasCanvas!.weightMark(n), id);
/** The accuracy the Inspect view's confusion matrix reports for the current weights. */
async function inspectedAccuracy(): Promise<number> {
  await page.getByTestId('mode-inspect').click();
  const matrix = page.locator('[data-testid="confusion-matrix"][data-accuracy]');
  await matrix.waitFor();
  return Number(await matrix.getAttribute('data-accuracy'));
}

describe('iterating on a trained model in Chromium', () => {
  let first: number;
  const saved = () => join(mode.root, 'iterate.convas');

  it('trains LeNet-5 2 epochs on the built-in sample', async () => {
    await page.getByTestId('new').click();
    await page.getByTestId('template-lenet5').click();
    await expect.poll(() => page.getByTestId('node-count').innerText()).toBe('14 layers');
    await page.getByTestId('mode-train').click();
    // Without weights there is only one way to start.
    expect(await page.getByTestId('train-continue').count()).toBe(0);
    await page.getByTestId('hyper-epochs').fill('2');
    await page.getByTestId('train-start').click();
    await expect.poll(ended, { timeout: 120_000 }).toBe('Finished 2 epochs.');
    await expect.poll(() => runs().count()).toBe(1);
    first = await bestOf(0);
    expect(first).toBeGreaterThan(0.2);
    expect(await page.getByTestId('train-start').innerText()).toBe('From scratch');
    await page.getByTestId('train-continue').waitFor();
  });

  it('trains again from scratch and stops a few steps into its second epoch: the first run stays', async () => {
    await page.getByTestId('hyper-epochs').fill('3');
    await page.getByTestId('train-start').click();
    await expect.poll(points, { timeout: 120_000 }).toBeGreaterThan(25 + 3);
    await page.getByTestId('train-stop').click();
    await expect.poll(phase, { timeout: 60_000 }).toBe('idle');
    // An epoch of the sample takes about a second, so the stop lands in the second epoch or just after it ends:
    // either way before the last, with the first run untouched.
    expect(await ended()).toMatch(/^Stopped after epoch [12];/);
    await expect.poll(() => runs().count()).toBe(2);
    expect(await bestOf(0)).toBe(first);
    expect(await run(1).innerText()).toMatch(/from scratch/);
    await shot('01-two-runs');
  });

  it("restores the first run's weights: its validation accuracy comes back exactly", async () => {
    await page.getByTestId('restore-best-0').click();
    await page.locator('[data-testid="run-0"][data-current="best"]').waitFor();
    expect(await inspectedAccuracy()).toBe(first);
    await shot('02-restored');
  });

  it('continues from them for 1 epoch: its first epoch is within 3 points or above', async () => {
    await page.getByTestId('mode-train').click();
    await page.getByTestId('hyper-epochs').fill('1');
    await page.getByTestId('hyper-learningRate').fill('0.03');
    await page.getByTestId('train-continue').click();
    await expect.poll(ended, { timeout: 120_000 }).toBe('Finished 1 epoch.');
    await expect.poll(() => runs().count()).toBe(3);
    expect(await run(2).innerText()).toMatch(/continued/);
    console.log(
      `validation accuracy: first run ${first}, stopped from-scratch run ${await bestOf(1)}, ` +
        `continued from the first run's best: epoch 1 ${await bestOf(2)}`,
    );
    expect(await bestOf(2)).toBeGreaterThanOrEqual(first - 0.03);
    // Two runs' curves overlaid: the first run's beside this one's.
    await run(0).getByRole('checkbox').check();
    await expect.poll(() => page.getByTestId('epoch-chart-accuracy').getAttribute('data-epochs')).toBe('2');
    await shot('03-continued');
  });

  it("saves, and after a reload reopens with its settings, runs and weights; Train shows this project's runs", async () => {
    await page.keyboard.press('Control+s');
    await page.getByTestId('file-picker').waitFor();
    await page.getByTestId('picker-file-name').fill('iterate');
    await page.getByTestId('picker-confirm').click();
    await page.getByTestId('file-picker').waitFor({ state: 'detached' });
    await expect.poll(() => page.title()).toMatch(/^iterate\s*— Convas$/);
    const onDisk = await readProjectFile(saved());
    expect(onDisk.file.history).toHaveLength(3);
    expect(onDisk.file.settings?.hyper).toMatchObject({ epochs: 1, learningRate: 0.03, optimizer: 'sgd' });
    expect(onDisk.kept.length).toBeGreaterThanOrEqual(3);
    const current = await inspectedAccuracy();

    // Another project in the same window: nothing of the trained one lingers on the Train view.
    await page.getByTestId('mode-train').click();
    await page.getByTestId('new').click();
    await page.getByTestId('template-lenet5').click();
    await expect.poll(() => runs().count()).toBe(0);
    expect(await points()).toBe(0);
    expect(await page.getByTestId('train-end').count()).toBe(0);
    expect(await page.getByTestId('hyper-epochs').inputValue()).toBe('5');

    await page.reload();
    await page.locator('[data-ready="true"]').waitFor();
    await page.getByTestId('mode-train').click();
    expect(await runs().count()).toBe(0);
    expect(await points()).toBe(0);
    await page.getByTestId('recent').click();
    await page.getByRole('menuitem').getByText('iterate').click();
    await expect.poll(() => runs().count()).toBe(3);
    expect(await points()).toBe(0);
    expect(await page.getByTestId('hyper-epochs').inputValue()).toBe('1');
    expect(await page.getByTestId('hyper-learningRate').inputValue()).toBe('0.03');
    expect(await bestOf(0)).toBe(first);
    // The weights are back: Inspect opens on them, with the same accuracy.
    expect(await inspectedAccuracy()).toBe(current);
    expect(await page.getByTestId('inspect-outdated').count()).toBe(0);
    expect(await mark('conv1')).toBe('trained');
    await shot('04-reopened');
  });

  it("edits conv1's filters: the canvas marks it, Inspect says it is out of date, Export explains first", async () => {
    const before = join(mode.root, 'before-edit.convas');
    await copyFile(saved(), before);
    await page.getByTestId('mode-design').click();
    // The canvas grows back to the whole window: click conv1 where it is once it has settled.
    await expect
      .poll(async () => {
        const grip = await page.evaluate(() => window.__convasCanvas!.nodeGrip('conv1'));
        await page.mouse.click(grip!.x, grip!.y);
        return page.locator('#param-conv1-filters').count();
      })
      .toBe(1);
    await page.locator('#param-conv1-filters').fill('4');
    await page.keyboard.press('Tab');
    await expect.poll(() => mark('conv1')).toBe('new');
    // conv2 reads conv1's channels, so its kernel no longer fits either; the dense layers keep theirs.
    expect(await mark('conv2')).toBe('new');
    const dense = (await page.evaluate(() => window.__convasCanvas!.graph().nodes))
      .filter((n) => n.type === 'dense')
      .map((n) => n.id);
    expect(dense.length).toBeGreaterThan(0);
    for (const id of dense) expect(await mark(id)).toBe('kept');
    await shot('05-edited');

    await page.getByTestId('mode-inspect').click();
    const outdated = page.getByTestId('inspect-outdated');
    await outdated.waitFor();
    expect(await outdated.innerText()).toMatch(/from an older version of the network/);
    expect(await outdated.innerText()).toMatch(
      /conv1: its trained kernel is \[6×1×5×5\], the layer now needs \[4×1×5×5\]/,
    );

    await page.getByTestId('open-export').click();
    const reason = page.getByTestId('export-misfit');
    await reason.waitFor();
    expect(await reason.innerText()).toMatch(/do not fit the network on the canvas \(conv1: /);
    expect(await page.getByTestId('export-run').isDisabled()).toBe(true);
    expect(await page.getByTestId('file-picker').count()).toBe(0);
    await shot('06-export-explains');
    await page.getByTestId('export-dialog').getByRole('button', { name: 'Close' }).click();

    // The edit changed no weight: every other layer's are as they were, bit for bit.
    await page.keyboard.press('Control+s');
    await expect.poll(() => page.title()).toMatch(/^iterate\s*— Convas$/);
    const [a, b] = await Promise.all([readProjectFile(before), readProjectFile(saved())]);
    expect(b.file.graph.nodes.find((n) => n.id === 'conv1')?.params['filters']).toBe(4);
    const others = Object.keys(a.weights).filter((n) => !n.startsWith('conv1.'));
    expect(others.length).toBeGreaterThan(4);
    const bytes = (t: { data: Float32Array }) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    for (const name of others) expect(bytes(b.weights[name]).equals(bytes(a.weights[name]))).toBe(true);
  });

  it('logged no console errors on the way', () => {
    expect(problems).toEqual([]);
  });
});
