import { describe, expect, it } from 'vitest';
import { BACKBONE_ARCHITECTURES } from '../../../../src/backbone/architectures.js';
import { resnetEmbeddingDim } from '../../../../src/backbone/arch/resnet.js';
import { vitEmbeddingDim } from '../../../../src/backbone/arch/vit.js';
import { resolvePreprocessSpec } from '../../../../src/image/preprocess-spec.js';
import type { BackboneEntry } from '../../../../src/backbone/registry/entry.js';
import { getBackboneEntry, listBackbones } from '../../../../src/backbone/registry/registry.js';
import { UnknownBackboneError } from '../../../../src/errors/index.js';

const LICENSES = new Set(['BSD-3-Clause', 'Apache-2.0', 'CC-BY-NC-4.0', 'MIT']);
const TAGS = new Set(['paper', 'supervised', 'self-supervised']);
/** Widths of the pooled features of the Keras applications the tfjs entries are. */
const TFJS_DIMS: Record<string, number> = { mobilenet_v2: 1280, inception_v3: 2048 };
const HEX64 = /^[0-9a-f]{64}$/;

/** The embedding width an entry's architecture gives with its embedding mode, without weights. */
function expectedDim(e: BackboneEntry): number {
  if (e.format === 'tfjs') return TFJS_DIMS[e.arch] as number;
  const arch = BACKBONE_ARCHITECTURES[e.arch];
  if (arch.family === 'resnet') {
    expect(e.pretrained.embedding).toBe('avgpool');
    return resnetEmbeddingDim(arch.config);
  }
  return vitEmbeddingDim({ ...arch.config, embedding: e.pretrained.embedding, nLastBlocks: e.pretrained.lastBlocks ?? arch.lastBlocks });
}

const entries = listBackbones();

