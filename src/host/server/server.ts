import { createReadStream } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { TOKEN_PARAM, WS_PATH } from '../../shared/ws-protocol';
import { createHostServices, removeInterruptedSaves, type HostServices } from '../project/services';
import { serveConnection } from './connection';
import { contentSecurityPolicy, contentTypeOf, resolveStatic } from './static';
import { cookieValue, newToken, tokensMatch } from './token';

/** The browser mode only ever listens here: the machine itself, never the network. */
export const LOOPBACK = '127.0.0.1';

/** The largest WebSocket message (all fragments together) a tab may send; larger ones close that connection. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface ServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The folder the in-page pickers show; nothing above it is reachable. */
  root: string;
  /** Where the recent list and the backups of unsaved work are kept. */
  dataDir: string;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  templatesDir: string;
  appVersion: string;
  autosaveMs?: number;
  /** Tests pass their own; otherwise a fresh one is made for every launch. */
  token?: string;
  /** Where a connection closed for breaking the protocol is reported (default: stderr). */
  log?: (line: string) => void;
  /**
   * The built training worker (out/main/training-worker.js): run from TypeScript, the pool would otherwise start
   * its workers from source through tsx, which costs each run a second or more before its first step.
   */
  workerScript?: URL;
}

export interface RunningServer {
  /** The address to open, token included. */
  url: string;
  origin: string;
  /** The address actually bound: always 127.0.0.1. */
  host: string;
  port: number;
  token: string;
  root: string;
  services: HostServices;
  /** Closes every socket and waits until every tab's unsaved work is backed up. */
  close(): Promise<void>;
}

/** Headers on every answer: the CSP, and no sniffing, framing, referrer (it would carry the token) or caching. */
function securityHeaders(origin: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy([origin.replace(/^http/, 'ws')]),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

/**
 * Starts the browser mode: the host services of the desktop app in plain Node, the built renderer over HTTP
 * and the Api over a WebSocket, bound to 127.0.0.1 only. Every request needs the per-launch token, either in
 * the URL (`?token=`, which also sets a same-site cookie so that the page's own scripts and socket get it) or
 * in that cookie; the Host header must name the loopback address (against DNS rebinding) and a WebSocket's
 * Origin must be this server's page.
 */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const root = await realpath(o.root).catch(() => {
    throw new Error(`the folder '${o.root}' given for the file pickers does not exist`);
  });
  if (!(await stat(root)).isDirectory()) throw new Error(`'${o.root}' is not a folder`);
  const rendererDir = await realpath(o.rendererDir).catch(() => null);
  if (
    !rendererDir ||
    !(await access(join(rendererDir, 'index.html')).then(
      () => true,
      () => false,
    ))
  ) {
    throw new Error(`the renderer is not built ('${join(o.rendererDir, 'index.html')}' is missing): run npm run build`);
  }
  const services = createHostServices({
    dataDir: o.dataDir,
    templatesDir: o.templatesDir,
    appVersion: o.appVersion,
    runtime: `Node ${process.versions.node}, browser mode`,
    autosaveMs: o.autosaveMs,
  });
  const log = o.log ?? ((line: string) => console.error(line));
  for (const path of await removeInterruptedSaves(services, o.dataDir)) {
    log(`convas serve: removed '${path}', left by a save that was interrupted`);
  }
  const token = o.token ?? newToken();
  let port = 0;
  const cookieName = () => `convas-token-${port}`;
  const hostOk = (req: IncomingMessage) =>
    req.headers.host === `${LOOPBACK}:${port}` || req.headers.host === `localhost:${port}`;
  const origins = () => [`http://${LOOPBACK}:${port}`, `http://localhost:${port}`];
  const tokenOf = (req: IncomingMessage, url: URL) =>
    url.searchParams.get(TOKEN_PARAM) ?? cookieValue(req.headers.cookie, cookieName());

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const origin = `http://${LOOPBACK}:${port}`;
    const refuse = (status: number, text: string) => {
      res.writeHead(status, { ...securityHeaders(origin), 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (!hostOk(req)) return refuse(403, 'Forbidden: this server answers only to 127.0.0.1.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(405, 'Method not allowed.');
    const url = new URL(req.url ?? '/', origin);
    if (!tokensMatch(token, tokenOf(req, url))) {
      return refuse(403, 'Forbidden: open the address with the token that `npm run serve` printed when it started.');
    }
    const file = await resolveStatic(rendererDir, url.pathname);
    if (!file) return refuse(404, 'Not found.');
    const headers: Record<string, string> = { ...securityHeaders(origin), 'Content-Type': contentTypeOf(file) };
    if (url.searchParams.has(TOKEN_PARAM))
      headers['Set-Cookie'] = `${cookieName()}=${token}; Path=/; HttpOnly; SameSite=Strict`;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  // Every socket gets an 'error' listener: an EventEmitter without one throws, and one hostile frame would end
  // the whole server (and every tab's unsaved work). A protocol error closes that connection only.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  wss.on('error', (e) => log(`convas serve: WebSocket server error: ${e.message}`));
  const connections = new Set<Promise<void>>();
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (e) => log(`convas serve: connection error before the WebSocket opened: ${e.message}`));
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
    const allowed =
      hostOk(req) &&
      url.pathname === WS_PATH &&
      origins().includes(req.headers.origin ?? '') &&
      tokensMatch(token, tokenOf(req, url));
    if (!allowed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const done = serveConnection(ws, services, root, log, o.workerScript);
      connections.add(done);
      void done.then(() => connections.delete(done));
    });
  };

  const http = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  http.on('upgrade', upgrade);
  // A malformed HTTP request: Node's default answers 400 and closes; this also keeps a reset socket from throwing.
  http.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port ?? 0, LOOPBACK, () => resolve());
  });
  const bound = http.address() as AddressInfo;
  port = bound.port;
  const origin = `http://${LOOPBACK}:${port}`;

  return {
    url: `${origin}/?${TOKEN_PARAM}=${token}`,
    origin,
    host: bound.address,
    port,
    token,
    root,
    services,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await Promise.all(connections);
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
