/**
 * The demo page: images -> backbone embeddings (this thread, with a progress bar) -> a linear
 * probe and a DVME trained in a Web Worker -> metrics and charts. `window.__demo` exposes the
 * state for the browser test (test/browser/demo.test.ts).
 */
import { type Backbone as BackboneType, Backbone, initBackend, type BackendInfo } from 'dvme/browser';
import { type Dataset, loadFiles, loadSample, THUMB } from './data.js';
import type { Matrix, TrainRequest, WorkerMessage } from './protocol.js';
import { type ModelSummary, showResults } from './results.js';

interface DemoState {
  state: 'loading' | 'ready' | 'embedding' | 'embedded' | 'training' | 'done' | 'error';
  error?: string;
  backend?: BackendInfo['backend'];
  embedding?: { images: number; seconds: number; imagesPerSecond: number };
  heartbeat?: { ticks: number; maxGapMs: number; p95GapMs: number; trainingMs: number; thread: 'worker' | 'page' };
  results?: ModelSummary[];
  workerTensors?: { before: number; after: number };
}
const demo: DemoState = { state: 'loading' };
(window as unknown as { __demo: DemoState }).__demo = demo;

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;
const params = new URLSearchParams(location.search);
const base = document.baseURI;

// Presets: the shared nsfwjs Keras applications (pixel / 255, pooled features), run at a small
// input size (MedMNIST images are 28 px; 96 px keeps every detail and is ~5x faster than 224).
const PRESETS = {
  mobilenet_v2: { url: 'models/mobilenet_v2_nsfwjs/model.json', inputSize: 96, name: 'MobileNetV2' },
  inception_v3: { url: 'models/inception_v3_nsfwjs/model.json', inputSize: 75, name: 'InceptionV3' },
} as const;
type PresetName = keyof typeof PRESETS;

let data: Dataset | undefined;
let embeddings: { backbone: string; matrix: Matrix } | undefined;

function fail(where: string, e: unknown): void {
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  demo.state = 'error';
  demo.error = message;
  const el = $(where);
  el.textContent = message;
  el.classList.add('error');
  console.error(e);
}

function setStatus(selector: string, text: string): void {
  const el = $(selector);
  el.textContent = text;
  el.classList.remove('error');
}

// ---- 1. images ----------------------------------------------------------------------------

function showData(d: Dataset): void {
  data = d;
  embeddings = undefined;
  const counts = d.classes.map((_, c) => d.labels.filter((l) => l === c).length);
  const nTrain = d.split.filter((s) => s === 'train').length;
  setStatus(
    '#data-summary',
    `${d.name}: ${d.labels.length} images, ${d.classes.length} classes (${counts.join(' / ')}), ${nTrain} to train and ${d.labels.length - nTrain} to test.`,
  );
  const gallery = $('#gallery');
  gallery.replaceChildren(
    ...d.thumbs.slice(0, 48).map((t, i) => {
      const c = document.createElement('canvas');
      c.width = t.width;
      c.height = t.height;
      c.getContext('2d')!.putImageData(t, 0, 0);
      c.title = `${d.classes[d.labels[i] as number]} (${d.split[i]})`;
      return c;
    }),
  );
  $('#credit').textContent = d.credit ?? '';
  ($('#embed') as HTMLButtonElement).disabled = false;
  ($('#train') as HTMLButtonElement).disabled = true;
  $('#step-results').hidden = true;
  setStatus('#embed-status', 'Not started');
  ($('#embed-progress') as HTMLProgressElement).value = 0;
  demo.state = 'ready';
}

async function useSample(): Promise<void> {
  setStatus('#data-summary', 'Loading the sample…');
  try {
    showData(await loadSample(base));
  } catch (e) {
    fail('#data-summary', e);
  }
}

async function useFiles(files: File[]): Promise<void> {
  setStatus('#data-summary', `Reading ${files.length} files…`);
  try {
    showData(await loadFiles(files));
  } catch (e) {
    fail('#data-summary', e);
  }
}

const drop = $('#drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  void useFiles(Array.from(e.dataTransfer?.files ?? []));
});
$('#files').addEventListener('change', (e) => void useFiles(Array.from((e.target as HTMLInputElement).files ?? [])));
$('#use-sample').addEventListener('click', () => void useSample());

// ---- 2. backbone and embedding --------------------------------------------------------------

const backboneSelect = $<HTMLSelectElement>('#backbone');
const modelUrl = $<HTMLInputElement>('#model-url');
const inputSize = $<HTMLInputElement>('#input-size');
const backendSelect = $<HTMLSelectElement>('#backend');

