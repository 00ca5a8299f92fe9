import type { Graph } from './graph.js';
import type { Attrs } from './types.js';

/**
 * Two independent 32-bit multiplicative hashes (cyrb-style) over a canonical text of the graph and the bytes of
 * its constants: stable across runs and platforms, cheap, and no node:crypto in core. Checkpoints record it to
 * tell whether a saved state belongs to the same graph.
 */
class Hasher {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;

  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
    this.word(0x1f);
  }

  bytes(b: Uint8Array): void {
    const whole = b.length - (b.length % 4);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < whole; i += 4) this.word(view.getUint32(i, true));
    for (let i = whole; i < b.length; i++) this.word(b[i] ?? 0);
    this.word(b.length);
  }

  digest(): string {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
  }

  private word(w: number): void {
    this.h1 = Math.imul(this.h1 ^ w, 2654435761);
    this.h2 = Math.imul(this.h2 ^ w, 1597334677);
  }
}

function attrText(attrs: Attrs): string {
  return Object.keys(attrs).sort().map((k) => `${k}=${JSON.stringify(attrs[k])}`).join(',');
}

export function graphHash(g: Graph): string {
  const h = new Hasher();
  const desc = (v: { name: string; dtype: string; shape: readonly number[] }): string => `${v.name}:${v.dtype}[${v.shape.join(',')}]`;
  for (const i of g.inputs) h.text(`in ${i.role} ${desc(i.value)}`);
  for (const n of g.nodes) {
    h.text(`node ${n.op.type} ${n.path} (${n.inputs.map((v) => v.name).join(',')}) -> (${n.outputs.map(desc).join(',')}) {${attrText(n.attrs)}}`);
  }
  for (const c of g.constants.values()) {
    h.text(`const ${desc(c.value)}`);
    h.bytes(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength));
  }
  for (const o of g.outputs) h.text(`out ${desc(o)}`);
  return h.digest();
}
