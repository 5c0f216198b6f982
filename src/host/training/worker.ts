import { parentPort, type MessagePort } from 'node:worker_threads';
import { PeerFailure, signalFailure } from './control';
import { installKernels } from './kernels';
import type { OptimizerState } from '../../engine';
import type { HostRequest, PartialEvaluation, QueryRequest, SharedBuffers, WireError, WorkerMessage } from './messages';
import { Replica } from './replica';

/**
 * A training worker: a switch over the host's request types, answering each with one result or one error.
 * Started by TrainingPool (spawn.ts); one per thread of the pool.
 */
const port = parentPort;
if (!port) throw new Error('src/host/training/worker.ts is a worker entry; start it through TrainingPool.create()');

let replica: Replica | null = null;
let shared: SharedBuffers | null = null;
let queries: MessagePort | null = null;
let rank = 0;

function need(): Replica {
  if (!replica) throw new Error('the training worker has not been initialised');
  return replica;
}

function wire(e: unknown): WireError {
  return e instanceof Error
    ? { name: e.name, message: e.message, stack: e.stack }
    : { name: 'Error', message: String(e) };
}

function post(to: MessagePort, message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  to.postMessage(message, transfer);
}

/** Rank 0's answers to queries, between jobs. Results are fresh copies, so they are transferred. */
function answer(q: QueryRequest): void {
  try {
    const r = need();
    switch (q.type) {
      case 'weights': {
        const copy = shared!.weights.slice();
        post(queries!, { type: 'result', id: q.id, value: copy }, [copy.buffer]);
        return;
      }
      case 'setWeights':
        // Answered here, in the same queue as the reads, so that no read sees half of the new weights.
        shared!.weights.set(q.flat);
        post(queries!, { type: 'result', id: q.id, value: null });
        return;
      case 'activations': {
        const data = r.outputsOf(q.x, q.n, q.nodeId).slice();
        const shape = [q.n, ...r.net.node(q.nodeId).outShape];
        post(queries!, { type: 'result', id: q.id, value: { shape, data } }, [data.buffer]);
        return;
      }
    }
  } catch (e) {
    post(queries!, { type: 'error', id: q.id, error: wire(e) });
  }
}

async function handle(msg: HostRequest): Promise<unknown> {
  switch (msg.type) {
    case 'init': {
      const kernels = await installKernels(msg.config.kernels);
      shared = msg.shared;
      rank = msg.config.rank;
      replica = new Replica(msg.config, msg.shared);
      if (msg.queries) {
        queries = msg.queries;
        queries.on('message', (q: QueryRequest) => answer(q));
      }
      return { rank, kernels: kernels.name, notice: kernels.notice };
    }
    case 'step':
      return need().step(msg.batch, msg.maxLoss, msg.learningRate);
    case 'infer':
      need().infer(msg.job);
      return null;
    case 'evaluate':
      return need().evaluate(msg.data, msg.batchSize);
    case 'getOptimizerState':
      return need().getOptimizerState();
    case 'setOptimizerState':
      need().setOptimizerState(msg.state);
      return null;
    case 'getRandomState':
      return need().getRandomState();
    case 'setRandomState':
      need().setRandomState(msg.states[rank]);
      return null;
    case 'close':
      queries?.close();
      // Let the reply go out, then let the thread end: nothing else keeps it alive.
      setImmediate(() => port!.close());
      return null;
  }
}

/** Buffers a result owns outright (fresh copies), which can move to the host instead of being copied. */
function transferables(value: unknown): ArrayBuffer[] {
  if (value instanceof Float32Array || value instanceof Int32Array) return [value.buffer as ArrayBuffer];
  if (value && typeof value === 'object' && 'slots' in value) {
    // An optimizer state: getState() returns copies of the slots.
    return Object.values((value as OptimizerState).slots).flatMap((arrays) =>
      arrays.map((a) => a.buffer as ArrayBuffer),
    );
  }
  if (value && typeof value === 'object' && 'confusion' in value)
    return [(value as PartialEvaluation).confusion.buffer as ArrayBuffer];
  return [];
}

port.on('message', (msg: HostRequest) => {
  handle(msg).then(
    (value) => post(port, { type: 'result', id: msg.id, value }, transferables(value)),
    (e: unknown) => {
      // Peers blocked at a barrier must not wait for this worker forever.
      if (shared && !(e instanceof PeerFailure)) signalFailure(shared.control, rank);
      post(port, { type: 'error', id: msg.id, error: wire(e) });
    },
  );
});
