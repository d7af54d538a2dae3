/**
 * The last two steps of libjpeg's decoder (jdsample.c, jdcolor.c), applied to jpeg-js's raw
 * YCbCr output: "fancy" (triangle-filter) chroma upsampling and fixed-point YCbCr -> RGB. jpeg-js
 * repeats chroma samples and truncates colours; libjpeg-turbo, which Pillow and most tools
 * use, does neither, and matching it keeps embeddings close to those of a Python pipeline.
 */

/** libjpeg's YCbCr -> RGB tables (16-bit fixed point, rounded). */
const YCC = (() => {
  const fix = (x: number) => Math.floor(x * 65536 + 0.5);
  const crR = new Int32Array(256);
  const cbB = new Int32Array(256);
  const crG = new Int32Array(256);
  const cbG = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    const x = i - 128;
    crR[i] = (fix(1.402) * x + 32768) >> 16;
    cbB[i] = (fix(1.772) * x + 32768) >> 16;
    crG[i] = -fix(0.71414) * x;
    cbG[i] = -fix(0.34414) * x + 32768;
  }
  return { crR, cbB, crG, cbG };
})();

/** @internal Converts interleaved YCbCr bytes to RGB in place, as libjpeg's `ycc_rgb_convert`. */
export function yccToRgb(data: Uint8Array): void {
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
  for (let i = 0; i < data.length; i += 3) {
    const y = data[i] as number;
    const cb = data[i + 1] as number;
    const cr = data[i + 2] as number;
    data[i] = clamp(y + (YCC.crR[cr] as number));
    data[i + 1] = clamp(y + (((YCC.cbG[cb] as number) + (YCC.crG[cr] as number)) >> 16));
    data[i + 2] = clamp(y + (YCC.cbB[cb] as number));
  }
}

/**
 * One output row of libjpeg's `h2v1_fancy_upsample` / `h2v2_fancy_upsample`: `sums` holds a
 * chroma row (h2v2: 3 x the nearer row + the other one), and every output is 3/4 of the nearer
 * column plus 1/4 of the other, with libjpeg's rounding biases; writes `out[o + 3 * x]`.
 */
function upsampleRow(sums: Int32Array, n: number, v2: boolean, out: Uint8Array, o: number, width: number): void {
  const shift = v2 ? 4 : 2;
  const [evenBias, oddBias, firstBias, lastBias] = v2 ? [8, 7, 8, 7] : [1, 2, 0, 0];
  for (let i = 0; i < n; i++) {
    const s = sums[i] as number;
    const even = i === 0 ? (s * 4 + firstBias) >> shift : (s * 3 + (sums[i - 1] as number) + evenBias) >> shift;
    const odd = i === n - 1 ? (s * 4 + lastBias) >> shift : (s * 3 + (sums[i + 1] as number) + oddBias) >> shift;
    out[o + 6 * i] = even;
    if (2 * i + 1 < width) out[o + 6 * i + 3] = odd;
  }
}

/**
 * @internal Replaces jpeg-js's repeated Cb and Cr samples (channels 1 and 2 of interleaved
 * `width x height` YCbCr) with libjpeg's fancy upsampling, for the layouts libjpeg upsamples that
 * way: 4:2:0 (luma sampled 2 x 2) and 4:2:2 (2 x 1) with chroma at 1 x 1. Other layouts are left
 * as jpeg-js made them.
 */
export function upsampleChromaLikeLibjpeg(data: Uint8Array, width: number, height: number, sampling: readonly (readonly [number, number])[]): void {
  const [luma, cb, cr] = sampling as [readonly [number, number], readonly [number, number], readonly [number, number]];
  if (cb[0] !== 1 || cb[1] !== 1 || cr[0] !== 1 || cr[1] !== 1 || luma[0] !== 2 || (luma[1] !== 1 && luma[1] !== 2)) return;
  const v2 = luma[1] === 2;
  const cw = Math.ceil(width / 2);
  const ch = v2 ? Math.ceil(height / 2) : height;
  for (const c of [1, 2]) {
    // jpeg-js repeated each chroma sample over its 2 x 1 or 2 x 2 block: its top-left copy is the sample.
    const plane = new Int32Array(cw * ch);
    for (let j = 0; j < ch; j++) {
      for (let i = 0; i < cw; i++) plane[j * cw + i] = data[((v2 ? 2 * j : j) * width + 2 * i) * 3 + c] as number;
    }
    const sums = new Int32Array(cw);
    for (let y = 0; y < height; y++) {
      const j = v2 ? y >> 1 : y;
      if (v2) {
        // The nearer chroma row weighs 3, the other 1; rows past the edges repeat the edge row.
        const other = Math.min(ch - 1, Math.max(0, y % 2 === 0 ? j - 1 : j + 1));
        for (let i = 0; i < cw; i++) sums[i] = (plane[j * cw + i] as number) * 3 + (plane[other * cw + i] as number);
      } else {
        for (let i = 0; i < cw; i++) sums[i] = plane[j * cw + i] as number;
      }
      upsampleRow(sums, cw, v2, data, y * width * 3 + c, width);
    }
  }
}
