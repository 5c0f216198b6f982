import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireBrowser } from './find-browser';
import { startServer, type RunningServer } from '../../../src/host/server/server';
import pkg from '../../../package.json';

/**
 * The browser mode in a Chromium-family browser, for end-to-end tests and benchmarks: the server on 127.0.0.1
 * (port 0) over a fresh temporary folder, and a headless browser driven by playwright-core (found by
 * `find-browser.ts`). Needs the renderer built (`npm run build`). `close` stops both and removes the folder.
 */
export const RENDERER = resolve('out/renderer');

export interface BrowserMode {
  server: RunningServer;
  browser: Browser;
  /** A fresh folder for the test's files (the pickers' root unless one was given). */
  root: string;
  /** The server's data folder (recent list, backups, checkpoints). */
  dataDir: string;
  close(): Promise<void>;
}

/**
 * `root`: the folder the pickers may reach; by default a fresh `home` folder in the temporary folder, or '/' for
 * the server's own default (everything the user may read).
 */
export async function startBrowserMode(o: {
  name: string;
  chromiumArgs?: string[];
  root?: string;
}): Promise<BrowserMode> {
  const executablePath = requireBrowser();
  if (!existsSync(join(RENDERER, 'index.html'))) {
    throw new Error(`${RENDERER}/index.html is missing: run npm run build first`);
  }
  const dir = await mkdtemp(join(tmpdir(), `convas-${o.name}-`));
  const root = join(dir, 'home');
  const dataDir = join(dir, 'data');
  await mkdir(root);
  // A copy of the build, so that a rebuild of out/ while the tests run cannot pull the page from under them.
  const rendererDir = join(dir, 'renderer');
  await cp(RENDERER, rendererDir, { recursive: true });
  const server = await startServer({
    root: o.root ?? root,
    dataDir,
    rendererDir,
    templatesDir: resolve('resources/templates'),
    appVersion: pkg.version,
  });
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        ...(o.chromiumArgs ?? []),
      ],
    });
  } catch (e) {
    await server.close();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    server,
    browser,
    root,
    dataDir,
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Opens the app with its token and waits until it has loaded its project. */
export async function openApp(page: Page, server: RunningServer): Promise<void> {
  const response = await page.goto(server.url);
  if (response?.status() !== 200) throw new Error(`the app answered ${response?.status()}`);
  await page.locator('[data-ready="true"]').waitFor();
}

/** Collects the page's console errors and uncaught exceptions. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

/** After a test that failed: a screenshot of the page as it was, named after the test, into `dir`. */
export async function shotIfFailed(
  ctx: { task: { name: string; result?: { state?: string } } },
  page: Page | undefined,
  dir: string,
): Promise<void> {
  if (ctx.task.result?.state !== 'fail' || !page) return;
  const name = ctx.task.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 80);
  await page.screenshot({ path: join(dir, `failed-${name}.png`) });
}
