/**
 * Builds the crafted checkpoint of issue #14: a chain of dicts in which every dict holds two
 * long keys that both point at the next one, so `levels` levels describe 2^levels paths, each
 * `levels * keyLength` characters long, in a few tens of kilobytes of pickle (the memo shares
 * every dict and key).
 */
export function sharedDictChainPickle(levels: number, keyLength: number): Uint8Array {
  const out: number[] = [0x80, 0x02]; // PROTO 2
  const u32 = (v: number): void => void out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  const put = (index: number): void => (out.push(0x72), u32(index)); // LONG_BINPUT
  const get = (index: number): void => (out.push(0x6a), u32(index)); // LONG_BINGET
  const key = (text: string): void => {
    const bytes = new TextEncoder().encode(text);
    out.push(0x58); // BINUNICODE
    u32(bytes.length);
    out.push(...bytes);
  };
  out.push(0x7d); // EMPTY_DICT: the innermost level
  put(0);
  out.push(0x30); // POP: the memo keeps it
  for (let level = 1; level <= levels; level++) {
    out.push(0x7d, 0x28); // EMPTY_DICT, MARK
    key(`a${level}`.padEnd(keyLength, 'x'));
    get(level - 1);
    key(`b${level}`.padEnd(keyLength, 'x'));
    get(level - 1);
    out.push(0x75); // SETITEMS
    put(level);
    if (level < levels) out.push(0x30); // POP
  }
  out.push(0x2e); // STOP
  return Uint8Array.from(out);
}
