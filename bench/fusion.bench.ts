/**
 * `npm run bench -- fusion`: one training step (forward, backward, Adam) of the paper's DVME head
 * with feature tokens (sources 2048, 2048, 1536 -> 1536 one-dimensional tokens, 5 classes,
 * batch 64, dropout 0 so that PyTorch can take the same step) on tfjs-backend-wasm, with the
 * head-width-1 WebAssembly attention kernel and with the tensor-op path it replaces, beside
 * PyTorch (Debian's torch, CPU) on the same weights and batch. The two dvme paths are timed
 * interleaved (this machine is shared and its load drifts); the gradients of each are compared
 * with PyTorch's, and the attention alone is timed by both paths. Standalone too:
 * `npx tsx bench/fusion.bench.ts`.
 * Env: DVME_BENCH_ITERS (timed steps per path, default 5).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { blockedAttention } from '../src/fusion/chunked-attention.js';
import { buildDvmeModel } from '../src/fusion/dvme-model.js';
import { setScalarAttentionKernel } from '../src/fusion/scalar-attention.js';
import { fusionLoss, trainStep, trainableVariables } from '../src/fusion/train-fusion.js';
import { Xoshiro128 } from '../src/random/xoshiro.js';
import { Adam } from '../src/training/adam.js';
import { runGroup, runPython, type BenchContext, type BenchGroup, type BenchRow } from './harness.js';

const SOURCES = [2048, 2048, 1536];
const CLASSES = 5;
const BATCH = 64;
const LR = 1e-3;
const SEED = 20240603;
const ITERS = Number(process.env.DVME_BENCH_ITERS ?? 5);
const WARMUP = 1;

const median = (v: readonly number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

interface Batch {
  readonly xs: tf.Tensor2D[];
  readonly labels: Int32Array;
  readonly y: tf.Tensor2D;
}

function makeBatch(): Batch {
  const rng = new Xoshiro128(SEED);
  const uniform = () => (rng.nextUint32() + 0.5) / 4294967296;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const xs = SOURCES.map((d) => tf.tensor2d(Float32Array.from({ length: BATCH * d }, normal), [BATCH, d]));
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES), 'float32') as tf.Tensor2D);
  return { xs, labels, y };
}

/** Gradients of the mean cross-entropy at the current weights, in weight order, as flat arrays. */
function gradients(model: ReturnType<typeof buildDvmeModel>, batch: Batch): { loss: number; grads: Float32Array[] } {
  const params = trainableVariables(model);
  const { value, grads } = tf.variableGrads(
    () => fusionLoss('multiclass', model.apply(batch.xs, { training: true }) as tf.Tensor2D, batch.y),
    params,
  );
  const out = { loss: value.dataSync()[0], grads: params.map((p) => grads[p.name].dataSync() as Float32Array) };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

/**
 * Largest |a - b| over all gradients, relative to the largest |b| of all. Not per weight: some
 * gradients are zero in exact arithmetic (the key bias, the attention's output bias ahead of the
 * LayerNorm) and hold float32 noise only, which differs between any two implementations.
 */
function gradientGap(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let d = 0;
  let m = 0;
  a.forEach((x, w) => {
    for (let i = 0; i < x.length; i++) {
      d = Math.max(d, Math.abs(x[i] - b[w][i]));
      m = Math.max(m, Math.abs(b[w][i]));
    }
  });
  return d / m;
}

/**
 * Milliseconds (wall and CPU) of the attention alone, forward and backward at the step's shape
 * (`[64, 1536, 1]`), by each path, interleaved; medians of `runs`.
 */
function attentionTimings(runs: number): Record<'kernel' | 'ops', { wall: number; cpu: number }> {
  const [q, k, v] = [0, 1, 2].map((i) => tf.randomNormal([BATCH, 1536, 1], 0, 1, 'float32', SEED + i)) as tf.Tensor3D[];
  const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
    tf.sum(blockedAttention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, 1));
  const ms = { kernel: { wall: [] as number[], cpu: [] as number[] }, ops: { wall: [] as number[], cpu: [] as number[] } };
  for (let it = 0; it <= runs; it++) {
    for (const path of ['kernel', 'ops'] as const) {
      setScalarAttentionKernel(path === 'kernel');
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const g = tf.grads(f)([q, k, v]);
      g.forEach((t) => t.dataSync());
      const c = process.cpuUsage(c0);
      if (it > 0) {
        ms[path].wall.push(performance.now() - t0);
        ms[path].cpu.push((c.user + c.system) / 1000);
      }
      tf.dispose(g);
    }
  }
  setScalarAttentionKernel(true);
  tf.dispose([q, k, v]);
  const summary = (t: { wall: number[]; cpu: number[] }) => ({ wall: median(t.wall), cpu: median(t.cpu) });
  return { kernel: summary(ms.kernel), ops: summary(ms.ops) };
}

