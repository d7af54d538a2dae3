/**
 * @internal Colours: viridis for magnitudes (perceptually uniform, readable in greyscale and by
 * the common colour-vision deficiencies; matplotlib's and scikit-learn's default) and the
 * Okabe-Ito palette for lines (designed to stay distinct under all three dichromacies).
 */

/** viridis at 0, 1/8, ..., 1 (matplotlib's table); between stops, linear in sRGB. */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [0x44, 0x01, 0x54],
  [0x47, 0x2d, 0x7b],
  [0x3b, 0x52, 0x8b],
  [0x2c, 0x72, 0x8e],
  [0x21, 0x91, 0x8c],
  [0x28, 0xae, 0x80],
  [0x5e, 0xc9, 0x62],
  [0xad, 0xdc, 0x30],
  [0xfd, 0xe7, 0x25],
];

/**
 * Okabe & Ito (2008), "Color Universal Design", without its yellow (too light on white): blue,
 * vermillion, bluish green, reddish purple, black, then orange and sky blue, which come last
 * because they contrast less than 3:1 with white.
 */
export const LINE_COLORS: readonly string[] = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#000000', '#e69f00', '#56b4e9'];

/** Dash patterns cycled after the colours run out, so a series is never told apart by colour alone. */
export const LINE_DASHES: readonly (string | undefined)[] = [undefined, '6 3', '2 2', '8 3 2 3'];

/** @internal The colour and dash of series `i`. */
export function lineStyle(i: number): { readonly color: string; readonly dash: string | undefined } {
  return {
    color: LINE_COLORS[i % LINE_COLORS.length] as string,
    dash: LINE_DASHES[Math.floor(i / LINE_COLORS.length) % LINE_DASHES.length],
  };
}

function hex(rgb: readonly number[]): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** @internal viridis at `t` in [0, 1] (clamped; NaN reads as 0) as `#rrggbb`. */
export function viridis(t: number): string {
  const u = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t));
  const pos = u * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = VIRIDIS[i] as readonly number[];
  const b = VIRIDIS[i + 1] as readonly number[];
  return hex(a.map((c, k) => c + ((b[k] as number) - c) * f));
}

/** @internal WCAG 2 relative luminance of `#rrggbb`. */
export function relativeLuminance(color: string): number {
  const channel = (k: number) => {
    const c = parseInt(color.slice(1 + 2 * k, 3 + 2 * k), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

/** @internal WCAG 2 contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const la = relativeLuminance(a);
  const lb = relativeLuminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/**
 * @internal Black or white, whichever contrasts more with `background`: at least 4.58:1 for any
 * background (the two tie at luminance 0.18), above WCAG AA's 4.5:1 for small text.
 */
export function textColorOn(background: string): string {
  return contrastRatio(background, '#000000') >= contrastRatio(background, '#ffffff') ? '#000000' : '#ffffff';
}
