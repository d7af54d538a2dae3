/**
 * A stable ascending sort of float keys that carries a `Uint32Array` payload (an index or a
 * label), the workhorse of the ROC metrics.
 *
 * @packageDocumentation
 */

/** Below this size a comparator sort wins over the radix sort's fixed cost (4 x 65536 counters). */
const SMALL = 2048;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Position of the high / low 32-bit word of a float64 in a Uint32Array view. */
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/** @internal Keys and payload after {@link sortWithPayload}. */
export interface SortedPairs {
  readonly keys: Float64Array;
  readonly payload: Uint32Array;
}

/**
 * @internal Sorts `keys` ascending, stable (equal keys keep their input order), moving
 * `payload[i]` along with `keys[i]`. Keys must be finite and `-0` already replaced by `0`.
 * The inputs are left untouched.
 *
 * A comparator-driven argsort is several times slower than this in V8 for large n; the
 * least-significant-digit radix sort over the IEEE-754 bits (16-bit digits, passes whose digit
 * is the same for every key skipped) runs in linear time.
 */
export function sortWithPayload(keys: Float64Array, payload: Uint32Array): SortedPairs {
  return keys.length < SMALL ? comparatorSort(keys, payload) : radixSort(keys, payload);
}

function comparatorSort(keys: Float64Array, payload: Uint32Array): SortedPairs {
  const n = keys.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => keys[a] - keys[b] || a - b);
  const k = new Float64Array(n);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    k[i] = keys[order[i]];
    p[i] = payload[order[i]];
  }
  return { keys: k, payload: p };
}

function radixSort(keys: Float64Array, payload: Uint32Array): SortedPairs {
  const n = keys.length;
  // Order-preserving map of a float's bits to an unsigned integer: flip every bit of a
  // negative number, only the sign bit of a non-negative one. Digit d of pass p is 16 bits
  // of that integer, least significant first.
  const words = new Uint32Array(keys.buffer, keys.byteOffset, 2 * n);
  const counts = new Uint32Array(4 * 65536);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + HI];
    const neg = h >>> 31 === 1;
    const lo = neg ? ~words[2 * i + LO] : words[2 * i + LO];
    const hi = neg ? ~h : h ^ 0x80000000;
    counts[lo & 0xffff]++;
    counts[65536 + ((lo >>> 16) & 0xffff)]++;
    counts[131072 + (hi & 0xffff)]++;
    counts[196608 + ((hi >>> 16) & 0xffff)]++;
  }
  // The first pass reads the caller's arrays; later passes ping-pong between two owned buffers.
  let src = keys;
  let srcWords = words;
  let srcPayload = payload;
  let spare: { keys: Float64Array; payload: Uint32Array } | undefined;
  let owned = false;
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * 65536;
    let sum = 0;
    let trivial = false;
    for (let d = 0; d < 65536; d++) {
      const c = counts[base + d];
      if (c === n) {
        trivial = true;
        break;
      }
      counts[base + d] = sum;
      sum += c;
    }
    if (trivial) continue;
    const dst = spare ?? { keys: new Float64Array(n), payload: new Uint32Array(n) };
    const dk = dst.keys;
    const dp = dst.payload;
    const word = pass < 2 ? LO : HI;
    const shift = (pass & 1) * 16;
    const positiveMask = pass < 2 ? 0 : 0x80000000;
    for (let i = 0; i < n; i++) {
      const flip = srcWords[2 * i + HI] >>> 31 === 1 ? 0xffffffff : positiveMask;
      const d = ((srcWords[2 * i + word] ^ flip) >>> shift) & 0xffff;
      const at = counts[base + d]++;
      dk[at] = src[i];
      dp[at] = srcPayload[i];
    }
    spare = owned ? { keys: src, payload: srcPayload } : undefined;
    src = dk;
    srcWords = new Uint32Array(dk.buffer);
    srcPayload = dp;
    owned = true;
  }
  return owned ? { keys: src, payload: srcPayload } : { keys: keys.slice(), payload: payload.slice() };
}