function applyPreset(name: PresetName): void {
  modelUrl.value = new URL(PRESETS[name].url, base).href;
  inputSize.value = String(PRESETS[name].inputSize);
}
backboneSelect.addEventListener('change', () => applyPreset(backboneSelect.value as PresetName));
backboneSelect.value = params.get('backbone') ?? 'mobilenet_v2';
applyPreset(backboneSelect.value as PresetName);
if (params.get('model')) modelUrl.value = new URL(params.get('model')!, base).href;
backendSelect.value = params.get('backend') ?? 'wasm';
// initBackend settles once per page: another backend needs a fresh page.
backendSelect.addEventListener('change', () => {
  if (demo.backend) {
    const next = new URL(location.href);
    next.searchParams.set('backend', backendSelect.value);
    location.href = next.href;
  }
});

const wasmPaths = new URL('wasm/', base).href;
async function startBackend(): Promise<BackendInfo> {
  const all = {
    webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
    webgl: () => import('@tensorflow/tfjs-backend-webgl'),
    wasm: () => import('@tensorflow/tfjs-backend-wasm'),
  };
  const choice = backendSelect.value;
  const backends = choice === 'auto' ? all : choice === 'webgl' ? { webgl: all.webgl } : { wasm: all.wasm };
  const info = await initBackend({ backends, wasmPaths });
  demo.backend = info.backend;
  // Why the better backends were passed over matters only when the page was free to pick.
  const skipped = choice === 'auto' ? info.skipped.map((s) => s.backend).join(', ') : '';
  setStatus('#backend-info', `tfjs backend: ${info.backend}${skipped ? ` (not available: ${skipped}; hover for why)` : ''}`);
  $('#backend-info').title = info.skipped.map((s) => `${s.backend}: ${s.reason}`).join('\n');
  return info;
}

let loaded: { key: string; backbone: BackboneType } | undefined;
async function loadBackbone(): Promise<BackboneType> {
  const key = `${modelUrl.value}@${inputSize.value}`;
  if (loaded?.key === key) return loaded.backbone;
  loaded?.backbone.dispose();
  const size = Number(inputSize.value);
  const backbone = await Backbone.fromTfjs(modelUrl.value, {
    embeddingLayer: 'flatten_1',
    mean: [0, 0, 0],
    std: [1, 1, 1],
    inputSize: size,
    adaptInputSize: true,
    onProgress: (f) => setStatus('#embed-status', `Loading the model… ${Math.round(100 * f)}%`),
  });
  loaded = { key, backbone };
  return backbone;
}

async function embedAll(): Promise<void> {
  if (!data) return;
  const button = $<HTMLButtonElement>('#embed');
  button.disabled = true;
  ($('#train') as HTMLButtonElement).disabled = true;
  demo.state = 'embedding';
  const bar = $<HTMLProgressElement>('#embed-progress');
  bar.value = 0;
  try {
    await startBackend();
    const backbone = await loadBackbone();
    const total = data.images.length;
    const start = performance.now();
    const e = await backbone.embed(data.images as ImageData[], {
      as: 'array',
      batchSize: 16,
      onProgress: (done) => {
        bar.value = done / total;
        const seconds = (performance.now() - start) / 1000;
        setStatus('#embed-status', `${done} / ${total} images · ${(done / seconds).toFixed(1)} images/s`);
      },
    });
    const seconds = (performance.now() - start) / 1000;
    embeddings = { backbone: PRESETS[backboneSelect.value as PresetName]?.name ?? 'backbone', matrix: { data: e.data, shape: [e.shape[0], e.shape[1]] } };
    demo.embedding = { images: total, seconds, imagesPerSecond: total / seconds };
    bar.value = 1;
    setStatus('#embed-status', `${total} images embedded in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(1)} images/s, ${e.shape[1]} features each)`);
    demo.state = 'embedded';
    ($('#train') as HTMLButtonElement).disabled = false;
    setStatus('#train-status', 'Ready');
  } catch (e) {
    fail('#embed-status', e);
  } finally {
    button.disabled = false;
  }
}
$('#embed').addEventListener('click', () => void embedAll());

// ---- 3. training in a worker ------------------------------------------------------------------

/** Rows of `m` where `keep` is true. */
function rows(m: Matrix, keep: readonly boolean[]): Matrix {
  const [n, d] = m.shape;
  const picked = keep.flatMap((k, i) => (k && i < n ? [i] : []));
  const out = new Float32Array(picked.length * d);
  picked.forEach((r, i) => out.set(m.data.subarray(r * d, (r + 1) * d), i * d));
  return { data: out, shape: [picked.length, d] };
}

