#!/usr/bin/env python3
"""PyTorch peer of anadiff's networks: the same UNet and FPN3d, parameter names equal to anadiff's module paths.

Standalone on purpose: it needs only `torch` (no safetensors, no numpy), so it runs on a GPU machine with no network
and no Node. Eight modes:

  bench      time a training step (or inference) and print ONE JSON line {"median_ms", "peak_rss_mb", ...}
  conv       time forward, dX and dW of one 3x3x3 conv layer with aten's kernels (anadiff bench conv's peer)
  infer      time MONAI-style sliding-window inference over a raw float32 volume (anadiff bench infer's peer)
  pretrain-bench  time one pretraining step of a method, its optimizer and EMA (anadiff bench pretrain's peer)
  reference  load weights + a batch from safetensors, write forward output, loss, parameter gradients and the
             parameters after K AdamW steps to a safetensors file (anadiff's reference test compares them)
  ape-loss   APE's coordinate loss (torch.cdist, MSE) and its gradients for the embeddings, in float64
  diffusion-loss  the diffusion denoiser's epsilon MSE (FiLM-conditioned FPN3d + FPN head) and its parameter gradients
  info-nce   vox2vec's symmetric InfoNCE with masked slots and its gradients, in float64

The architecture here must stay identical to src/core/nn/ (unet.ts, fpn3d.ts, heads.ts); the reference test
(test/reference/torch-parity.test.ts) fails when they drift apart.
"""
import argparse
import json
import math
import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------------------------------------- modules

def groups_for(channels, groups):
    """GroupNorm groups: `groups`, or fewer when the channel count does not divide (anadiff's rule, nn/norm.ts)."""
    g = min(groups, channels)
    while channels % g != 0:
        g -= 1
    return g


def make_norm(kind, channels, groups):
    if kind == 'group':
        return nn.GroupNorm(groups_for(channels, groups), channels, eps=1e-5)
    if kind == 'instance':
        return nn.GroupNorm(channels, channels, eps=1e-5)  # instance norm with affine == GroupNorm(C, C)
    raise ValueError(f'unknown norm {kind}')


def activation(kind, x):
    if kind == 'silu':
        return F.silu(x)
    if kind == 'relu':
        return F.relu(x)
    if kind == 'leakyrelu':
        return F.leaky_relu(x, 0.01)
    if kind == 'gelu':
        return F.gelu(x)
    raise ValueError(f'unknown activation {kind}')


class ConvNormAct(nn.Module):
    """conv3 (or strided conv3) -> norm -> activation; names conv.*, norm.*"""

    def __init__(self, cin, cout, stride, cfg):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, 3, stride=stride, padding=1)
        self.norm = make_norm(cfg['norm'], cout, cfg['groups'])
        self.act = cfg['activation']

    def forward(self, x):
        return activation(self.act, self.norm(self.conv(x)))


class DoubleConv(nn.Module):
    """block1, block2: two ConvNormAct at stride 1."""

    def __init__(self, cin, cout, cfg):
        super().__init__()
        self.block1 = ConvNormAct(cin, cout, 1, cfg)
        self.block2 = ConvNormAct(cout, cout, 1, cfg)

    def forward(self, x):
        return self.block2(self.block1(x))


def pixel_shuffle3d(x):
    """[N, C*8, D, H, W] -> [N, C, 2D, 2H, 2W]; channel c*8 + dz*4 + dy*2 + dx goes to offset (dz, dy, dx)."""
    n, c8, d, h, w = x.shape
    c = c8 // 8
    x = x.reshape(n, c, 2, 2, 2, d, h, w).permute(0, 1, 5, 2, 6, 3, 7, 4)
    return x.reshape(n, c, 2 * d, 2 * h, 2 * w)


class UpConv(nn.Module):
    """x2 upsampling with a 1x1 conv: nearest x2 after a 1x1 conv (equal to conv after nearest, 8x cheaper),
    or a 1x1 conv to 8x channels + pixel shuffle."""

    def __init__(self, cin, cout, mode):
        super().__init__()
        self.mode = mode
        self.conv = nn.Conv3d(cin, cout * 8 if mode == 'pixelshuffle' else cout, 1)

    def forward(self, x):
        y = self.conv(x)
        if self.mode == 'pixelshuffle':
            return pixel_shuffle3d(y)
        return F.interpolate(y, scale_factor=2, mode='nearest')


