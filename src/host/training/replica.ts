import {
  argmaxRows,
  computeLoss,
  createOptimizer,
  kernels,
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
import { barrier, CONTROL, DIVERGENCE, ownedRange, shareOf } from './control';
import type {
  DivergedPart,
  InferenceJob,
  PartialEvaluation,
  Pixels,
  ReplicaRandomState,
  ReplicaConfig,
  SharedBuffers,
  SharedExamples,
  StepOutcome,
} from './messages';
import { optimizerOf } from './plan';

/** A step's loss, and what diverged (then nothing was updated) or null. */
type StepResult = { loss: number; diverged: DivergedPart | null };

/**
 * One worker's share of a data-parallel pool. Every rank holds a whole network whose trainable weights are
 * views into the pool's one shared weight array; a step is:
 *
 *   1. forward and backward on this rank's shard of the batch, gradients into this rank's own region;
 *   2. barrier; every rank adds up the ranks' losses (in rank order, so all get the same number);
 *   3. reduce-scatter: rank r sums all regions over its own slice of the parameters (in rank order, so the
 *      result does not depend on timing) and applies the optimizer to that slice of the shared weights;
 *   4. barrier; every rank reads the verdict on the step.
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
  /** Cross-entropy's label smoothing for training steps (evaluation reports the plain loss). */
  private readonly smoothing: number;
  private readonly optimizer: Optimizer;
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
  /** Float32 copies of 8-bit inputs. */
  private converted = new Float32Array(0);
  private globalStep = 0;
  /** The slice [lo, hi) of the flat parameters this rank reduces and updates. */
  private readonly lo: number;
  private readonly hi: number;
  /** Every rank's gradient over that slice, in rank order: the parts the reduction adds up. */
  private readonly slices: Float32Array[];
  /**
   * Private arrays for that slice: the summed gradient, the weights being updated, and the weights before the
   * update (to put back if the step diverges). The kernels copy the shared slices in with a memcpy each and loop
   * only over private memory (V8 loops over shared memory run up to three times slower).
   */
  private readonly sum: Float32Array;
  private readonly work: Float32Array;
  private readonly backup: Float32Array;

  constructor(
    config: ReplicaConfig,
    private readonly shared: SharedBuffers,
  ) {
    const { rank, threads } = config;
    const { graph, hyper } = config.plan;
    const seed = hyper.seed;
    this.rank = rank;
    this.threads = threads;
    this.lossKind = config.loss;
    this.smoothing = hyper.labelSmoothing;
    const total = shared.weights.length;
    this.regions = Array.from({ length: threads }, (_, r) => shared.grads.subarray(r * total, (r + 1) * total));
    // Rank 0 writes the seeded initial weights; the others map the same memory.
    this.net = new Network(graph, seed, {
      values: shared.weights,
      grads: this.regions[rank],
      initialise: rank === 0,
    });
    // Steps drop their traces before the next one, so the network may recycle its buffers between them.
    this.net.useWorkspace();
    this.inShape = [...this.net.graph.inputShape];
    this.perExample = sizeOf(this.inShape);
    this.optimizer = createOptimizer(optimizerOf(hyper));
    this.dropoutRng = new Rng(seed ^ Math.imul(rank + 1, 0x9e3779b9));

    const layout = parameterLayout(this.net.graph);
    const [lo, hi] = ownedRange(total, threads, rank);
    this.lo = lo;
    this.hi = hi;
    this.slices = this.regions.map((region) => region.subarray(lo, hi));
    this.sum = new Float32Array(hi - lo);
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
   * is refused like a non-finite one, before anything is updated. Every rank gets the same `learningRate`, so the
   * slices of the weights move as one optimizer would move them.
   */
  step(batch: SharedExamples, maxLoss = Infinity, learningRate?: number): StepOutcome {
    this.refresh();
    const [a, b] = shareOf(batch.n, this.threads, this.rank);
    const r = this.trainStep(this.rows(batch.x, a, b), batch.labels.subarray(a, b), batch.n, maxLoss, learningRate);
    if (r.diverged) return { status: 'diverged', globalStep: this.globalStep, loss: r.loss, badPart: r.diverged };
    this.globalStep++;
    return { status: 'done', globalStep: this.globalStep, loss: r.loss };
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
  private trainStep(
    x: Float32Array,
    labels: Int32Array,
    batch: number,
    maxLoss: number,
    learningRate: number | undefined,
  ): StepResult {
    const ctl = this.shared.control;
    const m = labels.length;
    this.net.zeroGrads();
    let share = 0;
    if (m > 0) {
      const xs = tensor([m, ...this.inShape], x);
      const trace = this.net.forward(xs, { training: true, rng: this.dropoutRng });
      const { loss, grad, from } = computeLoss(this.net, trace, { x: xs, labels }, this.lossKind, this.smoothing);
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
    const wrote = this.reduceAndUpdate(learningRate);
    barrier(ctl, this.threads);
    const verdict = Atomics.load(ctl, CONTROL.diverged);
    if (verdict !== DIVERGENCE.none) {
      if (wrote) this.shared.weights.set(this.backup, this.lo);
      return { loss, diverged: verdict === DIVERGENCE.gradient ? 'gradient' : 'weights' };
    }
    return { loss, diverged: null };
  }

  /**
   * Sums the ranks' gradients over this rank's slice (in rank order, so the sum never depends on timing) and
   * steps the optimizer on it. Returns whether it wrote new weights; flags a non-finite gradient or result
   * (and then writes nothing).
   */
  private reduceAndUpdate(learningRate: number | undefined): boolean {
    const { lo, hi, sum, work } = this;
    const ctl = this.shared.control;
    const k = kernels();
    let wrote = false;
    if (!k.sumParts(this.slices, sum)) {
      Atomics.compareExchange(ctl, CONTROL.diverged, DIVERGENCE.none, DIVERGENCE.gradient);
    } else {
      this.backup.set(this.shared.weights.subarray(lo, hi));
      work.set(this.backup);
      this.optimizer.step(this.owned, learningRate);
      if (!k.allFinite(work)) Atomics.compareExchange(ctl, CONTROL.diverged, DIVERGENCE.none, DIVERGENCE.weights);
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
    return { dropout: this.dropoutRng.getState(), globalStep: this.globalStep };
  }

  setRandomState(s: ReplicaRandomState): void {
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
