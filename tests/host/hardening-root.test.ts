import { realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/engine';
import { encodePng, scanDataset } from '../../src/host/datasets';
import type { Api, DialogRequest } from '../../src/shared/api';
import { stop } from '../electron/child-process';
import { openApi, startServeChild, type ServeChild } from '../helpers/hostile-server';

/**
 * Issue 15, item 7: in the browser mode, images behind symlinks that lead outside --root came back to the page
 * as thumbnails, so a dataset inside the root could show any image the server could read. The scan now skips
 * them (with the reason); the command line, which has no root, still follows such links.
 */

let dir: string;
let server: ServeChild;
let api: Api;
let close: () => Promise<void>;
const dialogs: DialogRequest[] = [];

const png = (value: number) => encodePng(tensor([1, 4, 4], new Float32Array(16).fill(value)));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-hardening-root-'));
  const data = join(dir, 'home', 'data');
  for (const [c, values] of [
    ['a', [0.1, 0.2, 0.3]],
    ['b', [0.4, 0.5, 0.6]],
  ] as const) {
    await mkdir(join(data, c), { recursive: true });
    for (const v of values) await writeFile(join(data, c, `${v}.png`), await png(v));
  }
  await writeFile(join(dir, 'secret.png'), await png(0.9));
  await symlink(join(dir, 'secret.png'), join(data, 'a', '0.0-secret.png'));
  await symlink(join(data, 'b', '0.4.png'), join(data, 'a', '0.05-inside-link.png'));
  server = await startServeChild(join(dir, 'serve'), join(dir, 'home'));
  ({ api, close } = await openApi(server));
  api.on('dialogRequest', (d) => dialogs.push(d));
}, 60_000);
afterAll(async () => {
  await close();
  expect(await stop(server.child)).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

async function pickData(): Promise<string> {
  const picking = api.pickFolder({});
  for (let i = 0; i < 2000 && dialogs.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  await api.answerDialog({ dialogId: dialogs.shift()!.dialogId, path: 'data' });
  return (await picking)!.path;
}

describe('images behind links that leave --root', () => {
  it('are skipped by the server with the reason, and never come back as thumbnails', async () => {
    const data = await pickData();
    const report = await api.datasetReport({ dataset: data, validationFraction: 0.2 });
    expect(report.skipped).toEqual([
      {
        rel: 'a/0.0-secret.png',
        kind: 'unreadable',
        reason: `file leads outside the folder '${realpathSync(join(dir, 'home'))}' through a link`,
      },
    ]);
    const thumbnails = await api.datasetThumbnails({ dataset: data, perClass: 8 });
    const shown = thumbnails.classes.flatMap((c) => c.images.map((i) => i.file));
    expect(shown).toHaveLength(report.totals.train);
    expect(shown).not.toContain('a/0.0-secret.png');
  });

  it('leave the built-in sample alone: it ships with Convas, outside any root, and is trusted', async () => {
    const report = await api.datasetReport({ dataset: null, validationFraction: 0.2 });
    expect(report.source).toBe('sample');
    expect(report.skipped).toEqual([]);
    expect(report.totals).toEqual({ train: 800, validation: 200, test: 200 });
  });

  it('are still followed where there is no root (the command line, the desktop app)', async () => {
    const index = await scanDataset(join(dir, 'home', 'data'));
    expect(index.skipped).toEqual([]);
    expect(index.splits.train.map((e) => e.rel)).toContain('a/0.0-secret.png');
  });
});