class UNet3d(nn.Module):
    """3 levels (c, 2c, 4c): enc0, down1+enc1, down2+enc2 (bottom), up1+dec1, up0+dec0, 1x1 head."""

    def __init__(self, cfg):
        super().__init__()
        c, cin, k = cfg['channels'], cfg['inChannels'], cfg['outChannels']
        self.enc0 = DoubleConv(cin, c, cfg)
        self.down1 = ConvNormAct(c, 2 * c, 2, cfg)
        self.enc1 = DoubleConv(2 * c, 2 * c, cfg)
        self.down2 = ConvNormAct(2 * c, 4 * c, 2, cfg)
        self.enc2 = DoubleConv(4 * c, 4 * c, cfg)
        self.up1 = UpConv(4 * c, 2 * c, cfg['upsample'])
        self.dec1 = DoubleConv(4 * c, 2 * c, cfg)
        self.up0 = UpConv(2 * c, c, cfg['upsample'])
        self.dec0 = DoubleConv(2 * c, c, cfg)
        self.head = nn.Conv3d(c, k, 1)

    def forward(self, x):
        e0 = self.enc0(x)
        e1 = self.enc1(self.down1(e0))
        e2 = self.enc2(self.down2(e1))
        d1 = self.dec1(torch.cat([self.up1(e2), e1], 1))
        d0 = self.dec0(torch.cat([self.up0(d1), e0], 1))
        return self.head(d0)


def film(h, params):
    """FiLM: h * (1 + scale) + shift, scale and shift the two halves of a Linear's output, broadcast over space."""
    scale, shift = params.chunk(2, dim=1)
    return h * (1 + scale[:, :, None, None, None]) + shift[:, :, None, None, None]


class ResBlock(nn.Module):
    """Pre-activation residual block: x + conv2(act(norm2(conv1(act(norm1(x)))))); with cond_dim, FiLM after each
    norm (film1, film2: Linear(cond_dim, 2c)) driven by the activated timestep embedding."""

    def __init__(self, c, cfg, cond_dim=None):
        super().__init__()
        self.norm1 = make_norm(cfg['norm'], c, cfg['groups'])
        self.conv1 = nn.Conv3d(c, c, 3, padding=1)
        self.norm2 = make_norm(cfg['norm'], c, cfg['groups'])
        self.conv2 = nn.Conv3d(c, c, 3, padding=1)
        self.act = cfg['activation']
        self.conditioned = cond_dim is not None
        if self.conditioned:
            self.film1 = nn.Linear(cond_dim, 2 * c)
            self.film2 = nn.Linear(cond_dim, 2 * c)

    def forward(self, x, cond=None):
        h = self.norm1(x)
        if self.conditioned:
            h = film(h, self.film1(cond))
        y = self.conv1(activation(self.act, h))
        h = self.norm2(y)
        if self.conditioned:
            h = film(h, self.film2(cond))
        return x + self.conv2(activation(self.act, h))


class ResStack(nn.Module):
    def __init__(self, c, count, cfg, cond_dim=None):
        super().__init__()
        for j in range(count):
            self.add_module(f'res{j}', ResBlock(c, cfg, cond_dim))

    def forward(self, x, cond=None):
        for m in self.children():
            x = m(x, cond)
        return x


class Down(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, 1)

    def forward(self, x):
        return self.conv(F.max_pool3d(x, 2))


class FPN3d(nn.Module):
    """vox2vec-style feature pyramid; returns levels finest first."""

    def __init__(self, cfg, cond_dim=None):
        super().__init__()
        c, levels, blocks = cfg['channels'], cfg['levels'], cfg['blocksPerLevel']
        self.levels = levels
        self.stem = nn.Conv3d(cfg['inChannels'], c, 3, padding=1)
        for i in range(levels - 1):
            ci = c * 2 ** i
            self.add_module(f'left{i}', ResStack(ci, blocks, cfg, cond_dim))
            self.add_module(f'down{i}', Down(ci, 2 * ci))
            self.add_module(f'up{i}', UpConv(2 * ci, ci, 'nearest'))
            self.add_module(f'skip{i}', nn.Conv3d(ci, ci, 1))
            self.add_module(f'right{i}', ResStack(ci, blocks, cfg, cond_dim))
        self.bottom = ResStack(c * 2 ** (levels - 1), blocks, cfg, cond_dim)

    def forward(self, x, cond=None):
        x = self.stem(x)
        lefts = []
        for i in range(self.levels - 1):
            x = getattr(self, f'left{i}')(x, cond)
            lefts.append(x)
            x = getattr(self, f'down{i}')(x)
        x = self.bottom(x, cond)
        pyramid = [x]
        for i in reversed(range(self.levels - 1)):
            x = getattr(self, f'up{i}')(x) + getattr(self, f'skip{i}')(lefts[i])
            x = getattr(self, f'right{i}')(x, cond)
            pyramid.insert(0, x)
        return pyramid


class LinearHead(nn.Module):
    """vox2vec linear head: a 1x1 conv per level, summed top-down after nearest x2 upsampling."""

    def __init__(self, cfg, out_channels=None):
        super().__init__()
        self.levels = cfg['levels']
        for i in range(self.levels):
            self.add_module(f'level{i}', nn.Conv3d(cfg['channels'] * 2 ** i, out_channels or cfg['outChannels'], 1))

    def forward(self, pyramid):
        y = getattr(self, f'level{self.levels - 1}')(pyramid[self.levels - 1])
        for i in reversed(range(self.levels - 1)):
            y = F.interpolate(y, scale_factor=2, mode='nearest') + getattr(self, f'level{i}')(pyramid[i])
        return y


