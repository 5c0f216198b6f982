import {
  argmaxRows,
  computeLoss,
  createOptimizer,
  Network,
  Rng,
  sizeOf,
  tensor,
  type LossKind,
  type Optimizer,
  type OptimizerState,
  type Parameter,
} from '../../engine';
import { parameterLayout } from '../../engine/network';
import { barrier, CONTROL, DIVERGENCE, ownedRange, REQUEST, shareOf, type Request } from './control';
import type {
  DivergedPart,
  InferenceJob,
  PartialEvaluation,
  Pixels,
  ReplicaRandomState,
  ReplicaConfig,
  RunOutcome,
  SharedBuffers,
  SharedExamples,
  StepProgress,
} from './messages';

/** What rank 0 does between two steps: post progress, answer queries. Other ranks get no-ops. */
export interface ReplicaHooks {
  progress(p: StepProgress): void;
  betweenSteps(): void;
}

/** A shuffled pass in progress: survives a pause, so that resuming continues exactly where it stopped. */
interface EpochRun {
  data: SharedExamples;
  order: Int32Array;
  batchSize: number;
  /** Next example of `order` to train on. */
  cursor: number;
  stepInEpoch: number;
  stepsInEpoch: number;
  lossSum: number;
  images: number;
}

/** A step's loss, and either the host's request as every rank read it, or what diverged (nothing was updated). */
type StepResult = { loss: number; decision: Request; diverged: null } | { loss: number; diverged: DivergedPart };

/**
 * One worker's share of a data-parallel pool. Every rank holds a whole network whose trainable weights are
 * views into the pool's one shared weight array; a step is:
 *
 *   1. forward and backward on this rank's shard of the batch, gradients into this rank's own region;
 *   2. barrier; every rank adds up the ranks' losses (in rank order, so all get the same number);
 *   3. reduce-scatter: rank r sums all regions over its own slice of the parameters (in rank order, so the
 *      result does not depend on timing) and applies the optimizer to that slice of the shared weights;
 *   4. barrier; the last rank to arrive reads the host's pause/stop request for everyone.
 *
 * A step whose loss, summed gradient or resulting weights are not finite is refused as a whole: every rank
 * sees the verdict after a barrier and puts its slice of the weights back, so a diverging run stops with the
 * last finite weights. (The optimizer's slots for slices whose gradient was finite keep that step.)
 *
 * Each shard's loss gradient is scaled by shard/batch, so the summed gradient is that of the whole batch's
 * mean loss. With one thread this is exactly the engine's Trainer. Non-trainable tensors (batch-norm running
 * statistics) follow rank 0's shard, as PyTorch's DistributedDataParallel without SyncBatchNorm does: batch
 * normalisation uses per-shard statistics, and ranks ≥ 1 keep private copies refreshed from rank 0's.
 */
export class Replica {
  readonly net: Network;
  private readonly rank: number;
  private readonly threads: number;
  private readonly lossKind: LossKind;
  private readonly optimizer: Optimizer;
  /** Identical in every rank, so all ranks shuffle an epoch the same way. */
  private readonly shuffleRng: Rng;
  /** Different per rank, so that shards draw different dropout masks. */
  private readonly dropoutRng: Rng;
  private readonly inShape: number[];
  private readonly perExample: number;
  /** Each rank's gradient region, as views of the shared gradient array. */
  private readonly regions: Float32Array[];
  /** The slices of the trainable parameters this rank reduces and updates. */
  private readonly owned: Parameter[] = [];
  /** Ranks ≥ 1: private non-trainable tensors and the shared ones (rank 0's) they are refreshed from. */
  private readonly followers: { own: Float32Array; shared: Float32Array }[] = [];
  private batchX = new Float32Array(0);
  private batchLabels = new Int32Array(0);
  /** Float32 copies of 8-bit inputs, for inference. */
  private converted = new Float32Array(0);
  private epoch: EpochRun | null = null;
  private globalStep = 0;
  /** The slice [lo, hi) of the flat parameters this rank reduces and updates. */
  private readonly lo: number;
  private readonly hi: number;
  /**
   * Private arrays for that slice: the summed gradient, one rank's gradient on its way in, the weights being
   * updated, and the weights before the update (to put back if the step diverges). V8 loops over shared
   * memory run up to three times slower than over private memory, so the reduction copies the slice in and
   * out (a memcpy each) and loops only over these.
   */
  private readonly sum: Float32Array;
  private readonly incoming: Float32Array;
  private readonly work: Float32Array;
  private readonly backup: Float32Array;

