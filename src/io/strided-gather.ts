/**
 * Copies the elements of a strided view (torch's size/stride/offset, in elements) into a new
 * C-ordered buffer. Used for non-contiguous torch tensors and Fortran-order `.npy` arrays.
 * The caller has checked that every index lands inside `src`.
 *
 * @internal
 */
export function gatherStrided(
  src: Uint8Array,
  itemsize: number,
  offset: number,
  size: readonly number[],
  stride: readonly number[],
): Uint8Array {
  let numel = 1;
  for (const d of size) numel *= d;
  const out = new Uint8Array(numel * itemsize);
  const rank = size.length;
  // An odometer over the output index; `element` follows it through the strided source.
  const index = new Array<number>(rank).fill(0);
  let element = offset;
  for (let o = 0; o < out.length; o += itemsize) {
    const p = element * itemsize;
    for (let k = 0; k < itemsize; k++) out[o + k] = src[p + k];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < size[d]) {
        element += stride[d];
        break;
      }
      element -= (size[d] - 1) * stride[d];
      index[d] = 0;
    }
  }
  return out;
}