class Conv1ResBlock(nn.Module):
    """The FPN head's residual block of 1x1 convs: x + conv2(act(norm2(conv1(act(norm1(x))))))."""

    def __init__(self, c, cfg):
        super().__init__()
        self.norm1 = make_norm(cfg['norm'], c, cfg['groups'])
        self.conv1 = nn.Conv3d(c, c, 1)
        self.norm2 = make_norm(cfg['norm'], c, cfg['groups'])
        self.conv2 = nn.Conv3d(c, c, 1)
        self.act = cfg['activation']

    def forward(self, x):
        y = self.conv1(activation(self.act, self.norm1(x)))
        return x + self.conv2(activation(self.act, self.norm2(y)))


class FPNHead(nn.Module):
    """Non-linear head: top 1x1 conv; per level up{i} (1x1 conv + nearest x2) + skip{i} (1x1), res{i}; out 1x1."""

    def __init__(self, cfg):
        super().__init__()
        self.levels, h, c = cfg['levels'], cfg['headChannels'], cfg['channels']
        self.top = nn.Conv3d(c * 2 ** (self.levels - 1), h, 1)
        for i in range(self.levels - 1):
            self.add_module(f'up{i}', UpConv(h, h, 'nearest'))
            self.add_module(f'skip{i}', nn.Conv3d(c * 2 ** i, h, 1))
            self.add_module(f'res{i}', Conv1ResBlock(h, cfg))
        self.out = nn.Conv3d(h, cfg['outChannels'], 1)

    def forward(self, pyramid):
        y = self.top(pyramid[self.levels - 1])
        for i in reversed(range(self.levels - 1)):
            y = getattr(self, f'up{i}')(y) + getattr(self, f'skip{i}')(pyramid[i])
            y = getattr(self, f'res{i}')(y)
        return self.out(y)


class FPN3dSegmenter(nn.Module):
    """backbone.* + head.*: the FPN3d with its linear or FPN head."""

    def __init__(self, cfg):
        super().__init__()
        self.backbone = FPN3d(cfg)
        self.head = FPNHead(cfg) if cfg.get('head') == 'fpn' else LinearHead(cfg)

    def forward(self, x):
        return self.head(self.backbone(x))


class DiffusionNet(nn.Module):
    """The diffusion denoiser (src/core/diffusion/network.ts): temb.fc1 -> SiLU -> temb.fc2 -> SiLU gives the FiLM
    condition of every backbone norm; the FPN head predicts epsilon at full resolution."""

    def __init__(self, cfg):
        super().__init__()
        t = cfg['timeChannels']
        self.temb = nn.ModuleDict({'fc1': nn.Linear(t, t), 'fc2': nn.Linear(t, t)})
        self.backbone = FPN3d(cfg, cond_dim=t)
        self.head = FPNHead(cfg)

    def features(self, xt, temb):
        """The backbone's pyramid (finest first) for x_t at the timestep embedding temb."""
        cond = F.silu(self.temb['fc2'](F.silu(self.temb['fc1'](temb))))
        return self.backbone(xt, cond)

    def forward(self, xt, temb):
        return self.head(self.features(xt, temb))


COORD_CHANNELS = 3  # guided-step.ts: the coordinate maps (x, y, z) the aux head regresses


class GuidedNet(DiffusionNet):
    """Guided diffusion's aux mode (src/core/diffusion/guided-step.ts): the denoiser plus `aux.*`, a linear head on the
    same pyramid regressing the body-part coordinates; returns (epsilon, coordinates)."""

    def __init__(self, cfg):
        super().__init__(cfg)
        self.aux = LinearHead(cfg, COORD_CHANNELS)

    def forward(self, xt, temb):
        pyramid = self.features(xt, temb)
        return self.head(pyramid), self.aux(pyramid)


PROJECTION_CHANNELS = 128  # contrastive-step.ts: vox2vec's projection width


def weighted_batch_norm(x, w, bn):
    """contrastive-step.ts's BatchNorm1d in training mode over the rows of weight 1 (biased variance, no running
    statistics); `bn` only holds gamma and beta (proj.bn*.weight, .bias)."""
    col = w[:, None]
    n = w.sum() + 1e-12
    mean = (x * col).sum(0, keepdim=True) / n
    centred = x - mean
    variance = (centred * centred * col).sum(0, keepdim=True) / n
    return centred / torch.sqrt(variance + 1e-5) * bn.weight + bn.bias


