import { IMAGENET_MEAN, IMAGENET_STD } from '../../image/preprocess-spec.js';
import type { BackboneEntry, BackbonePaper, BackbonePretrainedConfig, TfjsShard, TorchBackboneEntry } from './entry.js';

// Sources of the facts below (checked through a code search, not by downloading here):
// - torchvision: ResNet50_Weights.IMAGENET1K_V1 (url resnet50-0676ba61.pth, _file_size 97.781 MB,
//   transforms ImageClassification(crop_size=224): Resize(256) bilinear, CenterCrop(224)).
// - DINO README (URLs) and eval_linear.py: Resize(256, interpolation=3 i.e. bicubic),
//   CenterCrop(224); "n=4 [last blocks] when evaluating ViT-Small and n=1 with ViT-Base",
//   avgpool_patchtokens "False for ViT-Small and True with ViT-Base".
// - SwAV README (URL, 800 epochs, 75.3% linear); VISSL MODEL_ZOO.md (URLs); VISSL README
//   ("VISSL relicensed under MIT License", May 2021; facebookresearch/vissl#281).
// - DINO's Apache-2.0 licence: as cited by the DINOv2 / timm licence discussions (its LICENSE
//   file was not read here).
// - nsfwjs@4.4.0 from the npm registry (MIT): the sizes and hashes of its bundled shards.
// Licences not stated in a file read here are marked "(unverified)" in `notes`.

const IMAGENET = { mean: IMAGENET_MEAN, std: IMAGENET_STD } as const;

/** torchvision's and VISSL's / SwAV's evaluation transform: Resize(256) + CenterCrop(224), bilinear. */
const RESNET_EVAL: TorchBackboneEntry['pretrained'] = {
  inputSize: [224, 224],
  ...IMAGENET,
  resize: 'shorter-then-crop',
  cropFraction: 0.875,
  interpolation: 'bilinear',
  embedding: 'avgpool',
  embeddingDim: 2048,
};

/** DINO's eval_linear.py transform: Resize(256, bicubic) + CenterCrop(224). */
const DINO_EVAL = {
  inputSize: [224, 224],
  ...IMAGENET,
  resize: 'shorter-then-crop',
  cropFraction: 0.875,
  interpolation: 'bicubic',
} as const;

/** nsfwjs models: pixel / 255, resized straight to the input size (bilinear). */
function nsfwjsEval(size: number, embeddingDim: number): BackbonePretrainedConfig {
  return {
    inputSize: [size, size],
    mean: [0, 0, 0],
    std: [1, 1, 1],
    resize: 'direct',
    cropFraction: 1,
    interpolation: 'bilinear',
    embedding: 'layer:flatten_1',
    embeddingDim,
  };
}

const PAPERS = {
  resnet: { title: 'Deep Residual Learning for Image Recognition (He et al., CVPR 2016)', url: 'https://arxiv.org/abs/1512.03385' },
  simclr: {
    title: 'A Simple Framework for Contrastive Learning of Visual Representations (Chen et al., ICML 2020)',
    url: 'https://arxiv.org/abs/2002.05709',
  },
  swav: {
    title: 'Unsupervised Learning of Visual Features by Contrasting Cluster Assignments (Caron et al., NeurIPS 2020)',
    url: 'https://arxiv.org/abs/2006.09882',
  },
  dino: {
    title: 'Emerging Properties in Self-Supervised Vision Transformers (Caron et al., ICCV 2021)',
    url: 'https://arxiv.org/abs/2104.14294',
  },
  mobilenetV2: {
    title: 'MobileNetV2: Inverted Residuals and Linear Bottlenecks (Sandler et al., CVPR 2018)',
    url: 'https://arxiv.org/abs/1801.04381',
  },
  inceptionV3: {
    title: 'Rethinking the Inception Architecture for Computer Vision (Szegedy et al., CVPR 2016)',
    url: 'https://arxiv.org/abs/1512.00567',
  },
} as const satisfies Record<string, BackbonePaper>;

const VISSL_ZOO = 'https://dl.fbaipublicfiles.com/vissl/model_zoo';
const VISSL_NOTES =
  'VISSL checkpoint: the trunk is under classy_state_dict.base_model.model.trunk, keys prefixed _feature_blocks. ' +
  "Licence: VISSL's repository licence (MIT since May 2021); the model zoo states no separate licence for the weights. " +
  'No size or SHA-256 is recorded, so the download is not checked against one.';