/** The thumbnails' RGB values in [0, 1]: the DVME's second source. */
function pixels(d: Dataset): Matrix {
  const width = THUMB * THUMB * 3;
  const out = new Float32Array(d.thumbs.length * width);
  d.thumbs.forEach((t, i) => {
    for (let p = 0; p < THUMB * THUMB; p += 1) for (let c = 0; c < 3; c += 1) out[i * width + p * 3 + c] = (t.data[p * 4 + c] as number) / 255;
  });
  return { data: out, shape: [d.thumbs.length, width] };
}

/** Counts timer ticks on this thread while `work` runs: long gaps mean a frozen page. */
function heartbeat(): { stop(): { ticks: number; maxGapMs: number; p95GapMs: number } } {
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  let running = true;
  const gaps: number[] = [];
  const beat = () => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    gaps.push(now - last);
    last = now;
    ticks += 1;
    if (ticks % 10 === 0) setStatus('#heartbeat', `Longest pause of this page so far: ${maxGap.toFixed(0)} ms`);
    if (running) setTimeout(beat, 10);
  };
  setTimeout(beat, 10);
  return {
    stop: () => {
      running = false;
      const sorted = [...gaps].sort((a, b) => a - b);
      return { ticks, maxGapMs: maxGap, p95GapMs: sorted[Math.floor(0.95 * (sorted.length - 1))] ?? 0 };
    },
  };
}

async function train(): Promise<void> {
  if (!data || !embeddings) return;
  const button = $<HTMLButtonElement>('#train');
  button.disabled = true;
  ($('#embed') as HTMLButtonElement).disabled = true;
  demo.state = 'training';
  const bar = $<HTMLProgressElement>('#train-progress');
  bar.value = 0;
  const isTrain = data.split.map((s) => s === 'train');
  const isTest = data.split.map((s) => s === 'test');
  const name = embeddings.backbone.toLowerCase();
  const all = { [name]: embeddings.matrix, pixels: pixels(data) };
  const request: TrainRequest = {
    type: 'train',
    wasmPaths,
    train: Object.fromEntries(Object.entries(all).map(([k, m]) => [k, rows(m, isTrain)])),
    test: Object.fromEntries(Object.entries(all).map(([k, m]) => [k, rows(m, isTest)])),
    yTrain: data.labels.filter((_, i) => isTrain[i]),
    numClasses: data.classes.length,
    probeSource: name,
  };
  // ?trainOn=page trains on this thread instead, for comparison (the test does).
  const onPage = params.get('trainOn') === 'page';
  const worker = onPage ? undefined : new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
  const start = performance.now();
  const beat = heartbeat();
  const dataset = data;
  const backboneName = embeddings.backbone;
  try {
    const done = await new Promise<Extract<WorkerMessage, { type: 'done' }>>((resolve, reject) => {
      const receive = (m: WorkerMessage) => {
        if (m.type === 'stage') setStatus('#train-status', m.text);
        else if (m.type === 'epoch') {
          bar.value = m.epoch / m.maxEpochs;
          setStatus('#train-status', `DVME: epoch ${m.epoch} (at most ${m.maxEpochs}) · training loss ${m.loss.toFixed(3)}`);
        } else if (m.type === 'error') reject(Object.assign(new Error(m.message), { name: m.name }));
        else resolve(m);
      };
      if (worker) {
        worker.onerror = (e) => reject(new Error(`The training worker failed: ${e.message}`));
        worker.onmessage = (event: MessageEvent<WorkerMessage>) => receive(event.data);
        const transfer = [...Object.values(request.train), ...Object.values(request.test)].map((m) => m.data.buffer);
        worker.postMessage(request, transfer);
      } else {
        import('./train-worker.js').then(({ train: fit }) => fit(request, receive)).catch(reject);
      }
    });
    const trainingMs = performance.now() - start;
    demo.heartbeat = { ...beat.stop(), trainingMs, thread: onPage ? 'page' : 'worker' };
    bar.value = 1;
    setStatus('#train-status', `Done in ${(trainingMs / 1000).toFixed(1)} s: probe ${done.probe.seconds.toFixed(1)} s, DVME ${done.dvme.seconds.toFixed(1)} s (${done.dvme.history.length} epochs)`);
    setStatus('#heartbeat', `While training${onPage ? ' on this page' : ''}, this page's longest pause was ${demo.heartbeat.maxGapMs.toFixed(0)} ms`);
    demo.workerTensors = done.tensors;
    $('#step-results').hidden = false;
    demo.results = showResults(dataset, done, backboneName);
    demo.state = 'done';
  } catch (e) {
    beat.stop();
    fail('#train-status', e);
  } finally {
    worker?.terminate();
    button.disabled = false;
    ($('#embed') as HTMLButtonElement).disabled = false;
  }
}
$('#train').addEventListener('click', () => void train());

void useSample();
