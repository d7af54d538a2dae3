import { keyString } from '../validation/describe-value.js';
import { isRawTensor } from '../io/raw-tensor.js';
import { DEFAULT_IGNORED_TORCH_KEYS } from './arch/load-weights.js';
// Named in the TSDoc below.
import type { flattenTensors } from '../io/flatten-tensors.js';

/**
 * The families of checkpoint key layouts `Backbone.fromCheckpoint` recognises:
 * - `'plain'`: keys exactly as torchvision / timm name them (torchvision `.pth`, timm
 *   `.safetensors`, DINO `*_pretrain.pth`);
 * - `'ddp'`: every key prefixed `module.` by `DistributedDataParallel`, possibly inside a
 *   `state_dict` wrapper (SwAV `swav_800ep_pretrain.pth.tar` and its training checkpoints);
 * - `'vissl'`: a VISSL trunk, keys prefixed `_feature_blocks.`, under
 *   `classy_state_dict.base_model.model.trunk` (VISSL training / model-zoo `.torch` files), under
 *   `model_state_dict`, or at the root;
 * - `'dino'`: a DINO full checkpoint (`*_full_checkpoint.pth`), weights under `teacher`
 *   (prefixed `backbone.`) and `student` (prefixed `module.backbone.`);
 * - `'wrapped'`: any other path to the weights (`state_dict.`, `model.`, ...).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { KeyLayoutId } from 'dvme';
 * const layout: KeyLayoutId = 'vissl';
 * ```
 */
export type KeyLayoutId = 'plain' | 'ddp' | 'vissl' | 'dino' | 'wrapped';

/**
 * Where a checkpoint keeps a backbone's weights.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { KeyLayout } from 'dvme';
 * const dinoTeacher: KeyLayout = {
 *   id: 'dino', container: 'teacher', keyPrefix: 'backbone.', prefix: 'teacher.backbone.',
 *   description: "DINO full checkpoint (weights under 'teacher', keys prefixed 'backbone.')",
 * };
 * ```
 */
export interface KeyLayout {
  /** The layout family. */
  readonly id: KeyLayoutId;
  /** Dotted path of the dict that holds the weights; `''` for the file's root. */
  readonly container: string;
  /** What every weight's key starts with inside that dict (`'module.'`, `'_feature_blocks.'`); often `''`. */
  readonly keyPrefix: string;
  /** `container` and `keyPrefix` as one prefix of the dotted paths {@link flattenTensors} returns. */
  readonly prefix: string;
  /** One line for people: the family and the path. */
  readonly description: string;
}

/**
 * A detected {@link KeyLayout} and the state dict it yields.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface KeyLayoutMatch<T> extends KeyLayout {
  /** Every entry under `prefix`, with `prefix` removed from its key. */
  readonly stateDict: Map<string, T>;
  /** How many of the expected keys the state dict holds. */
  readonly matched: number;
  /** Other prefixes under which as many expected keys were found (DINO's `student` next to its `teacher`). */
  readonly alternatives: string[];
  /** Entries not under `prefix` (other models, heads of wrappers, optimizer state), left alone. */
  readonly outside: number;
}

/**
 * State-dict keys that a backbone's embedding never uses, so loading skips them without
 * calling them unexpected: BatchNorm's `num_batches_tracked`, and classifier or projection
 * heads: `fc.*` (torchvision), `head.*` (timm, DINO's projection MLP), `heads.*` (VISSL),
 * `projection_head.*` and `prototypes.*` (SwAV).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { CHECKPOINT_HEAD_KEYS } from 'dvme';
 * CHECKPOINT_HEAD_KEYS.some((re) => re.test('prototypes.weight')); // true
 * ```
 */
export const CHECKPOINT_HEAD_KEYS: readonly RegExp[] = Object.freeze([
  ...DEFAULT_IGNORED_TORCH_KEYS,
  /^heads\./,
  /^projection_head\./,
  /^prototypes\./,
]);

/** DINO evaluates the teacher; prefer it when the student matches as well. */
function preference(prefix: string): number {
  if (prefix.startsWith('teacher.')) return 0;
  if (prefix.startsWith('student.')) return 2;
  return 1;
}

/** Every prefix under which some key ends in an expected key, with how many it matched. */
function prefixCounts(keys: Iterable<string>, expected: ReadonlySet<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) {
    // A prefix is a run of whole dotted segments: try the empty one, then up to each dot.
    let at = -1;
    do {
      if (expected.has(key.slice(at + 1))) {
        const prefix = key.slice(0, at + 1);
        counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
      }
      at = key.indexOf('.', at + 1);
    } while (at !== -1);
  }
  return counts;
}

function childOf(node: unknown, name: string): unknown {
  if (node instanceof Map) {
    if (node.has(name)) return node.get(name);
    for (const [k, v] of node) if (keyString(k) === name) return v;
    return undefined;
  }
  if (Array.isArray(node)) return /^\d+$/.test(name) ? node[Number(name)] : undefined;
  if (typeof node === 'object' && node !== null && Object.hasOwn(node, name)) {
    return (node as Record<string, unknown>)[name];
  }
  return undefined;
}

