import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';

/**
 * The README's screenshots are taken by the end-to-end tests themselves, but only when `npm run docs:screenshots`
 * asks for them (it sets CONVAS_DOCS_DIR): an ordinary test run writes nothing into the work tree.
 */
export const DOCS_DIR = process.env.CONVAS_DOCS_DIR ? resolve(process.env.CONVAS_DOCS_DIR) : null;

type Clip = { x: number; y: number; width: number; height: number };

/** Saves a page (or a region of it) or one element as the README image `file`, when docs shots were asked for. */
export async function docsShot(target: Page | Locator, file: string, clip?: Clip): Promise<void> {
  if (!DOCS_DIR) return;
  await mkdir(DOCS_DIR, { recursive: true });
  const path = join(DOCS_DIR, file);
  await ('goto' in target ? target.screenshot({ path, ...(clip ? { clip } : {}) }) : target.screenshot({ path }));
}
