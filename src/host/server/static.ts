import { realpath, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { isInside } from './confine';

/**
 * Serving the built renderer (out/renderer), for the browser-mode server and the desktop app's `app://`
 * protocol alike: only files below the folder, never a folder listing, never a path that climbs out.
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

export function contentTypeOf(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The Content-Security-Policy of every page: our own scripts only (no eval, no inline script), no plugins,
 * no framing, network access only back to where the page came from (`connect` adds the WebSocket's origin).
 * Inline styles stay allowed because Vue's style bindings and Konva set them.
 */
export function contentSecurityPolicy(connect: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src ${["'self'", ...connect].join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The file a URL path names under `root` (a real path), or null: '/' is index.html; an encoded '..', a NUL,
 * a backslash, a folder or a link that leads out all give null.
 */
export async function resolveStatic(root: string, urlPath: string): Promise<string | null> {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) return null;
  if (path.endsWith('/')) path += 'index.html';
  const lexical = resolve(root, `.${path}`);
  if (!isInside(root, lexical)) return null;
  try {
    const real = await realpath(lexical);
    if (!isInside(root, real) || !(await stat(real)).isFile()) return null;
    return real;
  } catch {
    return null;
  }
}
