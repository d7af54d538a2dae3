import { NonFiniteError } from '../errors/index.js';
import { createYielder } from '../host/macrotask.js';
import { permutation } from '../random/shuffle.js';
import { EarlyStopping } from './early-stopping.js';
import { monitorMode, monitorValue, type ProbeMonitor } from './evaluation.js';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';
import type { EpochLog, TrainingReport, TrainLoopInput } from './train-loop.js';

/**
 * @internal A model trained on the host, without tensors: its own optimiser state and weights
 * in typed arrays. Snapshots are whatever `snapshot` returns (plain arrays).
 */
export interface HostTrainableModel<S> {
  /** One optimiser step (Adam at rate `lr`) on the rows `batch`; returns the batch's mean loss. */
  step(batch: Int32Array, lr: number): number;
  /** Probabilities `[rows, outputs]` of the validation rows, in inference mode (a fresh array). */
  validationProbabilities(): Float32Array;
  /** A copy of the current weights. */
  snapshot(): S;
  /** Writes a snapshot back (the best epoch's weights at the end). */
  restore(snapshot: S): void;
}

/** @internal What {@link hostTrainLoop} needs: {@link TrainLoopInput} with a host model. */
export type HostTrainLoopInput<S> = Omit<TrainLoopInput, 'model' | 'epochLoss'> & { readonly model: HostTrainableModel<S> };

/**
 * @internal The epoch loop of {@link trainLoop} for a {@link HostTrainableModel}: the same
 * batch order (one `permutation(rows, rng)` per epoch), the same ReduceLROnPlateau, early
 * stopping, best-weight restore, yields and abort checks; no tensor is made. The epoch loss is
 * the batch losses weighted by batch size, summed in float64 and divided by the rows.
 */
export async function hostTrainLoop<S>(input: HostTrainLoopInput<S>): Promise<TrainingReport> {
  const { model, rows: n, validation, hp, rng, signal } = input;
  const monitor: ProbeMonitor = validation ? hp.monitor : 'loss';
  const mode = monitorMode(monitor);
  const early = new EarlyStopping<S>({ mode, patience: hp.earlyStoppingPatience, minEpochs: hp.minEpochs });
  const plateau = new ReduceLROnPlateau(hp.learningRate, { mode, factor: hp.plateauFactor, patience: hp.plateauPatience });
  const pause = createYielder(input.yieldEveryMs ?? 50);
  const history: EpochLog[] = [];

  const trainEpoch = async (lr: number): Promise<number> => {
    const order = permutation(n, rng);
    let sum = 0;
    for (let start = 0; start < n; start += hp.batchSize) {
      await pause();
      signal?.throwIfAborted();
      const batch = order.subarray(start, Math.min(start + hp.batchSize, n));
      sum += model.step(batch, lr) * batch.length;
    }
    return sum / n;
  };

  let lastProba: Float32Array | undefined;
  let bestProba: Float32Array | undefined;
  for (let epoch = 1; epoch <= hp.maxEpochs; epoch++) {
    const lr = plateau.lr;
    const loss = await trainEpoch(lr);
    if (!Number.isFinite(loss)) throw new NonFiniteError(input.diverged(loss, epoch));
    let value = loss;
    if (validation) {
      await pause();
      lastProba = model.validationProbabilities();
      value = monitorValue(monitor, validation.targets, lastProba, validation.outputs);
    }
    plateau.step(value);
    const verdict = early.step(value, () => model.snapshot());
    if (verdict.improved) bestProba = lastProba;
    const log: EpochLog = { epoch, loss, monitor, value, lr, improved: verdict.improved };
    history.push(log);
    await input.onEpoch?.(log);
    if (verdict.stop) break;
  }
  const best = early.takeBestSnapshot();
  if (best !== undefined) model.restore(best);
  return {
    validationProba: best !== undefined ? bestProba : lastProba,
    epochs: history.length,
    bestEpoch: early.bestEpoch || history.length,
    stoppedEarly: history.length < hp.maxEpochs,
    lrDropEpochs: [...plateau.dropEpochs],
    history,
  };
}
