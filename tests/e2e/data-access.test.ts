import { cp, mkdir, realpath, stat, symlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openApp, shotIfFailed, startBrowserMode, watchProblems, type BrowserMode } from './harness/browser-mode';
import { DOCS_DIR } from './harness/docs-shots';
import { shootPicker } from './shots/data-access';

/**
 * Reaching your data in the browser mode, in Debian's Chromium through the real mouse and keyboard, with the
 * server's default root (everything the user may read, as `npm start` without --root): a dataset folder chosen by
 * typing its path, then by clicking through from the folder used last, through a link; the picker remembering
 * it after a reload; a new folder. Then a 3-class colour dataset against LeNet-5: the Data view shows both
 * mismatches before Start, each fix is one click, and training starts.
 * The datasets are a copy of resources/sample and images made here; screenshots go to tests/e2e/artifacts/data/.
 */
const ARTIFACTS = resolve('tests/e2e/artifacts/data');

let mode: BrowserMode;
let context: BrowserContext;
let page: Page;
let problems: string[];
/** The test's folder (not the server's root, which is '/'). */
let base: string;

/** A class-per-folder dataset of small RGB images, each class its own colour. */
async function colourDataset(dir: string): Promise<void> {
  const colours = { red: [220, 40, 40], green: [40, 200, 60], blue: [40, 60, 220] } as const;
  for (const [name, [r, g, b]] of Object.entries(colours)) {
    await mkdir(join(dir, name), { recursive: true });
    for (let i = 0; i < 12; i++) {
      const noise = Buffer.alloc(28 * 28 * 3);
      for (let p = 0; p < 28 * 28; p++) {
        const j = (p * 7 + i * 13) % 40;
        noise[p * 3] = Math.min(255, r + j);
        noise[p * 3 + 1] = Math.min(255, g + j);
        noise[p * 3 + 2] = Math.min(255, b + j);
      }
      await sharp(noise, { raw: { width: 28, height: 28, channels: 3 } })
        .png()
        .toFile(join(dir, name, `${i}.png`));
    }
  }
}