describe('backbone registry contract (every entry)', () => {
  it('holds the paper backbones and the nsfwjs tfjs models', () => {
    const names = entries.map((e) => e.name);
    for (const n of [
      'resnet50.tv_in1k',
      'resnet50.simclr_vissl',
      'resnet50.swav_vissl',
      'resnet50.swav_800ep',
      'vit_small_patch8_224.dino',
      'vit_small_patch16_224.dino',
      'vit_base_patch8_224.dino',
      'vit_base_patch16_224.dino',
      'mobilenet_v2.nsfwjs',
      'inception_v3.nsfwjs',
    ]) {
      expect(names).toContain(n);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([...names].sort());
  });

  describe.each(entries.map((e) => [e.name, e] as const))('%s', (name, e) => {
    it('has a <model>.<tag> name whose model is its arch (plus the input size)', () => {
      const m = /^([a-z0-9_]+)\.([a-z0-9_]+)$/.exec(name);
      expect(m).not.toBeNull();
      expect([e.arch, `${e.arch}_${e.pretrained.inputSize[0]}`]).toContain(m![1]);
      expect(getBackboneEntry(name)).toBe(e);
    });

    it('has an https URL, a licence, a paper, a homepage and known tags', () => {
      expect(new URL(e.url).protocol).toBe('https:');
      expect(new URL(e.homepage).protocol).toBe('https:');
      expect(new URL(e.paper.url).protocol).toBe('https:');
      expect(e.paper.title.length).toBeGreaterThan(10);
      expect(LICENSES.has(e.license), e.license).toBe(true);
      expect(e.description.length).toBeGreaterThan(10);
      for (const t of e.tags) expect(TAGS.has(t), t).toBe(true);
    });

    it('has a valid, complete pretrained config', () => {
      const p = e.pretrained;
      expect(p.mean).toHaveLength(3);
      expect(p.std).toHaveLength(3);
      expect(() => resolvePreprocessSpec('contract', p)).not.toThrow();
      expect(p.inputSize[0]).toBe(p.inputSize[1]);
      expect(Number.isInteger(p.embeddingDim) && p.embeddingDim > 0).toBe(true);
    });

    it('states an embedding dim consistent with its architecture and embedding mode', () => {
      expect(e.pretrained.embeddingDim).toBe(expectedDim(e));
      if (e.format === 'tfjs') expect(e.pretrained.embedding).toBe(`layer:${e.embeddingLayer}`);
    });

    it('records only well-formed, mutually consistent checksums', () => {
      if (e.format === 'torch') {
        if (e.size !== undefined) expect(Number.isSafeInteger(e.size) && e.size > 0).toBe(true);
        if (e.sha256 !== undefined) expect(e.sha256).toMatch(HEX64);
        if (e.sha256Prefix !== undefined) {
          expect(e.sha256Prefix).toMatch(/^[0-9a-f]{8,63}$/);
          // torchvision's convention: the prefix is in the file name.
          expect(e.url).toContain(`-${e.sha256Prefix}.`);
          if (e.sha256) expect(e.sha256.startsWith(e.sha256Prefix)).toBe(true);
        }
        expect(['plain', 'ddp', 'vissl', 'dino', 'wrapped']).toContain(e.keyLayout);
      } else {
        expect(e.url).toMatch(/\/model\.json$/);
        expect(e.shards.length).toBeGreaterThan(0);
        for (const s of e.shards) {
          expect(s.sha256).toMatch(HEX64);
          expect(Number.isSafeInteger(s.size) && s.size > 0).toBe(true);
        }
      }
    });

    it('is deeply frozen', () => {
      expect(Object.isFrozen(e)).toBe(true);
      expect(Object.isFrozen(e.pretrained)).toBe(true);
      expect(Object.isFrozen(e.pretrained.mean)).toBe(true);
      expect(Object.isFrozen(e.tags)).toBe(true);
      expect(() => {
        (e as { name: string }).name = 'x';
      }).toThrow(TypeError);
    });
  });
});

describe('listBackbones / getBackboneEntry', () => {
  it('returns a frozen list and filters by name pattern and fields', () => {
    expect(Object.isFrozen(entries)).toBe(true);
    expect(listBackbones('*dino*').map((e) => e.name)).toEqual([
      'vit_base_patch16_224.dino',
      'vit_base_patch8_224.dino',
      'vit_small_patch16_224.dino',
      'vit_small_patch8_224.dino',
    ]);
    expect(listBackbones('resnet50.*').every((e) => e.arch === 'resnet50')).toBe(true);
    expect(listBackbones('RESNET50.TV_?N1K').map((e) => e.name)).toEqual(['resnet50.tv_in1k']);
    expect(listBackbones({ tag: 'paper' }).map((e) => e.name).sort()).toEqual([
      'resnet50.simclr_vissl',
      'resnet50.swav_800ep',
      'resnet50.tv_in1k',
      'vit_small_patch8_224.dino',
    ]);
    expect(listBackbones({ tag: 'self-supervised', name: 'resnet50.*' })).toHaveLength(4);
    expect(listBackbones({ format: 'tfjs' }).map((e) => e.arch)).toEqual(['inception_v3', 'mobilenet_v2']);
    expect(listBackbones({ license: 'CC-BY-NC-4.0' }).map((e) => e.name)).toEqual(['resnet50.swav_800ep']);
    expect(listBackbones({ arch: 'vit_small_patch8' })).toHaveLength(1);
    expect(listBackbones('no-such-*')).toEqual([]);
    expect(() => listBackbones(3 as never)).toThrow(/filter must be/);
  });

  it('documents what the TSDoc examples claim', () => {
    const vit = getBackboneEntry('vit_small_patch8_224.dino').pretrained;
    expect([vit.inputSize, vit.embedding, vit.embeddingDim]).toEqual([[224, 224], 'lastBlocksCls', 1536]);
    const swav = getBackboneEntry('resnet50.swav_800ep');
    expect([swav.license, swav.pretrained.embeddingDim]).toEqual(['CC-BY-NC-4.0', 2048]);
    const tv = getBackboneEntry('resnet50.tv_in1k');
    expect(tv.format === 'torch' && [tv.arch, tv.sha256Prefix]).toEqual(['resnet50', '0676ba61']);
    const mobilenet = getBackboneEntry('mobilenet_v2.nsfwjs');
    expect(mobilenet.format === 'tfjs' && [mobilenet.embeddingLayer, mobilenet.shards.length]).toEqual(['flatten_1', 1]);
  });

  it('throws UnknownBackboneError naming close names', () => {
    let err: unknown;
    try {
      getBackboneEntry('resnet50.swav');
    } catch (e) {
      err = e;
    }
    expect(UnknownBackboneError.is(err)).toBe(true);
    expect((err as Error).message).toContain("'resnet50.swav_800ep'");
    expect((err as Error).message).toContain('listBackbones()');
    expect(() => getBackboneEntry(undefined as never)).toThrow(UnknownBackboneError);
  });
});
