import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import type { Xoshiro128 } from '../random/xoshiro.js';
import { describe } from '../validation/describe.js';
import { embeddingRows, embeddingTensor, isTensor, type EmbeddingInput } from '../training/embedding-input.js';
import { checkAllPresent, encodeTargets, learnClasses, type ProbeTask, type Targets } from '../training/labels.js';
import { splitTargets, takeTargets } from '../training/rows.js';

/**
 * Embeddings of the same images from several sources (backbones), keyed by source name: each
 * value is an {@link EmbeddingInput} `[rows, dim]`, and all have the same rows in the same
 * order. The keys must be exactly the estimator's `sources`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { SourceEmbeddings } from 'dvme';
 * const x: SourceEmbeddings = { swav: [[0.1, 0.2]], dino: [[0.3, 0.4, 0.5]] };
 * ```
 */
export type SourceEmbeddings = Readonly<Record<string, EmbeddingInput>>;

/** @internal A source of a fusion model: its name and embedding width. */
export interface SourceSpec {
  readonly name: string;
  readonly dim: number;
}

/** @internal Checks a `{ name: dim }` record and returns it as an ordered list. */
export function sourceSpecs(sources: unknown): SourceSpec[] {
  if (typeof sources !== 'object' || sources === null || Array.isArray(sources)) {
    throw new InvalidArgumentError(
      `sources must be a record { name: embeddingDim }, e.g. { swav: 2048, dino: 1536 }; received ${describe(sources)}.`,
    );
  }
  const specs = Object.entries(sources as Record<string, unknown>).map(([name, dim]) => {
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1) {
      throw new InvalidArgumentError(`sources.${name} must be a positive integer width; received ${describe(dim)}.`);
    }
    return { name, dim };
  });
  if (specs.length === 0) {
    throw new InvalidArgumentError('sources must name at least one source, e.g. { swav: 2048, dino: 1536 }.');
  }
  return specs;
}

/** @internal Whether `x` is a record of sources none of which is a tensor. */
export function plainSources(x: unknown): boolean {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !Object.values(x).some(isTensor);
}

/**
 * @internal One float32 tensor per source, in source order, checked for names, widths, equal
 * row counts and finiteness. `owned` lists the tensors created here (the caller disposes
 * them); tensors the caller passed are used as they are. `rows` holds, for each non-tensor
 * input, its checked row-major values (the tensor's values; the caller's own Float32Array
 * where it is one: read, never written), so host code need not read the tensor back.
 *
 * With `upload` false (for code that trains on the host; every input must then be plain, see
 * {@link plainSources}) no tensor is made: `tensors` is empty and `rows` holds every source.
 */
export function sourceTensors(
  name: string,
  x: unknown,
  specs: readonly SourceSpec[],
  upload = true,
): { tensors: tf.Tensor2D[]; owned: tf.Tensor[]; rows: (Float32Array | undefined)[]; n: number } {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    throw new InvalidArgumentError(
      `${name} must be a record { sourceName: embeddings } with sources ${specs.map((s) => s.name).join(', ')}; ` +
        `received ${describe(x)}.`,
    );
  }
  const record = x as Record<string, EmbeddingInput>;
  const known = new Set(specs.map((s) => s.name));
  const extra = Object.keys(record).filter((k) => !known.has(k));
  const missing = specs.filter((s) => record[s.name] === undefined).map((s) => s.name);
  if (extra.length > 0 || missing.length > 0) {
    throw new InvalidArgumentError(
      `${name} must hold exactly the sources ${[...known].join(', ')}` +
        (missing.length ? `; missing: ${missing.join(', ')}` : '') +
        (extra.length ? `; unknown: ${extra.join(', ')}` : '') +
        '.',
    );
  }
  const tensors: tf.Tensor2D[] = [];
  const owned: tf.Tensor[] = [];
  const host: (Float32Array | undefined)[] = [];
  if (!upload) {
    const dense = specs.map((s) => embeddingRows(`${name}.${s.name}`, record[s.name], s.dim));
    checkSameRows(name, specs, dense.map((d) => d.rows), owned);
    return { tensors, owned, rows: dense.map((d) => d.data), n: dense[0].rows };
  }
  try {
    for (const s of specs) {
      const input = record[s.name];
      let kept: Float32Array | undefined;
      // tidy: the finiteness check of a tensor input makes scratch tensors.
      const t = tf.tidy(() => embeddingTensor(`${name}.${s.name}`, input, s.dim, (data) => (kept = data)));
      host.push(kept);
      if (t !== input) owned.push(t);
      tensors.push(t);
    }
  } catch (e) {
    tf.dispose(owned);
    throw e;
  }
  const rows = tensors.map((t) => t.shape[0]);
  checkSameRows(name, specs, rows, owned);
  return { tensors, owned, rows: host, n: rows[0] };
}

