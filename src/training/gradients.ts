import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs' gradient tape, as tfjs-core 4.x's engine records it while `gradientDepth > 0` (the
 * fields `tf.variableGrads` reads; tfjs does not export the type).
 */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface Engine {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

/**
 * @internal `tf.variableGrads(f, vars)` with the memory profile of PyTorch's autograd: the same
 * tape, the same gradient functions in the same order (so the same numbers, bit for bit), but
 * every node's saved tensors and its outputs' gradients are freed as soon as the walk back
 * has passed that node. tfjs-core keeps both until the whole backward pass ends, so its peak is
 * the forward pass's saved activations plus a gradient for every one of them: a ResNet-50
 * step at 224 px did not fit wasm32's 4 GiB heap at batch 8. Also frees the tape when `f` or a
 * gradient throws (tfjs keeps the saved tensors of a failed backward pass for good).
 *
 * Returns `f`'s value and one gradient per variable of `vars`, in order (`undefined` where the
 * loss does not depend on it). Variables marked untrainable are differentiated all the same.
 * Call inside `tf.tidy`. Not for nested (higher-order) gradients: throws inside another tape.
 */
export function freeingVariableGrads(f: () => tf.Scalar, vars: readonly tf.Variable[]): { value: tf.Scalar; grads: Array<tf.Tensor | undefined> } {
  const engine = tf.engine() as unknown as Engine;
  if (engine.state.gradientDepth !== 0) throw new Error('freeingVariableGrads cannot run inside another gradient computation');
  try {
    const y = engine.scopedRun(
      () => engine.startTape(),
      () => engine.endTape(),
      () => engine.tidy('forward', f),
    );
    const tape = engine.state.activeTape ?? [];
    if (!(y instanceof tf.Tensor) || y.rank !== 0) throw new Error(`the loss function must return a scalar tensor; it returned ${y instanceof tf.Tensor ? `a rank-${y.rank} tensor` : String(y)}`);
    const filtered = filterTape(tape, vars, y);
    return engine.tidy('backward', () => {
      const grads = backpropagate(filtered, vars, y);
      return { value: y, grads: vars.map((v) => grads.get(v.id)) };
    }) as { value: tf.Scalar; grads: Array<tf.Tensor | undefined> };
  } finally {
    // Also after a throw in `f` (the forward pass) or in a gradient: the kept saved tensors.
    for (const node of engine.state.activeTape ?? []) for (const t of node.saved ?? []) t.dispose();
    engine.state.activeTape = null;
  }
}

/** tfjs-core's `getFilteredNodesXToY`: the nodes on a path from a variable to `y`, inputs pruned to those that depend on a variable. */
function filterTape(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      for (const o of node.outputs) fromX.add(o.id);
      nodesFromX.add(node.id);
    }
  }
  const toY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    if (node.outputs.some((o) => toY.has(o.id))) {
      for (const t of Object.values(node.inputs)) toY.add(t.id);
      // tfjs marks the node only when it has inputs.
      if (Object.keys(node.inputs).length > 0) nodesToY.add(node.id);
    }
  }
  return tape
    .filter((n) => nodesFromX.has(n.id) && nodesToY.has(n.id))
    .map((n) => ({ ...n, inputs: Object.fromEntries(Object.entries(n.inputs).filter(([, t]) => fromX.has(t.id))) }));
}

/**
 * tfjs-core's `backpropagateGradients`, freeing as it goes: after a node, its saved tensors and
 * the accumulated gradients of its outputs are disposed (no earlier node reads them: the tape
 * is in execution order). Returns the gradients of the variables.
 */
function backpropagate(filtered: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): Map<number, tf.Tensor> {
  const keep = new Set<number>(xs.map((x) => x.id));
  const acc = new Map<number, tf.Tensor>([[y.id, tf.onesLike(y)]]);
  // How many entries of `acc` hold each tensor object: a gradient function may return its dy
  // itself (or one tensor for two inputs), and a tensor still held elsewhere must live on.
  const holders = new Map<tf.Tensor, number>([[acc.get(y.id) as tf.Tensor, 1]]);
  const hold = (t: tf.Tensor) => holders.set(t, (holders.get(t) ?? 0) + 1);
  const release = (t: tf.Tensor) => {
    const n = (holders.get(t) ?? 1) - 1;
    if (n > 0) holders.set(t, n);
    else {
      holders.delete(t);
      t.dispose();
    }
  };
  for (let i = filtered.length - 1; i >= 0; i--) {
    const node = filtered[i] as TapeNode;
    if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const dys = node.outputs.map((o) => acc.get(o.id) ?? null);
    const inputGradients = node.gradient(dys);
    for (const [name, x] of Object.entries(node.inputs)) {
      const g = inputGradients[name];
      if (g === undefined) throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients).join(',')}.`);
      const dx = tf.tidy(g);
      if (dx.dtype !== 'float32') throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
      if (!tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape.join(',')}', which does not match the shape of the input '${x.shape.join(',')}'`);
      }
      const current = acc.get(x.id);
      if (current === undefined) {
        acc.set(x.id, dx);
        hold(dx);
      } else {
        const sum = tf.add(current, dx);
        acc.set(x.id, sum);
        hold(sum);
        release(current);
        if (!holders.has(dx)) dx.dispose();
      }
    }
    // Done with this node: what it saved, and the gradients of what it made.
    for (const t of node.saved ?? []) t.dispose();
    for (const o of node.outputs) {
      const dy = acc.get(o.id);
      if (dy === undefined || keep.has(o.id)) continue;
      acc.delete(o.id);
      release(dy);
    }
  }
  return new Map([...acc].filter(([id]) => keep.has(id)));
}
