import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/engine';

/** Shared by the benchmarks: medians, seeded data, peak memory and running a part in a child process. */

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Peak resident set size of this process so far, in MB (worker threads included: they share the process). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Seeded uniform [0, 1) pixels and labels 0..classes−1, written into the arrays given. */
export function fillRandom(x: Float32Array, labels: Int32Array, classes: number, seed: number): void {
  const rng = new Rng(seed);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  for (let i = 0; i < labels.length; i++) labels[i] = rng.int(classes);
}

/** The line a child process prints its result on, so that any other output it makes is left alone. */
const RESULT = 'BENCH-RESULT ';

export function printResult(value: unknown): void {
  process.stdout.write(`${RESULT}${JSON.stringify(value)}\n`);
}

/**
 * Runs `file` with `args` in a fresh Node process (with this process's loader flags, so TypeScript runs as it
 * does here) and resolves with the value it printed through printResult. Its other output lines are passed to
 * `onLine` as they come (the child's notes), stderr included. `nodeFlags` go to Node (V8 flags, say).
 */
export function runChild<T>(
  file: string | URL,
  args: string[],
  onLine: (line: string) => void,
  nodeFlags: string[] = [],
): Promise<T> {
  const path = typeof file === 'string' && !file.startsWith('file:') ? file : fileURLToPath(file);
  return runCommand<T>(process.execPath, [...nodeFlags, ...process.execArgv, path, ...args], onLine);
}

/** Runs any program that prints its result as printResult does (a Python peer, say); resolves with that value. */
export function runCommand<T>(command: string, args: string[], onLine: (line: string) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let result: T | undefined;
    let found = false;
    const lines = (chunk: Buffer, carry: { rest: string }) => {
      const text = carry.rest + chunk.toString('utf8');
      const parts = text.split('\n');
      carry.rest = parts.pop() ?? '';
      for (const line of parts) {
        if (line.startsWith(RESULT)) {
          result = JSON.parse(line.slice(RESULT.length)) as T;
          found = true;
        } else if (line.trim() && !line.startsWith('npm warn')) onLine(line);
      }
    };
    const out = { rest: '' };
    const err = { rest: '' };
    child.stdout.on('data', (c: Buffer) => lines(c, out));
    child.stderr.on('data', (c: Buffer) => lines(c, err));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && found) resolve(result as T);
      else
        reject(new Error(`${command} ${args.join(' ')} exited with code ${code}${found ? '' : ' without a result'}`));
    });
  });
}