  constructor(
    config: ReplicaConfig,
    private readonly shared: SharedBuffers,
    private readonly hooks: ReplicaHooks,
  ) {
    const { rank, threads, seed } = config;
    this.rank = rank;
    this.threads = threads;
    this.lossKind = config.loss;
    const total = shared.weights.length;
    this.regions = Array.from({ length: threads }, (_, r) => shared.grads.subarray(r * total, (r + 1) * total));
    // Rank 0 writes the seeded initial weights; the others map the same memory.
    this.net = new Network(config.graph, seed, {
      values: shared.weights,
      grads: this.regions[rank],
      initialise: rank === 0,
    });
    // Steps drop their traces before the next one, so the network may recycle its buffers between them.
    this.net.useWorkspace();
    this.inShape = [...this.net.graph.inputShape];
    this.perExample = sizeOf(this.inShape);
    this.optimizer = createOptimizer(config.optimizer);
    this.shuffleRng = new Rng(seed);
    this.dropoutRng = new Rng(seed ^ Math.imul(rank + 1, 0x9e3779b9));

    const layout = parameterLayout(this.net.graph);
    const [lo, hi] = ownedRange(total, threads, rank);
    this.lo = lo;
    this.hi = hi;
    this.sum = new Float32Array(hi - lo);
    this.incoming = new Float32Array(hi - lo);
    this.work = new Float32Array(hi - lo);
    this.backup = new Float32Array(hi - lo);
    layout.slots.forEach((slot, k) => {
      const param = this.net.params[k];
      if (!slot.trainable) {
        if (rank > 0) {
          // Running statistics would race if every rank wrote the shared copy in its forward pass.
          const own = param.value.data.slice();
          this.followers.push({ own, shared: param.value.data });
          param.value = tensor(param.value.shape, own);
        }
        return;
      }
      const a = Math.max(lo, slot.offset);
      const b = Math.min(hi, slot.offset + slot.size);
      if (a >= b) return;
      this.owned.push({
        // The offset in the name lets the host merge the slices' optimizer state back per parameter.
        name: `${slot.name}@${a - slot.offset}`,
        nodeId: slot.nodeId,
        value: tensor([b - a], this.work.subarray(a - lo, b - lo)),
        grad: tensor([b - a], this.sum.subarray(a - lo, b - lo)),
        trainable: true,
      });
    });
  }

  /** Brings private copies up to date with the shared weights (after the host or rank 0 changed them). */
  refresh(): void {
    for (const f of this.followers) f.own.set(f.shared);
  }

  /**
   * One optimizer step on a batch in shared memory; each rank trains on its shard of it. A loss above `maxLoss`
   * is refused like a non-finite one, before anything is updated.
   */
  step(batch: SharedExamples, maxLoss = Infinity): RunOutcome {
    this.refresh();
    const [a, b] = shareOf(batch.n, this.threads, this.rank);
    const r = this.trainStep(this.rows(batch.x, a, b), batch.labels.subarray(a, b), batch.n, maxLoss);
    const outcome: RunOutcome = {
      status: r.diverged ? 'diverged' : 'done',
      globalStep: this.globalStep,
      // Steps of this one-batch "epoch" completed: none when it diverged.
      stepInEpoch: r.diverged ? 0 : 1,
      stepsInEpoch: 1,
      lossSum: r.loss,
      images: batch.n,
    };
    if (r.diverged) return { ...outcome, badStep: this.globalStep + 1, badLoss: r.loss, badPart: r.diverged };
    this.globalStep++;
    return { ...outcome, globalStep: this.globalStep };
  }

  /** Starts a shuffled pass over the data (the same order in every rank) and runs it. */
  startEpoch(data: SharedExamples, batchSize: number): RunOutcome {
    this.refresh();
    const order = Int32Array.from({ length: data.n }, (_, i) => i);
    this.shuffleRng.shuffle(order);
    const steps = Math.ceil(data.n / batchSize);
    this.epoch = { data, order, batchSize, cursor: 0, stepInEpoch: 0, stepsInEpoch: steps, lossSum: 0, images: 0 };
    return this.runEpoch();
  }

  /** Continues a paused epoch. */
  resume(): RunOutcome {
    if (!this.epoch) throw new Error('there is no paused epoch to resume');
    this.refresh();
    return this.runEpoch();
  }

  abandon(): void {
    this.epoch = null;
  }

