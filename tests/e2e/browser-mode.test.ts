import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BackupStore } from '../../src/host/project/backups';
import { readProjectFile } from '../../src/host/project/project-file';
import type { RunningServer } from '../../src/host/server/server';
import { TemplateLibrary } from '../../src/host/templates/library';
import { newProjectContent } from '../../src/shared/project';
import pkg from '../../package.json';
import { openApp as openAppIn, startBrowserMode, watchProblems, type BrowserMode } from './harness/browser-mode';

/**
 * The browser mode in a real Chromium: the harness starts the server (port 0, 127.0.0.1) and Debian's chromium,
 * driven by playwright-core, and both are closed at the end. Needs the renderer built (`npm run build`).
 * A failing test leaves a screenshot in tests/e2e/artifacts/.
 */
const ARTIFACTS = resolve('tests/e2e/artifacts');

let mode: BrowserMode;
let root: string;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
/** Console errors and uncaught exceptions of the page under test. */
let problems: string[];

beforeAll(async () => {
  mode = await startBrowserMode({ name: 'e2e' });
  ({ root, server } = mode);
});

afterAll(async () => {
  await mode?.close();
});

/** Every test gets a fresh context (fresh cookies and storage) and page. */
beforeEach(async () => {
  context = await mode.browser.newContext();
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  problems = watchProblems(page);
  page.on('dialog', (d) => void d.accept());
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') {
    await mkdir(ARTIFACTS, { recursive: true });
    const name = ctx.task.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 80);
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }
  await context?.close();
});

/** Opens the app with the token and waits until it has loaded its project. */
const openApp = () => openAppIn(page, server);

const title = () => page.getByTestId('title').innerText();
const layers = () => page.getByTestId('node-count');

