import { availableParallelism } from 'node:os';
import { MessageChannel, type Worker } from 'node:worker_threads';
import {
  checkMemory,
  compileGraph,
  sizeOf,
  tensor,
  type CompiledGraph,
  type Evaluation,
  type LossKind,
  type NamedWeights,
  type OptimizerState,
  type Tensor,
} from '../../engine';
import { parameterLayout, type ParameterLayout } from '../../engine/network';
import { newControlBlock, resetControl, signalFailure } from './control';
import { DivergedError, TrainingError } from './errors';
import { Link } from './link';
import { Lock } from './lock';
import { checkInputs, checkLabels, mergeEvaluations, mergeOptimizerStates } from './results';
import type { Calls, KernelChoice, Queries, ReplicaRandomState, SharedBuffers, SharedExamples } from './messages';
import { DEFAULT_LOSS, type PoolPlan } from './plan';
import { floatsOf, shareInts, sharedFloats, sharedInts, sharePixels, type Inputs } from './shared-memory';
import { findWorkerScript, startWorker } from './spawn';

/** Where and how a pool runs a plan; the plan itself says what to train. */
export interface PoolOptions {
  /** The plan's graph, compiled on this thread by the caller (compiled here when not given). */
  compiled?: CompiledGraph;
  /** Worker threads sharing each batch (default: the machine's available parallelism). */
  threads?: number;
  /** Default cross-entropy from the logits; the seed's worked examples train with 'mse'. */
  loss?: LossKind;
  /** 'auto' (default) installs the WebAssembly SIMD kernels when they load; 'reference' always uses the TypeScript ones. */
  kernels?: KernelChoice;
  /** The worker entry, when it is not where spawn.ts looks for it (a build's out/main/training-worker.js, say). */
  workerScript?: URL;
}

/**
 * A network on a pool of worker threads, data-parallel: every batch is split into one shard per worker, their
 * gradients are summed in shared memory and each worker updates its slice of the one shared copy of the
 * weights (see replica.ts). Nothing heavy runs on the calling thread.
 *
 * It trains one batch per step() call: the loop around the steps (batches, epochs, pause, stop, validation) is
 * TrainingSession's, the one loop the app, the command line and the benchmarks train through. Steps,
 * evaluations, predictions and weight loads happen one at a time, in call order. getWeights() and activations()
 * are answered between two steps. Same seed and same thread count give identical weights.
 */
export class TrainingPool {
  private readonly lock = new Lock();
  private closed = false;
  private broken: Error | null = null;
  private batchBuffers: { x: Float32Array; labels: Int32Array } | null = null;
  private steps = 0;

  private constructor(
    /** The compiled graph, for shapes and node names. */
    readonly graph: CompiledGraph,
    readonly layout: ParameterLayout,
    readonly threads: number,
    private readonly workers: Worker[],
    /** Settle when each worker's thread has ended, however it ended. */
    private readonly exits: Promise<unknown>[],
    private readonly links: Link<Calls>[],
    private readonly queries: Link<Queries>,
    private readonly shared: SharedBuffers,
    /** Kernel backend in use ('reference', or the WebAssembly one's name). */
    readonly kernels: string,
    /** Why the WebAssembly kernels are not in use, when they are not. */
    readonly notice: string | undefined,
  ) {}

