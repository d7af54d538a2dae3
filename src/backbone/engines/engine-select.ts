import { BackendUnavailableError, InvalidArgumentError } from '../../errors/index.js';
import { describeImportFailure, type OnnxRuntimeProvider } from './onnx-runtime.js';

/**
 * Which engine runs a backbone: `'tfjs'` (tfjs-layers on the active tfjs backend), `'onnx'`
 * (onnxruntime), or `'auto'`: tfjs when its native backend (tfjs-node) is installed, otherwise
 * onnxruntime when installed, otherwise tfjs on wasm.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EngineChoice } from 'dvme';
 * const engine: EngineChoice = 'auto';
 * ```
 */
export type EngineChoice = 'auto' | 'tfjs' | 'onnx';

/**
 * What is installed, as {@link probeEngines} found it.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface EngineAvailability {
  /** A native tfjs backend (tfjs-node, tfjs-node-gpu) loads. */
  readonly tfjsNative: boolean;
  /** onnxruntime loads. */
  readonly onnx: boolean;
  /** Why each missing one is missing, in words (with the install command). */
  readonly reasons: readonly string[];
}

/**
 * The engine chosen and why, as `CheckpointLoadReport.engine` reports it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EngineDecision } from 'dvme';
 * // e.g. { engine: 'onnx', reason: 'onnxruntime is installed and tfjs-node is not' }
 * const line = (d: EngineDecision) => `${d.engine}: ${d.reason}`;
 * ```
 */
export interface EngineDecision {
  readonly engine: 'tfjs' | 'onnx';
  /** One sentence for logs. */
  readonly reason: string;
}

const CHOICES: readonly EngineChoice[] = ['auto', 'tfjs', 'onnx'];

function checkEngineChoice(choice: unknown): void {
  if (!CHOICES.includes(choice as EngineChoice)) {
    throw new InvalidArgumentError(`engine must be one of 'auto', 'tfjs', 'onnx'; received ${JSON.stringify(choice)}.`);
  }
}

/**
 * The engine for a choice and what is installed. Pure: {@link selectEngine} probes and then
 * calls it.
 *
 * @throws A {@link BackendUnavailableError} for `'onnx'` without onnxruntime (the reasons name
 * the install command); an {@link InvalidArgumentError} for an unknown choice.
 *
 * @remarks Since 0.1.0. `'auto'` prefers native tfjs because a user who installed tfjs-node
 * asked for it; onnxruntime beats tfjs on wasm by 8-30x on CPU, so it comes next.
 * @internal
 */
export function decideEngine(choice: EngineChoice, available: EngineAvailability): EngineDecision {
  checkEngineChoice(choice);
  if (choice === 'tfjs') return { engine: 'tfjs', reason: "engine: 'tfjs' was requested" };
  if (choice === 'onnx') {
    if (available.onnx) return { engine: 'onnx', reason: "engine: 'onnx' was requested" };
    throw new BackendUnavailableError(`engine: 'onnx' needs onnxruntime: ${available.reasons.join('; ') || 'it is not installed'}.`);
  }
  if (available.tfjsNative) return { engine: 'tfjs', reason: 'the native tfjs backend (tfjs-node) is installed' };
  if (available.onnx) return { engine: 'onnx', reason: 'onnxruntime is installed and tfjs-node is not' };
  return {
    engine: 'tfjs',
    reason: `neither tfjs-node nor onnxruntime is installed, so tfjs runs on wasm (${available.reasons.join('; ')}); installing onnxruntime is the fastest fix`,
  };
}

/**
 * How {@link probeEngines} finds out what is installed: a check for a native tfjs backend and
 * the onnxruntime provider.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface EngineProbes {
  /** Resolves true when native tfjs is usable; a rejection counts as not installed. */
  readonly tfjsNative?: () => Promise<boolean>;
  readonly onnx?: OnnxRuntimeProvider;
}

/**
 * Tries each probe once and reports what is usable (a probe that throws counts as missing).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export async function probeEngines(probes: EngineProbes): Promise<EngineAvailability> {
  const reasons: string[] = [];
  let tfjsNative = false;
  if (probes.tfjsNative) {
    try {
      tfjsNative = await probes.tfjsNative();
      if (!tfjsNative) reasons.push('the native tfjs backend is not active');
    } catch (e) {
      reasons.push(describeImportFailure('@tensorflow/tfjs-node', e));
    }
  }
  let onnx = false;
  if (probes.onnx) {
    try {
      await probes.onnx.load();
      onnx = true;
    } catch (e) {
      reasons.push(describeImportFailure(probes.onnx.package, e));
    }
  } else reasons.push('no onnxruntime provider is registered');
  return { tfjsNative, onnx, reasons };
}

/**
 * Probes, then decides: the engine for `choice` on this machine, with the reason.
 *
 * @throws A {@link BackendUnavailableError} for `'onnx'` without onnxruntime.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export async function selectEngine(choice: EngineChoice, probes: EngineProbes): Promise<EngineDecision & { readonly available: EngineAvailability }> {
  checkEngineChoice(choice);
  // 'tfjs' needs no probing: nothing is imported that the caller did not ask for.
  const available = choice === 'tfjs' ? { tfjsNative: false, onnx: false, reasons: [] } : await probeEngines(probes);
  return { ...decideEngine(choice, available), available };
}

let probes: EngineProbes = {};

/**
 * Registers how `'auto'` finds out what is installed on this platform; the entrypoints call it
 * on import (`dvme/node`: tfjs-node and onnxruntime-node; `dvme/browser`: onnxruntime-web).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function registerEngineProbes(next: EngineProbes): void {
  probes = next;
}

/**
 * The registered probes (empty when no entrypoint registered any: `'auto'` then means tfjs).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function registeredEngineProbes(): EngineProbes {
  return probes;
}
