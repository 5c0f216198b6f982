/**
 * `npm run serve`: the browser mode. Starts the desktop app's host services in Node, serves the built renderer
 * at http://127.0.0.1:PORT/ with a token made now (printed in the URL), and keeps running until Ctrl+C.
 *
 *   npm run serve -- [--port N] [--root FOLDER] [--data FOLDER] [--renderer FOLDER]
 *
 * The in-page file pickers reach everything you may read, as a native dialog would; --root confines them (and
 * every path the page may use) to one folder. Without --port, the port and token of the last launch are used
 * again when that port is free, so that a tab left open keeps working after a reload.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, parse, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startServerAsBefore } from '../src/host/server/endpoint';
import { startServer } from '../src/host/server/server';

const repo = fileURLToPath(new URL('..', import.meta.url));

/** Where the browser mode keeps its recent list and backups: beside the desktop app's, not in them. */
function defaultDataDir(): string {
  const home = homedir();
  if (process.platform === 'win32')
    return join(process.env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), 'Convas', 'browser-mode');
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'Convas', 'browser-mode');
  return join(process.env['XDG_CONFIG_HOME'] ?? join(home, '.config'), 'Convas', 'browser-mode');
}

function fail(message: string): never {
  console.error(`convas serve: ${message}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    root: { type: 'string', default: parse(homedir()).root },
    data: { type: 'string', default: defaultDataDir() },
    renderer: { type: 'string', default: join(repo, 'out', 'renderer') },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log('usage: npm run serve -- [--port N] [--root FOLDER] [--data FOLDER] [--renderer FOLDER]');
  process.exit(0);
}
const port = values.port === undefined ? null : Number(values.port);
if (port !== null && (!Number.isInteger(port) || port < 0 || port > 65535))
  fail(`--port ${values.port} is not a port number (0 picks a free one)`);

const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
// The build that made the renderer served here made the training worker beside the main bundle: runs start from it
// as they do in the desktop app, instead of from TypeScript through tsx (a second or more per run).
const builtWorker = join(repo, 'out', 'main', 'training-worker.js');
const options = {
  root: resolve(values.root),
  dataDir: resolve(values.data),
  rendererDir: resolve(values.renderer),
  templatesDir: join(repo, 'resources', 'templates'),
  appVersion: version,
  ...(existsSync(builtWorker) ? { workerScript: pathToFileURL(builtWorker) } : {}),
};
const server = await (port === null ? startServerAsBefore(options) : startServer({ ...options, port })).catch(
  (e: Error) => fail(e.message),
);

console.log(`Convas is running at ${server.url}`);
console.log(
  parse(server.root).root === server.root
    ? 'The file pickers reach every folder you may read (--root FOLDER confines them). Press Ctrl+C to stop.'
    : `Files are opened and saved under ${server.root} only (--root). Press Ctrl+C to stop.`,
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
