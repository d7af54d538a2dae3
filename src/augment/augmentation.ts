/** An image as augmentations see it: HWC float32, values in the input's own range. */
export interface AugmentImage { readonly data: Float32Array; readonly height: number; readonly width: number; readonly channels: number }
/** A seeded random transform; `random()` returns uniform floats in [0, 1). */
export type Augmentation = (image: AugmentImage, random: () => number) => AugmentImage;
