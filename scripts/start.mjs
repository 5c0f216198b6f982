#!/usr/bin/env node
/**
 * `npm start`: builds the app when out/ is missing or older than its sources, then launches Electron. Where
 * Electron's runtime is not installed (its download is blocked, or was skipped), it says so in one line and
 * starts the browser mode instead, printing the URL to open, so that `npm install && npm start` always works.
 *
 *   npm start -- [--browser] [--no-build] [serve options: --port N --root FOLDER …]
 *
 * The serve options pass through to the browser mode (scripts/serve.ts): its file dialogs reach every folder you
 * may read unless --root FOLDER confines them, and it listens on the last launch's port when that is free.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const forceBrowser = args.includes('--browser');
const skipBuild = args.includes('--no-build');
const passOn = args.filter((a) => a !== '--browser' && a !== '--no-build');

/** The newest modification time of the files below `path` (skipping node_modules), or 0. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue;
    max = Math.max(max, newest(join(path, entry)));
  }
  return max;
}

/** True when a build output is missing or older than a source the build reads. */
function buildIsStale() {
  const outputs = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'].map((p) => join(repo, p));
  if (outputs.some((p) => !existsSync(p))) return true;
  const built = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
  const sources = ['src', 'electron', 'electron.vite.config.ts', 'package.json'].map((p) => join(repo, p));
  return Math.max(...sources.map(newest)) > built;
}

function build() {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('electron-vite/package.json');
  const bin = JSON.parse(readFileSync(pkgPath, 'utf8')).bin;
  const cli = join(pkgPath, '..', typeof bin === 'string' ? bin : bin['electron-vite']);
  console.log('Building Convas (electron-vite build)…');
  const r = spawnSync(process.execPath, [cli, 'build'], { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('The build failed; see the messages above.');
    process.exit(r.status ?? 1);
  }
}

/**
 * The Electron executable, found the way the electron package finds it (path.txt, dist/, or
 * ELECTRON_OVERRIDE_DIST_PATH) but without its fallback of downloading: null, with the reason, when absent.
 */
function electronExecutable() {
  const pkg = join(repo, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const exe = join(override, name ?? 'electron');
    return existsSync(exe) ? { exe } : { missing: `${exe} does not exist` };
  }
  if (!existsSync(pkg)) return { missing: 'node_modules/electron is not installed' };
  if (!name) return { missing: 'node_modules/electron/path.txt is missing: its runtime was never downloaded' };
  const exe = join(pkg, 'dist', name);
  return existsSync(exe) ? { exe } : { missing: `node_modules/electron/dist/${name} is missing` };
}

function startBrowserMode() {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'scripts', 'serve.ts'), ...passOn], {
    cwd: repo,
    stdio: 'inherit',
  });
  forwardSignals(child);
  child.on('exit', (code) => process.exit(code ?? 0));
}

function forwardSignals(child) {
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
}

if (!skipBuild && buildIsStale()) build();

const electron = forceBrowser ? { missing: 'the browser mode was asked for' } : electronExecutable();
if (electron.missing) {
  if (!forceBrowser) {
    console.log(
      `Electron's runtime is not available (${electron.missing}) and cannot be downloaded here; starting Convas in the browser instead.`,
    );
  }
  startBrowserMode();
} else {
  const child = spawn(electron.exe, [repo, ...passOn], { cwd: repo, stdio: 'inherit' });
  forwardSignals(child);
  child.on('error', (e) => {
    console.log(`Electron could not start (${e.message}); starting Convas in the browser instead.`);
    startBrowserMode();
  });
  child.on('exit', (code, signal) => {
    // 127: the runtime's shared libraries are missing (a server without a desktop); fall back as well.
    if (code === 127) {
      console.log('Electron could not start (missing system libraries); starting Convas in the browser instead.');
      startBrowserMode();
    } else process.exit(code ?? (signal ? 1 : 0));
  });
}