const isContainer = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !isRawTensor(v);

/** Splits a flattened prefix into the dict path that exists in `root` and the key prefix inside it. */
function splitPrefix(prefix: string, root: unknown): { container: string; keyPrefix: string } {
  const segments = prefix === '' ? [] : prefix.slice(0, -1).split('.');
  let node = root;
  let depth = 0;
  while (depth < segments.length) {
    const child = childOf(node, segments[depth]);
    if (!isContainer(child)) break;
    node = child;
    depth++;
  }
  const rest = segments.slice(depth);
  return { container: segments.slice(0, depth).join('.'), keyPrefix: rest.length ? `${rest.join('.')}.` : '' };
}

/** The family of a prefix, and a description of it. */
function classifyPrefix(prefix: string, container: string, keyPrefix: string): Pick<KeyLayout, 'id' | 'description'> {
  const where = `weights under '${container || '(root)'}'${keyPrefix ? `, keys prefixed '${keyPrefix}'` : ''}`;
  const first = prefix.split('.')[0];
  if (prefix === '') return { id: 'plain', description: 'plain state dict (torchvision / timm names)' };
  if (prefix.includes('_feature_blocks.')) return { id: 'vissl', description: `VISSL trunk (${where})` };
  if (first === 'teacher' || first === 'student') return { id: 'dino', description: `DINO full checkpoint (${where})` };
  if (keyPrefix.endsWith('module.') && (container === '' || container === 'state_dict')) {
    return { id: 'ddp', description: `DistributedDataParallel 'module.' prefix, as SwAV saves (${where})` };
  }
  return { id: 'wrapped', description: `wrapped state dict (${where})` };
}

/**
 * Finds where a checkpoint keeps the weights of a model: the prefix (wrapper dicts such as
 * `state_dict` or `teacher`, plus key prefixes such as `module.` or `_feature_blocks.`) under
 * which the most of the model's keys appear, and the state dict under it with the prefix
 * removed, ready for `loadTorchStateDict`.
 *
 * @param tensors - every tensor of the checkpoint under its dotted path, as
 *   {@link flattenTensors} returns them (values are passed through untouched).
 * @param expectedKeys - the keys the model loads (`torchStateDictSpec(model).map((e) => e.key)`).
 * @param root - the checkpoint's root object, used only to tell a wrapper dict (`teacher`) from
 *   a key prefix (`backbone.`) in the report.
 * @returns the best match; `matched` is 0 when no key fits (a checkpoint of another model).
 *   Ties go to DINO's `teacher`, then to the shorter prefix.
 *
 * @remarks Since 0.1.0. Works on key names alone, so a new wrapper needs no code: any layout that
 * only adds a prefix is found.
 * @internal
 */
export function detectKeyLayout<T>(
  tensors: ReadonlyMap<string, T>,
  expectedKeys: Iterable<string>,
  root?: unknown,
): KeyLayoutMatch<T> {
  const counts = prefixCounts(tensors.keys(), new Set(expectedKeys));
  const ranked = [...counts].sort(
    ([a, n], [b, m]) => m - n || preference(a) - preference(b) || a.length - b.length || (a < b ? -1 : a > b ? 1 : 0),
  );
  const [prefix, matched] = ranked[0] ?? ['', 0];
  const stateDict = new Map<string, T>();
  for (const [key, value] of tensors) {
    if (key.startsWith(prefix) && key.length > prefix.length) stateDict.set(key.slice(prefix.length), value);
  }
  const { container, keyPrefix } = splitPrefix(prefix, root);
  return {
    ...classifyPrefix(prefix, container, keyPrefix),
    container,
    keyPrefix,
    prefix,
    stateDict,
    matched,
    alternatives: ranked.slice(1).filter(([, n]) => n === matched && matched > 0).map(([p]) => p),
    outside: tensors.size - stateDict.size,
  };
}

/**
 * @internal What a checkpoint whose keys fit no expected key seems to hold, for the message:
 * the architecture family its keys suggest, if any.
 */
export function guessCheckpointKind(keys: readonly string[]): string | undefined {
  const has = (re: RegExp) => keys.some((k) => re.test(k));
  if (has(/(^|\.)embeddings\.(cls_token|patch_embeddings)/)) {
    return 'a Hugging Face transformers ViT (vit.embeddings.*), which needs timm names: export it with timm';
  }
  if (has(/(^|\.)cls_token$/) || has(/(^|\.)blocks\.\d+\.attn\.qkv\.weight$/)) return 'a ViT (timm / DINO names)';
  if (has(/(^|\.)layer\d\.\d+\.conv\d\.weight$/)) return 'a ResNet (torchvision names)';
  if (has(/(^|\.)_feature_blocks\./)) return 'a VISSL trunk of another architecture';
  return undefined;
}
