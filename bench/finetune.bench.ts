/**
 * `npm run bench -- finetune`: training throughput (images/s: forward in training mode, loss,
 * gradients, Adam update; batch 16) of full-size ResNet-50 and ViT-S/16 with a 5-class head on
 * dvme's tfjs-wasm (threads as dvme/node starts them; dvme's training kernels,
 * src/wasm/training-kernels.ts) against PyTorch eager CPU (best of
 * 1 and 2 threads), with peak RSS. Few iterations (1 warm-up + DVME_BENCH_ITERS, default 2):
 * the machine this runs on is shared and slow steps are minutes. Env: DVME_BENCH_SIZES
 * (default '64,224'), DVME_BENCH_MODELS (default 'resnet50,vit_small_patch16').
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildResNet, RESNET50_CONFIG } from '../src/backbone/arch/resnet.js';
import { buildVisionTransformer, VIT_SMALL_CONFIG } from '../src/backbone/arch/vit.js';
import { createFinetuneStep } from '../src/finetune/train-step.js';
import { registerWasmTrainingKernels } from '../src/wasm/training-kernels.js';
import { runPython, type BenchContext, type BenchGroup, type BenchRow } from './harness.js';

const ITERS = Number(process.env.DVME_BENCH_ITERS ?? 2);
const SIZES = (process.env.DVME_BENCH_SIZES ?? '64,224').split(',').map(Number);
const MODELS = (process.env.DVME_BENCH_MODELS ?? 'resnet50,vit_small_patch16').split(',');
const BATCH = 16;

function dvmeImagesPerSecond(model: string, size: number): { ips: number; cpuMs: number } {
  const net = model === 'resnet50' ? buildResNet(RESNET50_CONFIG) : buildVisionTransformer({ ...VIT_SMALL_CONFIG, imgSize: size });
  const dim = model === 'resnet50' ? 2048 : 384;
  const head = { kernel: tf.variable(tf.randomNormal([dim, 5], 0, 0.01)), bias: tf.variable(tf.zeros([5])) };
  const step = createFinetuneStep({ model: net, head, task: 'multiclass', learningRate: 1e-4 });
  const x = tf.randomNormal([BATCH, size, size, 3]) as tf.Tensor4D;
  const y = tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 5), 'int32'), 5), 'float32') as tf.Tensor2D;
  const times: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i <= ITERS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    step.step(x, y);
    const c = process.cpuUsage(c0);
    if (i > 0) {
      times.push(performance.now() - t0);
      cpus.push((c.user + c.system) / 1000);
    }
  }
  step.dispose();
  tf.dispose([x, y, head.kernel, head.bias]);
  net.dispose();
  return { ips: (BATCH * 1000) / Math.min(...times), cpuMs: Math.min(...cpus) };
}

export const group: BenchGroup = {
  name: 'finetune',
  description: `training images/s, batch ${BATCH}, dvme tfjs-wasm vs PyTorch eager CPU (ratio = dvme / torch shown as reference/dvme time)`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const { initBackend } = await import('../src/node.js');
    const info = await initBackend();
    registerWasmTrainingKernels(info.backend);
    ctx.log(`dvme backend: ${info.backend} (${String(info.threads ?? '?')} threads); ${ITERS} timed steps after 1 warm-up; the machine is shared and loaded`);
    const rows: BenchRow[] = [];
    const script = fileURLToPath(new URL('./finetune_reference.py', import.meta.url));
    for (const model of MODELS) {
      for (const size of SIZES) {
        const { ips, cpuMs } = dvmeImagesPerSecond(model, size);
        const rss = process.resourceUsage().maxRSS / 1024;
        const ref = runPython(script, [model, String(size), String(BATCH), String(ITERS)]);
        const torch = ref.ok ? (ref.output as { imagesPerSecond: number; threads: number; peakRssMB: number; cpuMsPerStep: number }) : undefined;
        ctx.log(
          `${model} ${size} px (load ${loadavg()[0]?.toFixed(1)}): dvme ${ips.toFixed(2)} img/s, ${cpuMs.toFixed(0)} CPU ms/step (peak RSS so far ${rss.toFixed(0)} MB), ` +
            (torch ? `torch ${torch.imagesPerSecond.toFixed(2)} img/s (${torch.threads} threads, ${torch.cpuMsPerStep.toFixed(0)} CPU ms/step, RSS ${torch.peakRssMB.toFixed(0)} MB), ratio dvme/torch ${(ips / torch.imagesPerSecond).toFixed(2)}x` : `torch: ${ref.ok ? '' : ref.reason}`),
        );
        rows.push({ metric: `${model} ${size}px train step`, n: BATCH, dvmeMs: (BATCH * 1000) / ips, ...(torch ? { referenceMs: (BATCH * 1000) / torch.imagesPerSecond } : {}), dvmeValue: ips, ...(torch ? { referenceValue: torch.imagesPerSecond } : {}) });
      }
    }
    return rows;
  },
};
