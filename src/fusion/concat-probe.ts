import type * as tfl from '@tensorflow/tfjs-layers';
// Named in TSDoc links only.
import type { CheckpointFormatError, InvalidArgumentError } from '../errors/index.js';
import type { ProbeTask } from '../training/labels.js';
import { buildConcatModel } from './concat-model.js';
import { FusionEstimator, fromFusionJSON } from './fusion-estimator.js';
import type { FusionJSON } from './fusion-json.js';
import { resolveFusionOptions, type FusionHyperparameters, type FusionOptions } from './fusion-options.js';

const KIND = 'dvme.ConcatProbe';

/**
 * The naive fusion baseline: a linear probe of the concatenated source embeddings, trained
 * with the same protocol and estimator contract as {@link DynamicVisualMetaEmbedding}.
 *
 * @remarks Since 0.1.0. Unlike {@link Probe} it takes one embedding matrix per source; its
 * initial weights are PyTorch's `nn.Linear` defaults over the concatenated width.
 * @example
 * ```ts
 * import { ConcatProbe } from 'dvme';
 * const probe = new ConcatProbe({ sources: { a: 2, b: 1 }, task: 'binary', minEpochs: 2, maxEpochs: 2 });
 * const x = { a: [[0, 1], [1, 0], [0, 2], [2, 0]], b: [[1], [0], [1], [0]] };
 * await probe.fit(x, [0, 1, 0, 1]);
 * probe.predict(x); // e.g. [0, 1, 0, 1]
 * probe.dispose();
 * ```
 */
export class ConcatProbe<T extends ProbeTask = ProbeTask> extends FusionEstimator<T> {
  /**
   * @param options - See {@link FusionOptions}; invalid ones throw {@link InvalidArgumentError}.
   */
  constructor(options: FusionOptions<T>) {
    super(resolveFusionOptions('ConcatProbe', options, []));
  }

  /** @internal */
  protected get jsonKind(): string {
    return KIND;
  }

  /** @internal */
  protected override get trainsOnHost(): boolean {
    return true;
  }

  /** @internal */
  protected createModel(numOutputs: number): tfl.LayersModel {
    return buildConcatModel({ sourceDims: this.specs.map((s) => s.dim), numOutputs, seed: this.hyperparameters.seed });
  }

  /**
   * Restores an estimator written by `toJSON` (the object or its JSON text).
   *
   * @throws {@link CheckpointFormatError} when `json` is not such an estimator of a supported version.
   * @example
   * ```ts
   * import { ConcatProbe } from 'dvme';
   * declare const text: string; // JSON.stringify(probe) saved earlier
   * const probe = ConcatProbe.fromJSON<'binary'>(text);
   * ```
   */
  static fromJSON<T extends ProbeTask = ProbeTask>(json: FusionJSON | string): ConcatProbe<T> {
    const r = fromFusionJSON(KIND, json, (hp: FusionOptions<T>) => new ConcatProbe<T>(hp));
    return r.estimator.restore(r.json);
  }
}
