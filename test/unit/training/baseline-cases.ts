// The training runs whose exact results test/fixtures/training/baseline.json records (not a
// test file itself): scripts/fixtures/training_baseline.ts writes the file, and
// bit-identical.test.ts recomputes every case and requires the same bytes. Only public APIs
// are used, and every option that matters is spelt out, so a changed default cannot move them.
import { createHash } from 'node:crypto';
import type { EmbeddingMatrix } from '../../../src/data/embedding-matrix.js';
import { ConcatProbe, DynamicMetaEmbedding, DynamicVisualMetaEmbedding, type FusionEstimator } from '../../../src/index.js';
import { Probe, type EpochLog, type ProbeTask } from '../../../src/index.js';
import { runFusionEvaluation, runLinearEvaluation } from '../../../src/protocol/index.js';
import { trainTest, SOURCES } from '../fusion/synthetic.js';
import { blobs, gaussian, multilabel, ordinal, rng } from '../probe/synthetic.js';

/** What one case records. */
export interface BaselineRecord {
  /** SHA-256 of the bytes of predictProba on the case's test rows (rows concatenated). */
  readonly probaSha256?: string;
  /** SHA-256 of `JSON.stringify` of the fitted weights in toJSON. */
  readonly weightsSha256?: string;
  /** `provenance.training`: epochs, best epoch, stopped early, lr drop epochs (or the lbfgs report). */
  readonly training?: unknown;
  /** Every epoch log. */
  readonly history?: readonly EpochLog[];
  /** Protocol runs: every run's test value, epochs and best epoch, by model / source and size. */
  readonly runs?: unknown;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function probaBytes(p: Float32Array | Float32Array[]): Uint8Array {
  const flat = p instanceof Float32Array ? p : Float32Array.from(p.flatMap((r) => Array.from(r)));
  return new Uint8Array(flat.buffer, flat.byteOffset, flat.byteLength);
}

function record(
  est: { predictProba(x: never): Float32Array | Float32Array[]; toJSON(): { weights: unknown; provenance: unknown }; history: readonly EpochLog[] },
  testX: unknown,
): BaselineRecord {
  const json = est.toJSON();
  return {
    probaSha256: sha256(probaBytes(est.predictProba(testX as never))),
    weightsSha256: sha256(new TextEncoder().encode(JSON.stringify(json.weights))),
    training: (json.provenance as { training: unknown }).training,
    history: est.history.map((l) => ({ ...l })),
  };
}

/** Train / validation / test parts of one seeded blob set (the same centres in all three). */
function blobSplits(nTrain: number, nVal: number, nTest: number, d: number, k: number, seed: number, o: Parameters<typeof blobs>[4] = {}) {
  const all = blobs(nTrain + nVal + nTest, d, k, seed, o);
  const part = (a: number, b: number) => ({ x: all.x.slice(a, b), y: all.y.slice(a, b) });
  return { train: part(0, nTrain), val: part(nTrain, nTrain + nVal), test: part(nTrain + nVal, nTrain + nVal + nTest) };
}

async function probeCase<T extends ProbeTask>(
  options: ConstructorParameters<typeof Probe<T>>[0],
  train: { x: number[][]; y: unknown },
  testX: number[][],
  validation?: { x: number[][]; y: unknown },
): Promise<BaselineRecord> {
  const probe = new Probe<T>(options);
  try {
    await probe.fit(train.x, train.y as never, validation ? { validation: validation as never } : {});
    return record(probe as never, testX);
  } finally {
    probe.dispose();
  }
}

async function fusionCase(
  make: () => FusionEstimator,
  train: { x: unknown; y: unknown },
  testX: unknown,
  validation?: { x: unknown; y: unknown },
): Promise<BaselineRecord> {
  const est = make();
  try {
    await est.fit(train.x as never, train.y as never, validation ? { validation: validation as never } : {});
    return record(est as never, testX);
  } finally {
    est.dispose();
  }
}

const matrix = (rows: number[][]): EmbeddingMatrix => ({ data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0].length] });

/**
 * The linear and fusion evaluation protocols on small problems, as the demo runs them. Run
 * fields added after the baseline was recorded (wall time, `validationValue`) are left out.
 */
