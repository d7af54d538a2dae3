import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildResNet, buildVisionTransformer, RESNET50_CONFIG, torchStateDictSpec, VIT_SMALL_CONFIG } from '../../../../src/backbone/arch/index.js';
import { resnetStateDictSpec, vitStateDictSpec } from '../../../../src/backbone/arch/state-dict-spec.js';
import { InvalidArgumentError } from '../../../../src/errors/index.js';

describe('state dict specs without a model', () => {
  it('resnetStateDictSpec lists the keys and shapes of buildResNet, in its order', () => {
    const before = tf.memory().numTensors;
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 })),
        fc.constantFrom(4, 8),
        fc.constantFrom(64, 128),
        (layers, width, widthPerGroup) => {
          const config = { layers, width, widthPerGroup };
          const model = buildResNet(config);
          try {
            expect(resnetStateDictSpec(config)).toEqual(torchStateDictSpec(model));
          } finally {
            model.dispose();
          }
        },
      ),
      { numRuns: 12 },
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('matches ResNet-50 itself (downsample order included)', () => {
    const model = buildResNet(RESNET50_CONFIG);
    try {
      expect(resnetStateDictSpec(RESNET50_CONFIG)).toEqual(torchStateDictSpec(model));
    } finally {
      model.dispose();
    }
  });

  it('vitStateDictSpec lists the keys and shapes of buildVisionTransformer, in its order', () => {
    const before = tf.memory().numTensors;
    fc.assert(
      fc.property(
        fc.constantFrom(4, 8),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(2, 4),
        fc.constantFrom('cls', 'avgpool', 'cls+avgpool') as fc.Arbitrary<'cls' | 'avgpool' | 'cls+avgpool'>,
        (patchSize, patchesPerSide, depth, numHeads, mlpRatio, embedding) => {
          const config = { ...VIT_SMALL_CONFIG, imgSize: patchSize * patchesPerSide, patchSize, dim: 4 * numHeads, depth, numHeads, mlpRatio, embedding };
          const model = buildVisionTransformer(config);
          try {
            expect(vitStateDictSpec(config)).toEqual(torchStateDictSpec(model));
          } finally {
            model.dispose();
          }
        },
      ),
      { numRuns: 10 },
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects malformed configs as the builders do', () => {
    expect(() => resnetStateDictSpec({ layers: [1, 1, 1] as unknown as [1, 1, 1, 1] })).toThrow(InvalidArgumentError);
    expect(() => vitStateDictSpec({ dim: 10, numHeads: 3 })).toThrow(InvalidArgumentError);
  });
});
