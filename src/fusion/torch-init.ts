import * as tfl from '@tensorflow/tfjs-layers';

type Initializer = ReturnType<typeof tfl.initializers.zeros>;

/**
 * @internal Initialisers reproducing PyTorch's `nn.Linear.reset_parameters`: the kernel from
 * `kaiming_uniform_(a=sqrt(5))`, which is U(-1/sqrt(fanIn), 1/sqrt(fanIn)), and the bias from
 * the same range. The paper's heads are PyTorch modules with default initialisation, and the
 * starting point shapes how far 30-50 epochs of Adam get, so the port starts where they did.
 *
 * Both are tfjs-layers' own serialisable initialisers (VarianceScaling with scale 1/3 gives
 * limit sqrt(3 * scale / fanIn) = 1/sqrt(fanIn)), so a saved topology reloads without custom
 * classes.
 *
 * @param fanIn - Input width of the linear layer.
 * @param seed - Seed of the kernel draw (the bias uses `seed + 1`); `undefined` for Math.random.
 */
export function torchLinearInit(
  fanIn: number,
  seed: number | undefined,
): { kernelInitializer: Initializer; biasInitializer: Initializer } {
  const bound = 1 / Math.sqrt(fanIn);
  return {
    kernelInitializer: tfl.initializers.varianceScaling({
      scale: 1 / 3,
      mode: 'fanIn',
      distribution: 'uniform',
      seed,
    }),
    biasInitializer: tfl.initializers.randomUniform({
      minval: -bound,
      maxval: bound,
      seed: seed === undefined ? undefined : seed + 1,
    }),
  };
}

/** @internal Derives the seed of the `index`-th layer from a model seed, keeping it distinct. */
export function layerSeed(seed: number | undefined, index: number): number | undefined {
  // Two seeds per layer (kernel, bias); a stride of 2 keeps every draw distinct.
  return seed === undefined ? undefined : seed + 2 * index;
}