async function protocolCases(): Promise<Record<string, BaselineRecord>> {
  const noise = gaussian(rng(5));
  const n = 120;
  const y = Array.from({ length: n }, (_, i) => i % 3);
  // Small-valued, offset features (like pooled CNN embeddings) and a noisier second source.
  const a = y.map((c) => Array.from({ length: 4 }, (_, j) => 0.02 * ((j === c ? 2 : 0) + noise()) + 0.05));
  const b = y.map((c) => Array.from({ length: 3 }, (_, j) => (j === c ? 1 : 0) + 2 * noise()));
  const part = (rows: number[][], s: number, e: number) => matrix(rows.slice(s, e));
  const sources = { a: part(a, 0, 80), b: part(b, 0, 80) };
  const validation = { sources: { a: part(a, 80, 100), b: part(b, 80, 100) }, labels: y.slice(80, 100) };
  const test = { sources: { a: part(a, 100, 120), b: part(b, 100, 120) }, labels: y.slice(100, 120) };
  const base = { task: 'multiclass' as const, metric: 'quadraticKappa' as const, sources, labels: y.slice(0, 80), validation, test, sizes: { S: 30, F: 'all' as const }, repeats: 2, seed: 3 };
  const cells = (results: Readonly<Record<string, Readonly<Record<string, { runs: readonly object[] }>>>>) =>
    Object.fromEntries(
      Object.entries(results).map(([k, bySize]) => [
        k,
        Object.fromEntries(
          Object.entries(bySize).map(([size, cell]) => [size, cell.runs.map(({ wallMs: _w, validationValue: _v, ...r }: { wallMs?: number; validationValue?: number }) => r)]),
        ),
      ]),
    );
  // The protocol's own standardisation default (probeOptions leave standardize out), 'paper' solver.
  const linear = await runLinearEvaluation({ ...base, solver: 'paper', probeOptions: { minEpochs: 3, maxEpochs: 8 } });
  // The demo's settings: standardised probes and fusion inputs, shortened fusion training.
  const fusion = await runFusionEvaluation({
    ...base,
    models: ['concat', 'dme', 'dvme', 'dvme-source', 'dvme-noattn'],
    singleSolver: 'paper',
    probeOptions: { standardize: true, minEpochs: 3, maxEpochs: 6 },
    standardize: true,
    training: { minEpochs: 3, maxEpochs: 5, earlyStoppingPatience: 2, plateauPatience: 1, batchSize: 16, projectionDim: 4, sourceHeads: 2 },
  });
  return {
    'protocol linear paper (default probe options)': { runs: cells(linear.results) },
    'protocol fusion (demo settings)': { runs: { single: cells(fusion.single.results), fusion: cells(fusion.fusion) } },
  };
}

/** Every case, fitted on the tfjs backend that is active (the test and the script use 'cpu'). */
export async function computeTrainingBaseline(): Promise<Record<string, BaselineRecord>> {
  const out: Record<string, BaselineRecord> = {};
  const bin = blobSplits(200, 80, 60, 16, 2, 11, { separation: 0.6, scale: 3, offset: 1 });
  out['probe paper binary, raw, validation given, paper defaults'] = await probeCase(
    { task: 'binary', solver: 'paper', standardize: false, seed: 1 },
    bin.train,
    bin.test.x,
    bin.val,
  );
  const multi = blobSplits(240, 0, 60, 8, 4, 12, { separation: 0.7 });
  out['probe paper multiclass, standardised, validationSplit, balanced weights'] = await probeCase(
    { task: 'multiclass', solver: 'paper', standardize: true, validationSplit: 0.25, classWeight: 'balanced', batchSize: 32, seed: 2 },
    multi.train,
    multi.test.x,
  );
  const ord = ordinal(260, 5, 5, 13);
  out['probe paper ordinal, raw, validation given'] = await probeCase(
    { task: 'multiclass', solver: 'paper', ordinal: true, standardize: false, minEpochs: 5, maxEpochs: 15, learningRate: 0.01, seed: 3 },
    { x: ord.x.slice(0, 160), y: ord.y.slice(0, 160) },
    ord.x.slice(200),
    { x: ord.x.slice(160, 200), y: ord.y.slice(160, 200) },
  );
  const ml = multilabel(180, 6, 3, 14);
  out['probe paper multilabel, raw, no validation (loss monitored)'] = await probeCase(
    { task: 'multilabel', solver: 'paper', standardize: false, minEpochs: 3, maxEpochs: 8, batchSize: 16, seed: 4 },
    { x: ml.x.slice(0, 140), y: ml.y.slice(0, 140) },
    ml.x.slice(140),
  );
  out['probe lbfgs multiclass (defaults)'] = await probeCase({ task: 'multiclass', solver: 'lbfgs' }, multi.train, multi.test.x);
  out['probe lbfgs binary, raw, balanced, C 0.1'] = await probeCase(
    { task: 'binary', solver: 'lbfgs', standardize: false, classWeight: 'balanced', C: 0.1 },
    bin.train,
    bin.test.x,
  );

  const { train, test } = trainTest(96, 60, 3, 21);
  const quick = { minEpochs: 3, maxEpochs: 6, batchSize: 16, learningRate: 1e-2, earlyStoppingPatience: 2, plateauPatience: 1 } as const;
  const labelled = { x: train.x, y: train.y };
  const val = { x: test.x, y: test.y };
  out['fusion concat multiclass, validation given'] = await fusionCase(
    () => new ConcatProbe({ sources: SOURCES, task: 'multiclass', seed: 5, ...quick }),
    labelled,
    test.x,
    val,
  );
  out['fusion dme binary, validationSplit'] = await fusionCase(
    () => new DynamicMetaEmbedding({ sources: SOURCES, task: 'binary', seed: 6, projectionDim: 8, validationSplit: 0.25, ...quick }),
    { x: train.x, y: train.y.map((c) => (c === 0 ? 0 : 1)) },
    test.x,
  );
  out['fusion dvme feature tokens multiclass, validation given'] = await fusionCase(
    () => new DynamicVisualMetaEmbedding({ sources: SOURCES, task: 'multiclass', seed: 7, projectionDim: 8, ...quick }),
    labelled,
    test.x,
    val,
  );
  out['fusion dvme source tokens multilabel, no validation'] = await fusionCase(
    () => new DynamicVisualMetaEmbedding({ sources: SOURCES, task: 'multilabel', seed: 8, projectionDim: 8, tokens: 'source', heads: 2, ...quick }),
    { x: train.x, y: train.yMulti },
    test.x,
  );
  Object.assign(out, await protocolCases());
  return out;
}
