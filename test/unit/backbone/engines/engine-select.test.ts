import { describe, expect, it, vi } from 'vitest';
import { decideEngine, probeEngines, selectEngine, type EngineAvailability } from '../../../../src/backbone/engines/engine-select.js';
import { loadOnnxRuntime, registerOnnxRuntime, registeredOnnxRuntime } from '../../../../src/backbone/engines/onnx-runtime.js';
import { BackendUnavailableError, InvalidArgumentError } from '../../../../src/errors/index.js';

const notFound = (pkg: string) => Object.assign(new Error(`Cannot find package '${pkg}' imported from /app/x.js`), { code: 'ERR_MODULE_NOT_FOUND' });
const fakeOrt = { InferenceSession: { create: async () => ({}) }, Tensor: class {}, env: { versions: { node: '9.9.9' } } };

describe('decideEngine (pure)', () => {
  const av = (tfjsNative: boolean, onnx: boolean): EngineAvailability => ({ tfjsNative, onnx, reasons: onnx ? [] : ['onnxruntime-node is not installed (npm install onnxruntime-node)'] });

  it("'auto' prefers native tfjs, then onnxruntime, then tfjs on wasm", () => {
    expect(decideEngine('auto', av(true, true)).engine).toBe('tfjs');
    expect(decideEngine('auto', av(true, false)).engine).toBe('tfjs');
    expect(decideEngine('auto', av(false, true))).toEqual({ engine: 'onnx', reason: 'onnxruntime is installed and tfjs-node is not' });
    const fallback = decideEngine('auto', av(false, false));
    expect(fallback.engine).toBe('tfjs');
    expect(fallback.reason).toMatch(/tfjs runs on wasm.*npm install onnxruntime-node/);
  });

  it("'tfjs' and 'onnx' are obeyed; 'onnx' without onnxruntime throws with the install command", () => {
    for (const [t, o] of [[true, true], [false, true], [true, false], [false, false]] as const) expect(decideEngine('tfjs', av(t, o)).engine).toBe('tfjs');
    expect(decideEngine('onnx', av(true, true)).engine).toBe('onnx');
    expect(() => decideEngine('onnx', av(true, false))).toThrow(BackendUnavailableError);
    expect(() => decideEngine('onnx', av(true, false))).toThrow(/npm install onnxruntime-node/);
  });

  it('rejects an unknown choice', () => {
    expect(() => decideEngine('gpu' as never, av(true, true))).toThrow(InvalidArgumentError);
    expect(() => decideEngine('gpu' as never, av(true, true))).toThrow(/'auto', 'tfjs', 'onnx'; received "gpu"/);
  });
});

describe('probeEngines / selectEngine with fake loaders', () => {
  it('reports what loads and why the rest does not', async () => {
    const available = await probeEngines({
      tfjsNative: () => Promise.reject(notFound('@tensorflow/tfjs-node')),
      onnx: { package: 'onnxruntime-node', load: async () => fakeOrt },
    });
    expect(available).toEqual({ tfjsNative: false, onnx: true, reasons: ['@tensorflow/tfjs-node is not installed (npm install @tensorflow/tfjs-node)'] });
    const broken = await probeEngines({ tfjsNative: async () => true, onnx: { package: 'onnxruntime-node', load: () => Promise.reject(new Error('libonnxruntime.so.1: cannot open shared object file')) } });
    expect(broken.tfjsNative).toBe(true);
    expect(broken.reasons).toEqual(['onnxruntime-node is installed but failed to load: libonnxruntime.so.1: cannot open shared object file']);
    expect((await probeEngines({})).reasons).toEqual(['no onnxruntime provider is registered']);
  });

  it("selects onnx for 'auto' when only onnxruntime loads, and never probes for 'tfjs'", async () => {
    const load = vi.fn(async () => fakeOrt);
    const auto = await selectEngine('auto', { tfjsNative: async () => false, onnx: { package: 'onnxruntime-web', load } });
    expect(auto.engine).toBe('onnx');
    expect(load).toHaveBeenCalledTimes(1);
    const tfjs = await selectEngine('tfjs', { tfjsNative: async () => false, onnx: { package: 'onnxruntime-web', load } });
    expect(tfjs.engine).toBe('tfjs');
    expect(load).toHaveBeenCalledTimes(1);
    await expect(selectEngine('onnx', { onnx: { package: 'onnxruntime-node', load: () => Promise.reject(notFound('onnxruntime-node')) } })).rejects.toThrow(
      /engine: 'onnx' needs onnxruntime: onnxruntime-node is not installed \(npm install onnxruntime-node; on Linux x64 add --onnxruntime-node-install=skip to skip its CUDA download\)/,
    );
    const web = await probeEngines({ onnx: { package: 'onnxruntime-web', load: () => Promise.reject(notFound('onnxruntime-web')) } });
    expect(web.reasons).toEqual(['onnxruntime-web is not installed (npm install onnxruntime-web)']);
  });
});

describe('loadOnnxRuntime', () => {
  it('throws BackendUnavailableError with the install command when the package is missing, and retries after', async () => {
    let installed = false;
    const provider = { package: 'onnxruntime-node', load: async () => (installed ? { default: fakeOrt } : Promise.reject(notFound('onnxruntime-node'))) };
    const e = await loadOnnxRuntime(provider).catch((x: unknown) => x);
    expect(BackendUnavailableError.is(e)).toBe(true);
    expect((e as Error).message).toMatch(/npm install onnxruntime-node/);
    installed = true;
    const rt = await loadOnnxRuntime(provider); // CommonJS interop: the API under `default`
    expect(rt.description).toBe('onnxruntime-node 9.9.9');
    expect(await loadOnnxRuntime(provider)).toBe(rt); // imported once
  });

  it('rejects a module that is not onnxruntime, and explains how to register one', async () => {
    await expect(loadOnnxRuntime({ package: 'left-pad', load: async () => ({}) })).rejects.toThrow(/has no InferenceSession\.create/);
    const saved = registeredOnnxRuntime();
    registerOnnxRuntime(undefined);
    await expect(loadOnnxRuntime()).rejects.toThrow(/import from 'dvme\/node'.*registerOnnxRuntime/);
    registerOnnxRuntime(saved);
  });
});
