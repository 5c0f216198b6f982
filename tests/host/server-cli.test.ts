import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, stop } from '../electron/child-process';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-serve-cli-'));
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Convas</title>');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const serve = (...extra: string[]) => ['--import', 'tsx', 'scripts/serve.ts', '--data', join(dir, 'data'), ...extra];

describe('npm run serve (scripts/serve.ts)', () => {
  it('prints the URL with its token, serves the page there, and stops on SIGTERM', async () => {
    const { child, match, out } = await run(
      serve('--port', '0', '--root', dir, '--renderer', join(dir, 'renderer')),
      /running at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)\n.*Ctrl\+C/,
    );
    expect(match, out).not.toBeNull();
    const url = match![1];
    expect((await fetch(url)).status).toBe(200);
    expect((await fetch(url.replace(/\?token=.*/, ''))).status).toBe(403);
    expect(out).toContain(`Files are opened and saved under ${dir}`);
    expect(await stop(child)).toBe(0);
  });

  it('refuses a bad port and a missing build with a one-line reason', async () => {
    const badPort = await run(serve('--port', 'eighty', '--renderer', join(dir, 'renderer')), /$^/);
    expect(badPort.code).toBe(2);
    expect(badPort.out).toContain('convas serve: --port eighty is not a port number');
    const noBuild = await run(serve('--root', dir, '--renderer', join(dir, 'nothing-here')), /$^/);
    expect(noBuild.code).toBe(2);
    expect(noBuild.out).toMatch(/the renderer is not built .*run npm run build/);
    const noRoot = await run(serve('--root', join(dir, 'missing'), '--renderer', join(dir, 'renderer')), /$^/);
    expect(noRoot.out).toMatch(/the folder '.*missing' given for the file pickers does not exist/);
  });
});
