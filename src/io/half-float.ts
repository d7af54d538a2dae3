/**
 * Exact conversions between IEEE binary16 / bfloat16 bit patterns and JS numbers. Checkpoints
 * store half-precision weights; tfjs computes in float32, so every value must survive the trip
 * bit-exactly (subnormals, signed zero, infinities and NaN included).
 */

/** Float32 value of each of the 65536 binary16 bit patterns; built on first use (256 KiB). */
let halfTable: Float32Array | undefined;

/**
 * The value of a binary16 (IEEE half) bit pattern, exactly.
 *
 * @param bits - the 16-bit pattern, `0..0xffff`.
 * @returns the number it encodes (subnormals, `-0`, `±Infinity`, `NaN` included).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/**
 * Decodes binary16 bit patterns into float32 values, exactly (every binary16 value is a
 * float32 value).
 *
 * @param bits - the bit patterns.
 * @returns a new array of the same length.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  if (halfTable === undefined) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = float16BitsToNumber(i);
  }
  const table = halfTable;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/**
 * Decodes bfloat16 bit patterns (the high 16 bits of a float32) into float32 values, exactly.
 *
 * @param bits - the bit patterns.
 * @returns a new array of the same length.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const words = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) words[i] = bits[i] << 16;
  return new Float32Array(words.buffer);
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/**
 * The binary16 bit pattern nearest to a number (round to nearest, ties to even, as numpy and
 * torch do); overflow gives `±Infinity`, NaN stays NaN.
 *
 * @param value - any number; it is first rounded to float32, as numpy's `astype` chain does.
 * @returns the 16-bit pattern.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function numberToFloat16Bits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200 | (mantissa >>> 13));
  const halfExponent = exponent - 112;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Result is subnormal: shift the full 24-bit significand down to units of 2^-24.
    const shift = 14 - halfExponent;
    if (shift > 24) return sign;
    return sign | roundShift(mantissa | 0x800000, shift);
  }
  // The carry out of the mantissa rounding lands in the exponent, which is what we want.
  return sign | ((halfExponent << 10) + roundShift(mantissa, 13));
}

/** `value >> shift`, rounded to nearest with ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}