  /**
   * Starts the workers on the plan's graph and hyperparameters and initialises the weights from its seed. An
   * uncompiled graph is compiled first, so that its GraphError is thrown here, on the caller's thread.
   */
  static async create(plan: PoolPlan, options: PoolOptions = {}): Promise<TrainingPool> {
    const graph = options.compiled ?? compileGraph(plan.graph);
    const layout = parameterLayout(graph);
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new Error(`threads must be a whole number from 1 to 256, got ${threads}`);
    }
    // Weights, a gradient region per worker and the optimizer's slots, refused before the shared arrays exist.
    checkMemory(graph, { training: true, optimizer: plan.hyper.optimizer, threads });
    const shared: SharedBuffers = {
      weights: sharedFloats(layout.total),
      grads: sharedFloats(layout.total * threads),
      control: newControlBlock(),
      losses: new Float64Array(new SharedArrayBuffer(threads * Float64Array.BYTES_PER_ELEMENT)),
    };
    const script = findWorkerScript(options.workerScript);
    const workers: Worker[] = [];
    const links: Link<Calls>[] = [];
    const channel = new MessageChannel();
    let pool: TrainingPool | null = null;
    for (let rank = 0; rank < threads; rank++) {
      const w = startWorker(script, `convas-training-${rank}`);
      workers.push(w);
      links.push(new Link<Calls>(w, `training worker ${rank}`));
    }
    const queries = new Link<Queries>(channel.port1, 'training worker 0 (queries)');
    const died = (rank: number, e: Error) => {
      signalFailure(shared.control, rank);
      const err = new TrainingError(`training worker ${rank} died: ${e.message}`, e.name, e.stack);
      for (const l of links) l.fail(err);
      queries.fail(err);
      if (pool) pool.broken ??= err;
    };
    const exits = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)));
    workers.forEach((w, rank) => {
      w.on('error', (e) => died(rank, e));
      w.on('exit', (code) => {
        if (!pool?.closed) died(rank, new Error(`it exited with code ${code}`));
      });
    });
    // The plan as it came, without the data settings the workers have no use for.
    const config = {
      plan: { graph: plan.graph, hyper: plan.hyper },
      threads,
      loss: options.loss ?? DEFAULT_LOSS,
      kernels: options.kernels ?? 'auto',
    } as const;
    try {
      const infos = await Promise.all(
        links.map((l, rank) =>
          rank === 0
            ? l.call('init', { config: { ...config, rank }, shared, queries: channel.port2 }, [channel.port2])
            : l.call('init', { config: { ...config, rank }, shared }),
        ),
      );
      pool = new TrainingPool(
        graph,
        layout,
        threads,
        workers,
        exits,
        links,
        queries,
        shared,
        infos[0].kernels,
        infos.find((i) => i.notice)?.notice,
      );
      return pool;
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      channel.port1.close();
      throw e;
    }
  }

  /** Optimizer steps this session has taken. */
  get globalStep(): number {
    return this.steps;
  }

  get state(): 'open' | 'closed' {
    return this.closed ? 'closed' : 'open';
  }

  /**
   * One optimizer step on the batch (x: [N, ...input shape]); resolves with the batch's loss before the step.
   * Rejects with DivergedError, and updates nothing, when that loss is not finite or is above `maxLoss`. The step
   * uses `learningRate` when given (the session's schedule sets it), else the plan's.
   */
  async step(x: Inputs, labels: Int32Array, maxLoss = Infinity, learningRate?: number): Promise<number> {
    this.checkUsable();
    this.checkExamples(x, labels, 'step');
    return this.lock.run(async () => {
      const batch = this.stageBatch(x, labels);
      resetControl(this.shared.control);
      const outcome = await this.all('step', {
        batch,
        maxLoss,
        ...(learningRate === undefined ? {} : { learningRate }),
      });
      this.steps = outcome.globalStep;
      if (outcome.status === 'diverged') {
        throw new DivergedError(outcome.globalStep + 1, outcome.loss, outcome.badPart ?? 'loss', maxLoss);
      }
      return outcome.loss;
    });
  }

  /** A consistent copy of every weight by name, taken between two steps even while a run is going on. */
  async getWeights(): Promise<NamedWeights> {
    this.checkUsable();
    const flat = await this.queries.call('weights', {});
    const out: NamedWeights = {};
    for (const s of this.layout.slots) out[s.name] = tensor(s.shape, flat.slice(s.offset, s.offset + s.size));
    return out;
  }

  /** Loads weights by name; every weight must be present with its exact shape. Waits for the step in progress. */
  async setWeights(w: NamedWeights): Promise<void> {
    this.checkUsable();
    for (const s of this.layout.slots) {
      const t = w[s.name];
      if (!t) throw new Error(`weights are missing '${s.name}'`);
      if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i]) || t.data.length !== s.size) {
        throw new Error(
          `weight '${s.name}' has shape [${t.shape.join('×')}], the network needs [${s.shape.join('×')}]`,
        );
      }
    }
    const flat = new Float32Array(this.layout.total);
    for (const s of this.layout.slots) flat.set(w[s.name].data, s.offset);
    // Under the lock no step is running; rank 0 writes them between the queries it answers, and the other
    // workers refresh their private copies when their next job starts.
    await this.lock.run(() => this.queries.call('setWeights', { flat }, [flat.buffer]));
  }

  /** Node `nodeId`'s outputs for the inputs x, in inference mode (answered by one worker, between two steps). */
  async activations(x: Inputs, nodeId: string): Promise<Tensor> {
    this.checkUsable();
    if (!this.graph.byId.has(nodeId)) throw new Error(`activations: no node '${nodeId}' in this network`);
    this.checkInputs(x, 'activations');
    // A few images: copied (bytes scaled) here and transferred, not shared.
    const copy = x.data instanceof Float32Array ? x.data.slice() : floatsOf(x.data);
    const r = await this.queries.call('activations', { x: copy, n: x.shape[0], nodeId }, [copy.buffer as ArrayBuffer]);
    return tensor(r.shape, r.data);
  }

  /** The network's outputs for every input, the inputs split across the workers. The result lives in shared memory. */
  async predict(x: Inputs, batchSize = 32): Promise<Tensor> {
    return this.infer(x, this.graph.outputId, batchSize);
  }

  private async infer(x: Inputs, nodeId: string, batchSize: number): Promise<Tensor> {
    this.checkUsable();
    this.checkInputs(x, 'predict');
    const n = x.shape[0];
    const outShape = this.graph.byId.get(nodeId)!.outShape;
    const out = sharedFloats(n * sizeOf(outShape));
    await this.lock.run(() => this.all('infer', { job: { x: sharePixels(x.data), n, nodeId, out, batchSize } }));
    return tensor([n, ...outShape], out);
  }

  /** Loss, accuracy and confusion matrix in inference mode, the examples split across the workers. */
  async evaluate(x: Inputs, labels: Int32Array, batchSize = 128): Promise<Evaluation> {
    this.checkUsable();
    this.checkExamples(x, labels, 'evaluate');
    const data: SharedExamples = { x: sharePixels(x.data), labels: shareInts(labels), n: labels.length };
    const parts = await this.lock.run(() => this.gather('evaluate', { data, batchSize }));
    return mergeEvaluations(parts, sizeOf(this.graph.outputShape));
  }

  /** The optimizer's state per parameter (velocities, moments), for a checkpoint. */
  async getOptimizerState(): Promise<OptimizerState> {
    this.checkUsable();
    const parts = await this.lock.run(() => this.gather('getOptimizerState', {}));
    return mergeOptimizerStates(parts, this.layout);
  }

  async setOptimizerState(state: OptimizerState): Promise<void> {
    this.checkUsable();
    await this.lock.run(() => this.all('setOptimizerState', { state }));
  }

  /** Every rank's generators (shuffling, dropout) and step count, in rank order, for a checkpoint. */
  async getRandomState(): Promise<ReplicaRandomState[]> {
    this.checkUsable();
    return this.lock.run(() => this.gather('getRandomState', {}));
  }

  /** Puts back what getRandomState returned; it must come from a pool with as many threads. */
  async setRandomState(states: ReplicaRandomState[]): Promise<void> {
    this.checkUsable();
    if (states.length !== this.threads) {
      throw new Error(`random state for ${states.length} training threads given to a pool of ${this.threads}`);
    }
    await this.lock.run(() => this.all('setRandomState', { states }));
  }

  /** Ends the worker threads, after the job in progress. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.lock.run(async () => {
      this.closed = true;
      await Promise.allSettled(this.links.map((l) => l.call('close', {})));
      // A worker that does not end by itself within a second is ended.
      const timer = setTimeout(() => this.workers.forEach((w) => void w.terminate()), 1000);
      await Promise.all(this.exits);
      clearTimeout(timer);
      this.queries.close();
    });
  }

  private checkUsable(): void {
    if (this.broken) throw new Error(`the training session cannot continue: ${this.broken.message}`);
    if (this.closed) throw new Error('the training session is closed');
  }

  private checkInputs(x: Inputs, what: string): void {
    checkInputs(this.graph, x, what);
  }

  private checkExamples(x: Inputs, labels: Int32Array, what: string): void {
    checkInputs(this.graph, x, what);
    checkLabels(x, labels, what);
  }

  /** Copies a batch into the reused shared batch buffers (grown when too small), bytes scaled to [0, 1]. */
  private stageBatch(x: Inputs, labels: Int32Array): SharedExamples {
    const n = labels.length;
    const size = x.data.length;
    if (!this.batchBuffers || this.batchBuffers.x.length < size || this.batchBuffers.labels.length < n) {
      this.batchBuffers = { x: sharedFloats(size), labels: sharedInts(n) };
    }
    const b = this.batchBuffers;
    if (x.data instanceof Float32Array) b.x.set(x.data);
    else for (let i = 0; i < size; i++) b.x[i] = x.data[i] / 255;
    b.labels.set(labels);
    return { x: b.x.subarray(0, size), labels: b.labels.subarray(0, n), n };
  }

  /** Sends the same request to every worker; resolves with every result (rank order) or rejects with the root cause. */
  private async gather<K extends keyof Calls & string>(type: K, args: Calls[K]['args']): Promise<Calls[K]['result'][]> {
    const settled = await Promise.allSettled(this.links.map((l) => l.call(type, args)));
    const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
    if (errors.length) {
      // Workers that gave up waiting for a failed peer report PeerFailure; the peer's own error is the news.
      throw errors.find((e) => !(e instanceof TrainingError && e.workerError === 'PeerFailure')) ?? errors[0];
    }
    return settled.map((s) => (s as PromiseFulfilledResult<Calls[K]['result']>).value);
  }

  /** As gather, keeping rank 0's result (for runs, all ranks report the same outcome). */
  private async all<K extends keyof Calls & string>(type: K, args: Calls[K]['args']): Promise<Calls[K]['result']> {
    return (await this.gather(type, args))[0];
  }
}
