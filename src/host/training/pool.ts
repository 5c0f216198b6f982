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
  type OptimizerConfig,
  type OptimizerState,
  type Tensor,
} from '../../engine';
import { parameterLayout, type ParameterLayout } from '../../engine/network';
import type { Graph } from '../../shared/graph';
import { CONTROL, newControlBlock, REQUEST, resetControl, signalFailure } from './control';
import { DivergedError, TrainingError } from './errors';
import { Link } from './link';
import { Lock } from './lock';
import { checkInputs, checkLabels, mergeEvaluations, mergeOptimizerStates } from './results';
import type {
  Calls,
  KernelChoice,
  Queries,
  ReplicaRandomState,
  RunOutcome,
  SharedBuffers,
  SharedExamples,
  StepProgress,
} from './messages';
import { floatsOf, shareInts, sharedFloats, sharedInts, sharePixels, type Inputs } from './shared-memory';
import { findWorkerScript, startWorker } from './spawn';

/** How to start a training session. */
export interface TrainingOptions {
  graph: Graph;
  optimizer: OptimizerConfig;
  /** Initial weights, shuffling and dropout masks derive from it (default 1). */
  seed?: number;
  loss?: LossKind;
  /** Worker threads sharing each batch (default: the machine's available parallelism). */
  threads?: number;
  /** 'auto' (default) installs the WebAssembly SIMD kernels when they load; 'reference' always uses the TypeScript ones. */
  kernels?: KernelChoice;
  /** The worker entry, when it is not where spawn.ts looks for it. */
  workerScript?: URL;
}

/** What one epoch (or the part of it run before a stop) did. */
export interface EpochResult {
  /** Mean of the batch losses. */
  loss: number;
  steps: number;
  images: number;
  /** Training time, pauses excluded. */
  seconds: number;
  imagesPerSecond: number;
  /** True when stop() ended the epoch early. */
  stopped: boolean;
  /** Optimizer steps taken by the session so far. */
  globalStep: number;
}

export type SessionState = 'idle' | 'running' | 'paused' | 'closed';

/** The run in progress, as the host tracks it. */
interface ActiveRun {
  phase: 'running' | 'paused';
  pauseRequested: boolean;
  stopRequested: boolean;
  /** Resolves pause() calls once the workers have paused (true) or the run ended first (false). */
  pauseWaiters: ((paused: boolean) => void)[];
  /** Set while paused: wakes the run to resume or to stop. */
  wake: ((action: 'resume' | 'stop') => void) | null;
  finished: Promise<void>;
}

type Listener = (p: StepProgress) => void;

/**
 * A training session on a pool of worker threads, data-parallel: every batch is split into one shard per
 * worker, their gradients are summed in shared memory and each worker updates its slice of the one shared
 * copy of the weights (see replica.ts). Nothing heavy runs on the calling thread.
 *
 * Runs (step, runEpoch), evaluations, predictions and weight loads happen one at a time, in call order.
 * pause() stops a run between two steps; while it is paused other jobs may run, and resume() continues
 * exactly where it stopped. getWeights() and activations() are answered between two steps even while a run
 * is going on. Same seed and same thread count give identical weights.
 */
export class TrainingPool {
  private readonly lock = new Lock();
  private readonly listeners = new Set<Listener>();
  private active: ActiveRun | null = null;
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

