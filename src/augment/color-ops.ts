import type { AugmentImage } from './augmentation.js';

// torchvision.transforms.functional_tensor's colour adjustments on float tensors, per HWC pixel.
// `bound` is torchvision's clamp bound: 1 for float images, 255 for uint8 ones.

function withData(image: AugmentImage, data: Float32Array): AugmentImage {
  return { data, height: image.height, width: image.width, channels: image.channels };
}

/** `_blend`: `clamp(ratio * a + (1 - ratio) * b, 0, bound)`, `b` one value per pixel. */
function blend(image: AugmentImage, other: Float32Array | number, ratio: number, bound: number): AugmentImage {
  const { data, channels: c } = image;
  const out = new Float32Array(data.length);
  const pixels = data.length / c;
  for (let p = 0; p < pixels; p++) {
    const b = (1 - ratio) * (typeof other === 'number' ? other : other[p]);
    for (let ch = 0; ch < c; ch++) {
      const v = ratio * data[p * c + ch] + b;
      out[p * c + ch] = v < 0 ? 0 : v > bound ? bound : v;
    }
  }
  return withData(image, out);
}

/** `rgb_to_grayscale` of one RGB pixel (ITU-R 601-2 luma, torchvision's weights). */
function luma(data: Float32Array, pixel: number): number {
  return 0.2989 * data[pixel * 3] + 0.587 * data[pixel * 3 + 1] + 0.114 * data[pixel * 3 + 2];
}

/** @internal `F.adjust_brightness`: scales every value by `factor`. */
export function adjustBrightness(image: AugmentImage, factor: number, bound: number): AugmentImage {
  return blend(image, 0, factor, bound);
}

/** @internal `F.adjust_contrast`: blends with the mean grey level (all values when 1 channel). */
export function adjustContrast(image: AugmentImage, factor: number, bound: number): AugmentImage {
  const { data, channels } = image;
  const pixels = image.height * image.width;
  let sum = 0;
  if (channels === 3) for (let p = 0; p < pixels; p++) sum += Math.fround(luma(data, p));
  else for (let i = 0; i < data.length; i++) sum += data[i];
  const mean = sum / (channels === 3 ? pixels : data.length);
  return blend(image, mean, factor, bound);
}

/** @internal `F.adjust_saturation`: blends with the grey image; 1 channel is returned as is. */
export function adjustSaturation(image: AugmentImage, factor: number, bound: number): AugmentImage {
  if (image.channels === 1) return image;
  const { data } = image;
  const grey = new Float32Array(data.length / 3);
  for (let p = 0; p < grey.length; p++) grey[p] = luma(data, p);
  return blend(image, grey, factor, bound);
}

/**
 * @internal `F.adjust_hue`: rotates the hue by `factor` turns in HSV (`_rgb2hsv` / `_hsv2rgb`,
 * values taken as fractions of `bound`); 1 channel is returned as is.
 */
export function adjustHue(image: AugmentImage, factor: number, bound: number): AugmentImage {
  if (image.channels === 1) return image;
  const { data } = image;
  const out = new Float32Array(data.length);
  const clamp01 = (v: number): number => Math.min(Math.max(v, 0), 1);
  for (let p = 0; p < data.length / 3; p++) {
    const r = data[p * 3] / bound;
    const g = data[p * 3 + 1] / bound;
    const b = data[p * 3 + 2] / bound;
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    const eqc = maxc === minc;
    const cr = maxc - minc;
    const s = cr / (eqc ? 1 : maxc);
    const div = eqc ? 1 : cr;
    const rc = (maxc - r) / div;
    const gc = (maxc - g) / div;
    const bc = (maxc - b) / div;
    let h: number;
    if (maxc === r) h = bc - gc;
    else if (maxc === g) h = 2 + rc - bc;
    else h = 4 + gc - rc;
    h = (h / 6 + 1) % 1; // torch.fmod of a value > 0
    h = (((h + factor) % 1) + 1) % 1; // Python's % 1.0: the result takes the divisor's sign
    const v = maxc;
    const i6 = Math.floor(h * 6);
    const f = h * 6 - i6;
    const pp = clamp01(v * (1 - s));
    const q = clamp01(v * (1 - s * f));
    const t = clamp01(v * (1 - s * (1 - f)));
    let rr = v;
    let gg = v;
    let bb = v;
    switch (((i6 % 6) + 6) % 6) {
      case 0: rr = v; gg = t; bb = pp; break;
      case 1: rr = q; gg = v; bb = pp; break;
      case 2: rr = pp; gg = v; bb = t; break;
      case 3: rr = pp; gg = q; bb = v; break;
      case 4: rr = t; gg = pp; bb = v; break;
      default: rr = v; gg = pp; bb = q; break;
    }
    out[p * 3] = rr * bound;
    out[p * 3 + 1] = gg * bound;
    out[p * 3 + 2] = bb * bound;
  }
  return withData(image, out);
}
