import { InvalidArgumentError, NonFiniteError, ShapeError } from '../errors/index.js';
import { describe } from '../validation/describe.js';

/**
 * What a probe predicts: `'binary'` (two classes, one sigmoid output), `'multiclass'` (one of
 * K classes, softmax), `'multilabel'` (L independent yes/no findings, one sigmoid each).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ProbeTask } from 'dvme';
 * const task: ProbeTask = 'multiclass'; // e.g. DR grades 0-4
 * ```
 */
export type ProbeTask = 'binary' | 'multiclass' | 'multilabel';

/**
 * Labels as a probe accepts them for a task: one number per row for `'binary'` and
 * `'multiclass'` (any numeric labels; the probe keeps the map to class indices), a row of 0/1
 * indicators per row for `'multilabel'`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { LabelsFor } from 'dvme';
 * const grades: LabelsFor<'multiclass'> = [0, 2, 4, 1];
 * const findings: LabelsFor<'multilabel'> = [[1, 0, 0], [0, 1, 1]];
 * ```
 */
export type LabelsFor<T extends ProbeTask> = T extends 'multilabel' ? ArrayLike<ArrayLike<number>> : ArrayLike<number>;

/**
 * @internal Encoded targets: class indices (binary: 0 = the smaller label, 1 = the larger) or a
 * row-major 0/1 indicator matrix.
 */
export type Targets =
  | { readonly kind: 'index'; readonly index: Int32Array; readonly numClasses: number }
  | { readonly kind: 'indicator'; readonly data: Uint8Array; readonly numLabels: number };

/** @internal Number of targets (rows). */
export function targetRows(t: Targets): number {
  return t.kind === 'index' ? t.index.length : t.data.length / Math.max(t.numLabels, 1);
}

/** @internal Checks that labels are array-like, and of length n when n is given. */
export function checkLength(name: string, y: unknown, n: number | undefined): ArrayLike<unknown> {
  if (typeof y !== 'object' || y === null || typeof (y as ArrayLike<unknown>).length !== 'number') {
    throw new InvalidArgumentError(`${name} must be an array or typed array of labels; received ${describe(y)}.`);
  }
  const a = y as ArrayLike<unknown>;
  if (n !== undefined && a.length !== n) {
    throw new ShapeError(`${name} must have one label per embedding row: ${n}; received ${a.length}.`);
  }
  return a;
}

function checkLabel(name: string, i: number, v: unknown): number {
  if (typeof v !== 'number') {
    throw new InvalidArgumentError(
      `${name}[${i}] must be a number; received ${describe(v)}. Map string labels to numbers first.`,
    );
  }
  if (!Number.isFinite(v)) throw new NonFiniteError(`${name}[${i}] must be a finite label; received ${v}.`);
  return v;
}

/**
 * @internal A class label: a finite integer, as the metrics require (scikit-learn rejects
 * non-integer targets as "continuous"). `-0` becomes `0`.
 */
function checkClassLabel(name: string, i: number, v: unknown): number {
  const c = checkLabel(name, i, v);
  if (!Number.isInteger(c)) {
    throw new InvalidArgumentError(
      `${name} must hold integer class labels; element ${i} is ${c}. ` +
        'Scores and probabilities are not labels: threshold or round them first.',
    );
  }
  return c === 0 ? 0 : c;
}

/**
 * @internal The sorted label set of a binary or multiclass task: `classes` when given (checked),
 * else the distinct values of `y`.
 */
export function learnClasses(
  task: 'binary' | 'multiclass',
  y: unknown,
  n: number,
  classes: readonly number[] | undefined,
): number[] {
  const labels = checkLength('y', y, n);
  let out: number[];
  if (classes !== undefined) {
    out = [...classes].map((v, i) => checkClassLabel('classes', i, v)).sort((a, b) => a - b);
    if (new Set(out).size !== out.length) {
      throw new InvalidArgumentError(`classes must not repeat a label; received [${classes.join(', ')}].`);
    }
  } else {
    const seen = new Set<number>();
    for (let i = 0; i < labels.length; i++) seen.add(checkClassLabel('y', i, labels[i]));
    out = [...seen].sort((a, b) => a - b);
  }
  const want = task === 'binary' ? 'exactly 2' : 'at least 2';
  if ((task === 'binary' && out.length !== 2) || out.length < 2) {
    throw new InvalidArgumentError(
      `A ${task} probe needs ${want} classes; ${classes ? 'classes lists' : 'y holds'} ${out.length}: ` +
        `[${out.slice(0, 10).join(', ')}]. ` +
        (out.length < 2 ? 'Training data must contain every class.' : "Use task: 'multiclass' for more than two."),
    );
  }
  return out;
}

