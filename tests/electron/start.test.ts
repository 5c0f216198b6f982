import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, stop } from './child-process';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-start-'));
  await mkdir(join(dir, 'renderer'));
  await mkdir(join(dir, 'no-electron'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html>');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm start (scripts/start.mjs)', () => {
  it('says in one line that Electron is missing, then starts the browser mode and prints its URL', async () => {
    // ELECTRON_OVERRIDE_DIST_PATH is the electron package's own way to point at a runtime: an empty folder has none.
    const env = { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'no-electron') };
    const args = ['scripts/start.mjs', '--no-build', '--port', '0', '--root', dir, '--data', join(dir, 'data')];
    const { child, match, out } = await run(
      [...args, '--renderer', join(dir, 'renderer')],
      /running at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/,
      env,
    );
    expect(match, out).not.toBeNull();
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(
      /^Electron's runtime is not available \(.*no-electron.* does not exist\) and cannot be downloaded here; starting Convas in the browser instead\.$/,
    );
    expect((await fetch(match![1])).status).toBe(200);
    expect(await stop(child)).toBe(0);
    // The browser-mode server went with it.
    await expect(fetch(match![1])).rejects.toThrow();
  });
});
