import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Checks of the build output (npm test builds before it runs the tests). */
const OUT = resolve('out');
function read(path: string): string {
  const file = resolve(OUT, path);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  return readFileSync(file, 'utf8');
}

describe('the built app', () => {
  it('has a preload that requires nothing but electron (a sandboxed preload can load nothing else)', () => {
    const requires = [...read('preload/index.cjs').matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(new Set(requires)).toEqual(new Set(['electron']));
  });

  it('has the preload where the main process looks for it, and the page the app protocol serves', () => {
    const main = read('main/index.js');
    expect(main).toContain('../preload/index.cjs');
    expect(existsSync(resolve(OUT, 'preload', 'index.cjs'))).toBe(true);
    expect(read('renderer/index.html')).toContain('http-equiv="Content-Security-Policy"');
  });
});
