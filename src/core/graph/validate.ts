import type { Graph } from './graph.js';
import { GraphError, sameShape, shapeString } from './types.js';

/**
 * Re-checks a finished graph: every node input is defined before use, shape inference still gives the recorded
 * types, and outputs are declared. Errors name the node and its module path.
 */
export function validateGraph(g: Graph): void {
  const defined = new Set<number>();
  for (const i of g.inputs) defined.add(i.value.id);
  for (const c of g.constants.values()) defined.add(c.value.id);
  for (const n of g.nodes) {
    const where = `node ${n.name} (${n.op.type}) at "${n.path}"`;
    for (const v of n.inputs) if (!defined.has(v.id)) throw new GraphError(`${where}: input ${v.name} is used before it is defined`, n.name, n.path);
    let types;
    try {
      types = n.op.infer(n.inputs, n.attrs);
    } catch (err) {
      throw new GraphError(`${where}: ${err instanceof Error ? err.message : String(err)}`, n.name, n.path);
    }
    if (types.length !== n.outputs.length) throw new GraphError(`${where}: ${types.length} inferred outputs for ${n.outputs.length} recorded`, n.name, n.path);
    n.outputs.forEach((o, k) => {
      const t = types[k];
      if (!t || t.dtype !== o.dtype || !sameShape(t.shape, o.shape)) {
        throw new GraphError(`${where}: output ${o.name} recorded as ${o.dtype}${shapeString(o.shape)}, inferred ${t?.dtype}${shapeString(t?.shape ?? [])}`, n.name, n.path);
      }
      defined.add(o.id);
    });
  }
  if (g.outputs.length === 0) throw new GraphError(`graph ${g.name} has no outputs`);
  for (const o of g.outputs) if (!defined.has(o.id)) throw new GraphError(`output ${o.name} is never computed`, o.name);
}
