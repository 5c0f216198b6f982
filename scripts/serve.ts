/**
 * `npm run serve`: the browser mode. Starts the desktop app's host services in Node, serves the built renderer
 * at http://127.0.0.1:PORT/ with a token made now (printed in the URL), and keeps running until Ctrl+C.
 *
 *   npm run serve -- [--port N] [--root FOLDER] [--data FOLDER] [--renderer FOLDER]
 *
 * --root is the folder the in-page file pickers show (default: your home folder); nothing above it is reachable.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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
    port: { type: 'string', default: '0' },
    root: { type: 'string', default: homedir() },
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
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`--port ${values.port} is not a port number (0 picks a free one)`);

const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const server = await startServer({
  port,
  root: resolve(values.root),
  dataDir: resolve(values.data),
  rendererDir: resolve(values.renderer),
  templatesDir: join(repo, 'resources', 'templates'),
  appVersion: version,
}).catch((e: Error) => fail(e.message));

console.log(`Convas is running at ${server.url}`);
console.log(`Files are opened and saved under ${server.root}. Press Ctrl+C to stop.`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
