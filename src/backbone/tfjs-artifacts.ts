import * as tf from '@tensorflow/tfjs-core';
import { CheckpointFormatError, InvalidArgumentError } from '../errors/index.js';
import { currentPlatform, readLocalFile } from '../host/platform.js';
import { concatBytes } from '../io/concat-bytes.js';
import { localPathErrorCode } from '../data/local-path.js';

/**
 * Where a TensorFlow.js model comes from: a local path to `model.json` or to the folder holding
 * it (read through the platform registered by `dvme/node`), an `http(s)://` or `file://` URL, or any
 * `tf.io.IOHandler` (`tf.io.fromMemory`, `tf.io.browserFiles`, ...). Under `dvme/browser`,
 * which has no file system, a string that is not a URL is fetched relative to the page.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { TfjsModelSource } from 'dvme';
 * const local: TfjsModelSource = 'models/mobilenet_v2/model.json';
 * const remote: TfjsModelSource = 'https://example.org/mobilenet_v2/model.json';
 * ```
 */
export type TfjsModelSource = string | tf.io.IOHandler;

/** @internal How artifacts are fetched. */
export interface ArtifactLoadOptions {
  /** Fraction of the files read so far, 0 to 1. */
  readonly onProgress?: (fraction: number) => void;
  /** `fetch` for http(s) sources. */
  readonly fetch?: typeof fetch;
}

const BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

function byteLength(data: tf.io.WeightData | undefined): number {
  if (data === undefined) return 0;
  return Array.isArray(data) ? data.reduce((s, b) => s + b.byteLength, 0) : data.byteLength;
}

/** Catches truncated or mismatched shards here, where the message can say which model. */
function checkWeightBytes(owner: string, where: string, artifacts: tf.io.ModelArtifacts): void {
  const specs = artifacts.weightSpecs ?? [];
  let expected = 0;
  for (const s of specs) {
    const per = BYTES[s.quantization?.dtype ?? s.dtype];
    if (per === undefined) return; // strings have no fixed size
    expected += s.shape.reduce((a, b) => a * b, 1) * per;
  }
  const got = byteLength(artifacts.weightData);
  if (got !== expected) {
    throw new CheckpointFormatError(
      `${owner}: the weight shards of ${where} hold ${got} bytes but its weightsManifest describes ${expected}. ` +
        'A shard is missing, truncated or from another model; download the model again.',
    );
  }
}


function fileUrlToPath(url: string): string {
  const path = decodeURIComponent(new URL(url).pathname);
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path; // file:///C:/x -> C:/x
}

const PATH_FIX = 'Pass the path of a tfjs model.json, or of the folder holding it.';

/** The platform's wrong-path error with the owner and `fix` added; any other error as it is. */
function explained(owner: string, e: unknown, fix: string): unknown {
  if (localPathErrorCode(e) === undefined) return e;
  return new InvalidArgumentError(`${owner}: ${(e as Error).message} ${fix}`, { cause: e });
}

/** Reads model.json at `path`, or inside it when `path` is the model's folder. */
async function readModelJson(owner: string, path: string): Promise<{ bytes: Uint8Array; path: string }> {
  try {
    return { bytes: await readLocalFile(path), path };
  } catch (e) {
    if (localPathErrorCode(e) !== 'EISDIR') throw explained(owner, e, PATH_FIX);
  }
  const inside = `${path.replace(/[\\/]+$/, '')}/model.json`;
  try {
    return { bytes: await readLocalFile(inside), path: inside };
  } catch (e) {
    if (localPathErrorCode(e) !== 'ENOENT') throw explained(owner, e, PATH_FIX);
    throw new InvalidArgumentError(`${owner}: ${JSON.stringify(path)} is a folder without a model.json. ${PATH_FIX}`, { cause: e });
  }
}

