import { join } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * A screenshot of the window as it is (the in-page picker open, or the Data view's checks) into `dir`, for the
 * tests' artifacts or a docs screenshot script. The pointer is parked so that nothing shows a hover state.
 */
export async function shootPicker(page: Page, dir: string, name: string): Promise<string> {
  await page.mouse.move(1, 1);
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
