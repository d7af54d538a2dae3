/**
 * A property every dvme error carries. `Symbol.for` puts it in the global symbol registry, so
 * it is the same symbol in every copy of the package that a bundle may hold.
 */
const BRAND: unique symbol = Symbol.for('dvme.error') as never;

/**
 * Base class of every error dvme throws on purpose.
 *
 * @remarks
 * Since 0.1.0. `instanceof` fails when an app holds two copies of dvme (a bundler duplicating a
 * dependency, say); use the static `is` of the class you want instead, which checks a
 * registry-wide brand and the error's `code`.
 *
 * @example
 * ```ts
 * import { DvmeError, cohenKappaScore } from 'dvme/metrics';
 * try {
 *   cohenKappaScore([], []);
 * } catch (e) {
 *   if (DvmeError.is(e)) console.log(e.code); // 'UNDEFINED_METRIC'
 * }
 * ```
 */
export class DvmeError extends Error {
  /** Machine-readable code of this class of error; `undefined` on the base class. */
  static readonly code: string | undefined = undefined;

  /** Machine-readable code, stable across versions (e.g. `'SHAPE'`). */
  readonly code: string;

  /** @internal */
  readonly [BRAND] = true;

  /**
   * @param message - what happened, the value received, what is allowed, how to fix it.
   * @param options - standard `cause`.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const ctor = new.target as unknown as { code?: string; name: string };
    this.name = ctor.name;
    this.code = ctor.code ?? 'DVME';
  }

  /**
   * True when `e` is an error of this class (or a subclass of it), from any copy of dvme.
   *
   * @example
   * ```ts
   * import { ShapeError } from 'dvme/metrics';
   * ShapeError.is(new ShapeError('bad')); // true
   * ```
   */
  static is<T extends abstract new (...args: never[]) => DvmeError>(
    this: T,
    e: unknown,
  ): e is InstanceType<T> {
    if (typeof e !== 'object' || e === null || (e as Record<symbol, unknown>)[BRAND] !== true) {
      return false;
    }
    const code = (this as unknown as { code?: string }).code;
    if (code === undefined) return true;
    const codes = (e as { codes?: readonly string[] }).codes;
    return Array.isArray(codes) ? codes.includes(code) : (e as DvmeError).code === code;
  }

  /**
   * Codes of this error's class and of every dvme class above it, so that `is` of a parent
   * class also matches errors of its subclasses across package copies.
   *
   * @internal
   */
  get codes(): readonly string[] {
    const out: string[] = [];
    let ctor = this.constructor as { code?: string } | null;
    while (ctor && ctor !== (DvmeError as unknown)) {
      if (ctor.code !== undefined && !out.includes(ctor.code)) out.push(ctor.code);
      ctor = Object.getPrototypeOf(ctor) as { code?: string } | null;
    }
    return out;
  }
}
