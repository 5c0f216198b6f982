import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Environment variables that may name the browser to drive, first match wins. */
export const BROWSER_ENV = ['CONVAS_BROWSER', 'CHROME_PATH', 'CHROMIUM_PATH'] as const;

/** Where Chromium-family browsers install themselves, per platform, most likely first. */
function knownPaths(): string[] {
  const env = process.env;
  if (process.platform === 'darwin') {
    return [
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    ];
  }
  if (process.platform === 'win32') {
    const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter((r): r is string => !!r);
    return roots.flatMap((r) => [
      join(r, 'Google', 'Chrome', 'Application', 'chrome.exe'),
      join(r, 'Microsoft', 'Edge', 'Application', 'msedge.exe'),
      join(r, 'Chromium', 'Application', 'chrome.exe'),
    ]);
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'];
}

/** Names to look for on PATH (Linux and other Unixes). */
const COMMANDS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'microsoft-edge'];

/**
 * A Chromium-family browser for the end-to-end tests: the one an environment variable names, else Debian's or
 * Ubuntu's chromium, Google Chrome or Edge where the platform installs them or on PATH. Null when there is none.
 */
export function findBrowser(): string | null {
  for (const name of BROWSER_ENV) {
    const path = process.env[name];
    if (path) {
      if (!existsSync(path)) throw new Error(`${name} names ${path}, which does not exist`);
      return path;
    }
  }
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .flatMap((dir) => COMMANDS.map((c) => join(dir, c)));
  return [...knownPaths(), ...onPath].find((p) => existsSync(p)) ?? null;
}

/** The browser, or an error that says how to get one. */
export function requireBrowser(): string {
  const found = findBrowser();
  if (found) return found;
  throw new Error(
    'No Chromium-family browser found for the end-to-end tests: install Chromium, Google Chrome or Edge ' +
      `(Debian/Ubuntu: apt-get install chromium), or name one in ${BROWSER_ENV[0]}=/path/to/browser`,
  );
}
