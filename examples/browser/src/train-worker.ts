/**
 * The demo's training worker: fits a linear probe and a DVME on embeddings the page sends,
 * off the page's thread, and posts progress per epoch and the test set's probabilities.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DynamicVisualMetaEmbedding, initBackend, Probe } from 'dvme/browser';
import type { DoneMessage, TrainRequest, WorkerMessage } from './protocol.js';

type Post = (m: WorkerMessage, transfer?: Transferable[]) => void;

/** Fits both models and posts the results; the worker runs it, and the page too with ?trainOn=page (to compare). */
export async function train(request: TrainRequest, post: Post): Promise<void> {
  const info = await initBackend({ backends: { wasm: () => import('@tensorflow/tfjs-backend-wasm') }, wasmPaths: request.wasmPaths });
  const before = tf.memory().numTensors;
  const classes = Array.from({ length: request.numClasses }, (_, i) => i);

  post({ type: 'stage', text: 'Fitting the linear probe (L-BFGS)…' });
  let start = performance.now();
  const probe = await new Probe({ task: 'multiclass', solver: 'lbfgs', classes }).fit(request.train[request.probeSource]!, request.yTrain);
  // Own copies: predictProba's rows may share one buffer, and each row is transferred.
  const probeProba = probe.predictProba(request.test[request.probeSource]!).map((r) => r.slice());
  const probeSeconds = (performance.now() - start) / 1000;
  probe.dispose();

  const sources = Object.keys(request.train);
  const maxEpochs = 40;
  post({ type: 'stage', text: 'Fitting the DVME…' });
  start = performance.now();
  // Source tokens: one token per source, so the attention map reads as "who attends to whom".
  const dvme = new DynamicVisualMetaEmbedding({
    sources: Object.fromEntries(sources.map((s) => [s, request.train[s]!.shape[1]])),
    task: 'multiclass',
    classes,
    tokens: 'source',
    projectionDim: 64,
    heads: 4,
    seed: 1,
    minEpochs: 15,
    maxEpochs,
  });
  const history: DoneMessage['dvme']['history'] = [];
  await dvme.fit(request.train, request.yTrain, {
    onEpoch: (log) => {
      history.push({ epoch: log.epoch, loss: log.loss, value: log.value, improved: log.improved });
      post({ type: 'epoch', model: 'dvme', epoch: log.epoch, maxEpochs, loss: log.loss });
    },
  });
  const dvmeProba = dvme.predictProba(request.test).map((r) => r.slice());
  const attention = dvme.attentionMap(request.test);
  const provenance = dvme.provenance;
  const dvmeSeconds = (performance.now() - start) / 1000;
  dvme.dispose();

  const done: DoneMessage = {
    type: 'done',
    backend: info.backend,
    probe: { proba: probeProba, seconds: probeSeconds },
    dvme: {
      proba: dvmeProba,
      seconds: dvmeSeconds,
      attention,
      sources,
      history,
      bestEpoch: provenance?.training.bestEpoch ?? 0,
    },
    tensors: { before, after: tf.memory().numTensors },
  };
  post(done, [...probeProba, ...dvmeProba].map((r) => r.buffer));
}

// In a worker (not when the page imports this module for ?trainOn=page).
if (typeof document === 'undefined') {
  const post: Post = (m, transfer = []) => (self as unknown as Worker).postMessage(m, transfer);
  self.onmessage = (event: MessageEvent<TrainRequest>) => {
    train(event.data, post).catch((e: unknown) => {
      const error = e instanceof Error ? e : new Error(String(e));
      post({ type: 'error', name: error.name, message: error.message });
    });
  };
}
