import { localPathErrorCode } from '../data/local-path.js';
import { loadMedMnist, medMnistUrl, type MedMnist, type MedMnistName } from '../data/medmnist.js';
import { DownloadError, IntegrityError, InvalidArgumentError, OfflineError } from '../errors/index.js';
import type { LinearEvalConfig } from './args.js';

/**
 * @internal Loads the command's dataset (`--data`, else the download cache or Zenodo). The
 * library's messages name its options (`path`, `offline: true`); these name the flags, and say
 * what to do about a wrong `--data`, a cache miss under `--offline` or no network.
 */
export async function loadDataset(
  config: Pick<LinearEvalConfig, 'data' | 'imageSize' | 'offline'> & { readonly dataset: MedMnistName },
  onProgress: (loaded: number, total: number | undefined) => void,
): Promise<MedMnist<MedMnistName>> {
  const { dataset, data, imageSize: size } = config;
  const file = `${dataset}${size === 28 ? '' : `_${size}`}.npz`;
  try {
    return await loadMedMnist(dataset, { ...(data !== undefined ? { path: data } : {}), size, offline: config.offline, onProgress });
  } catch (e) {
    if (data !== undefined && localPathErrorCode(e) !== undefined) {
      // The library's error wraps the platform's, which names the path tried and what is wrong.
      const cause = (e as Error).cause;
      const read = InvalidArgumentError.is(cause) ? cause.message : (e as Error).message;
      throw new InvalidArgumentError(
        `--data ${JSON.stringify(data)}: ${read} Pass --data <path> to ${file} or to the folder holding it, or leave --data out to download it.`,
        { cause: e },
      );
    }
    if (data !== undefined || IntegrityError.is(e) || !DownloadError.is(e)) throw e;
    const url = e.url ?? medMnistUrl(dataset, size);
    const { status, cause } = e;
    const what = `${dataset} (${size} px)`;
    // OfflineError adds no field to DownloadError, so `is` would narrow the other branch to never.
    if (OfflineError.is(e)) {
      throw new OfflineError(
        `${what} is not in the download cache and --offline was given. ` +
          `Run once without --offline to download it from ${url}, or pass --data <path> to a ${file} you have.`,
        { cause: e, url },
      );
    }
    const why = status !== undefined ? `HTTP ${status}` : cause instanceof Error ? cause.message : undefined;
    throw new DownloadError(
      `could not download ${what} from ${url}${why ? ` (${why})` : ''}. ` +
        `Check the network, pass --data <path> to a ${file} you have, or --offline to use the download cache only.`,
      { cause: e, url, ...(status !== undefined ? { status } : {}) },
    );
  }
}
