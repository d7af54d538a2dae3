// The page of the Chromium suite: dvme/browser with every optional peer installed, each handed
// over as a loader (so bundled lazily), and helpers the tests call through page.evaluate.
import * as tf from '@tensorflow/tfjs-core';
import * as dvme from 'dvme/browser';

const loaders = {
  webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
  webgl: () => import('@tensorflow/tfjs-backend-webgl'),
  wasm: () => import('@tensorflow/tfjs-backend-wasm'),
};
const params = new URLSearchParams(location.search);

function init() {
  const names = (params.get('backends') ?? 'webgpu,webgl,wasm').split(',');
  return dvme.initBackend({
    backends: Object.fromEntries(names.map((n) => [n, loaders[n]])),
    onnxruntime: async () => {
      const ort = await import('onnxruntime-web');
      // ?ortwasm=: the app points onnxruntime-web at a folder itself (one without its files, to test the error).
      if (params.get('ortwasm')) ort.env.wasm.wasmPaths = params.get('ortwasm');
      return ort;
    },
    converter: () => import('@tensorflow/tfjs-converter'),
    wasmPaths: '/wasm/',
  });
}

async function loadImages(names) {
  return Promise.all(
    names.map(async (name) => {
      const img = new Image();
      img.src = `/img/${name}`;
      await img.decode();
      return img;
    }),
  );
}

/** The same pixels as <img>, <canvas>, ImageBitmap and ImageData. */
async function imageForms(names) {
  const imgs = await loadImages(names);
  const canvases = imgs.map((img) => {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    c.getContext('2d').drawImage(img, 0, 0);
    return c;
  });
  const bitmaps = await Promise.all(imgs.map((img) => createImageBitmap(img)));
  const imageData = canvases.map((c) => c.getContext('2d').getImageData(0, 0, c.width, c.height));
  return { img: imgs, canvas: canvases, bitmap: bitmaps, imageData };
}

let mobilenet;
function loadMobileNet() {
  mobilenet ??= dvme.Backbone.fromTfjs('/models/mobilenet_v2_nsfwjs/model.json', { embeddingLayer: 'flatten_1', mean: [0, 0, 0], std: [1, 1, 1] });
  return mobilenet;
}

const plain = (e) => ({ shape: e.shape, data: Array.from(e.data) });

