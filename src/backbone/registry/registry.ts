import { InvalidArgumentError, UnknownBackboneError } from '../../errors/index.js';
import { closeNames, quoteList } from '../close-names.js';
import { ENTRIES } from './entries.js';
import type { BackboneEntry } from './entry.js';

/**
 * Which entries {@link listBackbones} returns: every given field must match.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { listBackbones, type BackboneFilter } from 'dvme';
 * const selfSupervisedResNets: BackboneFilter = { tag: 'self-supervised', name: 'resnet50.*' };
 * listBackbones(selfSupervisedResNets).length; // 4
 * ```
 */
export interface BackboneFilter {
  /** A name pattern: `*` matches any run of characters, `?` one (`'resnet50.*'`, `'*dino*'`). */
  readonly name?: string;
  /** The architecture id (`'resnet50'`, `'vit_small_patch8'`, `'mobilenet_v2'`). */
  readonly arch?: string;
  /** `'torch'` checkpoints or `'tfjs'` models. */
  readonly format?: BackboneEntry['format'];
  /** An SPDX licence id (`'Apache-2.0'`). */
  readonly license?: string;
  /** A tag: `'paper'`, `'supervised'`, `'self-supervised'`. */
  readonly tag?: string;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Sorted by name, so that listings and "did you mean" suggestions are stable. */
const REGISTRY: readonly BackboneEntry[] = deepFreeze([...ENTRIES].sort((a, b) => (a.name < b.name ? -1 : 1)));
const BY_NAME: ReadonlyMap<string, BackboneEntry> = new Map(REGISTRY.map((e) => [e.name, e]));

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/**
 * The registered backbones, sorted by name, optionally filtered (timm's `list_models`).
 *
 * @param filter - a name pattern (`'resnet50.*'`, `'*dino*'`) or a {@link BackboneFilter}.
 * @returns frozen entries (a frozen array).
 * @throws {@link InvalidArgumentError} for a filter that is neither a string nor an object.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { listBackbones } from 'dvme';
 * listBackbones('*dino*').map((e) => e.name);
 * // ['vit_base_patch16_224.dino', 'vit_base_patch8_224.dino', 'vit_small_patch16_224.dino', 'vit_small_patch8_224.dino']
 * listBackbones({ tag: 'paper' }).length; // 4: the DVME paper's backbones
 * ```
 */
export function listBackbones(filter?: string | BackboneFilter): readonly BackboneEntry[] {
  if (filter === undefined) return REGISTRY;
  const f: BackboneFilter = typeof filter === 'string' ? { name: filter } : filter;
  if (typeof f !== 'object' || f === null) {
    throw new InvalidArgumentError(
      `listBackbones: filter must be a name pattern or { name, arch, format, license, tag }; received ${JSON.stringify(filter)}.`,
    );
  }
  const name = f.name === undefined ? undefined : globToRegExp(f.name);
  return Object.freeze(
    REGISTRY.filter(
      (e) =>
        (name === undefined || name.test(e.name)) &&
        (f.arch === undefined || e.arch === f.arch) &&
        (f.format === undefined || e.format === f.format) &&
        (f.license === undefined || e.license === f.license) &&
        (f.tag === undefined || e.tags.includes(f.tag)),
    ),
  );
}

/**
 * The registry entry of a backbone name.
 *
 * @throws {@link UnknownBackboneError} for a name not in the registry, naming the closest ones.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { getBackboneEntry } from 'dvme';
 * const e = getBackboneEntry('resnet50.swav_800ep');
 * e.license; // 'CC-BY-NC-4.0'
 * e.pretrained.embeddingDim; // 2048
 * ```
 */
export function getBackboneEntry(name: string): BackboneEntry {
  const entry = typeof name === 'string' ? BY_NAME.get(name) : undefined;
  if (!entry) {
    const names = REGISTRY.map((e) => e.name);
    throw new UnknownBackboneError(
      `Unknown backbone ${JSON.stringify(name)}. Did you mean ${quoteList(closeNames(String(name), names, 3))}? ` +
        'listBackbones() lists all; Backbone.fromCheckpoint loads weights that are not registered.',
    );
  }
  return entry;
}
