import { checkCount, checkMode, checkNumber } from './option-checks.js';
import type { MonitorMode } from './reduce-lr-on-plateau.js';

/**
 * Options of {@link EarlyStopping}.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface EarlyStoppingOptions<T = unknown> {
  /**
   * Whether the monitored value should go up or down.
   * @defaultValue `'max'`
   */
  mode?: MonitorMode;
  /**
   * Epochs in a row without improvement after which training stops (Keras' `wait >= patience`).
   * @defaultValue `10` (the paper's protocol)
   */
  patience?: number;
  /**
   * Least change that counts as an improvement (Keras' `min_delta`, absolute).
   * @defaultValue `0`
   */
  minDelta?: number;
  /**
   * Training never stops before this many epochs, whatever the patience says. Epochs before it
   * still count towards the best value and its snapshot.
   * @defaultValue `0`
   */
  minEpochs?: number;
  /**
   * Called with a snapshot that is no longer the best (to dispose tensors it holds).
   * @defaultValue none
   */
  release?: (snapshot: T) => void;
}

/**
 * What {@link EarlyStopping.step} decided about one epoch.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface EarlyStoppingStep {
  /** The epoch just recorded, 1-based. */
  readonly epoch: number;
  /** The value beat the best so far (its snapshot, if any, was taken). */
  readonly improved: boolean;
  /** Training should stop now. */
  readonly stop: boolean;
}

/**
 * Early stopping with restore-best, as Keras' `EarlyStopping(restore_best_weights=True)`
 * defines it, plus a floor on the epoch count: the paper's protocol stops after 10 epochs
 * without improvement of the validation score, never before epoch 30, and keeps the weights
 * of the best epoch. Pure bookkeeping, generic in what a snapshot is.
 *
 * @remarks Since 0.1.0. `NaN` values never count as improvements.
 * @internal
 */
export class EarlyStopping<T = unknown> {
  /** The options with their defaults filled in (`release` excluded). */
  readonly options: Readonly<Required<Omit<EarlyStoppingOptions<T>, 'release'>>>;
  private readonly release: ((snapshot: T) => void) | undefined;
  private bestValue: number;
  private bestAt = 0;
  private snapshot: T | undefined;
  private wait = 0;
  private epochs = 0;
  private stoppedAt = 0;

  /** @param options - See {@link EarlyStoppingOptions}. */
  constructor(options: EarlyStoppingOptions<T> = {}) {
    this.options = {
      mode: checkMode(options.mode ?? 'max'),
      patience: checkCount('patience', options.patience ?? 10),
      minDelta: checkNumber('minDelta', options.minDelta ?? 0, (v) => v >= 0, '>= 0'),
      minEpochs: checkCount('minEpochs', options.minEpochs ?? 0),
    };
    this.release = options.release;
    this.bestValue = this.options.mode === 'max' ? -Infinity : Infinity;
  }

  /** The best monitored value so far (`∓Infinity` before any improvement). */
  get best(): number {
    return this.bestValue;
  }

  /** The 1-based epoch of the best value; 0 before any improvement. */
  get bestEpoch(): number {
    return this.bestAt;
  }

  /** The snapshot taken at the best epoch (restore it when training ends). */
  get bestSnapshot(): T | undefined {
    return this.snapshot;
  }

  /** The 1-based epoch at which `step` first said stop; 0 while training goes on. */
  get stoppedEpoch(): number {
    return this.stoppedAt;
  }

  /**
   * Records the monitored value of one finished epoch.
   *
   * @param value - The monitored value.
   * @param capture - Takes a snapshot of the current weights; called only on improvement.
   */
  step(value: number, capture?: () => T): EarlyStoppingStep {
    this.epochs++;
    this.wait++;
    const { mode, minDelta, patience, minEpochs } = this.options;
    const improved = mode === 'max' ? value - minDelta > this.bestValue : value + minDelta < this.bestValue;
    if (improved) {
      this.bestValue = value;
      this.bestAt = this.epochs;
      this.wait = 0;
      if (capture) {
        const next = capture();
        if (this.snapshot !== undefined) this.release?.(this.snapshot);
        this.snapshot = next;
      }
    }
    const stop = this.stoppedAt > 0 || (this.wait >= patience && this.epochs >= minEpochs);
    if (stop && this.stoppedAt === 0) this.stoppedAt = this.epochs;
    return { epoch: this.epochs, improved, stop };
  }

  /** Hands the best snapshot over (the caller owns it now) and forgets it. */
  takeBestSnapshot(): T | undefined {
    const s = this.snapshot;
    this.snapshot = undefined;
    return s;
  }

  /** Releases the held snapshot, if any. Idempotent. */
  dispose(): void {
    const s = this.takeBestSnapshot();
    if (s !== undefined) this.release?.(s);
  }
}