window.dvmeTest = {
  init,
  async glRenderer() {
    const gl = document.createElement('canvas').getContext('webgl2');
    const ext = gl && gl.getExtension('WEBGL_debug_renderer_info');
    return gl ? gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) : null;
  },
  async matmul() {
    return tf.tidy(() => tf.sum(tf.matMul(tf.ones([128, 128]), tf.ones([128, 128]))).dataSync()[0]);
  },
  /** MobileNetV2 embeddings of each form of the images; tensors alive before and after. */
  async embedForms(names, only) {
    const backbone = await loadMobileNet();
    const forms = await imageForms(names);
    const before = tf.memory().numTensors;
    const out = {};
    for (const [form, images] of Object.entries(forms)) {
      if (!only || only.includes(form)) out[form] = plain(await backbone.embed(images, { as: 'array' }));
    }
    return { out, before, after: tf.memory().numTensors, backend: tf.getBackend() };
  },
  /** Images per second at batch 16 (one warm-up batch first). */
  async throughput(names, batches) {
    const backbone = await loadMobileNet();
    const { img } = await imageForms(names);
    const batch = Array.from({ length: 16 }, (_, i) => img[i % img.length]);
    await backbone.embed(batch, { as: 'array', batchSize: 16 });
    const start = performance.now();
    for (let i = 0; i < batches; i += 1) await backbone.embed(batch, { as: 'array', batchSize: 16 });
    return (16 * batches) / ((performance.now() - start) / 1000);
  },
  /**
   * Images per second at batch 16 of `Backbone.fromCheckpoint('resnet50', url, { engine })`
   * (one warm-up batch first), for bench/browser-throughput.ts.
   */
  async checkpointThroughput(names, url, engine, batches) {
    const backbone = await dvme.Backbone.fromCheckpoint('resnet50', new URL(url, location.href).href, engine === 'onnx' ? { engine, onnx: { cache: false } } : { engine });
    const { img } = await imageForms(names);
    const batch = Array.from({ length: 16 }, (_, i) => img[i % img.length]);
    const warm = await backbone.embed(batch, { as: 'array', batchSize: 16 });
    const start = performance.now();
    for (let i = 0; i < batches; i += 1) await backbone.embed(batch, { as: 'array', batchSize: 16 });
    const imagesPerSecond = (16 * batches) / ((performance.now() - start) / 1000);
    const report = { imagesPerSecond, engine: backbone.loadReport.engine.engine, runtime: backbone.engine?.runtime ?? tf.getBackend(), finite: Array.from(warm.data).every(Number.isFinite) };
    backbone.dispose();
    return report;
  },
  /** The ONNX engine, the model given by a URL relative to the page. */
  async onnx(names, options) {
    const backbone = await dvme.Backbone.fromOnnx('onnx/resnet-tiny.onnx', options);
    const { imageData } = await imageForms(names);
    const before = tf.memory().numTensors;
    const e = plain(await backbone.embed(imageData, { as: 'array' }));
    const runtime = backbone.engine?.runtime;
    backbone.dispose();
    return { e, runtime, before, after: tf.memory().numTensors };
  },
  /** The error of the ONNX engine when onnxruntime-web cannot start. */
  async onnxError(options) {
    try {
      await dvme.Backbone.fromOnnx('/onnx/resnet-tiny.onnx', options);
      return null;
    } catch (e) {
      return { name: e.name, message: e.message, isBackendError: dvme.BackendUnavailableError.is(e) };
    }
  },
  /**
   * A <video> recorded in the page (canvas.captureStream + MediaRecorder, VP8 webm) of one
   * picture held still, embedded as the <video> element at its first frame; and that frame's
   * pixels as the browser decoded them, read back through a canvas (VP8 is lossy: the PNG's
   * pixels are not the frame's).
   */
  async video(name) {
    const [img] = await loadImages([name]);
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const recorder = new MediaRecorder(canvas.captureStream(30), { mimeType: 'video/webm;codecs=vp8' });
    const chunks = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    const stopped = new Promise((resolve) => (recorder.onstop = resolve));
    recorder.start();
    for (let i = 0; i < 15; i += 1) {
      ctx.drawImage(img, 0, 0);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    recorder.stop();
    await stopped;
    const video = document.createElement('video');
    video.muted = true;
    video.src = URL.createObjectURL(new Blob(chunks, { type: 'video/webm' }));
    await new Promise((resolve, reject) => {
      video.onloadeddata = resolve;
      video.onerror = () => reject(new Error(`the recorded video does not play: ${video.error && video.error.message}`));
    });
    video.pause();
    const backbone = await loadMobileNet();
    const before = tf.memory().numTensors;
    const e = plain(await backbone.embed([video], { as: 'array' }));
    const after = tf.memory().numTensors;
    const read = document.createElement('canvas');
    read.width = video.videoWidth;
    read.height = video.videoHeight;
    read.getContext('2d').drawImage(video, 0, 0);
    const pixels = Array.from(read.getContext('2d').getImageData(0, 0, read.width, read.height).data);
    return { e, pixels, width: read.width, height: read.height, bytes: chunks.reduce((a, c) => a + c.size, 0), before, after };
  },
  async cached(names) {
    const backbone = await loadMobileNet();
    const { imageData } = await imageForms(names);
    const lookups = [];
    const cache = dvme.EmbeddingCache.open({ dir: 'suite' });
    const e = plain(await backbone.embed(imageData, { as: 'array', cache, onCacheLookup: (l) => lookups.push({ hits: l.hits, images: l.images }) }));
    return { e, lookups };
  },
  async probe(x, y, test) {
    const before = tf.memory().numTensors;
    const probe = await new dvme.Probe({ task: 'binary', solver: 'lbfgs' }).fit(x, y);
    const proba = Array.from(probe.predictProba(test));
    probe.dispose();
    return { proba, before, after: tf.memory().numTensors };
  },
};
window.__dvme = { ready: true };
