import { CheckpointFormatError } from '../errors/index.js';
import { keyString } from '../validation/describe-value.js';
import { isRawTensor, type RawTensor } from './raw-tensor.js';

/**
 * Real checkpoints hold at most tens of thousands of tensors and containers, a few levels deep;
 * past these limits the structure is hostile (a pickle can share one list 40 levels down to
 * describe 2^40 paths in a few hundred bytes).
 */
const MAX_DEPTH = 256;
const MAX_NODES = 250_000;
/**
 * The longest real parameter names are a few hundred characters. Shared containers with long
 * keys make every path long, and building, hashing and matching them costs their length: the
 * budget on all paths together bounds that work, whatever the count.
 */
const MAX_PATH_CHARS = 1024;
const MAX_TOTAL_PATH_CHARS = 2 ** 26;

/**
 * Walks dicts (`Map`s), plain objects and arrays below `root` and collects every tensor under
 * its dotted path, the way `state_dict()` names parameters.
 *
 * @param root - a checkpoint's `root`, from {@link readCheckpoint}.
 * @param prefix - a dotted path to start from (`'teacher'`,
 * `'classy_state_dict.base_model.model.trunk'`); it is not part of the returned keys. Leave it
 * out to walk everything.
 * @returns tensors keyed by path, in file order. Strip wrappers such as `module.` from the keys
 * as your backbone needs.
 * @throws {@link CheckpointFormatError} when `prefix` does not name a container, or the
 * structure is deeper than 256 levels, has more than 250 000 containers and tensors, a key path
 * longer than 1024 characters, or key paths of more than 2^26 characters in all (a hostile file).
 *
 * @remarks Since 0.1.0. A container reached again through its own descendants (a cycle) is
 * skipped there.
 * @example
 * ```ts
 * import { flattenTensors, readCheckpoint } from 'dvme';
 * declare const bytes: Uint8Array;
 * const { root } = await readCheckpoint(bytes);
 * const trunk = flattenTensors(root, 'classy_state_dict.base_model.model.trunk');
 * trunk.has('_feature_blocks.conv1.weight'); // true for a VISSL ResNet-50
 * ```
 */
export function flattenTensors(root: unknown, prefix?: string): Map<string, RawTensor> {
  let start = root;
  for (const part of prefix ? prefix.split('.') : []) {
    const child = childrenOf(start)?.find(([k]) => k === part);
    if (child === undefined) {
      throw new CheckpointFormatError(
        `flattenTensors: prefix "${prefix}" does not lead to a dict in the checkpoint (no "${part}" ` +
          `there; keys seen: ${(childrenOf(start) ?? []).slice(0, 10).map(([k]) => k).join(', ') || 'none'}). ` +
          'Check the checkpoint layout and pass an existing path.',
      );
    }
    start = child[1];
  }
  const out = new Map<string, RawTensor>();
  const ancestors = new Set<object>();
  let nodes = 0;
  let pathChars = 0;
  const walk = (value: unknown, path: string): void => {
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return;
    if (++nodes > MAX_NODES || ancestors.size >= MAX_DEPTH) {
      throw new CheckpointFormatError(
        `flattenTensors: the checkpoint nests containers deeper than ${MAX_DEPTH} levels or holds ` +
          `more than ${MAX_NODES} containers and tensors; no model checkpoint does. The file is ` +
          'hostile or damaged, or pass a prefix that leads to the weights alone.',
      );
    }
    pathChars += path.length;
    if (path.length > MAX_PATH_CHARS || pathChars > MAX_TOTAL_PATH_CHARS) {
      throw new CheckpointFormatError(
        path.length > MAX_PATH_CHARS
          ? `flattenTensors: the checkpoint has a key path of ${path.length} characters ` +
              `("${path.slice(0, 60)}..."), more than the ${MAX_PATH_CHARS} characters allowed; parameter names ` +
              'are far shorter. The file is hostile or damaged, or pass a prefix that leads to the weights alone.'
          : `flattenTensors: the checkpoint's key paths add up to more than ${MAX_TOTAL_PATH_CHARS} characters ` +
              `(after ${nodes} containers and tensors); shared containers with long keys make a hostile file ` +
              'look huge. Pass a prefix that leads to the weights alone, or use a trusted file.',
      );
    }
    if (isRawTensor(value)) {
      out.set(path, value);
      return;
    }
    if (ancestors.has(value)) return;
    ancestors.add(value);
    const visit = (key: string, child: unknown): void => walk(child, path === '' ? key : `${path}.${key}`);
    if (value instanceof Map) for (const [k, v] of value) visit(keyString(k), v);
    else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) visit(String(i), value[i]);
    else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) visit(k, v);
    ancestors.delete(value);
  };
  walk(start, '');
  return out;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === null || proto === Object.prototype;
}

/** Keyed children of a container, or `undefined` for a leaf. */
function childrenOf(value: unknown): [string, unknown][] | undefined {
  if (value instanceof Map) return [...value].map(([k, v]): [string, unknown] => [keyString(k), v]);
  if (Array.isArray(value)) return value.map((v, i): [string, unknown] => [String(i), v]);
  if (typeof value !== 'object' || value === null || !isPlainObject(value)) return undefined;
  return Object.entries(value);
}