describe('browser mode in Chromium', () => {
  it('loads with no console errors, talking to the host', async () => {
    await openApp();
    await expect.poll(() => page.getByTestId('version').innerText()).toBe(`Convas ${pkg.version}`);
    await expect.poll(() => layers().innerText()).toBe('0 layers');
    expect(await page.title()).toBe('Untitled — Convas');
    expect(await page.evaluate(() => 'convas' in window)).toBe(false);
    expect(problems).toEqual([]);
  });

  it('makes an Api round trip over the WebSocket from the page', async () => {
    await openApp();
    const reply = await page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://${location.host}/api${location.search}`);
          ws.onopen = () =>
            ws.send(JSON.stringify({ type: 'request', id: 7, name: 'ping', payload: { message: 'round trip' } }));
          ws.onmessage = (e) => {
            const frame = JSON.parse(String(e.data)) as { type: string };
            if (frame.type === 'response') resolve(frame);
            ws.close();
          };
          ws.onerror = () => reject(new Error('the socket failed'));
        }),
    );
    expect(reply).toMatchObject({ type: 'response', id: 7, result: { ok: true, value: { message: 'round trip' } } });
    expect(problems).toEqual([]);
  });

  it('saves a project through the in-page picker and opens it again', async () => {
    await openApp();
    await page.getByTestId('new').click();
    await page.getByTestId('template-small-mlp').click();
    await expect.poll(() => layers().innerText()).toBe('5 layers');
    expect(await title()).toContain('Small MLP');

    await page.getByTestId('save-as').click();
    await page.getByTestId('file-picker').waitFor();
    expect(await page.getByTestId('picker-file-name').inputValue()).toBe('Small MLP.convas');
    await page.getByTestId('picker-file-name').fill('mlp-e2e');
    await page.getByTestId('picker-confirm').click();
    await page.getByTestId('file-picker').waitFor({ state: 'detached' });
    await expect.poll(title).toMatch(/^mlp-e2e\s*— Convas$/);
    const saved = await readProjectFile(join(root, 'mlp-e2e.convas'));
    expect(saved.file.graph.nodes).toHaveLength(5);

    await page.getByTestId('new').click();
    await page.getByRole('menuitem').getByText('Empty project').click();
    await expect.poll(() => layers().innerText()).toBe('0 layers');

    await page.getByTestId('open').click();
    await page.getByTestId('entry-mlp-e2e.convas').click();
    await page.getByTestId('picker-confirm').click();
    await expect.poll(() => layers().innerText()).toBe('5 layers');
    expect(await title()).toMatch(/^mlp-e2e\s*— Convas$/);

    // After a reload (a new session), the file is in the recent list.
    await page.reload();
    await page.locator('[data-ready="true"]').waitFor();
    await expect.poll(() => layers().innerText()).toBe('0 layers');
    await page.getByTestId('recent').click();
    await page.getByRole('menuitem').getByText('mlp-e2e').click();
    await expect.poll(() => layers().innerText()).toBe('5 layers');
    expect(problems).toEqual([]);
  });

  it('shows why a bad project file cannot be opened, and keeps the current project', async () => {
    await writeFile(join(root, 'broken.convas'), 'this is not a project');
    await openApp();
    await page.getByTestId('new').click();
    await page.getByTestId('template-small-mlp').click();
    await expect.poll(() => layers().innerText()).toBe('5 layers');
    await page.getByTestId('open').click();
    await page.getByTestId('entry-broken.convas').dblclick();
    const banner = page.getByTestId('banner-error');
    await banner.waitFor();
    expect(await banner.innerText()).toMatch(/broken\.convas' is not a readable Convas project: header claims/);
    expect(await layers().innerText()).toBe('5 layers');
    expect(problems).toEqual([]);
  });

  it('takes Ctrl+S from the page: it asks where to save an untitled project', async () => {
    await openApp();
    await page.keyboard.press('Control+S');
    await page.getByTestId('file-picker').waitFor();
    expect(await page.getByTestId('picker-file-name').inputValue()).toBe('Untitled.convas');
    await page.getByTestId('picker-cancel').click();
    await page.getByTestId('file-picker').waitFor({ state: 'detached' });
    expect(await page.getByTestId('banner-error').count()).toBe(0);
    expect(await title()).toMatch(/^Untitled\s*— Convas$/);
    expect(problems).toEqual([]);
  });

  it('shows file names that contain markup as text', async () => {
    const name = '<img src=x onerror="document.title=1">.convas';
    await writeFile(join(root, name), 'x');
    await openApp();
    await page.getByTestId('open').click();
    const entry = page.getByTestId(`entry-${name}`);
    await entry.waitFor();
    expect(await entry.innerText()).toContain(name);
    expect(await page.getByTestId('picker-entries').locator('img').count()).toBe(0);
    await page.getByTestId('picker-cancel').click();
    expect(await page.title()).toBe('Untitled — Convas');
    expect(problems).toEqual([]);
  });

  it('offers unsaved work left by a crash, and restores it as unsaved', async () => {
    // What a crashed session leaves behind: a backup no running session owns.
    const template = await new TemplateLibrary(resolve('resources/templates')).load('small-mlp');
    const backups = new BackupStore(join(mode.dataDir, 'backups'));
    await backups.write(
      '0000dead-0000-4000-8000-00000000beef',
      newProjectContent(template.graph, 'Crashed work'),
      {},
      null,
    );

    await openApp();
    const prompt = page.getByTestId('restore-prompt');
    await prompt.waitFor();
    expect(await prompt.innerText()).toContain('Crashed work');
    await page.getByTestId('restore').click();
    await prompt.waitFor({ state: 'detached' });
    await expect.poll(() => layers().innerText()).toBe('5 layers');
    expect(await page.getByTestId('title').getByLabel('unsaved changes').count()).toBe(1);
    expect(await page.title()).toBe('• Crashed work — Convas');

    // Starting over (the window asks first) drops the backup, so nothing is offered again.
    await page.getByTestId('new').click();
    await page.getByRole('menuitem').getByText('Empty project').click();
    await expect.poll(() => layers().innerText()).toBe('0 layers');
    await expect.poll(async () => (await backups.list(new Set())).length).toBe(0);
    expect(problems).toEqual([]);
  });

  it('refuses the page and the socket without the token', async () => {
    const bare = await page.goto(`${server.origin}/`);
    expect(bare?.status()).toBe(403);
    expect(await page.locator('body').innerText()).toContain('token');
    const wrong = await page.goto(`${server.origin}/?token=not-the-token`);
    expect(wrong?.status()).toBe(403);
    const socket = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(`ws://${location.host}/api`);
          ws.onopen = () => resolve('opened');
          ws.onclose = (e) => resolve(`closed ${e.code}`);
        }),
    );
    expect(socket).toBe('closed 1006');
  });
});
