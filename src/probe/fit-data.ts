import { InvalidArgumentError } from '../errors/index.js';
import type { Xoshiro128 } from '../random/xoshiro.js';
import { checkClassWeight, targetWeights } from '../training/class-weight.js';
import { readEmbeddings, type DenseRows, type EmbeddingInput } from '../training/embedding-input.js';
import { checkAllPresent, encodeTargets, learnClasses, type Targets } from '../training/labels.js';
import type { ProbeHyperparameters } from './options.js';
import { aucDefined } from '../training/evaluation.js';
import { splitTargets, takeDenseRows, takeTargets } from '../training/rows.js';
import { applyStandardization, fitStandardization, type Standardization } from '../training/standardize.js';

/** @internal Rows and their targets; `x` raw, `z` standardised (the same object without standardisation). */
export interface LabelledRows {
  readonly x: DenseRows;
  readonly z: DenseRows;
  readonly targets: Targets;
}

/** @internal Everything `fit` derives from its arguments before a solver runs. */
export interface FitData {
  readonly classes: number[] | undefined;
  readonly numLabels: number | undefined;
  readonly standardization: Standardization | undefined;
  readonly train: LabelledRows;
  /** Class weight of every training target (per row, or per row and label). */
  readonly weights: Float64Array | undefined;
  readonly validation: LabelledRows | undefined;
  readonly validationKind: 'given' | 'split' | 'none';
  /** The seeded stream, after the split drew from it; the solver draws next. */
  readonly rng: Xoshiro128;
}

/**
 * @internal Reads and checks training and validation data, holds rows out when asked,
 * computes class weights, and standardises with statistics of the training rows only (never
 * of validation or held-out rows).
 */
export async function prepareFitData(
  hp: ProbeHyperparameters,
  x: EmbeddingInput,
  y: unknown,
  validation: { x: EmbeddingInput; y: unknown } | undefined,
  rng: Xoshiro128,
): Promise<FitData> {
  const all = await readEmbeddings('x', x);
  const classes = hp.task === 'multilabel' ? undefined : learnClasses(hp.task, y, all.rows, hp.classes);
  let targets = encodeTargets(hp.task, 'y', y, all.rows, { classes });
  const numLabels = targets.kind === 'indicator' ? targets.numLabels : undefined;
  checkAllPresent(targets, classes, hp.solver === 'lbfgs');

  let train = all;
  let held: { x: DenseRows; targets: Targets } | undefined;
  let validationKind: FitData['validationKind'] = 'none';
  if (validation) {
    const vx = await readEmbeddings('validation.x', validation.x, all.cols);
    held = { x: vx, targets: encodeTargets(hp.task, 'validation.y', validation.y, vx.rows, { classes, numLabels }) };
    validationKind = 'given';
  } else if (hp.validationSplit > 0) {
    const split = splitTargets(targets, all.rows, hp.validationSplit, rng);
    held = { x: takeDenseRows(all, split.heldOut), targets: takeTargets(targets, split.heldOut) };
    train = takeDenseRows(all, split.train);
    targets = takeTargets(targets, split.train);
    checkAllPresent(targets, classes, hp.solver === 'lbfgs');
    validationKind = 'split';
  }

  if (held && hp.solver === 'paper' && hp.monitor === 'auc' && !aucDefined(held.targets)) {
    throw new InvalidArgumentError(
      `The ${validationKind === 'given' ? 'validation data hold' : 'held-out rows hold'} a single class, so the ` +
        "monitored AUC is undefined at every epoch. Pass validation rows of both classes, or monitor: 'loss'.",
    );
  }
  const labels = classes ?? [0, 1];
  const weights = targetWeights(checkClassWeight(hp.classWeight, labels), targets, labels);
  const standardization = hp.standardize ? fitStandardization(train) : undefined;
  return {
    classes,
    numLabels,
    standardization,
    train: { x: train, z: applyStandardization(train, standardization), targets },
    weights,
    validation: held && { ...held, z: applyStandardization(held.x, standardization) },
    validationKind,
    rng,
  };
}
