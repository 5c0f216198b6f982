import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Where the worker entry is, in the two ways this code runs:
 *
 * - Built (electron-vite bundles the main process into out/main/): the worker is its own entry,
 *   out/main/training-worker.js beside the bundle that imports this module. The build must list
 *   `'training-worker': 'src/host/training/worker.ts'` among the main process's rollup inputs.
 * - From TypeScript source (vitest, `tsx bench/...`): the worker is ./worker.ts beside this file, and the
 *   worker thread needs a TypeScript loader of its own. `execArgv: ['--import', 'tsx']` does not reach
 *   worker threads on Node 20 (the worker fails with ERR_UNKNOWN_FILE_EXTENSION), so the thread starts from
 *   a two-line bootstrap that registers tsx's ESM hooks in that thread and then imports worker.ts.
 */
export type WorkerScript = { kind: 'built'; url: URL } | { kind: 'source'; url: URL };

export function findWorkerScript(override?: URL): WorkerScript {
  if (override) return { kind: override.pathname.endsWith('.ts') ? 'source' : 'built', url: override };
  // Names built from variables, so that bundlers leave these URLs alone and they resolve at run time.
  const here = import.meta.url;
  const builtName = 'training-worker.js';
  const sourceName = 'worker.ts';
  const built = new URL(`./${builtName}`, here);
  if (existsSync(fileURLToPath(built))) return { kind: 'built', url: built };
  const source = new URL(`./${sourceName}`, here);
  if (existsSync(fileURLToPath(source))) return { kind: 'source', url: source };
  throw new Error(
    `cannot find the training worker: neither ${fileURLToPath(built)} nor ${fileURLToPath(source)} exists`,
  );
}

/** Starts one training worker thread. */
export function startWorker(script: WorkerScript, name: string): Worker {
  // A step leaves little garbage behind (the network recycles its buffers), so a small young generation
  // costs a few cheap scavenges and saves tens of MB per worker (V8's default lets it grow to 32 MB or more).
  const options = { name, stdout: false, stderr: false, resourceLimits: { maxYoungGenerationSizeMb: 4 } };
  if (script.kind === 'built') return new Worker(script.url, options);
  const tsxApi = tsxEsmApi();
  // An eval'd worker is a CommonJS script; dynamic import() still loads ES modules from it.
  const bootstrap =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((tsx) => { (tsx.register ?? tsx.default.register)(); return import(${JSON.stringify(script.url.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/**
 * The ES-module build of tsx's API, read from tsx's own exports map. (require.resolve would give its
 * CommonJS build, which cannot register the hooks when imported from an ES module.)
 */
function tsxEsmApi(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  return new URL(pkg.exports['./esm/api'].import.default, pathToFileURL(manifest)).href;
}
