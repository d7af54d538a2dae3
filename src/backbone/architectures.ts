import { InvalidArgumentError, UnknownBackboneError } from '../errors/index.js';
import { RESNET50_CONFIG, type ResNetConfig } from './arch/resnet.js';
import { VIT_BASE_CONFIG, VIT_SMALL_CONFIG, type ViTConfig, type ViTEmbedding } from './arch/vit.js';
// Named in the TSDoc below.
import type { buildResNet, buildVisionTransformer } from './arch/index.js';
import type { Backbone } from './backbone.js';
import { closeNames, quoteList } from './close-names.js';
import type { Interpolation } from '../image/preprocess-spec.js';

/**
 * The architectures {@link Backbone.fromCheckpoint} builds by name. The `test_*` entries are the
 * tiny instances of the same code that dvme's parity fixtures use (not DINO's `vit_tiny`, which
 * is 192 wide).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { BackboneArchitectureId } from 'dvme';
 * const arch: BackboneArchitectureId = 'vit_small_patch8'; // the paper's DINO backbone
 * ```
 */
export type BackboneArchitectureId =
  | 'resnet50'
  | 'vit_small_patch8'
  | 'vit_small_patch16'
  | 'vit_base_patch8'
  | 'vit_base_patch16'
  | 'test_resnet_tiny'
  | 'test_vit_tiny_patch8';

/**
 * What a backbone built from a checkpoint outputs. ResNets offer `'avgpool'` only; ViTs offer
 * every {@link ViTEmbedding}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { CheckpointEmbedding } from 'dvme';
 * const paperDino: CheckpointEmbedding = 'lastBlocksCls'; // 4 x 384 = 1536 for ViT-S
 * ```
 */
export type CheckpointEmbedding = ViTEmbedding;

interface ArchitectureDefaults {
  /** Name shown in messages and used as the default backbone id. */
  readonly id: string;
  /** One line: what it is and where its weights come from. */
  readonly description: string;
  /** Default side of the square preprocessed image. */
  readonly inputSize: number;
  /** Default resampling filter of the resize step. */
  readonly interpolation: Interpolation;
}

/**
 * A ResNet entry of the architecture table: the {@link ResNetConfig} and the evaluation
 * defaults of torchvision (`Resize(256)` bilinear, `CenterCrop(224)`, ImageNet mean / std).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { BACKBONE_ARCHITECTURES } from 'dvme';
 * const r = BACKBONE_ARCHITECTURES.resnet50; // r.family === 'resnet'
 * ```
 */
export interface ResNetArchitecture extends ArchitectureDefaults {
  readonly family: 'resnet';
  /** Overrides of {@link RESNET50_CONFIG}. */
  readonly config: Readonly<Partial<ResNetConfig>>;
  /** Global average pooling, the only ResNet embedding. */
  readonly embedding: 'avgpool';
}

/**
 * A ViT entry of the architecture table: the {@link ViTConfig} and DINO's
 * evaluation defaults (`Resize(256, interpolation=3)` i.e. bicubic, `CenterCrop(224)`, ImageNet
 * mean / std; `eval_linear.py` takes the CLS tokens of the last 4 blocks for ViT-S and CLS plus
 * mean patch token of the last block for ViT-B).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { BACKBONE_ARCHITECTURES } from 'dvme';
 * BACKBONE_ARCHITECTURES.vit_small_patch8.embedding; // 'lastBlocksCls'
 * ```
 */
export interface ViTArchitecture extends ArchitectureDefaults {
  readonly family: 'vit';
  /** Overrides of {@link VIT_SMALL_CONFIG}. */
  readonly config: Readonly<Partial<ViTConfig>>;
  /** Default embedding. */
  readonly embedding: ViTEmbedding;
  /** Default number of blocks `'lastBlocksCls'` concatenates. */
  readonly lastBlocks: number;
}

/**
 * One entry of {@link BACKBONE_ARCHITECTURES}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { BACKBONE_ARCHITECTURES, type BackboneArchitecture } from 'dvme';
 * const a: BackboneArchitecture = BACKBONE_ARCHITECTURES.vit_base_patch16;
 * ```
 */
export type BackboneArchitecture = ResNetArchitecture | ViTArchitecture;

/**
 * An architecture given as a config instead of an id: `family` plus overrides of
 * {@link RESNET50_CONFIG} or {@link VIT_SMALL_CONFIG}. Preprocessing takes the family's defaults,
 * with a ViT's default input size being its `imgSize`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { CustomArchitecture } from 'dvme';
 * const resnet101: CustomArchitecture = { family: 'resnet', layers: [3, 4, 23, 3], name: 'resnet101' };
 * const vitTiny: CustomArchitecture = { family: 'vit', dim: 192, numHeads: 3, name: 'vit_tiny' };
 * ```
 */
export type CustomArchitecture =
  | (Partial<ResNetConfig> & { readonly family: 'resnet' })
  | (Partial<ViTConfig> & { readonly family: 'vit' });

const TORCHVISION = { inputSize: 224, interpolation: 'bilinear', embedding: 'avgpool' } as const;
const DINO = { inputSize: 224, interpolation: 'bicubic' } as const;

function vit(id: string, base: Readonly<ViTConfig>, patchSize: number, embedding: ViTEmbedding, what: string): ViTArchitecture {
  return Object.freeze({
    family: 'vit',
    id,
    description: what,
    config: Object.freeze({ ...base, patchSize, name: id }),
    embedding,
    lastBlocks: 4,
    ...DINO,
  });
}

