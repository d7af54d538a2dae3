/**
 * @internal The seed of one run of a protocol: FNV-1a (32-bit) over the text
 * `"<seed>/<size>/<repeat>"`, so it depends only on the base seed, the subset size and the
 * repeat. Adding a size or a source, or naming a size differently, leaves every other run's
 * draw unchanged, and all sources of one size and repeat train on the same rows (paired runs).
 */
export function runSeed(seed: number, size: number | 'all', repeat: number): number {
  const text = `${seed}/${size}/${repeat}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
