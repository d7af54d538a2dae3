import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { Augmentation } from './augmentation.js';

/**
 * Chains augmentations: each runs on the previous one's output, all drawing from the same
 * random stream in order, as torchvision's `Compose`.
 *
 * @param transforms - The augmentations, first applied first. None gives the identity.
 * @throws InvalidArgumentError when an argument is not a function.
 * @remarks Since 0.1.0. FineTuner applies no augmentation unless its `augment` option is
 *   given, so 16-bit medical inputs are never altered by default.
 * @example
 * ```ts
 * import { compose, randomHorizontalFlip, randomResizedCrop, seededRandom } from 'dvme';
 * const augment = compose(randomResizedCrop(28, { scale: [0.7, 1] }), randomHorizontalFlip());
 * const out = augment({ data: new Float32Array(32 * 32 * 3), height: 32, width: 32, channels: 3 }, seededRandom(0));
 * ```
 */
export function compose(...transforms: Augmentation[]): Augmentation {
  transforms.forEach((t, i) => {
    if (typeof t !== 'function') {
      throw new InvalidArgumentError(`compose: argument ${i} must be an augmentation (a function); received ${describe(t)}. Build one with e.g. randomHorizontalFlip().`);
    }
  });
  return (image, random) => transforms.reduce((img, t) => t(img, random), image);
}
