import type { TorchStateDictEntry } from './load-weights.js';
import { resnetLayout, type ResNetConfig, type ResNetConvBn } from './resnet.js';
import { resolveViTConfig, type ViTConfig } from './vit.js';

const BN_BUFFERS = ['weight', 'bias', 'running_mean', 'running_var'] as const;

/**
 * @internal The state dict `buildResNet` loads, read off the layout without building a
 * model: keys and PyTorch shapes in the order `torchStateDictSpec(buildResNet(config))` lists
 * them (tfjs orders layers by depth, so a block's downsample conv comes before its `bn3`).
 */
export function resnetStateDictSpec(config: Partial<ResNetConfig>, owner = 'buildResNet'): TorchStateDictEntry[] {
  const { stem, blocks } = resnetLayout(config, owner);
  const conv = (s: ResNetConvBn): TorchStateDictEntry => ({ key: `${s.conv}.weight`, shape: [s.out, s.in, s.kernel, s.kernel] });
  const bn = (s: ResNetConvBn): TorchStateDictEntry[] => BN_BUFFERS.map((n) => ({ key: `${s.bn}.${n}`, shape: [s.out] }));
  const out = [conv(stem), ...bn(stem)];
  for (const b of blocks) {
    out.push(conv(b.conv1), ...bn(b.conv1), conv(b.conv2), ...bn(b.conv2), conv(b.conv3));
    if (b.downsample) out.push(conv(b.downsample));
    out.push(...bn(b.conv3));
    if (b.downsample) out.push(...bn(b.downsample));
  }
  return out;
}

/**
 * @internal The state dict `buildVisionTransformer` loads, from the config alone: keys and
 * PyTorch shapes in the order `torchStateDictSpec(buildVisionTransformer(config))` lists them.
 */
export function vitStateDictSpec(config: Partial<ViTConfig>): TorchStateDictEntry[] {
  const c = resolveViTConfig(config);
  const hidden = Math.floor(c.dim * c.mlpRatio);
  const numPatches = Math.floor(c.imgSize / c.patchSize) ** 2;
  const linear = (name: string, out: number, inDim: number): TorchStateDictEntry[] => [
    { key: `${name}.weight`, shape: [out, inDim] },
    { key: `${name}.bias`, shape: [out] },
  ];
  const out: TorchStateDictEntry[] = [
    { key: 'patch_embed.proj.weight', shape: [c.dim, 3, c.patchSize, c.patchSize] },
    { key: 'patch_embed.proj.bias', shape: [c.dim] },
    { key: 'cls_token', shape: [1, 1, c.dim] },
    { key: 'pos_embed', shape: [1, numPatches + 1, c.dim] },
  ];
  const norm = (name: string): TorchStateDictEntry[] => [
    { key: `${name}.weight`, shape: [c.dim] },
    { key: `${name}.bias`, shape: [c.dim] },
  ];
  for (let i = 0; i < c.depth; i++) {
    const p = `blocks.${i}`;
    out.push(...norm(`${p}.norm1`), ...linear(`${p}.attn.qkv`, 3 * c.dim, c.dim), ...linear(`${p}.attn.proj`, c.dim, c.dim));
    out.push(...norm(`${p}.norm2`), ...linear(`${p}.mlp.fc1`, hidden, c.dim), ...linear(`${p}.mlp.fc2`, c.dim, hidden));
  }
  out.push(...norm('norm'));
  return out;
}
