import { request } from 'node:http';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../src/host/server/server';
import { tokensMatch } from '../../src/host/server/token';

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-server-'));
  const renderer = join(dir, 'renderer');
  await mkdir(join(renderer, 'assets'), { recursive: true });
  await writeFile(join(renderer, 'index.html'), '<!doctype html><title>Convas</title>');
  await writeFile(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'secret');
  await symlink(join(dir, 'secret.txt'), join(renderer, 'assets', 'link.js'));
  await mkdir(join(dir, 'root'));
  server = await startServer({
    root: join(dir, 'root'),
    dataDir: join(dir, 'data'),
    rendererDir: renderer,
    templatesDir: resolve('resources/templates'),
    appVersion: '1.2.3',
  });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so that the test controls every header (fetch would not let it set Host). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method, headers: { host: `127.0.0.1:${server.port}`, ...headers } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket and reports whether the server accepted it (and with which HTTP status it refused). */
function connect(path: string, headers: Record<string, string>): Promise<{ accepted: boolean; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve({ accepted: true });
    });
    ws.on('unexpected-response', (_req, res) => resolve({ accepted: false, status: res.statusCode }));
    ws.on('error', () => resolve({ accepted: false }));
  });
}

describe('browser-mode server: HTTP', () => {
  it('listens on the loopback address only, with the token in the printed URL', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('refuses a request without the token, or with a wrong one', async () => {
    const none = await get('/');
    expect(none.status).toBe(403);
    expect(none.body).toMatch(/token/);
    expect((await get('/?token=wrong')).status).toBe(403);
    expect((await get(`/?token=${server.token}x`)).status).toBe(403);
    expect((await get('/assets/app.js')).status).toBe(403);
  });

  it('serves the page with the token, setting a same-site cookie and a strict CSP', async () => {
    const page = await get(`/?token=${server.token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Convas</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`);
    expect(csp).not.toContain('unsafe-eval');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toContain(`convas-token-${server.port}=${server.token}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
  });

  it("serves the page's scripts to the cookie alone", async () => {
    const js = await get('/assets/app.js', { cookie: `other=1; convas-token-${server.port}=${server.token}` });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/assets/app.js', { cookie: `convas-token-${server.port}=nope` })).status).toBe(403);
  });

  it('refuses another Host (DNS rebinding) and anything but GET and HEAD', async () => {
    const t = `?token=${server.token}`;
    expect((await get(`/${t}`, { host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await get(`/${t}`, { host: '127.0.0.1:1' })).status).toBe(403);
    expect((await get(`/${t}`, {}, 'POST')).status).toBe(405);
    expect((await get(`/${t}`, {}, 'HEAD')).status).toBe(200);
  });

  it('never serves a file outside the renderer folder', async () => {
    const t = `?token=${server.token}`;
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/link.js',
      '/assets/',
      '/%00',
    ]) {
      const r = await get(path + t);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain('secret');
    }
  });
});

describe('browser-mode server: WebSocket upgrade', () => {
  const origin = () => `http://127.0.0.1:${server.port}`;

  it('accepts the page of this server with the token, by query or by cookie', async () => {
    expect(await connect(`/api?token=${server.token}`, { origin: origin() })).toEqual({ accepted: true });
    const cookie = `convas-token-${server.port}=${server.token}`;
    expect(await connect('/api', { origin: origin(), cookie })).toEqual({ accepted: true });
  });

  it('refuses an upgrade without the token', async () => {
    expect(await connect('/api', { origin: origin() })).toEqual({ accepted: false, status: 403 });
    expect(await connect('/api?token=guess', { origin: origin() })).toEqual({ accepted: false, status: 403 });
  });

  it('refuses another origin, no origin, another path', async () => {
    const t = `?token=${server.token}`;
    expect(await connect(`/api${t}`, { origin: 'http://evil.example' })).toEqual({ accepted: false, status: 403 });
    expect(await connect(`/api${t}`, { origin: `http://127.0.0.1:${server.port + 1}` })).toMatchObject({
      accepted: false,
    });
    expect(await connect(`/api${t}`, {})).toEqual({ accepted: false, status: 403 });
    expect(await connect(`/other${t}`, { origin: origin() })).toEqual({ accepted: false, status: 403 });
  });
});

describe('token comparison', () => {
  it('matches only the exact token', () => {
    expect(tokensMatch('abc', 'abc')).toBe(true);
    expect(tokensMatch('abc', 'abd')).toBe(false);
    expect(tokensMatch('abc', 'abcd')).toBe(false);
    expect(tokensMatch('abc', '')).toBe(false);
    expect(tokensMatch('abc', null)).toBe(false);
  });
});
