import type { MessagePort, Transferable, Worker } from 'node:worker_threads';
import { TrainingError } from './errors';
import type { WireError, WorkerMessage } from './messages';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/**
 * Request/response over one port (a Worker, or the MessagePort rank 0 answers queries on): each request
 * carries an id, each reply settles the promise with that id.
 */
export class Link<Map extends { [K in keyof Map]: { args: object; result: unknown } }> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;

  constructor(
    private readonly port: Worker | MessagePort,
    label: string,
  ) {
    port.on('message', (msg: WorkerMessage) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.type === 'result') p.resolve(msg.value);
      else p.reject(toError(msg.error, label));
    });
  }

  call<K extends keyof Map & string>(
    type: K,
    args: Map[K]['args'],
    transfer: Transferable[] = [],
  ): Promise<Map[K]['result']> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.port.postMessage({ ...args, type, id }, transfer);
    });
  }

  /** Closes a MessagePort (a Worker ends by itself). */
  close(): void {
    if ('close' in this.port) this.port.close();
  }

  /** Rejects everything pending, and every later call, with `e` (the worker died). */
  fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

function toError(e: WireError, label: string): TrainingError {
  // Keep the worker's own message as it is: it names the node or value at fault.
  const err = new TrainingError(e.message, e.name, e.stack);
  err.stack = `${e.name} in ${label}: ${e.message}\n${e.stack ?? ''}`;
  return err;
}
