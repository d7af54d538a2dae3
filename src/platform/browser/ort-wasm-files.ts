import { BackendUnavailableError } from '../../errors/index.js';
import { pageBase, probe } from './wasm-files.js';

/** The binary the default import of onnxruntime-web (with WebGPU, "JSEP") fetches. */
const ORT_WASM = 'ort-wasm-simd-threaded.jsep.wasm';

function firstLine(e: unknown): string {
  return e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
}

/**
 * @internal Why onnxruntime-web could not create a session when its wasm backend did not
 * start (it says "no available backend found" and names no file): the URL of the `.wasm` file
 * it was pointed at and whether that answers, and how to fix it. `undefined` for other
 * failures, which are the model's.
 */
export async function explainOrtStartFailure(error: unknown, ort: unknown): Promise<Error | undefined> {
  const text = firstLine(error);
  if (!/no available backend|\.wasm|wasm.*(fetch|instantiat|abort)|failed to fetch/i.test(text)) return undefined;
  const paths = (ort as { env?: { wasm?: { wasmPaths?: unknown } } } | undefined)?.env?.wasm?.wasmPaths;
  const base = pageBase();
  let url: string | undefined;
  try {
    if (typeof paths === 'string') url = new URL(ORT_WASM, new URL(paths, base)).href;
    else if (typeof (paths as { wasm?: unknown } | undefined)?.wasm === 'string') url = new URL((paths as { wasm: string }).wasm, base).href;
  } catch {
    url = undefined;
  }
  const failure = url === undefined ? undefined : await probe(url);
  const where =
    url === undefined
      ? `It fetches ${ORT_WASM} (and its .mjs) from next to its own script unless ort.env.wasm.wasmPaths says where.`
      : failure === undefined
        ? `${url} answers, so the file may be from another onnxruntime-web version or blocked (see the console).`
        : `HEAD ${url}: ${failure}.`;
  return new BackendUnavailableError(
    `onnxruntime-web is installed, but its WebAssembly backend could not start (${text}). ${where} ` +
      `Serve node_modules/onnxruntime-web/dist/${ORT_WASM.replace('.wasm', '.{wasm,mjs}')} next to your bundle, ` +
      "or say where they are: initBackend({ wasmPaths: 'https://your.host/wasm/' }).",
    { cause: error },
  );
}
