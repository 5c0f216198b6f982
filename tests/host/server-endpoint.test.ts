import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerAsBefore } from '../../src/host/server/endpoint';

let dir: string;
let options: Parameters<typeof startServerAsBefore>[0];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-endpoint-'));
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html>');
  options = {
    root: dir,
    dataDir: join(dir, 'data'),
    rendererDir: join(dir, 'renderer'),
    templatesDir: resolve('resources/templates'),
    appVersion: '1.2.3',
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the browser-mode server across restarts', () => {
  it('listens on the same port with the same token when the port is free, so an open tab reloads', async () => {
    const first = await startServerAsBefore(options);
    const { port, token, url } = first;
    await first.close();
    const second = await startServerAsBefore(options);
    try {
      expect(second.port).toBe(port);
      expect(second.token).toBe(token);
      // The address the old tab holds answers again.
      expect((await fetch(url)).status).toBe(200);
    } finally {
      await second.close();
    }
    // The token is a secret: only its owner may read the file that keeps it.
    expect((await stat(join(options.dataDir, 'endpoint.json'))).mode & 0o077).toBe(0);
  });

  it('takes a free port and a new token when the old port is taken', async () => {
    const first = await startServerAsBefore(options);
    await first.close();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(first.port, '127.0.0.1', r));
    try {
      const second = await startServerAsBefore(options);
      expect(second.port).not.toBe(first.port);
      expect(second.token).not.toBe(first.token);
      await second.close();
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });
});
