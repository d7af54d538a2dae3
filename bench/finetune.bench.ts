/**
 * `npm run bench -- finetune`: training throughput (images/s: forward in training mode, loss,
 * gradients, Adam update; batch 16) of full-size ResNet-50 and ViT-S/16 with a 5-class head on
 * dvme's tfjs-wasm (threads as dvme/node starts them; dvme's training kernels,
 * src/wasm/training-kernels.ts) against PyTorch eager CPU (best of
 * 1 and 2 threads), with peak RSS. Few iterations (1 warm-up + DVME_BENCH_ITERS, default 2):
 * the machine this runs on is shared and slow steps are minutes. Env: DVME_BENCH_SIZES
 * (default '64,224'), DVME_BENCH_MODELS (default 'resnet50,vit_small_patch16').
 *
 * A step that does not fit tfjs-backend-wasm's heap (4 GiB, wasm32's limit: ResNet-50 at 224
 * px, batch 16) throws dvme's OutOfMemoryError; the bench then runs the batch of 16 as
 * micro-batches (8 x 2, then 4 x 4) with the gradients summed before one Adam update, as
 * FineTuner's `accumulate` does, and says so in the row. (Batch norm then sees the micro-batch's
 * statistics; throughput per image is what is compared.) Each model and size trains in a
 * child process of its own (a fresh wasm heap: WebAssembly memory never shrinks, and one
 * case's heap would otherwise constrain the next), which reports its peak RSS and its wasm
 * heap's size.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildResNet, RESNET50_CONFIG } from '../src/backbone/arch/resnet.js';
import { buildVisionTransformer, VIT_SMALL_CONFIG } from '../src/backbone/arch/vit.js';
import { createFinetuneStep } from '../src/finetune/train-step.js';
import { registerWasmTrainingKernels } from '../src/wasm/training-kernels.js';
import { OutOfMemoryError } from '../src/errors/index.js';
import { runPython, type BenchContext, type BenchGroup, type BenchRow } from './harness.js';

const ITERS = Number(process.env.DVME_BENCH_ITERS ?? 2);
const SIZES = (process.env.DVME_BENCH_SIZES ?? '64,224').split(',').map(Number);
const MODELS = (process.env.DVME_BENCH_MODELS ?? 'resnet50,vit_small_patch16').split(',');
const BATCH = 16;

function dvmeImagesPerSecond(model: string, size: number, micro = BATCH): { ips: number; cpuMs: number; micro: number } {
  const net = model === 'resnet50' ? buildResNet(RESNET50_CONFIG) : buildVisionTransformer({ ...VIT_SMALL_CONFIG, imgSize: size });
  const dim = model === 'resnet50' ? 2048 : 384;
  const head = { kernel: tf.variable(tf.randomNormal([dim, 5], 0, 0.01)), bias: tf.variable(tf.zeros([5])) };
  const step = createFinetuneStep({ model: net, head, task: 'multiclass', learningRate: 1e-4 });
  const x = tf.randomNormal([BATCH, size, size, 3]) as tf.Tensor4D;
  const y = tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 5), 'int32'), 5), 'float32') as tf.Tensor2D;
  const times: number[] = [];
  const cpus: number[] = [];
  const chunks = BATCH / micro;
  const trainStep = () => {
    if (chunks === 1) {
      step.step(x, y);
      return;
    }
    tf.tidy(() => {
      let sum: tf.Tensor[] | undefined;
      for (let k = 0; k < chunks; k++) {
        const r = step.lossAndGradients(tf.slice(x, k * micro, micro), tf.slice(y, k * micro, micro));
        const prev = sum;
        sum = prev ? prev.map((g, i) => tf.add(g, r.grads[i] as tf.Tensor)) : r.grads;
        tf.dispose([...(prev ?? []), ...(prev ? r.grads : []), r.loss]);
      }
      step.optimizer.step((sum as tf.Tensor[]).map((g) => tf.div(g, chunks)), 1e-4);
    });
  };
  let outOfMemory = false;
  try {
    for (let i = 0; i <= ITERS; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      trainStep();
      const c = process.cpuUsage(c0);
      if (i > 0) {
        times.push(performance.now() - t0);
        cpus.push((c.user + c.system) / 1000);
      }
    }
  } catch (e) {
    if (!OutOfMemoryError.is(e) || micro <= 4) throw e;
    outOfMemory = true;
  } finally {
    step.dispose();
    tf.dispose([x, y, head.kernel, head.bias]);
    net.dispose();
  }
  // Retried after the finally: this attempt's model and optimizer are freed first.
  if (outOfMemory) return dvmeImagesPerSecond(model, size, micro / 2);
  return { ips: (BATCH * 1000) / Math.min(...times), cpuMs: Math.min(...cpus), micro };
}

interface CaseResult {
  ips: number;
  cpuMs: number;
  micro: number;
  rssMB: number;
  heapMiB?: number;
  threads?: number;
}

/** One model and size in a child process (this file with `--finetune-case`); its JSON result. */
function dvmeCase(model: string, size: number): CaseResult {
  const file = fileURLToPath(import.meta.url);
  const res = spawnSync(process.execPath, ['--import', 'tsx', file, '--finetune-case', model, String(size)], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 3_600_000 });
  const last = res.stdout.trim().split('\n').pop() ?? '';
  if (res.status !== 0) throw new Error(`the ${model} ${size} px case exited with ${String(res.status)}: ${(res.stderr || res.stdout).trim().split('\n').slice(-4).join(' | ')}`);
  return JSON.parse(last) as CaseResult;
}

