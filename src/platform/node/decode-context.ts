import { ImageDecodeError } from '../../errors/index.js';

/**
 * @internal What a decoder needs besides the bytes: the options, and a way to fail with an
 * {@link ImageDecodeError} that names the file.
 */
export class DecodeContext {
  /** How the file is named in messages: its path, the given name, or "the image bytes". */
  readonly label: string;

  constructor(
    readonly file: string | undefined,
    readonly pixelType: 'uint8' | 'float32',
    readonly maxPixels: number,
    readonly maxDecodedBytes: number,
  ) {
    this.label = file === undefined ? 'the image bytes' : JSON.stringify(file);
  }

  /** Throws "Cannot decode <file>: <problem>." */
  fail(problem: string, cause?: unknown): never {
    throw new ImageDecodeError(`Cannot decode ${this.label}: ${problem}.`, { file: this.file, cause });
  }

  /** Throws for a file that ends early, saying how to fix that. */
  truncated(problem: string): never {
    this.fail(`${problem}; the file is truncated or damaged: copy or download it again`);
  }

  /** Refuses images larger than `maxPixels` before any pixel memory is allocated. */
  checkPixels(width: number, height: number): void {
    if (width * height > this.maxPixels) {
      this.fail(
        `it is ${width} x ${height} = ${width * height} pixels, more than maxPixels (${this.maxPixels}); ` +
          'pass a larger maxPixels if the file is trusted',
      );
    }
  }

  /**
   * Refuses images whose decoding would hold more than `maxDecodedBytes` at once (`bytes`, as
   * the decoder estimates it from the header), before any pixel memory is allocated: a few
   * hundred bytes of header can otherwise ask for gigabytes and seconds of work.
   */
  checkDecodedBytes(width: number, height: number, kind: string, bytes: number): void {
    if (bytes > this.maxDecodedBytes) {
      this.fail(
        `it is ${width} x ${height} pixels of ${kind}, which takes about ${bytes} bytes to decode, more than ` +
          `maxDecodedBytes (${this.maxDecodedBytes}); pass a larger maxDecodedBytes if the file is trusted`,
      );
    }
  }
}