function dino(patch: 8 | 16, base: boolean): BackboneEntry {
  const file = base ? `dino_vitbase${patch}_pretrain` : `dino_deitsmall${patch}_pretrain`;
  const size = base ? 'base' : 'small';
  return {
    name: `vit_${size}_patch${patch}_224.dino`,
    format: 'torch',
    arch: `vit_${size}_patch${patch}`,
    description: `DINO ViT-${base ? 'B' : 'S'}/${patch}, self-supervised on ImageNet-1k (backbone only, teacher weights)`,
    url: `https://dl.fbaipublicfiles.com/dino/${file}/${file}.pth`,
    license: 'Apache-2.0',
    paper: PAPERS.dino,
    homepage: 'https://github.com/facebookresearch/dino',
    keyLayout: 'plain',
    tags: !base && patch === 8 ? ['paper', 'self-supervised'] : ['self-supervised'],
    // DINO's own linear evaluation: CLS of the last 4 blocks for ViT-S (the paper's 1536-d
    // embedding); CLS plus mean patch token of the last block for ViT-B (1536-d).
    pretrained: base
      ? { ...DINO_EVAL, embedding: 'cls+avgpool', embeddingDim: 2 * 768 }
      : { ...DINO_EVAL, embedding: 'lastBlocksCls', lastBlocks: 4, embeddingDim: 4 * 384 },
    notes:
      'No size or SHA-256 is recorded, so the download is not checked against one. ' +
      (base ? "For the ViT-S recipe instead, pass { embedding: 'lastBlocksCls' } (4 x 768 = 3072-d)." : ''),
  };
}

function nsfwjsShards(sizes: readonly number[], hashes: readonly string[]): TfjsShard[] {
  return hashes.map((sha256, i) => ({ size: sizes[i] as number, sha256 }));
}

const NSFWJS_NOTES =
  'From nsfwjs@4.4.0 (MIT): an ImageNet-initialised Keras application whose top was retrained for a 5-class task; ' +
  'the pooled features are generic ImageNet-style CNN features. Shard sizes and SHA-256 are those of the shards ' +
  'published in the nsfwjs@4.4.0 npm package, and every downloaded shard is checked against them. model.json is ' +
  "fetched from the nsfwjs GitHub repository's master branch: if it moves or its weights change, loadBackbone fails " +
  '(DownloadError, IntegrityError) instead of loading other weights; ' +
  'pass { source } with a local copy (e.g. from node_modules/nsfwjs).';