async function loadLocal(owner: string, source: string, options: ArtifactLoadOptions): Promise<tf.io.ModelArtifacts> {
  const { bytes, path } = await readModelJson(owner, source);
  const text = new TextDecoder().decode(bytes);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text) as tf.io.ModelJSON;
  } catch (e) {
    throw new CheckpointFormatError(`${owner}: ${path} is not JSON, so not a tfjs model.json.`, { cause: e });
  }
  if (typeof json !== 'object' || json === null || json.modelTopology == null || !Array.isArray(json.weightsManifest)) {
    throw new CheckpointFormatError(
      `${owner}: ${path} has no modelTopology and weightsManifest, so it is not a tfjs model.json ` +
        '(PyTorch checkpoints load through their own loaders).',
    );
  }
  const dir = path.slice(0, Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const files = json.weightsManifest.flatMap((group) => group.paths);
  options.onProgress?.(1 / (files.length + 1));
  return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const shards: Uint8Array[] = [];
    for (const group of manifest) {
      for (const p of group.paths) {
        try {
          shards.push(await readLocalFile(dir + p));
        } catch (e) {
          if (localPathErrorCode(e) === undefined) throw e;
          throw new CheckpointFormatError(
            `${owner}: ${path} lists the weight file ${JSON.stringify(p)}, but ${(e as Error).message} The model folder is incomplete: copy or download it again.`,
            { cause: e },
          );
        }
        options.onProgress?.((shards.length + 1) / (files.length + 1));
      }
    }
    return [manifest.flatMap((group) => group.weights), concatBytes(shards).buffer as ArrayBuffer];
  });
}

/**
 * @internal Model artifacts (topology + weights in memory) from any source, and a name for
 * the model taken from where it came from.
 */
export async function loadTfjsArtifacts(
  owner: string,
  source: TfjsModelSource,
  options: ArtifactLoadOptions,
): Promise<{ artifacts: tf.io.ModelArtifacts; id: string }> {
  let artifacts: tf.io.ModelArtifacts;
  let id: string;
  if (typeof source === 'string') {
    // The folder name identifies a model better than the ever-same "model.json".
    id = source.replace(/[?#].*$/, '').replace(/[/\\]+$/, '').replace(/[/\\]?model\.json$/, '').split(/[/\\]/).pop() || source;
    // A platform without files (the browser's) resolves other strings as URLs relative to the
    // page; with no platform registered, readLocalFile explains that Node needs 'dvme/node'.
    const platform = currentPlatform();
    const viaHttp = /^https?:\/\//i.test(source) || (platform !== undefined && !platform.readFile && !/^file:/i.test(source));
    if (viaHttp) {
      const fetchFunc = options.fetch;
      const http = tf.io.http(source, { onProgress: options.onProgress, ...(fetchFunc ? { fetchFunc } : {}) });
      artifacts = await (http as Required<Pick<tf.io.IOHandler, 'load'>>).load();
    } else {
      const path = /^file:\/\//i.test(source) ? fileUrlToPath(source) : source;
      artifacts = await loadLocal(owner, path, options);
    }
  } else if (typeof source === 'object' && source !== null && typeof source.load === 'function') {
    id = 'tfjs-model';
    artifacts = await (source as Required<Pick<tf.io.IOHandler, 'load'>>).load();
  } else {
    throw new InvalidArgumentError(
      `${owner}: source must be a path or URL to model.json, or a tf.io.IOHandler with load(); ` +
        `received ${source === null ? 'null' : typeof source}.`,
    );
  }
  if (artifacts == null || artifacts.modelTopology == null) {
    throw new CheckpointFormatError(`${owner}: ${id} has no model topology, so it is not a tfjs model.`);
  }
  checkWeightBytes(owner, id, artifacts);
  return { artifacts, id };
}

/** @internal Whether artifacts describe a tfjs-layers model or a converted graph. */
export function tfjsModelKind(owner: string, id: string, artifacts: tf.io.ModelArtifacts): 'layers' | 'graph' {
  if (artifacts.format === 'graph-model') return 'graph';
  if (artifacts.format === 'layers-model') return 'layers';
  const topology = artifacts.modelTopology as Record<string, unknown> | ArrayBuffer;
  if (!(topology instanceof ArrayBuffer)) {
    if (Array.isArray(topology.node)) return 'graph';
    if (topology.model_config !== undefined || topology.class_name !== undefined) return 'layers';
  }
  throw new CheckpointFormatError(
    `${owner}: cannot tell whether ${id} is a LayersModel or a GraphModel: format is ${JSON.stringify(artifacts.format)} ` +
      'and the topology has neither Keras model_config/class_name nor GraphDef nodes.',
  );
}