/**
 * The architecture table behind {@link Backbone.fromCheckpoint}: each id's model config and
 * the preprocessing and embedding it gets by default.
 *
 * @remarks Since 0.1.0. Frozen. The ViT-S defaults give the paper's DINO embedding (CLS of the
 * last 4 blocks, 1536-d); the ViT-B defaults follow DINO's advice for ViT-B (`n_last_blocks 1`,
 * `avgpool_patchtokens`), also 1536-d.
 * @example
 * ```ts
 * import { BACKBONE_ARCHITECTURES } from 'dvme';
 * for (const a of Object.values(BACKBONE_ARCHITECTURES)) console.log(a.id, a.description);
 * ```
 */
export const BACKBONE_ARCHITECTURES: Readonly<Record<BackboneArchitectureId, BackboneArchitecture>> = Object.freeze({
  resnet50: Object.freeze({
    family: 'resnet',
    id: 'resnet50',
    description: 'ResNet-50 (torchvision; also SwAV, SimCLR and other VISSL ResNet-50 trunks)',
    config: Object.freeze({ ...RESNET50_CONFIG, name: 'resnet50' }),
    ...TORCHVISION,
  }),
  vit_small_patch8: vit('vit_small_patch8', VIT_SMALL_CONFIG, 8, 'lastBlocksCls', 'ViT-S/8 (DINO dino_deitsmall8, timm vit_small_patch8_224.dino)'),
  vit_small_patch16: vit('vit_small_patch16', VIT_SMALL_CONFIG, 16, 'lastBlocksCls', 'ViT-S/16 (DINO dino_deitsmall16, timm vit_small_patch16_224.dino)'),
  vit_base_patch8: vit('vit_base_patch8', VIT_BASE_CONFIG, 8, 'cls+avgpool', 'ViT-B/8 (DINO dino_vitbase8, timm vit_base_patch8_224.dino)'),
  vit_base_patch16: vit('vit_base_patch16', VIT_BASE_CONFIG, 16, 'cls+avgpool', 'ViT-B/16 (DINO dino_vitbase16, timm vit_base_patch16_224.dino)'),
  // The configs of scripts/fixtures/backbone_parity.py, for tests and examples.
  test_resnet_tiny: Object.freeze({
    family: 'resnet',
    id: 'test_resnet_tiny',
    description: 'tiny test ResNet (layers [2, 1, 1, 1], width 4), 128-d',
    config: Object.freeze({ layers: Object.freeze([2, 1, 1, 1] as const), width: 4, widthPerGroup: 96, name: 'test_resnet_tiny' }),
    ...TORCHVISION,
    inputSize: 32,
  }),
  test_vit_tiny_patch8: Object.freeze({
    ...vit('test_vit_tiny_patch8', VIT_SMALL_CONFIG, 8, 'lastBlocksCls', 'tiny test ViT (32 wide, 4 blocks, 2 heads) at 32 x 32'),
    config: Object.freeze({ imgSize: 32, patchSize: 8, dim: 32, depth: 4, numHeads: 2, mlpRatio: 4, name: 'test_vit_tiny_patch8' }),
    inputSize: 32,
  }),
});

/**
 * The ids of {@link BACKBONE_ARCHITECTURES}, in table order.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { listArchitectures } from 'dvme';
 * listArchitectures().includes('resnet50'); // true
 * ```
 */
export function listArchitectures(): BackboneArchitectureId[] {
  return Object.keys(BACKBONE_ARCHITECTURES) as BackboneArchitectureId[];
}

/**
 * @internal The table entry for an id, or an entry made from a {@link CustomArchitecture}.
 * @throws {@link UnknownBackboneError} for an id not in the table, naming the known ids.
 */
export function resolveArchitecture(owner: string, arch: unknown): BackboneArchitecture {
  if (typeof arch === 'string') {
    if (Object.hasOwn(BACKBONE_ARCHITECTURES, arch)) return BACKBONE_ARCHITECTURES[arch as BackboneArchitectureId];
    const known = listArchitectures();
    throw new UnknownBackboneError(
      `${owner}: unknown architecture ${JSON.stringify(arch)}. Known ids: ${quoteList(known)} ` +
        `(closest: ${quoteList(closeNames(arch, known, 2))}). For another size pass a config, e.g. ` +
        "{ family: 'resnet', layers: [3, 4, 23, 3] } or { family: 'vit', dim: 192, numHeads: 3 }.",
    );
  }
  const family = (arch as { family?: unknown } | null)?.family;
  if (typeof arch !== 'object' || arch === null || (family !== 'resnet' && family !== 'vit')) {
    throw new InvalidArgumentError(
      `${owner}: arch must be one of ${quoteList(listArchitectures())} or a config with family 'resnet' or 'vit'; ` +
        `received ${JSON.stringify(arch)}.`,
    );
  }
  const { family: _family, ...config } = arch as CustomArchitecture;
  const id = typeof config.name === 'string' ? config.name : `custom_${family}`;
  if (family === 'resnet') {
    return { family, id, description: `custom ResNet ${id}`, config, ...TORCHVISION };
  }
  const { imgSize = VIT_SMALL_CONFIG.imgSize, depth = VIT_SMALL_CONFIG.depth } = config as Partial<ViTConfig>;
  return {
    family,
    id,
    description: `custom ViT ${id}`,
    config,
    embedding: 'lastBlocksCls',
    // Shallow custom ViTs still get a valid default.
    lastBlocks: typeof depth === 'number' && depth >= 1 ? Math.min(4, depth) : 4,
    ...DINO,
    inputSize: imgSize,
  };
}