if (process.argv[2] === '--finetune-case') {
  const [model = 'resnet50', size = '64'] = process.argv.slice(3);
  const { initBackend } = await import('../src/node.js');
  const info = await initBackend();
  registerWasmTrainingKernels(info.backend);
  const r = dvmeImagesPerSecond(model, Number(size));
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.byteLength;
  const result: CaseResult = {
    ...r,
    rssMB: process.resourceUsage().maxRSS / 1024,
    ...(heap ? { heapMiB: heap / 2 ** 20 } : {}),
    ...(info.threads === undefined ? {} : { threads: info.threads }),
  };
  console.log(JSON.stringify(result));
}

export const group: BenchGroup = {
  name: 'finetune',
  description: `training images/s, batch ${BATCH}, dvme tfjs-wasm vs PyTorch eager CPU (ratio = dvme / torch shown as reference/dvme time)`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    ctx.log(`dvme: tfjs-wasm as dvme/node starts it, one child process per case; ${ITERS} timed steps after 1 warm-up; the machine is shared and loaded`);
    const rows: BenchRow[] = [];
    const script = fileURLToPath(new URL('./finetune_reference.py', import.meta.url));
    for (const model of MODELS) {
      for (const size of SIZES) {
        const { ips, cpuMs, micro, rssMB: rss, heapMiB, threads } = dvmeCase(model, size);
        const batch = micro === BATCH ? `batch ${BATCH}` : `batch ${BATCH} as ${BATCH / micro} x ${micro} (the wasm heap holds no batch of ${micro * 2})`;
        const ref = runPython(script, [model, String(size), String(BATCH), String(ITERS)]);
        const torch = ref.ok ? (ref.output as { imagesPerSecond: number; threads: number; peakRssMB: number; cpuMsPerStep: number }) : undefined;
        ctx.log(
          `${model} ${size} px, ${batch} (load ${loadavg()[0]?.toFixed(1)}): dvme ${ips.toFixed(2)} img/s, ${cpuMs.toFixed(0)} CPU ms/step (${String(threads ?? '?')} threads, peak RSS ${rss.toFixed(0)} MB${heapMiB ? `, wasm heap ${heapMiB.toFixed(0)} MiB` : ''}), ` +
            (torch ? `torch ${torch.imagesPerSecond.toFixed(2)} img/s (${torch.threads} threads, ${torch.cpuMsPerStep.toFixed(0)} CPU ms/step, RSS ${torch.peakRssMB.toFixed(0)} MB), ratio dvme/torch ${(ips / torch.imagesPerSecond).toFixed(2)}x` : `torch: ${ref.ok ? '' : ref.reason}`),
        );
        rows.push({ metric: `${model} ${size}px train step`, n: BATCH, dvmeMs: (BATCH * 1000) / ips, ...(torch ? { referenceMs: (BATCH * 1000) / torch.imagesPerSecond } : {}), dvmeValue: ips, ...(torch ? { referenceValue: torch.imagesPerSecond } : {}) });
      }
    }
    return rows;
  },
};