beforeAll(async () => {
  mode = await startBrowserMode({ name: 'data-access', root: '/' });
  base = await realpath(mode.root);
  await cp(resolve('resources/sample'), join(base, 'datasets', 'fashion'), { recursive: true });
  await mkdir(join(base, 'links'));
  await symlink(join(base, 'datasets', 'fashion'), join(base, 'links', 'fashion-link'));
  await colourDataset(join(base, 'datasets', 'rgb3'));
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

const picker = () => page.getByTestId('file-picker');
const pathField = () => page.getByTestId('picker-path');
const label = () => page.getByTestId('dataset-label').innerText();

/** Data → Choose folder…, and waits for the picker's first listing. */
async function openPicker(): Promise<void> {
  await page.getByTestId('dataset-folder').click();
  await picker().waitFor();
  await expect.poll(() => pathField().inputValue()).not.toBe('');
}

/** Types a path into the picker's path field as a user would (select all, type, Enter). */
async function typePath(path: string): Promise<void> {
  await pathField().click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(path);
  await page.keyboard.press('Enter');
}

describe('reaching the data, with the default root', () => {
  it('chooses a folder by its typed path, then by clicking from the last folder, through a link', async () => {
    await openApp(page, mode.server);
    await page.getByTestId('mode-data').click();
    await openPicker();
    // The first time, the picker opens at home.
    expect(await pathField().inputValue()).toBe(`${homedir().replace(/\/$/, '')}/`);
    expect(await page.getByTestId('picker-confined').count()).toBe(0);

    // Typing with Tab completion: the folder part, then the first letters of a name.
    await pathField().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(`${base}/data`);
    await page.getByTestId('picker-suggestions').waitFor();
    // Tab completes once the folder's listing is in: the field changes a moment after the key.
    await page.keyboard.press('Tab');
    await expect.poll(() => pathField().inputValue()).toBe(`${base}/datasets/`);
    await page.keyboard.type('fash');
    await page.keyboard.press('Tab');
    await expect.poll(() => pathField().inputValue()).toBe(`${base}/datasets/fashion/`);
    await page.keyboard.press('Enter');
    await page.getByTestId('entry-train').waitFor();
    await shootPicker(page, ARTIFACTS, 'picker-typed');
    if (DOCS_DIR) await shootPicker(page, DOCS_DIR, 'picker');
    await page.getByTestId('picker-confirm').click();
    await picker().waitFor({ state: 'detached' });
    await expect.poll(label).toBe(join(base, 'datasets', 'fashion'));
    await page.getByTestId('class-bars').waitFor();

    // Next time it opens where it was left; Backspace goes up, a double-click goes in, links are marked.
    await openPicker();
    expect(await pathField().inputValue()).toBe(`${base}/datasets/fashion/`);
    // The list takes the keys once the picker has opened there.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')))
      .toBe('picker-entries');
    await page.keyboard.press('Backspace');
    await expect.poll(() => pathField().inputValue()).toBe(`${base}/datasets/`);
    await page.keyboard.press('Backspace');
    await expect.poll(() => pathField().inputValue()).toBe(`${base}/`);
    await page.getByTestId('entry-links').dblclick();
    const link = page.getByTestId('entry-fashion-link');
    expect(await link.getByTestId('entry-link').innerText()).toBe('link');
    await link.dblclick();
    await expect.poll(() => pathField().inputValue()).toBe(`${base}/links/fashion-link/`);
    await page.getByTestId('picker-confirm').click();
    await picker().waitFor({ state: 'detached' });
    await expect.poll(label).toBe(join(base, 'datasets', 'fashion'));

    // After a reload, the picker still remembers, and offers both folders as recent.
    await page.reload();
    await page.locator('[data-ready="true"]').waitFor();
    await page.getByTestId('mode-data').click();
    await openPicker();
    expect(await pathField().inputValue()).toBe(`${base}/links/fashion-link/`);
    expect(await page.getByTestId('picker-recent-fashion-link').count()).toBe(1);
    expect(await page.getByTestId('picker-recent-fashion').count()).toBe(1);

    // Keyboard choice within the folder: arrows select, and the choice is the selected sub-folder.
    await page.getByTestId('picker-entries').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await page.getByTestId('picker-confirm').innerText()).toBe('Choose “train”');

    // A new folder, made here and entered.
    await page.getByTestId('picker-new-folder').click();
    // A typing slip corrected with Backspace stays in the name (it does not go up a folder).
    await page.keyboard.type('made herx');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('e');
    await page.keyboard.press('Enter');
    await expect.poll(() => pathField().inputValue()).toBe(`${base}/links/fashion-link/made here/`);
    expect((await stat(join(base, 'datasets', 'fashion', 'made here'))).isDirectory()).toBe(true);

    // A path outside what exists is refused in place, and Escape closes the picker.
    await typePath(`${base}/nowhere`);
    expect(await page.getByTestId('picker-problem').innerText()).toMatch(/does not exist/);
    await page.keyboard.press('Escape');
    await picker().waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });

  it('explains a dropped folder and offers the path field; Escape closes dialogs', async () => {
    await openApp(page, mode.server);
    await page.getByTestId('mode-data').click();
    const drop = page.getByTestId('dataset-drop');
    await drop.dispatchEvent('drop', {
      dataTransfer: await page.evaluateHandle(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['x'], 'holiday-photos'));
        return dt;
      }),
    });
    await picker().waitFor();
    expect(await page.getByTestId('picker-note').innerText()).toMatch(
      /You dropped “holiday-photos”\. A browser tells the page only the name/,
    );
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')))
      .toBe('picker-path');
    await page.keyboard.press('Escape');
    await picker().waitFor({ state: 'detached' });

    // Escape closes About too, though nothing in it has the focus.
    await page.getByTestId('about').click();
    await page.getByTestId('about-box').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('about-box').waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });

  it('shows a 3-class colour folder against LeNet-5 as two mismatches, each fixed in one click', async () => {
    await openApp(page, mode.server);
    await page.getByTestId('new').click();
    await page.getByTestId('template-lenet5').click();
    await expect.poll(() => page.getByTestId('node-count').innerText()).toBe('14 layers');
    await page.getByTestId('mode-data').click();
    await openPicker();
    await typePath(join(base, 'datasets', 'rgb3'));
    await page.getByTestId('entry-red').waitFor();
    await page.getByTestId('picker-confirm').click();
    await picker().waitFor({ state: 'detached' });

    const classes = page.getByTestId('fit-classes');
    const channels = page.getByTestId('fit-channels');
    await classes.waitFor();
    expect(await classes.innerText()).toContain('The network gives 10 outputs');
    expect(await classes.innerText()).toContain('the images have 3 classes');
    expect(await channels.innerText()).toContain('in colour, but the input');
    expect(await page.getByTestId('dataset-not-ready').innerText()).toContain('2 mismatches');
    await shootPicker(page, ARTIFACTS, 'data-mismatches');
    if (DOCS_DIR) await shootPicker(page, DOCS_DIR, 'data-checks');

    await page.getByTestId('fit-fix-classes-0').click();
    await classes.waitFor({ state: 'detached' });
    expect(await page.getByTestId('dataset-not-ready').innerText()).toContain('1 mismatch');
    await page.getByTestId('fit-fix-channels-0').click();
    await channels.waitFor({ state: 'detached' });
    await page.getByTestId('dataset-ready').waitFor();
    const graph = await page.evaluate(() => window.__convasCanvas!.graph());
    expect(graph.nodes.find((n) => n.id === 'fc3')?.params['units']).toBe(3);
    expect(graph.nodes.find((n) => n.id === 'input')?.params['channels']).toBe(3);

    await page.getByTestId('mode-train').click();
    await page.getByTestId('hyper-epochs').fill('1');
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-end').innerText(), { timeout: 90_000 }).toBe('Finished 1 epoch.');
    expect(await page.getByTestId('train-error').count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
