import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import { checkCount, checkMode, checkNumber, checkThresholdMode } from './option-checks.js';

/**
 * Whether a larger (`'max'`, a score such as AUC or kappa) or a smaller (`'min'`, a loss)
 * monitored value is better.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export type MonitorMode = 'max' | 'min';

/**
 * Options of {@link ReduceLROnPlateau}. The two conventions differ in three details, all
 * reproduced exactly:
 *
 * - `'pytorch'` (`torch.optim.lr_scheduler.ReduceLROnPlateau`): the rate drops once more than
 *   `patience` epochs in a row failed to improve (on the `patience + 1`-th); improvement is
 *   relative by default (`value > best * (1 + threshold)` in mode max); epochs in cooldown are
 *   counted and then forgotten; a drop smaller than `eps` is skipped.
 * - `'keras'` (`keras.callbacks.ReduceLROnPlateau`): the rate drops once `patience` epochs in a
 *   row failed to improve (on the `patience`-th); improvement is absolute (`value > best +
 *   threshold`, Keras' `min_delta`); epochs in cooldown are not counted; the rate drops only
 *   while it is above `minLr`.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface ReduceLROnPlateauOptions {
  /**
   * Whether the monitored value should go up or down.
   * @defaultValue `'max'`
   */
  mode?: MonitorMode;
  /**
   * Multiplier applied to the rate on a plateau, in (0, 1).
   * @defaultValue `0.1`
   */
  factor?: number;
  /**
   * Non-improving epochs tolerated before a drop (see the conventions above).
   * @defaultValue `5` (the paper's linear-evaluation protocol; both libraries default to 10)
   */
  patience?: number;
  /**
   * Epochs after a drop during which bad epochs are not counted.
   * @defaultValue `0`
   */
  cooldown?: number;
  /**
   * Floor of the rate.
   * @defaultValue `0`
   */
  minLr?: number;
  /**
   * Least change that counts as an improvement.
   * @defaultValue `1e-4`
   */
  threshold?: number;
  /**
   * `'rel'`: an improvement must go beyond `best * (1 + threshold)` (mode max) or
   * `best * (1 - threshold)` (mode min), as PyTorch defines it; `'abs'`: beyond
   * `best ± threshold`.
   * @defaultValue `'rel'` for the `'pytorch'` convention, `'abs'` for `'keras'`
   */
  thresholdMode?: 'rel' | 'abs';
  /**
   * Which library's rules to follow.
   * @defaultValue `'pytorch'` (the paper's code is PyTorch)
   */
  convention?: 'pytorch' | 'keras';
  /**
   * PyTorch convention only: drops smaller than this are skipped.
   * @defaultValue `1e-8`
   */
  eps?: number;
}

/**
 * Reduces a learning rate when a monitored value stops improving: the scheduler of the paper's
 * linear-evaluation protocol (factor 0.1, patience 5, on the validation score). Pure
 * bookkeeping: call {@link ReduceLROnPlateau.step} once per epoch with the monitored value and
 * use the rate it returns for the next epoch.
 *
 * @remarks Since 0.1.0. `NaN` values never count as improvements.
 * @internal
 */
export class ReduceLROnPlateau {
  /** The options with their defaults filled in. */
  readonly options: Readonly<Required<ReduceLROnPlateauOptions>>;
  private currentLr: number;
  private bestValue: number;
  private bad = 0;
  private cooldownLeft = 0;
  private epochs = 0;
  private readonly drops: number[] = [];

  /**
   * @param initialLr - The rate of the first epoch (positive).
   * @param options - See {@link ReduceLROnPlateauOptions}.
   */
  constructor(initialLr: number, options: ReduceLROnPlateauOptions = {}) {
    const convention = options.convention ?? 'pytorch';
    if (convention !== 'pytorch' && convention !== 'keras') {
      throw new InvalidArgumentError(
        `ReduceLROnPlateau convention must be 'pytorch' or 'keras'; received ${describe(convention)}.`,
      );
    }
    const mode = checkMode(options.mode ?? 'max');
    this.options = {
      mode,
      factor: checkNumber('factor', options.factor ?? 0.1, (v) => v > 0 && v < 1, 'in (0, 1)'),
      patience: checkCount('patience', options.patience ?? 5),
      cooldown: checkCount('cooldown', options.cooldown ?? 0),
      minLr: checkNumber('minLr', options.minLr ?? 0, (v) => v >= 0, '>= 0'),
      threshold: checkNumber('threshold', options.threshold ?? 1e-4, (v) => v >= 0, '>= 0'),
      thresholdMode: checkThresholdMode(options.thresholdMode ?? (convention === 'keras' ? 'abs' : 'rel')),
      convention,
      eps: checkNumber('eps', options.eps ?? 1e-8, (v) => v >= 0, '>= 0'),
    };
    this.currentLr = checkNumber('initialLr', initialLr, (v) => v > 0, '> 0');
    this.bestValue = mode === 'max' ? -Infinity : Infinity;
  }

  /** The rate to use for the next epoch. */
  get lr(): number {
    return this.currentLr;
  }

  /** The best monitored value so far (`-Infinity` / `Infinity` before the first step). */
  get best(): number {
    return this.bestValue;
  }

  /** Epochs (1-based, counting steps) after which the rate changed. */
  get dropEpochs(): readonly number[] {
    return this.drops;
  }

  /**
   * Records the monitored value of one finished epoch.
   *
   * @returns The rate for the next epoch.
   */
  step(value: number): number {
    this.epochs++;
    if (this.options.convention === 'pytorch') this.stepPytorch(value);
    else this.stepKeras(value);
    return this.currentLr;
  }

  private stepPytorch(value: number): void {
    if (this.isBetter(value)) {
      this.bestValue = value;
      this.bad = 0;
    } else {
      this.bad++;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.bad = 0;
    }
    if (this.bad > this.options.patience) {
      const next = Math.max(this.currentLr * this.options.factor, this.options.minLr);
      if (this.currentLr - next > this.options.eps) this.drop(next);
      this.cooldownLeft = this.options.cooldown;
      this.bad = 0;
    }
  }

  private stepKeras(value: number): void {
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.bad = 0;
    }
    if (this.isBetter(value)) {
      this.bestValue = value;
      this.bad = 0;
    } else if (this.cooldownLeft === 0) {
      this.bad++;
      // Keras compares against float32(min_lr); Math.fround reproduces that rounding.
      if (this.bad >= this.options.patience && this.currentLr > Math.fround(this.options.minLr)) {
        const next = Math.max(this.currentLr * this.options.factor, this.options.minLr);
        // Keras "reduces" to an equal rate when lr is a rounding error above minLr; not a drop.
        if (next < this.currentLr) this.drop(next);
        this.cooldownLeft = this.options.cooldown;
        this.bad = 0;
      }
    }
  }

  private drop(next: number): void {
    this.currentLr = next;
    this.drops.push(this.epochs);
  }

  private isBetter(value: number): boolean {
    const { mode, threshold, thresholdMode } = this.options;
    const best = this.bestValue;
    if (thresholdMode === 'rel') {
      return mode === 'max' ? value > best * (1 + threshold) : value < best * (1 - threshold);
    }
    return mode === 'max' ? value > best + threshold : value < best - threshold;
  }
}