/** Throws ShapeError (after disposing `owned`) unless every source has the same rows. */
function checkSameRows(name: string, specs: readonly SourceSpec[], rows: readonly number[], owned: tf.Tensor[]): void {
  if (rows.some((r) => r !== rows[0])) {
    tf.dispose(owned);
    throw new ShapeError(
      `${name}: every source must have the same rows (the same images); received ` +
        specs.map((s, j) => `${s.name}: ${rows[j]}`).join(', ') +
        '.',
    );
  }
}

/** @internal The label space fixed at fit: classes (binary / multiclass) or label count. */
export interface LabelSpace {
  readonly classes: number[] | undefined;
  readonly numLabels: number | undefined;
}

/**
 * @internal The label space of a fit: `classes` when given, `0 .. numClasses - 1` when only
 * `numClasses` is, else the distinct labels of `y`; for multilabel, the width of `y`'s rows
 * (which must equal `numClasses` when given).
 */
export function learnLabelSpace(
  task: ProbeTask,
  y: unknown,
  n: number,
  options: { classes?: readonly number[] | undefined; numClasses?: number | undefined },
): { space: LabelSpace; targets: Targets } {
  const { numClasses } = options;
  if (task === 'multilabel') {
    const targets = encodeTargets(task, 'y', y, n, { numLabels: numClasses });
    return { space: { classes: undefined, numLabels: (targets as { numLabels: number }).numLabels }, targets };
  }
  const given = options.classes ?? (numClasses === undefined ? undefined : Array.from({ length: numClasses }, (_, k) => k));
  const classes = learnClasses(task, y, n, given);
  if (numClasses !== undefined && classes.length !== numClasses) {
    throw new InvalidArgumentError(
      `numClasses is ${numClasses}, but ${options.classes ? 'classes lists' : 'y holds'} ${classes.length} labels. ` +
        'Make them agree (or leave numClasses out).',
    );
  }
  const targets = encodeTargets(task, 'y', y, n, { classes });
  checkAllPresent(targets, classes);
  return { space: { classes, numLabels: undefined }, targets };
}

/**
 * @internal Holds out `fraction` of the rows (stratified by class, seeded), as the Probe's
 * `validationSplit` does. Returns new tensors the caller owns.
 */
export function splitRows(
  tensors: readonly tf.Tensor2D[],
  targets: Targets,
  fraction: number,
  rng: Xoshiro128,
): { train: { x: tf.Tensor2D[]; targets: Targets }; heldOut: { x: tf.Tensor2D[]; targets: Targets } } {
  const split = splitTargets(targets, tensors[0].shape[0], fraction, rng);
  const take = (idx: Int32Array): tf.Tensor2D[] =>
    tf.tidy(() => {
      const i = tf.tensor1d(idx, 'int32');
      return tensors.map((t) => tf.gather(t, i) as tf.Tensor2D);
    });
  return {
    train: { x: take(split.train), targets: takeTargets(targets, split.train) },
    heldOut: { x: take(split.heldOut), targets: takeTargets(targets, split.heldOut) },
  };
}
