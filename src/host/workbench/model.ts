import { Network, type CompiledGraph, type NamedWeights, type Tensor } from '../../engine';
import type { DatasetBatch } from '../datasets';
import type { TrainingSession } from '../session';

/**
 * A network to look inside, with the validation images it is judged on. Two kinds: the live network of a run in
 * progress (its weights change between two calls), and a finished one held in the host. The inspections in
 * inspect.ts and predictions.ts only see this interface.
 */
export interface InspectModel {
  readonly graph: CompiledGraph;
  /** Class names in label order. */
  readonly classes: readonly string[];
  /** Validation images in [0, 1] with their labels and files, in file order. */
  readonly validation: DatasetBatch;
  /** The training step the weights come from, for a live run; null for a finished network. */
  step(): number | null;
  /** Node `nodeId`'s outputs for the batch x. */
  activations(x: Tensor, nodeId: string): Promise<Tensor>;
  /** The output node's values for the batch x. */
  predict(x: Tensor): Promise<Tensor>;
  /** The weights now (copies). */
  weights(): Promise<NamedWeights>;
  /** A network with the weights now, to run backward through (saliency). */
  network(): Promise<Network>;
}

/** A finished network: all in this process, nothing changes. */
export class LocalModel implements InspectModel {
  readonly graph: CompiledGraph;

  constructor(
    private readonly net: Network,
    readonly classes: readonly string[],
    readonly validation: DatasetBatch,
  ) {
    this.graph = net.graph;
  }

  /** A network for `graph` holding `weights`; throws naming the weight that does not fit. */
  static build(
    graph: CompiledGraph,
    weights: NamedWeights,
    classes: readonly string[],
    validation: DatasetBatch,
  ): LocalModel {
    const net = new Network(graph);
    net.setWeights(weights);
    return new LocalModel(net, classes, validation);
  }

  step(): null {
    return null;
  }

  async activations(x: Tensor, nodeId: string): Promise<Tensor> {
    return this.net.activations(x, nodeId);
  }

  async predict(x: Tensor): Promise<Tensor> {
    return this.net.predict(x);
  }

  async weights(): Promise<NamedWeights> {
    return this.net.getWeights();
  }

  async network(): Promise<Network> {
    return this.net;
  }
}

/**
 * The network of a run in progress: questions go to the training pool, which answers between two steps.
 * A host-side copy for backward passes is made on demand and reused while the step has not moved.
 */
export class LiveModel implements InspectModel {
  private copy: { step: number; net: Promise<Network> } | null = null;

  constructor(
    private readonly session: TrainingSession,
    private readonly currentStep: () => number,
  ) {}

  get graph(): CompiledGraph {
    return this.session.graph;
  }

  get classes(): readonly string[] {
    return this.session.classes;
  }

  get validation(): DatasetBatch {
    return this.session.validationSet;
  }

  step(): number {
    return this.currentStep();
  }

  activations(x: Tensor, nodeId: string): Promise<Tensor> {
    return this.session.activations(x, nodeId);
  }

  predict(x: Tensor): Promise<Tensor> {
    return this.session.predict(x);
  }

  weights(): Promise<NamedWeights> {
    return this.session.pool.getWeights();
  }

  network(): Promise<Network> {
    const step = this.currentStep();
    if (!this.copy || this.copy.step !== step) {
      const net = this.weights().then((w) => {
        const n = new Network(this.session.graph);
        n.setWeights(w);
        return n;
      });
      this.copy = { step, net };
    }
    return this.copy.net;
  }
}
