import type { BackboneArchitectureId, CheckpointEmbedding } from '../architectures.js';
import type { PreprocessSpec } from '../../image/preprocess-spec.js';
import type { KeyLayoutId } from '../key-layouts.js';

/**
 * How a registered backbone was evaluated by its authors, frozen: the preprocessing and the
 * embedding `loadBackbone` uses unless told otherwise (timm's "pretrained config"). `resize` is
 * the authors' evaluation resize; small images (MedMNIST) are often better with `'direct'`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { getBackboneEntry } from 'dvme';
 * const { inputSize, embedding, embeddingDim } = getBackboneEntry('vit_small_patch8_224.dino').pretrained;
 * // [224, 224], 'lastBlocksCls', 1536
 * ```
 */
export interface BackbonePretrainedConfig extends PreprocessSpec {
  /**
   * The embedding: a checkpoint embedding (`'avgpool'`, `'lastBlocksCls'`, `'cls+avgpool'`)
   * or, for tfjs models, `'layer:<name>'`.
   */
  readonly embedding: string;
  /** Blocks whose CLS tokens `'lastBlocksCls'` concatenates. */
  readonly lastBlocks?: number;
  /** Length of the embedding with these settings. */
  readonly embeddingDim: number;
}

/**
 * The publication a backbone's weights come from.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { BackbonePaper } from 'dvme';
 * const dino: BackbonePaper = { title: 'Emerging Properties in Self-Supervised Vision Transformers', url: 'https://arxiv.org/abs/2104.14294' };
 * ```
 */
export interface BackbonePaper {
  /** Title of the paper. */
  readonly title: string;
  /** Where to read it (arXiv). */
  readonly url: string;
}

/** What every registry entry has, whatever its format. */
interface BackboneEntryBase {
  /** Unique `<model>.<tag>` name (timm style): `'resnet50.swav_800ep'`, `'vit_small_patch8_224.dino'`. */
  readonly name: string;
  /** One line: what the weights are. */
  readonly description: string;
  /** Public URL of the weights (of `model.json` for tfjs models). */
  readonly url: string;
  /** Licence of the weights, as an SPDX id (`'BSD-3-Clause'`, `'Apache-2.0'`, `'CC-BY-NC-4.0'`, `'MIT'`). */
  readonly license: string;
  /** The paper the weights come from. */
  readonly paper: BackbonePaper;
  /** Project page of the weights' publisher. */
  readonly homepage: string;
  /** Labels to filter by: `'paper'` (a backbone of the DVME paper), `'supervised'`, `'self-supervised'`. */
  readonly tags: readonly string[];
  /** The preprocessing and embedding the backbone loads with. */
  readonly pretrained: BackbonePretrainedConfig;
  /** Provenance and caveats: where the checksums come from, what could not be verified. */
  readonly notes?: string;
}

/**
 * A PyTorch checkpoint in the registry, loaded with `Backbone.fromCheckpoint(arch, bytes, ...)`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { getBackboneEntry } from 'dvme';
 * const e = getBackboneEntry('resnet50.tv_in1k');
 * if (e.format === 'torch') console.log(e.arch, e.sha256Prefix); // 'resnet50' '0676ba61'
 * ```
 */
export interface TorchBackboneEntry extends BackboneEntryBase {
  /** A `torch.save` file (`.pth`, `.pth.tar`, `.torch`). */
  readonly format: 'torch';
  /** The architecture `Backbone.fromCheckpoint` builds. */
  readonly arch: BackboneArchitectureId;
  /** Size of the file in bytes, where known. */
  readonly size?: number;
  /** Full SHA-256 of the file, where known. */
  readonly sha256?: string;
  /** The first hex digits of the SHA-256 that the publisher puts in the file name (torchvision). */
  readonly sha256Prefix?: string;
  /**
   * Where the file keeps the weights, as `fromCheckpoint` detects it (`backbone.loadReport.layout.id`):
   * `'plain'` (torchvision, DINO), `'ddp'` (SwAV's `module.` prefix), `'vissl'` (VISSL trunk).
   */
  readonly keyLayout: KeyLayoutId;
  /** The embedding `loadBackbone` asks `fromCheckpoint` for. */
  readonly pretrained: BackbonePretrainedConfig & { readonly embedding: CheckpointEmbedding };
}

/**
 * One weight shard of a tfjs model, in `weightsManifest` order.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { TfjsShard } from 'dvme';
 * const shard: TfjsShard = { size: 2619461, sha256: '8e7dddbb16acacc1bf1601b1b8a761e730ff934b7f2d7771312b2f000e5f5f13' };
 * ```
 */
export interface TfjsShard {
  /** Bytes. */
  readonly size: number;
  /** SHA-256, hex. */
  readonly sha256: string;
}

/**
 * A TensorFlow.js LayersModel in the registry, loaded with `Backbone.fromTfjs`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { getBackboneEntry } from 'dvme';
 * const e = getBackboneEntry('mobilenet_v2.nsfwjs');
 * if (e.format === 'tfjs') console.log(e.embeddingLayer, e.shards.length); // 'flatten_1' 1
 * ```
 */
export interface TfjsBackboneEntry extends BackboneEntryBase {
  /** `model.json` plus binary weight shards beside it. */
  readonly format: 'tfjs';
  /** The Keras application the model is. */
  readonly arch: 'mobilenet_v2' | 'inception_v3';
  /** The layer whose output is the embedding. */
  readonly embeddingLayer: string;
  /** Sizes and checksums of the weight shards, verified on download. */
  readonly shards: readonly TfjsShard[];
}

/**
 * One entry of the backbone registry: where the weights are, what they are, and how to use them.
 *
 * @remarks Since 0.1.0. Entries are frozen.
 * @example
 * ```ts
 * import { listBackbones, type BackboneEntry } from 'dvme';
 * const rows = listBackbones().map((e: BackboneEntry) => `${e.name}\t${e.license}\t${e.pretrained.embeddingDim}`);
 * ```
 */
export type BackboneEntry = TorchBackboneEntry | TfjsBackboneEntry;
