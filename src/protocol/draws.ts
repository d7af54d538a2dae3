import type { ProbeTask } from '../training/labels.js';
import type { ResolvedEvaluation } from './evaluation-options.js';
import { runSeed } from './run-seed.js';
import { sampleSubset, type Subset, type SubsetSize } from './subsets.js';
import { mean, sampleStd } from './summary.js';

/** @internal One subset drawn for one size and repeat of an evaluation. */
export interface Draw {
  readonly sizeName: string;
  readonly size: SubsetSize;
  readonly repeat: number;
  readonly seed: number;
  readonly subset: Subset;
  /** Rows of the validation set this run sees (a per-run draw), or `undefined` for all of it. */
  readonly validationRows: Int32Array | undefined;
}

/** @internal Rows of a per-run validation draw: max(min, round(fraction * nTrain)), capped at the set. */
export function validationDrawSize(draw: { fraction: number; min: number }, nTrain: number, available: number): number {
  return Math.min(available, Math.max(draw.min, Math.round(draw.fraction * nTrain)));
}

/**
 * @internal Every (size, repeat) draw of an evaluation, in order. A draw's seed depends only
 * on the base seed, the size and the repeat, so every source or model trained on it is paired
 * with the others.
 */
export function* evaluationDraws<T extends ProbeTask>(
  r: ResolvedEvaluation<T>,
  strata: ArrayLike<number>,
  groups: ArrayLike<number | string> | undefined,
  validationStrata?: ArrayLike<number>,
): Generator<Draw> {
  for (const { name: sizeName, size } of r.sizes) {
    for (let repeat = 0; repeat < r.repeats; repeat++) {
      const seed = runSeed(r.seed, size, repeat);
      const subset = sampleSubset(strata, {
        size,
        seed,
        balanced: r.balanced,
        validationFraction: r.validationFraction,
        ...(groups ? { groups } : {}),
      });
      let validationRows: Int32Array | undefined;
      if (r.validationDraw && validationStrata) {
        const n = validationDrawSize(r.validationDraw, subset.train.length, validationStrata.length);
        // The training draw's seed: paired across sources and models, varied across repeats.
        validationRows = n >= validationStrata.length
          ? Int32Array.from({ length: n }, (_, i) => i)
          : sampleSubset(validationStrata, { size: n, seed, balanced: r.balanced }).train;
      }
      yield { sizeName, size, repeat, seed, subset, validationRows };
    }
  }
}

/** @internal Mean and sample std of the runs of each name (source or model) and size. */
export function summariseRuns<R extends { readonly value: number }>(
  names: readonly string[],
  sizeNames: readonly string[],
  runs: ReadonlyMap<string, ReadonlyMap<string, R[]>>,
): Record<string, Record<string, { mean: number; std: number; runs: R[] }>> {
  const out: Record<string, Record<string, { mean: number; std: number; runs: R[] }>> = {};
  for (const name of names) {
    out[name] = {};
    for (const size of sizeNames) {
      const list = runs.get(name)?.get(size) ?? [];
      const values = list.map((x) => x.value);
      out[name][size] = { mean: mean(values), std: sampleStd(values), runs: list };
    }
  }
  return out;
}
