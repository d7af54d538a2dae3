import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { Sha256, sha256Hex } from '../../../src/io/sha256.js';

const text = (s: string) => new TextEncoder().encode(s);
const nodeHex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// FIPS 180-4 / NIST CAVS example vectors.
const VECTORS: [string, Uint8Array, string][] = [
  ['empty', new Uint8Array(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['abc', text('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  [
    '448-bit message',
    text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  ],
  [
    '896-bit message',
    text('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'),
    'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
  ],
  ['a million a', new Uint8Array(1_000_000).fill(0x61), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
];

describe('Sha256 (pure TypeScript)', () => {
  it.each(VECTORS)('matches the NIST vector: %s', (_name, input, hex) => {
    expect(new Sha256().update(input).hex()).toBe(hex);
  });

  it('pads correctly at every length around the block boundaries', () => {
    for (const n of [0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129]) {
      const input = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
      expect(new Sha256().update(input).hex(), `length ${n}`).toBe(nodeHex(input));
    }
  });

  it('gives the same digest however the input is split into chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(600), { maxLength: 8 }), (data, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const h = new Sha256();
        let at = 0;
        for (const p of [...points, data.length]) {
          h.update(data.subarray(at, p));
          at = p;
        }
        expect(h.hex()).toBe(nodeHex(data));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses updates after the digest', () => {
    const h = new Sha256().update(text('x'));
    h.digest();
    expect(() => h.update(text('y'))).toThrow(/already taken/);
    expect(() => h.digest()).toThrow(/already taken/);
  });
});

describe('sha256Hex', () => {
  it('uses WebCrypto when present and agrees with the JS fallback', async () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    expect(await sha256Hex(data)).toBe(nodeHex(data));
    vi.stubGlobal('crypto', undefined);
    try {
      expect(await sha256Hex(data)).toBe(nodeHex(data));
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
