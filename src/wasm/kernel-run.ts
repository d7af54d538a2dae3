import * as tf from '@tensorflow/tfjs-core';

/** @internal A tensor as kernels see it. */
export type Info = tf.TensorInfo;
/** @internal A kernel's attributes. */
export type Attrs = Record<string, unknown>;
/** @internal Runs a kernel of the backend being served by name. */
export type Run = (name: string, inputs: Record<string, Info>, attrs?: Attrs) => Info;

/** @internal The kernel that a replacement replaced. */
export type Original = (inputs: Record<string, Info>, attrs: Attrs) => Info;

/**
 * @internal Registers `kernelFunc` as `kernelName` for `backendName`, replacing the backend's own
 * kernel when it has one: `kernelFunc` receives a {@link Run} for the backend's kernels (by name,
 * looked up when called, so that kernels built from kernels see each other's replacements), the
 * replaced kernel (`undefined` when there was none), a dispose, the backend running the call, and
 * the call's inputs and attrs.
 * Returns false when a kernel in `needs` is missing (nothing is registered then).
 */
export function replaceKernel(
  kernelName: string,
  backendName: string,
  needs: readonly string[],
  kernelFunc: (
    ctx: { run: Run; original: Original | undefined; dispose: (t: Info) => void; backend: tf.KernelBackend },
    inputs: Record<string, Info>,
    attrs: Attrs,
  ) => Info,
): boolean {
  for (const name of needs) {
    if (tf.getKernel(name, backendName) === undefined) return false;
  }
  const previous = tf.getKernel(kernelName, backendName);
  if (previous !== undefined) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    kernelName,
    backendName,
    // setupFunc ran when the backend was first made; re-running it is harmless and keeps a
    // backend made later working.
    ...(previous?.setupFunc ? { setupFunc: previous.setupFunc } : {}),
    ...(previous?.disposeFunc ? { disposeFunc: previous.disposeFunc } : {}),
    kernelFunc: ({ inputs, backend, attrs }) => {
      const call = (fn: tf.KernelFunc, ins: Record<string, Info>, a: Attrs): Info =>
        fn({ inputs: ins, backend, attrs: a as tf.NamedAttrMap }) as Info;
      const run: Run = (name, ins, a = {}) => {
        const k = tf.getKernel(name, backendName);
        if (k === undefined) throw new Error(`${kernelName}: backend '${backendName}' has no ${name} kernel.`);
        return call(k.kernelFunc, ins, a);
      };
      const original: Original | undefined = previous ? (ins, a) => call(previous.kernelFunc, ins, a) : undefined;
      const dispose = (t: Info): void => void (backend as tf.KernelBackend).disposeData(t.dataId);
      return kernelFunc({ run, original, dispose, backend: backend as tf.KernelBackend }, inputs as Record<string, Info>, attrs as Attrs);
    },
  });
  return true;
}