class ContrastiveNet(nn.Module):
    """vox2vec's step (src/core/pretrain/contrastive-step.ts): the FPN3d backbone on every crop of the step; each
    sampled voxel's features of every level (read at index >> l) concatenated; the projection head proj.* (Linear -
    BN - ReLU - Linear - BN - ReLU - Linear, 128 wide) per view, L2-normalised; symmetric InfoNCE at tau 0.1."""

    def __init__(self, cfg):
        super().__init__()
        c = PROJECTION_CHANNELS
        self.backbone = FPN3d(cfg)
        width = sum(cfg['channels'] * 2 ** l for l in range(cfg['levels']))
        self.proj = nn.ModuleDict({'fc1': nn.Linear(width, c), 'bn1': nn.BatchNorm1d(c, track_running_stats=False),
                                   'fc2': nn.Linear(c, c), 'bn2': nn.BatchNorm1d(c, track_running_stats=False),
                                   'fc3': nn.Linear(c, c)})

    def project(self, x, w):
        p = self.proj
        h = F.relu(weighted_batch_norm(p['fc1'](x), w, p['bn1']))
        h = F.relu(weighted_batch_norm(p['fc2'](h), w, p['bn2']))
        return F.normalize(p['fc3'](h), dim=1)

    def forward(self, image, idx, weights):
        """idx: per view, per level, rows of that level's channels-last map flattened over the batch."""
        rows = [level.permute(0, 2, 3, 4, 1).reshape(-1, level.shape[1]) for level in self.backbone(image)]
        z1, z2 = (self.project(torch.cat([rows[l][i] for l, i in enumerate(view)], 1), weights) for view in idx)
        return info_nce(z1, z2, weights, 0.1)


def build_net(cfg):
    if cfg['net'] == 'unet':
        return UNet3d(cfg)
    if cfg['net'] == 'fpn3d':
        return FPN3dSegmenter(cfg)
    raise ValueError(f"unknown net {cfg['net']}")


def default_config(net, channels, size_preset_levels=None):
    cfg = {'net': net, 'channels': channels, 'inChannels': 1, 'outChannels': 2, 'norm': 'group', 'groups': 8,
           'activation': 'silu' if net == 'unet' else 'leakyrelu', 'upsample': 'nearest', 'levels': 3,
           'blocksPerLevel': 2}
    if net == 'fpn3d':
        cfg['levels'] = size_preset_levels or 4
    return cfg


# ------------------------------------------------------------------------------------------------------ safetensors

DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64, 'I32': torch.int32, 'U8': torch.uint8}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        begin, end = info['data_offsets']
        dtype = DTYPES[info['dtype']]
        buf = bytearray(raw[base + begin:base + end])
        t = torch.frombuffer(buf, dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info['shape']).clone()
    return out


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes() if hasattr(t, 'numpy') else bytes(t.untyped_storage())
        header[name] = {'dtype': DTYPE_NAMES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


# ---------------------------------------------------------------------------------------------------------- modes

def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def run_reference(args):
    """Forward, loss, gradients at the given weights, then `adamw_steps` AdamW steps on the same batch."""
    cfg = json.loads(args.config)
    torch.set_num_threads(args.threads)
    net = build_net(cfg).double() if cfg.get('float64') else build_net(cfg)
    weights = read_safetensors(args.weights)
    net.load_state_dict(weights, strict=True)
    batch = read_safetensors(args.batch)
    x, labels = batch['image'], batch['labels'].long()
    out = {}
    logits = net(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    out['logits'] = logits
    out['loss'] = loss.reshape(1)
    for name, p in net.named_parameters():
        out[f'{name}.grad'] = p.grad.detach().clone()  # zero_grad() below reuses p.grad in place
    opt_cfg = cfg['optimizer']
    frozen = opt_cfg.get('frozenPrefix')
    trainable = []
    for name, p in net.named_parameters():
        if frozen and name.startswith(frozen):
            p.requires_grad_(False)  # probing: the frozen part is neither differentiated nor updated
        else:
            trainable.append(p)
    if opt_cfg.get('kind', 'adamw') == 'adamw':
        opt = torch.optim.AdamW(trainable, lr=opt_cfg['lr'], betas=(opt_cfg['beta1'], opt_cfg['beta2']),
                                eps=opt_cfg['eps'], weight_decay=opt_cfg['weightDecay'])
    else:
        opt = torch.optim.SGD(trainable, lr=opt_cfg['lr'], momentum=opt_cfg['momentum'],
                              weight_decay=opt_cfg['weightDecay'], nesterov=opt_cfg['nesterov'])
    losses, norms = [], []
    for _ in range(opt_cfg['steps']):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), labels)
        losses.append(float(loss))
        loss.backward()
        if opt_cfg.get('maxGradNorm'):
            norms.append(float(torch.nn.utils.clip_grad_norm_(trainable, opt_cfg['maxGradNorm'])))
        opt.step()
    out['grad_norms'] = torch.tensor(norms, dtype=torch.float64)
    for name, p in net.named_parameters():
        out[f'{name}.after'] = p
    out['losses'] = torch.tensor(losses, dtype=torch.float64)
    if 'schedule' in cfg:
        out['one_cycle_lrs'] = one_cycle_lrs(cfg['schedule'])
    write_safetensors(args.out, out)