/** @internal The registry, in display order; `registry.ts` freezes and indexes it. */
export const ENTRIES: readonly BackboneEntry[] = [
  {
    name: 'resnet50.tv_in1k',
    format: 'torch',
    arch: 'resnet50',
    description: 'ResNet-50, supervised on ImageNet-1k (torchvision IMAGENET1K_V1, 76.13% top-1)',
    url: 'https://download.pytorch.org/models/resnet50-0676ba61.pth',
    size: 102530333,
    sha256: '0676ba61b6795bbe1773cffd859882e5e297624d384b6993f7c9e683e722fb8a',
    sha256Prefix: '0676ba61',
    license: 'BSD-3-Clause',
    paper: PAPERS.resnet,
    homepage: 'https://pytorch.org/vision/stable/models/generated/torchvision.models.resnet50.html',
    keyLayout: 'plain',
    tags: ['paper', 'supervised'],
    pretrained: RESNET_EVAL,
    notes:
      "sha256Prefix is torchvision's (the file name). The full SHA-256 and size were recorded by several " +
      "independent public projects that downloaded the file; they agree with the prefix and with torchvision's " +
      '_file_size of 97.781 MB. The paper probably used these V1 weights.',
  },
  {
    name: 'resnet50.simclr_vissl',
    format: 'torch',
    arch: 'resnet50',
    description: 'ResNet-50 1x, SimCLR self-supervised on ImageNet-1k, 1000 epochs (VISSL model zoo, 68.8% linear)',
    url: `${VISSL_ZOO}/simclr_rn50_1000ep_simclr_8node_resnet_16_07_20.afe428c7/model_final_checkpoint_phase999.torch`,
    license: 'MIT',
    paper: PAPERS.simclr,
    homepage: 'https://github.com/facebookresearch/vissl/blob/main/MODEL_ZOO.md',
    keyLayout: 'vissl',
    tags: ['paper', 'self-supervised'],
    pretrained: RESNET_EVAL,
    notes: `${VISSL_NOTES} The paper does not say which SimCLR schedule it used; resnet50.simclr_800ep_vissl is the 800-epoch one.`,
  },
  {
    name: 'resnet50.simclr_800ep_vissl',
    format: 'torch',
    arch: 'resnet50',
    description: 'ResNet-50 1x, SimCLR self-supervised on ImageNet-1k, 800 epochs (VISSL model zoo, 69.68% linear)',
    url: `${VISSL_ZOO}/simclr_rn50_800ep_simclr_8node_resnet_16_07_20.7e8feed1/model_final_checkpoint_phase799.torch`,
    license: 'MIT',
    paper: PAPERS.simclr,
    homepage: 'https://github.com/facebookresearch/vissl/blob/main/MODEL_ZOO.md',
    keyLayout: 'vissl',
    tags: ['self-supervised'],
    pretrained: RESNET_EVAL,
    notes: VISSL_NOTES,
  },
  {
    name: 'resnet50.swav_vissl',
    format: 'torch',
    arch: 'resnet50',
    description: 'ResNet-50, SwAV self-supervised on ImageNet-1k, 800 epochs, 2x224+6x96 (VISSL model zoo, 74.92% linear)',
    url: `${VISSL_ZOO}/swav_in1k_rn50_800ep_swav_8node_resnet_27_07_20.a0a6b676/model_final_checkpoint_phase799.torch`,
    license: 'MIT',
    paper: PAPERS.swav,
    homepage: 'https://github.com/facebookresearch/vissl/blob/main/MODEL_ZOO.md',
    keyLayout: 'vissl',
    tags: ['self-supervised'],
    pretrained: RESNET_EVAL,
    notes: VISSL_NOTES,
  },
  {
    name: 'resnet50.swav_800ep',
    format: 'torch',
    arch: 'resnet50',
    description: "ResNet-50, SwAV self-supervised on ImageNet-1k, 800 epochs (the SwAV authors' release, 75.3% linear)",
    url: 'https://dl.fbaipublicfiles.com/deepcluster/swav_800ep_pretrain.pth.tar',
    license: 'CC-BY-NC-4.0',
    paper: PAPERS.swav,
    homepage: 'https://github.com/facebookresearch/swav',
    keyLayout: 'ddp',
    tags: ['paper', 'self-supervised'],
    pretrained: RESNET_EVAL,
    notes:
      'Keys are prefixed module. and include the projection head and prototypes, which are ignored. ' +
      'Non-commercial licence: CC BY-NC 4.0 (the SwAV authors confirm commercial use is not allowed, ' +
      'facebookresearch/swav#7). ' +
      'No size or SHA-256 is recorded, so the download is not checked against one.',
  },
  dino(8, false),
  dino(16, false),
  dino(8, true),
  dino(16, true),
  {
    name: 'mobilenet_v2.nsfwjs',
    format: 'tfjs',
    arch: 'mobilenet_v2',
    description: 'MobileNetV2 1.0 at 224 px from nsfwjs (ImageNet-initialised, top retrained), uint8-quantised tfjs LayersModel',
    url: 'https://raw.githubusercontent.com/infinitered/nsfwjs/master/models/mobilenet_v2/model.json',
    license: 'MIT',
    paper: PAPERS.mobilenetV2,
    homepage: 'https://github.com/infinitered/nsfwjs',
    tags: ['supervised'],
    embeddingLayer: 'flatten_1',
    shards: nsfwjsShards([2619461], ['8e7dddbb16acacc1bf1601b1b8a761e730ff934b7f2d7771312b2f000e5f5f13']),
    pretrained: nsfwjsEval(224, 1280),
    notes: NSFWJS_NOTES,
  },
  {
    name: 'inception_v3.nsfwjs',
    format: 'tfjs',
    arch: 'inception_v3',
    description: 'InceptionV3 at 299 px from nsfwjs (ImageNet-initialised, top retrained), uint8-quantised tfjs LayersModel',
    url: 'https://raw.githubusercontent.com/infinitered/nsfwjs/master/models/inception_v3/model.json',
    license: 'MIT',
    paper: PAPERS.inceptionV3,
    homepage: 'https://github.com/infinitered/nsfwjs',
    tags: ['supervised'],
    embeddingLayer: 'flatten_1',
    shards: nsfwjsShards(
      [4194304, 4194304, 4194304, 4194304, 4194304, 1389349],
      [
        '7a3a4c075cfcaa7f0b095f55b2ba54a288c2f770e504c8537394efda9545994b',
        '8826da12bda0db9415aef0e6a8d1f178a0d950deab28c4e79b9da994748702a4',
        '4557a96cf87ceb8df6c9647b647ac9843251a4455457cb40f35c02250a63e51c',
        '399b99397ccd64351b59f04cdabe30000a15494c82f75c1e2ccb41c9b6338b7d',
        '994515b0f73407d71740301e9877511b086609dbdc7ead1b31bcb82b3397ae74',
        'cfb856c9d8fcefacca87b6063ed4949adf69f0372407d6edca8cec0c1694a28b',
      ],
    ),
    pretrained: nsfwjsEval(299, 2048),
    notes: NSFWJS_NOTES,
  },
];
