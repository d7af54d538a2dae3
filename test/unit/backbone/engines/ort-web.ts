/**
 * onnxruntime-web for the engine tests, run on its wasm execution provider in Node (a
 * devDependency; in Node it loads `dist/ort.node.min.mjs`, which finds its `.wasm` next to
 * itself, so no `wasmPaths` is needed). Tests that need it skip, saying why, where it is missing.
 */
import { GraphBuilder } from '../../../../src/backbone/engines/onnx/graph-builder.js';
import { encodeOnnxModel } from '../../../../src/backbone/engines/onnx/onnx-model.js';
import { describeImportFailure, type OnnxRuntimeProvider } from '../../../../src/backbone/engines/onnx-runtime.js';

async function loadWeb() {
  const ort = await import('onnxruntime-web');
  // Node runs onnxruntime-web's wasm single-threaded (its README); say so rather than let it probe.
  ort.env.wasm.numThreads = 1;
  return ort;
}

/** The module, or why it cannot run: importing it is not enough, its wasm must instantiate too. */
async function probe(): Promise<{ ort?: Awaited<ReturnType<typeof loadWeb>>; missing: string }> {
  try {
    const ort = await loadWeb();
    // Creating a session on a one-node graph instantiates the wasm.
    const g = new GraphBuilder('probe');
    g.output(g.op('Identity', [g.input('x', 'float32', [1])]), 'float32', [1]);
    const model = encodeOnnxModel({ irVersion: 8, opsets: [{ domain: '', version: 13 }], producer: 'test', graph: g.build() });
    await (await ort.InferenceSession.create(model)).release();
    return { ort, missing: '' };
  } catch (e) {
    return { missing: describeImportFailure('onnxruntime-web', e) };
  }
}
const loaded = await probe();

export const webOrt = loaded.ort;

/** Why the onnxruntime-web tests are skipped, for the test names; empty when they run. */
export const WEB_MISSING = webOrt ? '' : ` [skipped: ${loaded.missing}]`;

export const webProvider: OnnxRuntimeProvider = { package: 'onnxruntime-web', load: loadWeb };
