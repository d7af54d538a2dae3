import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { MonitorMode } from './reduce-lr-on-plateau.js';

// Validators of hyperparameters shared by the probe's pieces: each throws an
// InvalidArgumentError naming the option, the value received and what is allowed.

/** @internal Validates a {@link MonitorMode}. */
export function checkMode(mode: unknown): MonitorMode {
  if (mode !== 'max' && mode !== 'min') {
    throw new InvalidArgumentError(`mode must be 'max' or 'min'; received ${describe(mode)}.`);
  }
  return mode;
}

/** @internal Validates a threshold mode. */
export function checkThresholdMode(mode: unknown): 'rel' | 'abs' {
  if (mode !== 'rel' && mode !== 'abs') {
    throw new InvalidArgumentError(`thresholdMode must be 'rel' or 'abs'; received ${describe(mode)}.`);
  }
  return mode;
}

/** @internal A finite number passing `ok`, else {@link InvalidArgumentError}. */
export function checkNumber(name: string, v: unknown, ok: (v: number) => boolean, allowed: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new InvalidArgumentError(`${name} must be a finite number ${allowed}; received ${describe(v)}.`);
  }
  return v;
}

/** @internal A non-negative integer, else {@link InvalidArgumentError}. */
export function checkCount(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative integer; received ${describe(v)}.`);
  }
  return v;
}
