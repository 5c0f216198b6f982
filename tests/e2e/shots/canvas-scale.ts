import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Rect } from '../../../src/renderer/editor/canvas/geometry';

/**
 * What the canvas-at-scale test checks and photographs, as functions of a page, so that a screenshot script
 * (docs) can take the same pictures into its own folder. Konva draws pixels; the canvas probe
 * (src/renderer/editor/canvas/probe.ts) says where each node is and how its name is drawn.
 */

export interface NameCheck {
  id: string;
  text: string;
  fontPx: number;
  fits: boolean;
  inView: boolean;
}

/** Every node's name as drawn now: its size on screen, whether it fits whole, whether the node is in view. */
export async function nameChecks(page: Page): Promise<NameCheck[]> {
  return page.evaluate(() => {
    const probe = window.__convasCanvas!;
    const r = document.querySelector('[data-testid="canvas"]')!.getBoundingClientRect();
    return probe.nodeIds().map((id) => {
      const l = probe.nameLabel(id)!;
      const b: Rect = l.box;
      const inView = b.x >= r.left && b.y >= r.top && b.x + b.width <= r.right && b.y + b.height <= r.bottom;
      return { id, text: l.text, fontPx: l.fontPx, fits: l.fits, inView };
    });
  });
}

/** Waits until the view has stopped moving (the fit after a load happens on the next tick). */
export async function settle(page: Page): Promise<void> {
  let last = '';
  for (;;) {
    const now = await page.evaluate(
      () =>
        new Promise<string>((resolve) =>
          requestAnimationFrame(() =>
            requestAnimationFrame(() => resolve(JSON.stringify(window.__convasCanvas?.viewport() ?? null))),
          ),
        ),
    );
    if (now === last && now !== 'null') return;
    last = now;
  }
}

/** A screenshot of the whole window into `dir` (the pointer parked, so that nothing is hovered). */
export async function shoot(page: Page, dir: string, name: string): Promise<string> {
  await page.mouse.move(1, 1);
  await settle(page);
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