  private runEpoch(): RunOutcome {
    const run = this.epoch!;
    const started = performance.now();
    let imagesThisLeg = 0;
    const n = run.data.n;
    const outcome = (status: RunOutcome['status']): RunOutcome => ({
      status,
      globalStep: this.globalStep,
      stepInEpoch: run.stepInEpoch,
      stepsInEpoch: run.stepsInEpoch,
      lossSum: run.lossSum,
      images: run.images,
    });
    while (run.cursor < n) {
      const start = run.cursor;
      const batch = Math.min(n, start + run.batchSize) - start;
      const [a, b] = shareOf(batch, this.threads, this.rank);
      const [x, labels] = this.gather(run.data, run.order.subarray(start + a, start + b));
      const r = this.trainStep(x, labels, batch);
      if (r.diverged) {
        this.epoch = null;
        return { ...outcome('diverged'), badStep: this.globalStep + 1, badLoss: r.loss, badPart: r.diverged };
      }
      this.globalStep++;
      run.cursor += batch;
      run.stepInEpoch++;
      run.lossSum += r.loss;
      run.images += batch;
      imagesThisLeg += batch;
      if (this.rank === 0) {
        const seconds = (performance.now() - started) / 1000;
        this.hooks.progress({
          globalStep: this.globalStep,
          stepInEpoch: run.stepInEpoch,
          stepsInEpoch: run.stepsInEpoch,
          loss: r.loss,
          batchImages: batch,
          epochImages: run.images,
          imagesPerSecond: seconds > 0 ? imagesThisLeg / seconds : 0,
        });
        this.hooks.betweenSteps();
      }
      if (r.decision === REQUEST.pause && run.cursor < n) return outcome('paused');
      if (r.decision === REQUEST.stop) {
        this.epoch = null;
        return outcome(run.cursor < n ? 'stopped' : 'done');
      }
    }
    this.epoch = null;
    return outcome('done');
  }

  /** Copies the examples at `idx` into this rank's reusable batch buffers. */
  private gather(data: SharedExamples, idx: Int32Array): [Float32Array, Int32Array] {
    const per = this.perExample;
    const m = idx.length;
    if (this.batchX.length < m * per) this.batchX = new Float32Array(m * per);
    if (this.batchLabels.length < m) this.batchLabels = new Int32Array(m);
    const src = data.x;
    for (let i = 0; i < m; i++) {
      const j = idx[i];
      if (src instanceof Float32Array) this.batchX.set(src.subarray(j * per, (j + 1) * per), i * per);
      else for (let k = 0; k < per; k++) this.batchX[i * per + k] = src[j * per + k] / 255;
      this.batchLabels[i] = data.labels[j];
    }
    return [this.batchX.subarray(0, m * per), this.batchLabels.subarray(0, m)];
  }

  /** Examples [from, to) as float32: a view of float inputs, or 8-bit inputs divided by 255 into a reused buffer. */
  private rows(x: Pixels, from: number, to: number): Float32Array {
    const per = this.perExample;
    if (x instanceof Float32Array) return x.subarray(from * per, to * per);
    const n = (to - from) * per;
    if (this.converted.length < n) this.converted = new Float32Array(n);
    for (let i = 0; i < n; i++) this.converted[i] = x[from * per + i] / 255;
    return this.converted.subarray(0, n);
  }

  /** Steps 1–4 of the class comment, with the divergence checks. */
  private trainStep(x: Float32Array, labels: Int32Array, batch: number, maxLoss = Infinity): StepResult {
    const ctl = this.shared.control;
    const m = labels.length;
    this.net.zeroGrads();
    let share = 0;
    if (m > 0) {
      const xs = tensor([m, ...this.inShape], x);
      const trace = this.net.forward(xs, { training: true, rng: this.dropoutRng });
      const { loss, grad, from } = computeLoss(this.net, trace, { x: xs, labels }, this.lossKind);
      const scale = m / batch;
      if (scale !== 1) for (let i = 0; i < grad.data.length; i++) grad.data[i] *= scale;
      this.net.backward(trace, grad, from, { inputGrad: false });
      share = loss * scale;
    }
    this.shared.losses[this.rank] = share;
    barrier(ctl, this.threads);
    // Every rank adds the shares in rank order, so all of them see the same loss and make the same call.
    let loss = 0;
    for (let r = 0; r < this.threads; r++) loss += this.shared.losses[r];
    if (!Number.isFinite(loss)) return { loss, diverged: 'loss' };
    if (loss > maxLoss) return { loss, diverged: 'bound' };
    const wrote = this.reduceAndUpdate();
    barrier(ctl, this.threads, () => Atomics.store(ctl, CONTROL.decision, Atomics.load(ctl, CONTROL.request)));
    const verdict = Atomics.load(ctl, CONTROL.diverged);
    if (verdict !== DIVERGENCE.none) {
      if (wrote) this.shared.weights.set(this.backup, this.lo);
      return { loss, diverged: verdict === DIVERGENCE.gradient ? 'gradient' : 'weights' };
    }
    return { loss, decision: Atomics.load(ctl, CONTROL.decision) as Request, diverged: null };
  }

