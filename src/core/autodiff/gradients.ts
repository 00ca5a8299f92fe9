import type { Graph, GraphNode, Value } from '../graph/graph.js';
import { GraphError, numel, sameShape, shapeString } from '../graph/types.js';
import { add } from '../ops/elementwise.js';
import { identity, zerosLike } from '../ops/shape.js';

export interface GradientOptions {
  /** dL/dloss; defaults to 1 (the loss must then have one element). */
  readonly seed?: Value;
}

/** Value ids that depend on any of `sources`. */
function dependents(g: Graph, sources: readonly Value[], nodes: readonly GraphNode[]): Set<number> {
  const dep = new Set(sources.map((v) => v.id));
  for (const n of nodes) if (n.inputs.some((v) => dep.has(v.id))) for (const o of n.outputs) dep.add(o.id);
  void g;
  return dep;
}

/**
 * Reverse-mode autodiff: appends the backward pass of `loss` to its graph and returns dLoss/dWrt in the order of
 * `wrt`, each named `${wrt.name}.grad`. Backward nodes live under the module path `bwd.<forward path>`.
 * A wrt that does not influence the loss gets zeros. Frozen parameters: leave them out of `wrt`.
 */
export function gradients(loss: Value, wrt: readonly Value[], opts: GradientOptions = {}): Value[] {
  const g = loss.graph;
  const forward = g.nodes.slice();
  const dep = dependents(g, wrt, forward);
  const contributions = new Map<number, Value[]>();
  const seed = opts.seed ?? (numel(loss.shape) === 1 ? g.atPath('', () => g.constant(`${loss.name}.seed`, loss.dtype, loss.shape, [1])) : undefined);
  if (!seed) throw new GraphError(`gradients: loss ${loss.name} has shape ${shapeString(loss.shape)}; pass a seed for non-scalar losses`, loss.name);
  if (!sameShape(seed.shape, loss.shape)) throw new GraphError(`gradients: seed shape ${shapeString(seed.shape)} differs from loss ${shapeString(loss.shape)}`, loss.name);
  contributions.set(loss.id, [seed]);

  const total = (v: Value): Value | undefined => {
    const parts = contributions.get(v.id);
    if (!parts || parts.length === 0) return undefined;
    if (parts.length === 1) return parts[0];
    const summed = g.atPath(`bwd${v.graph.producer(v)?.path ? '.' + (v.graph.producer(v)?.path ?? '') : ''}`, () => parts.reduce((a, b) => add(a, b)));
    contributions.set(v.id, [summed]);
    return summed;
  };

  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    if (!node || !node.inputs.some((v) => dep.has(v.id))) continue;
    const dOut = node.outputs.map(total);
    if (dOut.every((d) => d === undefined)) continue;
    const rule = node.op.grad;
    if (!rule) throw new GraphError(`node ${node.name} (${node.op.type}) at "${node.path}" has no gradient rule`, node.name, node.path);
    const dIn = g.atPath(node.path ? `bwd.${node.path}` : 'bwd', () => rule(node, dOut));
    node.inputs.forEach((x, k) => {
      const d = dIn[k];
      if (!d || !dep.has(x.id)) return;
      if (!sameShape(d.shape, x.shape) || d.dtype !== x.dtype) {
        throw new GraphError(`gradient of node ${node.name} (${node.op.type}) for input ${x.name}: got ${d.dtype}${shapeString(d.shape)}, expected ${x.dtype}${shapeString(x.shape)}`, node.name, node.path);
      }
      const list = contributions.get(x.id);
      if (list) list.push(d);
      else contributions.set(x.id, [d]);
    });
  }

  const claimed = new Set<number>();
  return wrt.map((w) => g.atPath('', () => {
    let d = total(w) ?? zerosLike(w);
    // A gradient may be an input, the seed, or shared with another wrt (add passes dy through): copy it then.
    if (claimed.has(d.id) || g.roleOf(d) !== undefined || g.constants.has(d.id)) d = identity(d, `${w.name}.grad_copy`);
    claimed.add(d.id);
    g.rename(d, `${w.name}.grad`);
    return d;
  }));
}