def one_cycle_lrs(s):
    """torch.optim.lr_scheduler.OneCycleLR's rate at every step, for anadiff's schedule test."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=s['maxLr'])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=s['maxLr'], total_steps=s['totalSteps'], pct_start=s['pctStart'],
                                                div_factor=s['divFactor'], final_div_factor=s['finalDivFactor'],
                                                cycle_momentum=False)
    lrs = []
    for _ in range(s['totalSteps']):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    return torch.tensor(lrs, dtype=torch.float64)


def time_steps(step, device, warmup, steps):
    """Median wall time (ms) of `steps` calls of step() after `warmup`, the GPU synchronised around each; last result."""
    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize()

    for _ in range(warmup):
        step()
    sync()
    times = []
    out = None
    for _ in range(steps):
        t0 = time.perf_counter()
        out = step()
        sync()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    mid = len(times) // 2
    return (times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2), out


def bench_result(median, net, device, device_name):
    """The JSON line every bench peer prints (bench-peer.ts reads median_ms and peak_rss_mb)."""
    result = {'median_ms': median, 'peak_rss_mb': peak_rss_mb(), 'torch': torch.__version__,
              'threads': torch.get_num_threads(), 'device': device_name,
              'params': sum(p.numel() for p in net.parameters())}
    if device.type == 'cuda':
        result['peak_gpu_mb'] = torch.cuda.max_memory_allocated() / 2 ** 20
        result['gpu'] = torch.cuda.get_device_name()
    return result


def run_bench(args):
    torch.manual_seed(0)
    device = torch.device(args.device)
    if args.device == 'cpu':
        torch.set_num_threads(args.threads)
    cfg = default_config(args.net, args.channels, args.levels)
    net = build_net(cfg).to(device)
    x = torch.randn(1, 1, args.size, args.size, args.size, device=device)
    labels = (x > 0).long()[:, 0]
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2)

    def step():
        if args.infer:
            with torch.inference_mode():
                return net(x)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), labels)
        loss.backward()
        opt.step()
        return loss

    median, _ = time_steps(step, device, args.warmup, args.steps)
    print(json.dumps(bench_result(median, net, device, args.device)))


def timestep_embedding(t, dim, max_period=10000):
    """anadiff's timestepEmbedding (src/core/diffusion/timestep.ts): [sin(t f_j)..., cos(t f_j)...], f_j = P^(-j/(h-1))."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / (half - 1))
    angle = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)


def masked_mse(pred, target, mask):
    """anadiff's mseLoss with a mask (ops/losses.ts): the masked squares' sum over the mask's count across pred's channels."""
    sq = (pred - target) ** 2
    return (sq * mask).sum() / (mask.expand_as(sq).sum() + 1e-12)


class Ema:
    """anadiff's weight EMA (src/core/optim/ema.ts), updated after every optimizer step: ema = d_t ema + (1 - d_t) p,
    d_t = min(decay, (1 + step) / (10 + step)), starting from the initial weights."""

    def __init__(self, params, decay):
        self.params = list(params)
        self.decay = decay
        self.step = 0
        self.shadow = [p.detach().clone() for p in self.params]

    @torch.no_grad()
    def update(self):
        self.step += 1
        d = min(self.decay, (1 + self.step) / (10 + self.step))
        torch._foreach_mul_(self.shadow, d)
        torch._foreach_add_(self.shadow, self.params, alpha=1 - d)


def pretrain_net(method, cfg):
    if method == 'diffusion':
        return DiffusionNet(cfg)
    if method == 'guided':
        return GuidedNet(cfg)
    if method == 'contrastive':
        return ContrastiveNet(cfg)
    return build_net(cfg)


def contrastive_indices(batch, positives, patch, levels, device):
    """Per view, per level, the rows anadiff's sampler gives (contrastive.ts levelIndex) for `positives` random voxels
    of each pair's crops: view 1 reads crop p, view 2 crop batch + p."""
    pi, pj, pk = patch
    pair = torch.arange(batch, device=device).repeat_interleave(positives)
    views = []
    for view in (0, 1):
        x, y, z = (torch.randint(0, n, pair.shape, device=device) for n in (pi, pj, pk))
        crop = view * batch + pair
        views.append([crop * (pi >> l) * (pj >> l) * (pk >> l) + (x >> l) + (pi >> l) * ((y >> l) + (pj >> l) * (z >> l))
                      for l in range(levels)])
    return views


def pretrain_loss(args, cfg, net, device):
    """The method's loss as a closure over one fixed batch; diffusion and guided draw t and the noise on every call.
    contrastive: `batch` crop pairs with `positives` random slots each, all filled (the sampling is the host's part).
    guided: coordinates uniform in [-2, 2] and an all-body mask, as the anadiff side's volume has them."""
    pi, pj, pk = (int(v) for v in args.patch.split('x'))
    shape = (args.batch, 1, pk, pj, pi)
    x0 = torch.rand(shape, device=device)
    if args.method == 'genesis':
        target = torch.rand(shape, device=device)
        return lambda: F.mse_loss(torch.sigmoid(net(x0)), target)
    if args.method == 'contrastive':
        crops = torch.rand((2 * args.batch, 1, pk, pj, pi), device=device)
        idx = contrastive_indices(args.batch, args.positives, (pi, pj, pk), cfg['levels'], device)
        weights = torch.ones(args.batch * args.positives, device=device)
        return lambda: net(crops, idx, weights)
    abar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, device=device), 0)
    coords = 4 * torch.rand((args.batch, COORD_CHANNELS, pk, pj, pi), device=device) - 2
    mask = torch.ones(shape, device=device)

    def loss():
        t = torch.randint(0, 1000, (args.batch,), device=device)
        noise = torch.randn(shape, device=device)
        a = abar[t].view(-1, 1, 1, 1, 1)
        xt = a.sqrt() * (2 * x0 - 1) + (1 - a).sqrt() * noise
        temb = timestep_embedding(t, cfg['timeChannels'])
        if args.method == 'diffusion':
            return F.mse_loss(net(xt, temb), noise)
        eps, coords_hat = net(xt, temb)
        return F.mse_loss(eps, noise) + args.guidance_weight * masked_mse(coords_hat, coords, mask)

    return loss


