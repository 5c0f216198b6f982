import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { startServer, type RunningServer, type ServerOptions } from './server';

/** Where the last launch's port and token are kept, in the server's data folder (the user's config folder). */
const FILE = 'endpoint.json';

const Endpoint = z.strictObject({
  port: z.int().min(1).max(65535),
  token: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/),
});
type Endpoint = z.infer<typeof Endpoint>;

async function load(dataDir: string): Promise<Endpoint | null> {
  try {
    const parsed = Endpoint.safeParse(JSON.parse(await readFile(join(dataDir, FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function save(dataDir: string, e: Endpoint): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, FILE);
  // The token is a secret: readable by its owner only.
  await writeFile(path, JSON.stringify(e), { mode: 0o600 });
  await chmod(path, 0o600);
}

/**
 * Starts the browser mode where the last launch listened, with the same token, when that port is free: a tab
 * left open across a restart then keeps working after a reload, as it would against a desktop app that was
 * restarted. When the port is taken (or nothing was saved) a free port and a new token are used, and saved.
 */
export async function startServerAsBefore(o: Omit<ServerOptions, 'port' | 'token'>): Promise<RunningServer> {
  const before = await load(o.dataDir);
  let server: RunningServer | null = null;
  if (before) {
    server = await startServer({ ...o, port: before.port, token: before.token }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES') return null;
      throw e;
    });
  }
  server ??= await startServer({ ...o, port: 0 });
  await save(o.dataDir, { port: server.port, token: server.token });
  return server;
}
