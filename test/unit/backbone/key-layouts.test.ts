import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_HEAD_KEYS, detectKeyLayout, guessCheckpointKind } from '../../../src/backbone/key-layouts.js';

const RESNET_KEYS = ['conv1.weight', 'bn1.weight', 'bn1.running_var', 'layer1.0.conv1.weight', 'layer1.0.bn1.weight', 'layer4.2.conv3.weight'];
const VIT_KEYS = ['cls_token', 'pos_embed', 'patch_embed.proj.weight', 'blocks.0.norm1.weight', 'blocks.0.attn.qkv.weight', 'norm.weight'];

/** A flattened checkpoint: each key maps to itself, so a test sees which entry went where. */
const entries = (prefix: string, keys: readonly string[]) => keys.map((k): [string, string] => [prefix + k, prefix + k]);

/** A nested root object with `path` leading to a dict of `keys` (for the container split). */
function nest(path: string[], keys: Record<string, string>): unknown {
  return path.reduceRight<unknown>((inner, name) => new Map([[name, inner]]), new Map(Object.entries(keys)));
}

describe('detectKeyLayout', () => {
  it.each([
    ['torchvision / timm keys as they are', '', RESNET_KEYS, undefined, 'plain', '', ''],
    ['SwAV released .pth.tar: module.*', 'module.', RESNET_KEYS, undefined, 'ddp', '', 'module.'],
    ['SwAV training checkpoint: state_dict wrapper + module.', 'state_dict.module.', RESNET_KEYS, ['state_dict'], 'ddp', 'state_dict', 'module.'],
    [
      'VISSL training / model zoo .torch',
      'classy_state_dict.base_model.model.trunk._feature_blocks.',
      RESNET_KEYS,
      ['classy_state_dict', 'base_model', 'model', 'trunk'],
      'vissl',
      'classy_state_dict.base_model.model.trunk',
      '_feature_blocks.',
    ],
    ['VISSL model_state_dict', 'model_state_dict._feature_blocks.', RESNET_KEYS, ['model_state_dict'], 'vissl', 'model_state_dict', '_feature_blocks.'],
    ['VISSL trunk at the root', '_feature_blocks.', RESNET_KEYS, undefined, 'vissl', '', '_feature_blocks.'],
    ['DINO teacher', 'teacher.backbone.', VIT_KEYS, ['teacher'], 'dino', 'teacher', 'backbone.'],
    ['a model wrapper (DeiT, MAE)', 'model.', VIT_KEYS, ['model'], 'wrapped', 'model', ''],
  ] as const)('finds %s', (_, prefix, keys, containerPath, id, container, keyPrefix) => {
    const flat = new Map(entries(prefix, keys));
    const root = containerPath
      ? nest([...containerPath], Object.fromEntries(keys.map((k) => [prefix.slice(containerPath.join('.').length + 1) + k, k])))
      : new Map(flat);
    const found = detectKeyLayout(flat, keys, root);
    expect(found).toMatchObject({ id, prefix, container, keyPrefix, matched: keys.length, alternatives: [], outside: 0 });
    expect([...found.stateDict]).toEqual(keys.map((k) => [k, prefix + k]));
  });

  it("prefers DINO's teacher over an equally complete student, and reports the student", () => {
    const flat = new Map([
      ...entries('student.module.backbone.', VIT_KEYS),
      ...entries('student.module.head.', ['mlp.0.weight']),
      ...entries('teacher.backbone.', VIT_KEYS),
      ...entries('teacher.head.', ['mlp.0.weight']),
    ]);
    const found = detectKeyLayout(flat, VIT_KEYS);
    expect(found).toMatchObject({ id: 'dino', prefix: 'teacher.backbone.', alternatives: ['student.module.backbone.'] });
    expect(found.outside).toBe(VIT_KEYS.length + 2);
  });

  it('keeps everything under the prefix, heads and strays included, for the caller to judge', () => {
    const flat = new Map(entries('module.', [...RESNET_KEYS, 'projection_head.0.weight', 'prototypes.weight', 'layer3.6.conv1.weight']));
    const found = detectKeyLayout(flat, RESNET_KEYS);
    expect(found.matched).toBe(RESNET_KEYS.length);
    expect([...found.stateDict.keys()].slice(-3)).toEqual(['projection_head.0.weight', 'prototypes.weight', 'layer3.6.conv1.weight']);
  });

  it('picks the prefix matching the most keys, not one a stray suffix match suggests', () => {
    // 'layer1.0.bn1.weight' ends in the expected 'bn1.weight', which suggests the prefix 'layer1.0.'.
    const found = detectKeyLayout(new Map(entries('', RESNET_KEYS)), RESNET_KEYS);
    expect(found.prefix).toBe('');
  });

  it('returns matched 0 and an empty prefix when no key fits', () => {
    const found = detectKeyLayout(new Map(entries('', VIT_KEYS)), RESNET_KEYS);
    expect(found).toMatchObject({ matched: 0, prefix: '', id: 'plain', alternatives: [] });
  });

  it('strips any prefix of whole segments (property)', () => {
    const segment = fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/);
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), fc.subarray(RESNET_KEYS, { minLength: 1 }), (segments, keys) => {
        const prefix = segments.map((s) => `${s}.`).join('');
        const flat = new Map([...entries(prefix, keys), ...entries('optimizer.state.0.', ['momentum_buffer'])]);
        const found = detectKeyLayout(flat, RESNET_KEYS);
        expect(found.matched).toBe(keys.length);
        expect(found.prefix).toBe(prefix);
        // At the root (empty prefix) everything is under the prefix, the optimizer's tensor too.
        const stray = prefix === '' ? ['optimizer.state.0.momentum_buffer'] : [];
        expect([...found.stateDict.keys()]).toEqual([...keys, ...stray]);
        expect(found.outside).toBe(1 - stray.length);
      }),
    );
  });
});

describe('CHECKPOINT_HEAD_KEYS', () => {
  it('covers the heads of torchvision, timm, DINO, VISSL and SwAV but no backbone weight', () => {
    const heads = ['fc.weight', 'head.weight', 'head.mlp.0.weight', 'head.last_layer.weight_g', 'heads.0.clf.0.weight',
      'projection_head.0.weight', 'prototypes.weight', 'bn1.num_batches_tracked', 'layer1.0.bn1.num_batches_tracked'];
    for (const k of heads) expect(CHECKPOINT_HEAD_KEYS.some((re) => re.test(k)), k).toBe(true);
    for (const k of [...RESNET_KEYS, ...VIT_KEYS, 'blocks.0.mlp.fc1.weight']) {
      expect(CHECKPOINT_HEAD_KEYS.some((re) => re.test(k)), k).toBe(false);
    }
  });
});

describe('guessCheckpointKind', () => {
  it.each([
    [['vit.embeddings.cls_token', 'vit.embeddings.patch_embeddings.projection.weight'], /Hugging Face/],
    [['cls_token', 'blocks.0.attn.qkv.weight'], /a ViT/],
    [['module.layer1.0.conv1.weight'], /a ResNet/],
    [['_feature_blocks.stem.conv.weight'], /VISSL trunk/],
  ])('recognises %j', (keys, kind) => {
    expect(guessCheckpointKind(keys)).toMatch(kind);
  });

  it('says nothing about keys it does not know', () => {
    expect(guessCheckpointKind(['encoder.weight'])).toBeUndefined();
  });
});
