import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveAppProtocol } from '../../electron/main/protocol';
import { allowedOrigins, isAppUrl } from '../../electron/main/security';

let dir: string;
let handler: (request: Request) => Promise<Response>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-protocol-'));
  await mkdir(join(dir, 'renderer', 'assets'), { recursive: true });
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Convas</title>');
  await writeFile(join(dir, 'renderer', 'assets', 'a.js'), 'export {}');
  await writeFile(join(dir, 'secret.txt'), 'secret');
  await symlink(join(dir, 'secret.txt'), join(dir, 'renderer', 'assets', 'link.js'));
  serveAppProtocol({ handle: (_scheme, h) => (handler = h as typeof handler) }, join(dir, 'renderer'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const get = (url: string) => handler({ url } as Request);

describe('app:// protocol', () => {
  it('serves the built renderer with its CSP as a header', async () => {
    const page = await get('app://convas/index.html');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Convas</title>');
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self';[\s\S]*frame-ancestors 'none'/);
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self';");
    expect((await get('app://convas/assets/a.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('serves nothing outside the renderer folder or on another host', async () => {
    for (const url of [
      'app://convas/../secret.txt',
      'app://convas/%2e%2e/secret.txt',
      'app://convas/assets/link.js',
      'app://other/index.html',
    ]) {
      const r = await get(url);
      expect(r.status, url).toBe(404);
    }
  });

  it('treats only the app protocol (and the dev server in development) as the app', () => {
    const prod = allowedOrigins(undefined);
    expect(isAppUrl('app://convas/index.html', prod)).toBe(true);
    expect(isAppUrl('app://evil/index.html', prod)).toBe(false);
    expect(isAppUrl('http://localhost:5173/', prod)).toBe(false);
    expect(isAppUrl('file:///index.html', prod)).toBe(false);
    const dev = allowedOrigins('http://localhost:5173/');
    expect(isAppUrl('http://localhost:5173/src/main.ts', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', dev)).toBe(false);
  });
});