  /**
   * Sums the ranks' gradients over this rank's slice (in rank order, so the sum never depends on timing) and
   * steps the optimizer on it. Returns whether it wrote new weights; flags a non-finite gradient or result
   * (and then writes nothing).
   */
  private reduceAndUpdate(): boolean {
    const { lo, hi, sum, incoming, work } = this;
    sum.set(this.regions[0].subarray(lo, hi));
    for (let r = 1; r < this.threads; r++) {
      incoming.set(this.regions[r].subarray(lo, hi));
      for (let i = 0; i < sum.length; i++) sum[i] += incoming[i];
    }
    const ctl = this.shared.control;
    let wrote = false;
    if (!allFinite(sum)) Atomics.compareExchange(ctl, CONTROL.diverged, DIVERGENCE.none, DIVERGENCE.gradient);
    else {
      this.backup.set(this.shared.weights.subarray(lo, hi));
      work.set(this.backup);
      this.optimizer.step(this.owned);
      if (!allFinite(work)) Atomics.compareExchange(ctl, CONTROL.diverged, DIVERGENCE.none, DIVERGENCE.weights);
      else {
        this.shared.weights.set(work, lo);
        wrote = true;
      }
    }
    // Rank 0 wrote this step's running statistics before the first barrier; nobody writes them now.
    this.refresh();
    return wrote;
  }

  /** Writes node `job.nodeId`'s outputs for this rank's share of the inputs into the shared output. */
  infer(job: InferenceJob): void {
    this.refresh();
    const outPer = sizeOf(this.net.node(job.nodeId).outShape);
    const [a, b] = shareOf(job.n, this.threads, this.rank);
    for (let s = a; s < b; s += job.batchSize) {
      const e = Math.min(b, s + job.batchSize);
      const y = this.outputsOf(this.rows(job.x, s, e), e - s, job.nodeId);
      job.out.set(y, s * outPer);
    }
  }

  /** Node `nodeId`'s outputs for n inputs, in inference mode. */
  outputsOf(x: Float32Array, n: number, nodeId: string): Float32Array {
    const xs = tensor([n, ...this.inShape], x);
    return this.net.forward(xs, { until: nodeId }).outputs.get(nodeId)!.data;
  }

  /** Loss, correct count and confusion counts over this rank's share of the examples. */
  evaluate(data: SharedExamples, batchSize: number): PartialEvaluation {
    this.refresh();
    const classes = sizeOf(this.net.graph.outputShape);
    const confusion = new Int32Array(classes * classes);
    const [a, b] = shareOf(data.n, this.threads, this.rank);
    let lossSum = 0;
    let correct = 0;
    for (let s = a; s < b; s += batchSize) {
      const e = Math.min(b, s + batchSize);
      const xs = tensor([e - s, ...this.inShape], this.rows(data.x, s, e));
      const labels = data.labels.subarray(s, e);
      const trace = this.net.forward(xs);
      lossSum += computeLoss(this.net, trace, { x: xs, labels }, this.lossKind).loss * (e - s);
      const pred = argmaxRows(this.net.output(trace));
      for (let i = 0; i < pred.length; i++) {
        confusion[labels[i] * classes + pred[i]]++;
        if (pred[i] === labels[i]) correct++;
      }
    }
    return { lossSum, correct, count: b - a, confusion };
  }

  /** This rank's optimizer state: slots per owned slice, named `${parameter}@${offset}`. */
  getOptimizerState(): OptimizerState {
    return this.optimizer.getState();
  }

  /** This rank's generators and step count, for a checkpoint. */
  getRandomState(): ReplicaRandomState {
    return { shuffle: this.shuffleRng.getState(), dropout: this.dropoutRng.getState(), globalStep: this.globalStep };
  }

  setRandomState(s: ReplicaRandomState): void {
    this.shuffleRng.setState(s.shuffle);
    this.dropoutRng.setState(s.dropout);
    this.globalStep = s.globalStep;
  }

  /** Takes this rank's slices out of a whole-parameter state (as the host merges and a checkpoint stores it). */
  setOptimizerState(state: OptimizerState): void {
    const slots: Record<string, Float32Array[]> = {};
    for (const p of this.owned) {
      const at = p.name.lastIndexOf('@');
      const name = p.name.slice(0, at);
      const from = Number(p.name.slice(at + 1));
      const full = state.slots[name];
      if (!full) continue; // never stepped yet: the optimizer creates zeroed slots
      const size = this.net.params.find((q) => q.name === name)!.value.data.length;
      for (const a of full) {
        if (a.length !== size)
          throw new Error(`optimizer state for '${name}' has ${a.length} values, the parameter has ${size}`);
      }
      slots[p.name] = full.map((a) => a.slice(from, from + p.value.data.length));
    }
    this.optimizer.setState({ step: state.step, slots });
  }
}

/** True when `a` holds no NaN or infinity: x · 0 is 0 for every finite x and NaN otherwise. */
function allFinite(a: Float32Array): boolean {
  let probe = 0;
  for (let i = 0; i < a.length; i++) probe += a[i] * 0;
  return probe === 0;
}