def run_pretrain_bench(args):
    """One pretraining step as `anadiff pretrain` takes it (bench pretrain's peer): AdamW (wd 1e-6), gradient clipping
    at norm 1, then with --ema the weights' EMA. diffusion: t uniform, q-sample with the linear DDPM schedule (T 1000),
    epsilon MSE; guided (aux): the same plus w * the aux head's masked coordinate MSE; genesis: sigmoid of the FPN3d
    segmenter with an FPN head, MSE to a target patch; contrastive: vox2vec's InfoNCE (ContrastiveNet)."""
    torch.manual_seed(0)
    device = torch.device(args.device)
    if args.device == 'cpu':
        torch.set_num_threads(args.threads)
    cfg = json.loads(args.config)
    net = pretrain_net(args.method, cfg).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-4, weight_decay=1e-6)
    ema = Ema(net.parameters(), args.ema) if args.ema is not None else None
    loss_of_batch = pretrain_loss(args, cfg, net, device)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_of_batch()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        if ema is not None:
            ema.update()
        return loss

    median, loss = time_steps(step, device, args.warmup, args.steps)
    print(json.dumps({**bench_result(median, net, device, args.device), 'loss': float(loss)}))


def window_starts(size, roi, overlap):
    """MONAI's dense_patch_slices along one axis (anadiff's windowStarts): last window flush with the end."""
    if size <= roi:
        return [0]
    interval = max(1, int(roi * (1 - overlap)))
    starts, d = [], 0
    while True:
        starts.append(min(d * interval, size - roi))
        if d * interval + roi >= size:
            return starts
        d += 1


def gaussian_map(roi):
    """nnU-Net / MONAI importance map: sigma = roi / 8, centred at (n - 1) / 2, peak 1, separable."""
    axes = []
    for n in roi:
        x = torch.arange(n, dtype=torch.float32)
        axes.append(torch.exp(-((x - (n - 1) / 2) ** 2) / (2 * (n / 8) ** 2)))
    return axes[0][:, None, None] * axes[1][None, :, None] * axes[2][None, None, :]


def run_infer(args):
    """MONAI-style sliding-window inference over a preprocessed float32 volume (raw, i fastest): batches of windows
    through the network + sigmoid, Gaussian-weighted accumulation, division, threshold 0.5 + most probable class.
    Prints ONE JSON line {"median_ms", "peak_rss_mb", ...}; the volume is read once, outside the timed runs."""
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    cfg = json.loads(args.config)
    net = build_net(cfg).eval()
    ni, nj, nk = (int(v) for v in args.dims.split('x'))
    with open(args.input, 'rb') as f:
        volume = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(nk, nj, ni)
    ri, rj, rk = (int(v) for v in args.roi.split('x'))
    roi = (rk, rj, ri)
    weight_map = gaussian_map(roi)
    starts = [(z, y, x) for z in window_starts(nk, rk, args.overlap) for y in window_starts(nj, rj, args.overlap)
              for x in window_starts(ni, ri, args.overlap)]
    channels = cfg['outChannels']

    def segment():
        out = torch.zeros(channels, nk, nj, ni)
        norm = torch.zeros(nk, nj, ni)
        with torch.inference_mode():
            for b in range(0, len(starts), args.batch):
                batch = starts[b:b + args.batch]
                x = torch.zeros(len(batch), 1, *roi)
                for n, (z, y, xx) in enumerate(batch):
                    win = volume[z:z + rk, y:y + rj, xx:xx + ri]
                    x[n, 0, :win.shape[0], :win.shape[1], :win.shape[2]] = win
                probs = torch.sigmoid(net(x))
                for n, (z, y, xx) in enumerate(batch):
                    dz, dy, dx = min(rk, nk - z), min(rj, nj - y), min(ri, ni - xx)
                    w = weight_map[:dz, :dy, :dx]
                    out[:, z:z + dz, y:y + dy, xx:xx + dx] += probs[n, :, :dz, :dy, :dx] * w
                    norm[z:z + dz, y:y + dy, xx:xx + dx] += w
            out /= norm.clamp_min(1e-12)
            best, index = out.max(0)
            return torch.where(best >= 0.5, index + 1, torch.zeros_like(index)).to(torch.uint8)

    for _ in range(args.warmup):
        segment()
    times = []
    labels = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        labels = segment()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    mid = len(times) // 2
    median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    print(json.dumps({'median_ms': median, 'peak_rss_mb': peak_rss_mb(), 'torch': torch.__version__,
                      'threads': torch.get_num_threads(), 'windows': len(starts),
                      'params': sum(p.numel() for p in net.parameters()),
                      'foreground_voxels': int((labels > 0).sum()) if labels is not None else 0}))