  /** Compiles the graph (throwing its GraphError here, on the caller's thread), starts the workers and initialises the weights. */
  static async create(options: TrainingOptions): Promise<TrainingPool> {
    const graph = compileGraph(options.graph);
    const layout = parameterLayout(graph);
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new Error(`threads must be a whole number from 1 to 256, got ${threads}`);
    }
    // Weights, a gradient region per worker and the optimizer's slots, refused before the shared arrays exist.
    checkMemory(graph, { training: true, optimizer: options.optimizer.kind, threads });
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
      links.push(new Link<Calls>(w, `training worker ${rank}`, (p) => pool?.emit(p)));
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
    const config = {
      graph: options.graph,
      seed: options.seed ?? 1,
      threads,
      optimizer: options.optimizer,
      loss: options.loss ?? 'cross_entropy',
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

  get state(): SessionState {
    if (this.closed) return 'closed';
    if (!this.active) return 'idle';
    return this.active.phase;
  }

  /** Calls `fn` after every training step with its loss and throughput; returns the function that unsubscribes. */
  onProgress(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(p: StepProgress): void {
    for (const fn of this.listeners) fn(p);
  }

  /**
   * One optimizer step on the batch (x: [N, ...input shape]); resolves with the batch's loss before the step.
   * Rejects with DivergedError, and updates nothing, when that loss is not finite or is above `maxLoss`.
   */
  async step(x: Inputs, labels: Int32Array, maxLoss = Infinity): Promise<number> {
    this.checkUsable();
    this.checkExamples(x, labels, 'step');
    if (this.active) throw new Error('step: a run is in progress; stop it (or let it finish) first');
    return this.lock.run(async () => {
      const batch = this.stageBatch(x, labels);
      resetControl(this.shared.control);
      const outcome = await this.all('step', { batch, maxLoss });
      this.steps = outcome.globalStep;
      if (outcome.status === 'diverged') throw this.diverged(outcome, maxLoss);
      return outcome.lossSum;
    });
  }

  /**
   * One pass over the examples in a seeded random order, in batches of `batchSize`, each split across the
   * workers. Progress is reported after every step. Resolves when the epoch is done or stopped; rejects with
   * a DivergedError if the loss stops being finite, or with a worker's error.
   */
  async runEpoch(
    x: Inputs,
    labels: Int32Array,
    batchSize: number,
    options: { onProgress?: Listener } = {},
  ): Promise<EpochResult> {
    this.checkUsable();
    this.checkExamples(x, labels, 'runEpoch');
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`runEpoch: the batch size must be a whole number of at least 1, got ${batchSize}`);
    if (this.active) throw new Error('runEpoch: a run is already in progress; stop it (or let it finish) first');
    const data: SharedExamples = { x: sharePixels(x.data), labels: shareInts(labels), n: labels.length };
    let finish!: () => void;
    const run: ActiveRun = {
      phase: 'running',
      pauseRequested: false,
      stopRequested: false,
      pauseWaiters: [],
      wake: null,
      finished: new Promise((r) => (finish = r)),
    };
    this.active = run;
    const unsubscribe = options.onProgress ? this.onProgress(options.onProgress) : () => false;
    let release = await this.lock.acquire();
    let seconds = 0;
    try {
      let legStart = performance.now();
      if (run.stopRequested) {
        // Stopped while it waited for its turn: it never started.
        return {
          loss: NaN,
          steps: 0,
          images: 0,
          seconds: 0,
          imagesPerSecond: 0,
          stopped: true,
          globalStep: this.steps,
        };
      }
      this.applyRequests(run);
      let outcome = await this.all('epoch', { data, batchSize });
      while (outcome.status === 'paused') {
        seconds += (performance.now() - legStart) / 1000;
        run.phase = 'paused';
        run.pauseWaiters.splice(0).forEach((w) => w(true));
        release();
        const action = run.stopRequested
          ? 'stop'
          : run.pauseRequested
            ? await new Promise<'resume' | 'stop'>((w) => (run.wake = w))
            : 'resume';
        release = await this.lock.acquire();
        if (action === 'stop') {
          await this.all('abandon', {});
          outcome = { ...outcome, status: 'stopped' };
          break;
        }
        run.phase = 'running';
        legStart = performance.now();
        this.applyRequests(run);
        outcome = await this.all('resume', {});
      }
      if (run.phase === 'running') seconds += (performance.now() - legStart) / 1000;
      this.steps = outcome.globalStep;
      if (outcome.status === 'diverged') throw this.diverged(outcome);
      return {
        loss: outcome.lossSum / Math.max(outcome.stepInEpoch, 1),
        steps: outcome.stepInEpoch,
        images: outcome.images,
        seconds,
        imagesPerSecond: seconds > 0 ? outcome.images / seconds : 0,
        stopped: outcome.status === 'stopped',
        globalStep: outcome.globalStep,
      };
    } finally {
      run.pauseWaiters.splice(0).forEach((w) => w(false));
      this.active = null;
      release();
      unsubscribe();
      finish();
    }
  }

  /** A fresh run leg: clear the barrier state, then re-apply what the caller asked for meanwhile. */
  private applyRequests(run: ActiveRun): void {
    const ctl = this.shared.control;
    resetControl(ctl);
    const req = run.stopRequested ? REQUEST.stop : run.pauseRequested ? REQUEST.pause : REQUEST.run;
    Atomics.store(ctl, CONTROL.request, req);
  }

  /**
   * Asks the run to pause after the step in progress. Resolves true once it has paused, false when there is
   * no run or it finished first.
   */
  pause(): Promise<boolean> {
    const run = this.active;
    if (!run) return Promise.resolve(false);
    if (run.phase === 'paused') return Promise.resolve(true);
    run.pauseRequested = true;
    Atomics.store(this.shared.control, CONTROL.request, REQUEST.pause);
    return new Promise((resolve) => run.pauseWaiters.push(resolve));
  }

  /** Continues a paused run (or cancels a pause not yet taken). Returns false when there was nothing to resume. */
  resume(): boolean {
    const run = this.active;
    if (!run || run.stopRequested) return false;
    if (run.phase === 'running') {
      if (!run.pauseRequested) return false;
      // Workers that already took the pause request pause anyway; the run loop then finds no pause
      // requested any more and resumes them at once.
      run.pauseRequested = false;
      Atomics.store(this.shared.control, CONTROL.request, REQUEST.run);
      return true;
    }
    run.pauseRequested = false;
    // Running from now on, so that a pause() right after this waits for a step rather than answering at once.
    run.phase = 'running';
    const wake = run.wake;
    run.wake = null;
    wake?.('resume');
    return true;
  }

  /** Ends the run after the step in progress (or at once when paused); resolves when it has ended. */
  async stop(): Promise<void> {
    const run = this.active;
    if (!run) return;
    run.stopRequested = true;
    Atomics.store(this.shared.control, CONTROL.request, REQUEST.stop);
    if (run.wake) {
      const wake = run.wake;
      run.wake = null;
      wake('stop');
    }
    await run.finished;
  }

  /** A consistent copy of every weight by name, taken between two steps even while a run is going on. */
  async getWeights(): Promise<NamedWeights> {
    this.checkUsable();
    const flat = await this.queries.call('weights', {});
    const out: NamedWeights = {};
    for (const s of this.layout.slots) out[s.name] = tensor(s.shape, flat.slice(s.offset, s.offset + s.size));
    return out;
  }

  /** Loads weights by name; every weight must be present with its exact shape. Waits for a running run to pause or end. */
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
    // Under the lock no run is stepping; rank 0 writes them between the queries it answers, and the other
    // workers refresh their private copies when their next job starts.
    await this.lock.run(() => this.queries.call('setWeights', { flat }, [flat.buffer]));
  }

  /** Node `nodeId`'s outputs for the inputs x, in inference mode (answered by one worker, between steps if need be). */
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

  /** Stops any run and ends the worker threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
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

  private diverged(o: RunOutcome, maxLoss = Infinity): DivergedError {
    return new DivergedError(
      o.badStep ?? o.globalStep + 1,
      o.badLoss ?? NaN,
      o.badPart ?? 'loss',
      o.stepInEpoch + 1,
      o.stepsInEpoch,
      maxLoss,
    );
  }
}
