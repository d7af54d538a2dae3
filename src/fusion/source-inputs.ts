import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors/index.js';
import { Linear } from './linear.js';
import { layerSeed } from './torch-init.js';

/** @internal Checks a list of source widths: at least one, each a positive integer. */
export function checkSourceDims(dims: readonly number[]): readonly number[] {
  if (!Array.isArray(dims) || dims.length === 0) {
    throw new InvalidArgumentError(
      `A fusion model needs at least one source; received ${Array.isArray(dims) ? 'none' : String(dims)}. ` +
        'Pass sources as { name: embeddingDim }, e.g. { dino: 1536, swav: 2048 }.',
    );
  }
  dims.forEach((d, j) => {
    if (!Number.isInteger(d) || d < 1) {
      throw new InvalidArgumentError(`Source ${j} must have a positive integer width; received ${String(d)}.`);
    }
  });
  return dims;
}

/** @internal A positive integer option, else InvalidArgumentError naming it. */
export function checkUnits(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer; received ${String(v)}.`);
  }
  return v;
}

/**
 * @internal One symbolic input per source, named `source_<j>` (layer names must be plain
 * identifiers, and user source names need not be).
 */
export function sourceInputs(dims: readonly number[]): tfl.SymbolicTensor[] {
  return dims.map((d, j) => tfl.input({ shape: [d], name: `source_${j}` }));
}

/**
 * @internal Per-source linear projections `proj_<j>` (PyTorch initialisation); layer seeds are
 * `seed + 2j`, so callers start their own layers at index `dims.length`.
 */
export function projectSources(
  inputs: readonly tfl.SymbolicTensor[],
  dims: readonly number[],
  units: number,
  seed: number | undefined,
): tfl.SymbolicTensor[] {
  return inputs.map(
    (x, j) =>
      // Model inputs need no gradient: inputGradient false saves a matMul per source and step.
      new Linear({ units, name: `proj_${j}`, seed: layerSeed(seed, j), inputGradient: false }).apply(
        x,
      ) as tfl.SymbolicTensor,
  );
}

/** @internal Concatenates along features; a single source passes through (tfjs needs two). */
export function concatSources(xs: readonly tfl.SymbolicTensor[], name = 'concat'): tfl.SymbolicTensor {
  if (xs.length === 1) return xs[0];
  return tfl.layers.concatenate({ axis: -1, name }).apply(xs as tfl.SymbolicTensor[]) as tfl.SymbolicTensor;
}

/**
 * @internal The output linear layer `head` (logits); `inputGradient` false when `x` is made of
 * model inputs only (the concatenation baseline).
 */
export function logitHead(
  x: tfl.SymbolicTensor,
  numOutputs: number,
  seed: number | undefined,
  inputGradient = true,
): tfl.SymbolicTensor {
  return new Linear({ units: numOutputs, name: 'head', seed, inputGradient }).apply(x) as tfl.SymbolicTensor;
}