def run_conv(args):
    """anadiff bench conv's peer: forward, dX and dW of a 3x3x3 conv (C -> C, padding 1) by aten's own kernels."""
    torch.set_num_threads(args.threads)
    out = {}
    for shape in args.shapes.split(','):
        c, n = (int(v) for v in shape.split('@'))
        x, w = torch.randn(1, c, n, n, n), torch.randn(c, c, 3, 3, 3)
        gy = torch.randn(1, c, n, n, n)
        conv = lambda: torch.ops.aten.convolution(x, w, None, [1] * 3, [1] * 3, [1] * 3, False, [0] * 3, 1)
        backward = lambda mask: torch.ops.aten.convolution_backward(gy, x, w, None, [1] * 3, [1] * 3, [1] * 3, False, [0] * 3, 1, mask)
        kernels = {'forward': conv, 'dX': lambda: backward([True, False, False]), 'dW': lambda: backward([False, True, False])}
        with torch.no_grad():
            for name, fn in kernels.items():
                fn()
                times = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    fn()
                    times.append((time.perf_counter() - t0) * 1000)
                out[f'{c}@{n}:{name}'] = sorted(times)[len(times) // 2]
    print(json.dumps(out))


def ape_loss(e1, e2, idx1, idx2, pos1, pos2, w1, w2, shared):
    """APE's coordinate loss as its reference code states it (torch.cdist distances, MSE), with the slot weights
    anadiff's static graphs use: pdist over weighted pairs, consistency over the first len(shared) slots."""
    a = e1[:, idx1].t()
    b = e2[:, idx2].t()
    pair_w = w1[:, None] * w2[None, :]
    gap = torch.cdist(a, b) - torch.cdist(pos1, pos2)
    pdist = (pair_w * gap * gap).sum() / (pair_w.sum() + 1e-12)
    s = shared.shape[0]
    diff = a[:s] - b[:s]
    consistency = (shared * (diff * diff).sum(1)).sum() / (shared.sum() * a.shape[1] + 1e-12)
    return pdist + consistency, pdist, consistency


def run_ape_loss(args):
    """The APE loss and its gradients with respect to both views' embeddings, for the parity test."""
    t = read_safetensors(args.batch)
    e1 = t['emb1'].double().requires_grad_(True)
    e2 = t['emb2'].double().requires_grad_(True)
    f = lambda k: t[k].double()
    total, pdist, consistency = ape_loss(e1, e2, t['idx1'], t['idx2'], f('pos1'), f('pos2'), f('w1'), f('w2'), f('shared'))
    total.backward()
    out = {'total': total, 'pdist': pdist, 'consistency': consistency, 'emb1.grad': e1.grad, 'emb2.grad': e2.grad}
    write_safetensors(args.out, {k: v.detach().float().reshape(-1) if v.dim() == 0 else v.detach().float() for k, v in out.items()})


def run_diffusion_loss(args):
    """x_t = signal_scale * x0 + noise_scale * noise; MSE(denoiser(x_t, temb), noise); its parameter gradients."""
    cfg = json.loads(args.config)
    torch.set_num_threads(args.threads)
    net = DiffusionNet(cfg)
    net.load_state_dict(read_safetensors(args.weights), strict=True)
    b = read_safetensors(args.batch)
    xt = b['x0'] * b['signal_scale'] + b['noise'] * b['noise_scale']
    eps = net(xt, b['temb'])
    loss = F.mse_loss(eps, b['noise'])
    loss.backward()
    out = {'eps': eps, 'loss': loss.reshape(1)}
    for name, p in net.named_parameters():
        out[f'{name}.grad'] = p.grad
    write_safetensors(args.out, out)


def info_nce(z1, z2, weights, tau):
    """vox2vec's symmetric InfoNCE (its pretrain loss, SimCLR-style): own-view diagonal and empty slots set to -inf."""
    empty = weights == 0
    def masked(logits, diag):
        logits = logits.masked_fill(empty[None, :], float('-inf'))
        if diag:
            logits = logits.clone()
            logits.fill_diagonal_(float('-inf'))
        return logits
    l11 = masked(z1 @ z1.T / tau, True)
    l22 = masked(z2 @ z2.T / tau, True)
    l12 = z1 @ z2.T / tau
    loss1 = -l12.diag() + torch.logsumexp(torch.cat([l11, masked(l12, False)], dim=1), dim=1)
    loss2 = -l12.diag() + torch.logsumexp(torch.cat([masked(l12.T, False), l22], dim=1), dim=1)
    valid = ~empty
    return ((loss1[valid] + loss2[valid]) / 2).mean()


def run_info_nce(args):
    """InfoNCE of F.normalize(a), F.normalize(b) and its gradients for a and b, in float64."""
    t = read_safetensors(args.batch)
    a = t['a'].double().requires_grad_(True)
    b = t['b'].double().requires_grad_(True)
    loss = info_nce(F.normalize(a, dim=1), F.normalize(b, dim=1), t['w'].double(), args.tau)
    loss.backward()
    write_safetensors(args.out, {'loss': loss.detach().float().reshape(1), 'a.grad': a.grad.float(), 'b.grad': b.grad.float()})


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='mode', required=True)
    b = sub.add_parser('bench')
    b.add_argument('--net', choices=['unet', 'fpn3d'], default='unet')
    b.add_argument('--size', type=int, default=64)
    b.add_argument('--channels', type=int, default=16)
    b.add_argument('--levels', type=int, default=None, help='fpn3d pyramid levels (default 4)')
    b.add_argument('--steps', type=int, default=8)
    b.add_argument('--warmup', type=int, default=2)
    b.add_argument('--threads', type=int, default=2)
    b.add_argument('--device', default='cpu')
    b.add_argument('--infer', action='store_true')
    r = sub.add_parser('reference')
    r.add_argument('--config', required=True, help='JSON network + optimizer config')
    r.add_argument('--weights', required=True)
    r.add_argument('--batch', required=True)
    r.add_argument('--out', required=True)
    r.add_argument('--threads', type=int, default=1)
    i = sub.add_parser('infer')
    i.add_argument('--config', required=True, help='JSON network config (anadiff presetConfig)')
    i.add_argument('--input', required=True, help='raw float32 volume, i fastest')
    i.add_argument('--dims', required=True, help='IxJxK of the volume')
    i.add_argument('--roi', default='128x128x32', help='window IxJxK')
    i.add_argument('--overlap', type=float, default=0.5)
    i.add_argument('--batch', type=int, default=1)
    i.add_argument('--repeat', type=int, default=3)
    i.add_argument('--warmup', type=int, default=0)
    i.add_argument('--threads', type=int, default=2)
    cv = sub.add_parser('conv')
    cv.add_argument('--shapes', default='16@64,32@32,64@16', help='C@N: C channels, N^3 volume')
    cv.add_argument('--runs', type=int, default=7)
    cv.add_argument('--threads', type=int, default=2)
    al = sub.add_parser('ape-loss')
    al.add_argument('--batch', required=True, help='safetensors with emb1, emb2, idx1, idx2, pos1, pos2, w1, w2, shared')
    al.add_argument('--out', required=True)
    dl = sub.add_parser('diffusion-loss')
    dl.add_argument('--config', required=True, help='JSON diffusion net config (anadiff diffusionPresetConfig)')
    dl.add_argument('--weights', required=True)
    dl.add_argument('--batch', required=True, help='safetensors with x0, noise, signal_scale, noise_scale, temb')
    dl.add_argument('--out', required=True)
    dl.add_argument('--threads', type=int, default=1)
    nce = sub.add_parser('info-nce')
    nce.add_argument('--batch', required=True, help='safetensors with a, b [K, D] and w [K]')
    nce.add_argument('--out', required=True)
    nce.add_argument('--tau', type=float, default=0.1)
    pb = sub.add_parser('pretrain-bench')
    pb.add_argument('--method', choices=['diffusion', 'guided', 'genesis', 'contrastive'], required=True)
    pb.add_argument('--config', required=True, help='JSON network config (diffusionPresetConfig, genesisNetConfig or contrastiveNetConfig)')
    pb.add_argument('--positives', type=int, default=1024, help='contrastive: positive slots per crop pair')
    pb.add_argument('--guidance-weight', type=float, default=1.0, help='guided (aux): w of the coordinate MSE')
    pb.add_argument('--ema', type=float, default=None, help="decay of the weights' EMA (default none)")
    pb.add_argument('--patch', default='64x64x32', help='IxJxK')
    pb.add_argument('--batch', type=int, default=2)
    pb.add_argument('--steps', type=int, default=8)
    pb.add_argument('--warmup', type=int, default=2)
    pb.add_argument('--threads', type=int, default=2)
    pb.add_argument('--device', default='cpu')
    args = p.parse_args(argv)
    if args.mode == 'pretrain-bench':
        run_pretrain_bench(args)
    elif args.mode == 'info-nce':
        run_info_nce(args)
    elif args.mode == 'diffusion-loss':
        run_diffusion_loss(args)
    elif args.mode == 'ape-loss':
        run_ape_loss(args)
    elif args.mode == 'conv':
        run_conv(args)
    elif args.mode == 'bench':
        run_bench(args)
    elif args.mode == 'infer':
        run_infer(args)
    else:
        run_reference(args)


if __name__ == '__main__':
    main(sys.argv[1:])
