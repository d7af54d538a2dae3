/**
 * `npx tsx bench/finetune-profile.ts [resnet50|vit_small_patch16] [size] [steps]`: where the
 * time of one training step (batch 16, or env BATCH; tfjs-wasm) goes. Every kernel of the active backend is
 * wrapped in a timer; times and counts are summed by kernel name and by phase (forward: model
 * and loss; backward: the gradients tf.variableGrads computes; optimizer: the AdamW update).
 * The first step is a warm-up; the table sums the timed steps. Kernels called inside other
 * kernels (dvme's im2col Conv2DBackpropFilter runs PadV2 / StridedSlice / Concat / BatchMatMul)
 * are counted in the outer one only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { buildResNet, RESNET50_CONFIG } from '../src/backbone/arch/resnet.js';
import { buildVisionTransformer, VIT_SMALL_CONFIG } from '../src/backbone/arch/vit.js';
import { createFinetuneStep, finetuneLoss } from '../src/finetune/train-step.js';
import { freeingVariableGrads } from '../src/training/gradients.js';
import { registerWasmTrainingKernels } from '../src/wasm/training-kernels.js';
import { registerConv2dBackpropFilter } from '../src/wasm/conv2d-backprop-filter.js';
import { initBackend } from '../src/node.js';

const [model = 'resnet50', sizeArg = '64', stepsArg = '1'] = process.argv.slice(2);
const size = Number(sizeArg);
const steps = Number(stepsArg);
const BATCH = Number(process.env.BATCH ?? 16);

type Phase = 'forward' | 'backward' | 'optimizer';
let phase: Phase = 'forward';
let depth = 0;
let recording = false;
const byKernel = new Map<string, { ms: number; count: number; phases: Record<Phase, number> }>();
const SHAPES = (process.env.SHAPES ?? '').split(',');
const byShape = new Map<string, { ms: number; count: number }>();
const wall: Record<Phase, number> = { forward: 0, backward: 0, optimizer: 0 };

const info = await initBackend();
if (process.env.DVME_BASELINE !== '1') registerWasmTrainingKernels(info.backend);
else registerConv2dBackpropFilter(info.backend);
const backend = info.backend;
for (const k of tf.getKernelsForBackend(backend)) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, backend);
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      if (!recording || depth > 0) return inner(args);
      depth++;
      const t0 = performance.now();
      try {
        return inner(args);
      } finally {
        depth--;
        const ms = performance.now() - t0;
        const e = byKernel.get(k.kernelName) ?? { ms: 0, count: 0, phases: { forward: 0, backward: 0, optimizer: 0 } };
        e.ms += ms;
        e.count++;
        e.phases[phase] += ms;
        byKernel.set(k.kernelName, e);
        if (SHAPES.includes(k.kernelName)) {
          const key = `${k.kernelName} ${Object.values(args.inputs).map((t) => `[${(t as tf.TensorInfo | undefined)?.shape.join('x')}]`).join(' ')} ${JSON.stringify(args.attrs ?? {}).slice(0, 120)}`;
          const s = byShape.get(key) ?? { ms: 0, count: 0 };
          s.ms += ms;
          s.count++;
          byShape.set(key, s);
        }
      }
    },
  });
}

const net = model === 'resnet50' ? buildResNet(RESNET50_CONFIG) : buildVisionTransformer({ ...VIT_SMALL_CONFIG, imgSize: size });
const dim = model === 'resnet50' ? 2048 : 384;
const head = { kernel: tf.variable(tf.randomNormal([dim, 5], 0, 0.01)), bias: tf.variable(tf.zeros([5])) };
const step = createFinetuneStep({ model: net, head, task: 'multiclass', learningRate: 1e-4 });
const x = tf.randomNormal([BATCH, size, size, 3]) as tf.Tensor4D;
const y = tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 5), 'int32'), 5), 'float32') as tf.Tensor2D;
let cpu0 = process.cpuUsage();
let total = 0;
for (let s = 0; s <= steps; s++) {
  recording = s > 0;
  if (s === 1) cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let t1 = 0;
  let t2 = 0;
  phase = 'forward';
  tf.tidy(() => {
    const { grads } = freeingVariableGrads(() => {
      const l = finetuneLoss('multiclass', step.logits(x, true), y, undefined, 0);
      t1 = performance.now();
      phase = 'backward';
      return l;
    }, step.params);
    t2 = performance.now();
    phase = 'optimizer';
    step.optimizer.step(grads as tf.Tensor[], 1e-4);
  });
  const t3 = performance.now();
  if (s > 0) {
    wall.forward += t1 - t0;
    wall.backward += t2 - t1;
    wall.optimizer += t3 - t2;
    total += t3 - t0;
  }
}
const cpu = process.cpuUsage(cpu0);
const kernelSum = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
const os = await import('node:os');
console.log(`${model} ${size}px batch ${BATCH}, ${backend} (${String(info.threads ?? '?')} threads), ${steps} timed step(s); load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`step ${(total / steps).toFixed(0)} ms wall (${((BATCH * 1000 * steps) / total).toFixed(2)} img/s); process CPU ${((cpu.user + cpu.system) / 1000 / steps).toFixed(0)} ms/step; kernels ${(kernelSum / steps).toFixed(0)} ms/step`);
const heapBytes = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.byteLength;
if (heapBytes) console.log(`wasm heap ${(heapBytes / 2 ** 20).toFixed(0)} MiB; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
console.log(`phase wall ms/step: forward ${(wall.forward / steps).toFixed(0)}, backward ${(wall.backward / steps).toFixed(0)}, optimizer ${(wall.optimizer / steps).toFixed(0)}`);
console.log('| kernel | ms/step | share | calls/step | fwd ms | bwd ms | opt ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(process.env.TOP ?? 20))) {
  const f = (v: number) => (v / steps).toFixed(0);
  console.log(`| ${name} | ${f(e.ms)} | ${((100 * e.ms) / total).toFixed(1)}% | ${(e.count / steps).toFixed(0)} | ${f(e.phases.forward)} | ${f(e.phases.backward)} | ${f(e.phases.optimizer)} |`);
}
for (const [key, e] of [...byShape].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)) console.log(`${(e.ms / steps).toFixed(0)} ms x${e.count / steps} ${key}`);
step.dispose();