/** @internal Maps labels to class indices; a label outside `classes` is an InvalidArgumentError. */
export function encodeIndex(name: string, y: unknown, n: number | undefined, classes: readonly number[]): Int32Array {
  const a = checkLength(name, y, n);
  const lookup = new Map(classes.map((c, i) => [c, i]));
  const index = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const k = lookup.get(checkClassLabel(name, i, a[i]));
    if (k === undefined) {
      throw new InvalidArgumentError(
        `${name}[${i}] is ${String(a[i])}, a label the probe does not know; known labels: [${classes.join(', ')}]. ` +
          'Fit on data containing it, or list every label in the classes option.',
      );
    }
    index[i] = k;
  }
  return index;
}

/** @internal Copies 0/1 indicator rows into a row-major Uint8Array, checking width and values. */
export function encodeIndicator(
  name: string,
  y: unknown,
  n: number | undefined,
  numLabels: number | undefined,
): { data: Uint8Array; numLabels: number } {
  const a = checkLength(name, y, n);
  const first = a[0] as ArrayLike<unknown> | undefined;
  const width = numLabels ?? (typeof first === 'object' && first !== null ? first.length : 0);
  if (a.length > 0 && (typeof first !== 'object' || first === null)) {
    throw new InvalidArgumentError(
      `${name} of a multilabel probe must be rows of 0/1 indicators (number[][]); ${name}[0] is ${describe(first)}.`,
    );
  }
  if (width < 1 && a.length > 0) {
    throw new ShapeError(`${name} rows of a multilabel probe must have at least one label; received empty rows.`);
  }
  const data = new Uint8Array(a.length * width);
  for (let i = 0; i < a.length; i++) {
    const row = a[i] as ArrayLike<unknown>;
    if (typeof row !== 'object' || row === null || row.length !== width) {
      throw new ShapeError(
        `${name} rows must all have ${width} indicators (${numLabels === undefined ? 'the width of row 0' : 'the number of labels the probe was fitted on'}); ` +
          `row ${i} has ${typeof row === 'object' && row !== null ? row.length : describe(row)}.`,
      );
    }
    for (let j = 0; j < width; j++) {
      const v = checkLabel(`${name}[${i}]`, j, row[j]);
      if (v !== 0 && v !== 1) {
        throw new InvalidArgumentError(`${name}[${i}][${j}] must be 0 or 1 (an indicator); received ${v}.`);
      }
      data[i * width + j] = v;
    }
  }
  return { data, numLabels: width };
}

/**
 * @internal Encodes training or validation labels for a task. `classes` / `numLabels` fixed
 * by training are passed for validation and evaluation data.
 */
export function encodeTargets(
  task: ProbeTask,
  name: string,
  y: unknown,
  n: number | undefined,
  space: { classes?: readonly number[]; numLabels?: number },
): Targets {
  if (task === 'multilabel') {
    const { data, numLabels } = encodeIndicator(name, y, n, space.numLabels);
    return { kind: 'indicator', data, numLabels };
  }
  const classes = space.classes as readonly number[];
  return { kind: 'index', index: encodeIndex(name, y, n, classes), numClasses: classes.length };
}

/**
 * @internal Throws unless both classes (binary) or both values of every label (multilabel)
 * occur in the training targets: a linear model cannot learn a class it never saw, and a
 * constant label makes its AUC undefined. A multiclass class listed in `classes` but absent
 * is allowed (the paper solver just learns it is never right) unless `requireAll`.
 */
export function checkAllPresent(t: Targets, classes: readonly number[] | undefined, requireAll = false): void {
  if (t.kind === 'index') {
    const counts = new Int32Array(t.numClasses);
    for (let i = 0; i < t.index.length; i++) counts[t.index[i]]++;
    const missing = (classes ?? []).filter((_, k) => counts[k] === 0);
    if (missing.length > 0 && t.numClasses === 2) {
      throw new InvalidArgumentError(
        `y must contain both classes of a binary probe; class ${missing[0]} has no training rows.`,
      );
    }
    if (missing.length > 0 && requireAll) {
      throw new InvalidArgumentError(
        `Solver 'lbfgs' needs training rows of every class; class ${missing[0]} has none (the exact ` +
          "problem has no optimum then). Drop it from classes or use solver 'paper'.",
      );
    }
    return;
  }
  const n = t.data.length / t.numLabels;
  for (let j = 0; j < t.numLabels; j++) {
    let pos = 0;
    for (let i = 0; i < n; i++) pos += t.data[i * t.numLabels + j];
    if (pos === 0 || pos === n) {
      throw new InvalidArgumentError(
        `Label ${j} of y is ${pos === 0 ? 0 : 1} in every training row; a multilabel probe needs both values ` +
          'of every label. Drop that label or add rows where it differs.',
      );
    }
  }
}
