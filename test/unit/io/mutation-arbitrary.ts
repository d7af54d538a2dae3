import fc from 'fast-check';
import type { Mutation } from './fixtures.js';

/** Truncations and byte overwrites of a valid file, biased towards small edits. */
export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  truncateAt: fc.option(fc.nat(), { freq: 3 }),
  edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
});