export const group: BenchGroup = {
  name: 'fusion',
  description:
    `one DVME training step, feature tokens (sources ${SOURCES.join(', ')} -> ${CLASSES} classes), batch ${BATCH}, ` +
    `tfjs-backend-wasm: head-width-1 WebAssembly kernel vs the tensor-op path; median of ${ITERS} interleaved steps; value = loss`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    await tf.setBackend('wasm');
    await tf.ready();
    const model = buildDvmeModel({ sourceDims: SOURCES, numOutputs: CLASSES, dropout: 0, seed: 7 });
    const batch = makeBatch();
    try {
      const before = tf.memory().numTensors;
      setScalarAttentionKernel(true);
      const fast = gradients(model, batch);
      setScalarAttentionKernel(false);
      const slow = gradients(model, batch);
      ctx.log(`kernel vs tensor ops: loss ${fast.loss} vs ${slow.loss}; gradients within ${gradientGap(fast.grads, slow.grads).toExponential(1)} of the largest`);

      const meta = {
        sourceDims: SOURCES,
        projectionDim: 512,
        numClasses: CLASSES,
        batch: BATCH,
        lr: LR,
        weights: model.trainableWeights.map((w) => ({ name: w.originalName, shape: w.shape })),
      };
      writeFileSync(join(ctx.tmp, 'meta.json'), JSON.stringify(meta));
      const bytes = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const weights = model.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
      writeFileSync(join(ctx.tmp, 'weights.bin'), Buffer.concat(weights.map(bytes)));
      batch.xs.forEach((x, j) => writeFileSync(join(ctx.tmp, `x${j}.bin`), bytes(x.dataSync() as Float32Array)));
      writeFileSync(join(ctx.tmp, 'labels.bin'), bytes(batch.labels));

      const params = trainableVariables(model);
      const adam = new Adam(params);
      const timings: Record<'kernel' | 'ops', { wall: number[]; cpu: number[] }> = {
        kernel: { wall: [], cpu: [] },
        ops: { wall: [], cpu: [] },
      };
      for (let it = 0; it < WARMUP + ITERS; it++) {
        for (const path of ['kernel', 'ops'] as const) {
          setScalarAttentionKernel(path === 'kernel');
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          const value = trainStep(model, params, adam, 'multiclass', batch.xs, batch.y, LR);
          value.dataSync(); // wait for the step (wasm runs synchronously anyway)
          value.dispose();
          const c = process.cpuUsage(c0);
          if (it < WARMUP) continue;
          timings[path].wall.push(performance.now() - t0);
          timings[path].cpu.push((c.user + c.system) / 1000);
        }
      }
      adam.dispose();
      setScalarAttentionKernel(true);
      const [kernelMs, opsMs] = [median(timings.kernel.wall), median(timings.ops.wall)];
      for (const path of ['kernel', 'ops'] as const) {
        const t = timings[path];
        ctx.log(`${path === 'kernel' ? 'kernel    ' : 'tensor ops'}: ${median(t.wall).toFixed(0)} ms/step (CPU ${median(t.cpu).toFixed(0)} ms; runs ${t.wall.map((v) => v.toFixed(0)).join(', ')})`);
      }
      ctx.log(`speed-up of the step: ${(opsMs / kernelMs).toFixed(2)}x wall, ${(median(timings.ops.cpu) / median(timings.kernel.cpu)).toFixed(2)}x CPU`);
      const att = attentionTimings(ITERS);
      ctx.log(
        `attention alone, forward + backward: kernel ${att.kernel.wall.toFixed(0)} ms (CPU ${att.kernel.cpu.toFixed(0)}), ` +
          `tensor ops ${att.ops.wall.toFixed(0)} ms (CPU ${att.ops.cpu.toFixed(0)}): ${(att.ops.cpu / att.kernel.cpu).toFixed(2)}x CPU`,
      );
      if (tf.memory().numTensors !== before) ctx.log(`LEAK: ${tf.memory().numTensors - before} tensors`);

      const rows: BenchRow[] = [
        { metric: 'DVME step, wasm, head-width-1 kernel', n: BATCH, dvmeMs: kernelMs, dvmeValue: fast.loss },
        { metric: 'DVME step, wasm, tensor ops', n: BATCH, dvmeMs: opsMs, dvmeValue: slow.loss },
      ];
      const script = fileURLToPath(new URL('./fusion_reference.py', import.meta.url));
      const ref = runPython(script, [ctx.tmp, String(WARMUP), String(ITERS)]);
      if (!ref.ok) {
        ctx.log(`PyTorch reference unavailable: ${ref.reason}. Showing dvme's numbers only.`);
        return rows;
      }
      const out = ref.output as {
        versions: Record<string, string>;
        loss: number;
        timings: Record<string, { ms: number; runsMs: number[] }>;
      };
      ctx.log(`reference: ${Object.entries(out.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      for (const [threads, t] of Object.entries(out.timings)) {
        ctx.log(`PyTorch, ${threads} thread(s): ${t.ms.toFixed(0)} ms/step (runs ${t.runsMs.map((v) => v.toFixed(0)).join(', ')})`);
      }
      const raw = readFileSync(join(ctx.tmp, 'grads.bin'));
      const flat = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      let offset = 0;
      const torchGrads = fast.grads.map((g) => flat.subarray(offset, (offset += g.length)));
      ctx.log(
        `gradients vs PyTorch's float32 ones, largest gap over the largest gradient: kernel ${gradientGap(fast.grads, torchGrads).toExponential(1)}, ` +
          `tensor ops ${gradientGap(slow.grads, torchGrads).toExponential(1)}; PyTorch's loss ${out.loss}`,
      );
      // One thread, as dvme's wasm backend in Node.
      const torchMs = out.timings['1']?.ms;
      return rows.map((r) => ({ ...r, referenceMs: torchMs, referenceValue: out.loss }));
    } finally {
      setScalarAttentionKernel(true);
      tf.dispose([...batch.xs, batch.y]);
      model.dispose();
    }
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runGroup(group);
