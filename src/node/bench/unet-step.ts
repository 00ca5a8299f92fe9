// A self-contained 3-level UNet training graph (forward + loss + backward + SGD update) built only from core ops,
// used to compare lowerings and to profile the CPU EP without depending on the nets layer.
import { gradients } from '../../core/autodiff/index.js';
import { Graph, type Value } from '../../core/graph/index.js';
import { add, concat, conv3d, groupNorm, mul, pixelShuffle3d, silu, softmaxCrossEntropy, sub, upsampleConv3d, upsampleNearest2x } from '../../core/ops/index.js';

export type UpMode = 'nearest' | 'lowres' | 'pixelshuffle';

export interface UNetBenchConfig {
  readonly size: number;
  readonly channels: number;
  readonly classes?: number;
  /** 'nearest': Resize + conv 3x3x3; 'lowres': the same function via upsampleConv3d; 'pixelshuffle': 1x1 conv + shuffle. */
  readonly up?: UpMode;
}

function convNormAct(g: Graph, name: string, x: Value, cout: number, stride = 1): Value {
  return g.scope(name, () => {
    const cin = x.shape[1] ?? 0;
    const y = conv3d(x, g.param('weight', [cout, cin, 3, 3, 3]), g.param('bias', [cout]), { pad: 1, stride });
    return silu(groupNorm(y, g.param('norm.weight', [cout]), g.param('norm.bias', [cout]), { groups: Math.min(8, cout) }));
  });
}

function upConv(g: Graph, name: string, x: Value, cout: number, mode: UpMode): Value {
  return g.scope(name, () => {
    const cin = x.shape[1] ?? 0;
    if (mode === 'lowres') return upsampleConv3d(x, g.param('weight', [cout, cin, 3, 3, 3]), g.param('bias', [cout]));
    if (mode === 'nearest') return conv3d(upsampleNearest2x(x), g.param('weight', [cout, cin, 3, 3, 3]), g.param('bias', [cout]), { pad: 1 });
    return pixelShuffle3d(conv3d(x, g.param('weight', [cout * 8, cin, 1, 1, 1]), g.param('bias', [cout * 8])), 2);
  });
}

/** Returns the graph with inputs image/labels/params, outputs loss and every `<param>.next` (SGD, lr 1e-3). */
export function buildUNetBenchStep(cfg: UNetBenchConfig): Graph {
  const g = new Graph('unet-bench');
  const c = cfg.channels;
  const classes = cfg.classes ?? 2;
  const s = cfg.size;
  const image = g.input('image', 'float32', [1, 1, s, s, s], 'data');
  const labels = g.input('labels', 'int64', [1, s, s, s], 'data');
  const double = (name: string, x: Value, cout: number): Value => g.scope(name, () => convNormAct(g, 'block2', convNormAct(g, 'block1', x, cout), cout));
  const e0 = double('enc0', image, c);
  const e1 = double('enc1', convNormAct(g, 'down1', e0, 2 * c, 2), 2 * c);
  const e2 = double('enc2', convNormAct(g, 'down2', e1, 4 * c, 2), 4 * c);
  const d1 = double('dec1', concat([upConv(g, 'up1', e2, 2 * c, cfg.up ?? 'nearest'), e1], 1), 2 * c);
  const d0 = double('dec0', concat([upConv(g, 'up0', d1, c, cfg.up ?? 'nearest'), e0], 1), c);
  const logits = g.scope('head', () => conv3d(d0, g.param('weight', [classes, c, 1, 1, 1]), g.param('bias', [classes])));
  const loss = softmaxCrossEntropy(logits, labels);
  g.output(loss, 'loss');
  const params = g.inputsByRole('param');
  const grads = gradients(loss, params);
  params.forEach((p, i) => g.scope('sgd', () => g.output(sub(p, mul(grads[i] as Value, 1e-3)), `${p.name}.next`)));
  void add;
  return g;
}
