/**
 * `npm run bench -- metrics`: dvme's binary ROC AUC and quadratic-weighted kappa on 1e6
 * samples and DeLong's interval on 1e5, each beside its Python reference (scikit-learn, the
 * numpy fast DeLong) run in the same process tree on the same inputs.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cohenKappaScore, delongCi, rocAucScore } from '../src/metrics/index.js';
import { Xoshiro128 } from '../src/random/xoshiro.js';
import { runPython, time, writeFloat64, type BenchGroup, type BenchRow } from './harness.js';

const N_LARGE = 1_000_000;
const N_DELONG = 100_000;
const WARMUP = 2;
const RUNS = 7;
const SEED = 20240601;

interface Inputs {
  readonly aucY: Float64Array;
  readonly aucScore: Float64Array;
  readonly kappaA: Float64Array;
  readonly kappaB: Float64Array;
  readonly delongY: Float64Array;
  readonly delongScore: Float64Array;
}

/**
 * Seeded inputs shaped like a screening task: 30% prevalence, binormal scores (d' = 1), and
 * five ordinal grades (as diabetic-retinopathy grading) rated twice with noise.
 */
function makeInputs(): Inputs {
  const rng = new Xoshiro128(SEED);
  const uniform = () => (rng.nextUint32() + 0.5) / 4294967296;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const aucY = new Float64Array(N_LARGE);
  const aucScore = new Float64Array(N_LARGE);
  const kappaA = new Float64Array(N_LARGE);
  const kappaB = new Float64Array(N_LARGE);
  for (let i = 0; i < N_LARGE; i++) {
    aucY[i] = uniform() < 0.3 ? 1 : 0;
    aucScore[i] = aucY[i] + normal();
    kappaA[i] = Math.floor(uniform() * 5);
    kappaB[i] = Math.min(4, Math.max(0, kappaA[i] + Math.round(0.8 * normal())));
  }
  return {
    aucY,
    aucScore,
    kappaA,
    kappaB,
    delongY: aucY.subarray(0, N_DELONG),
    delongScore: aucScore.subarray(0, N_DELONG),
  };
}

interface ReferenceOutput {
  versions: Record<string, string>;
  results: Partial<Record<'roc_auc' | 'kappa' | 'delong', { ms: number; values: number[] }>>;
  missing: string[];
}

function row(
  metric: string,
  n: number,
  dvmeMs: number,
  dvmeValues: number[],
  reference: { ms: number; values: number[] } | undefined,
): BenchRow {
  if (!reference) return { metric, n, dvmeMs, dvmeValue: dvmeValues[0] };
  const maxAbsDiff = Math.max(...dvmeValues.map((v, i) => Math.abs(v - reference.values[i])));
  return {
    metric,
    n,
    dvmeMs,
    referenceMs: reference.ms,
    dvmeValue: dvmeValues[0],
    referenceValue: reference.values[0],
    maxAbsDiff,
  };
}

export const group: BenchGroup = {
  name: 'metrics',
  description: `rocAucScore and quadratic cohenKappaScore (n = 1e6), delongCi (n = 1e5) vs scikit-learn / numpy; median of ${RUNS} runs after ${WARMUP} warm-up`,
  async run(ctx) {
    const inputs = makeInputs();
    const files: Record<string, Float64Array> = {
      auc_y: inputs.aucY,
      auc_score: inputs.aucScore,
      kappa_a: inputs.kappaA,
      kappa_b: inputs.kappaB,
      delong_y: inputs.delongY,
      delong_score: inputs.delongScore,
    };
    for (const [name, values] of Object.entries(files)) writeFloat64(join(ctx.tmp, `${name}.bin`), values);

    const opts = { warmup: WARMUP, runs: RUNS };
    const auc = time(() => rocAucScore(inputs.aucY, inputs.aucScore), opts);
    const kappa = time(() => cohenKappaScore(inputs.kappaA, inputs.kappaB, { weights: 'quadratic' }), opts);
    const ci = time(() => delongCi(inputs.delongY, inputs.delongScore), opts);

    const script = fileURLToPath(new URL('./metrics_reference.py', import.meta.url));
    const ref = runPython(script, [ctx.tmp, String(WARMUP), String(RUNS)]);
    let results: ReferenceOutput['results'] = {};
    if (!ref.ok) {
      ctx.log(`Python reference unavailable: ${ref.reason}. Showing dvme's numbers only.`);
    } else {
      const out = ref.output as ReferenceOutput;
      results = out.results;
      ctx.log(`reference: ${Object.entries(out.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      for (const m of out.missing) ctx.log(`Python reference missing ${m}: its rows show dvme's numbers only.`);
    }
    const c = ci.result;
    return [
      row('rocAucScore (binary)', N_LARGE, auc.medianMs, [auc.result], results.roc_auc),
      row('cohenKappaScore (quadratic)', N_LARGE, kappa.medianMs, [kappa.result], results.kappa),
      // Headline: the variance; the AUC and both bounds are compared too (same order in Python).
      row('delongCi (variance)', N_DELONG, ci.medianMs, [c.variance, c.auc, c.lower, c.upper], results.delong),
    ];
  },
};
