#!/usr/bin/env python3
"""Python peer of anadiff's vox2vec preprocessing (src/core/preprocess), for `anadiff bench preprocess`.

What a MONAI / nnU-Net user would write with numpy, scipy and nibabel only (no torch), step for step as
preprocessCase does, from the file on disk. Arrays are handled in (k, j, i) order, as nnU-Net transposes them: nibabel's
Fortran-ordered (i, j, k) array transposed is C-contiguous, and scipy.ndimage runs about 8x faster along memory order
(the resampling of a 512x512x300 CT: 0.3 s instead of 2.4 s on the (i, j, k) view).

  1. nibabel load + nib.as_closest_canonical (RAS), get_fdata(float32); labels as uint8
  2. crop to the bounding box of HU >= -500 (a view, no copy)
  3. resample to the target spacing: scipy.ndimage.affine_transform with a diagonal matrix (output voxel o samples
     the source at o * target / source, the first centres coincide, size floor((n - 1) / step) + 1: anadiff's grid
     convention, so the output dims agree), order=1 for the image, order=0 for the labels
  4. body mask: the complement of the air (HU < -500) 26-connected to the i and j faces (scipy.ndimage.label)
  5. HU clip to [-1350, 1000] scaled to [0, 1]

Times `repeat` runs after `warmup` runs in this one process and prints ONE JSON line
{"median_ms", "peak_rss_mb", "dims", "read_ms", "preprocess_ms", "runs_ms"}. A bad file prints one line on stderr
and exits 1.
"""
import argparse
import json
import resource
import sys
import time
import warnings

import nibabel as nib
import numpy as np
from scipy import ndimage

BODY_THRESHOLD_HU = -500.0
HU_WINDOW = (-1350.0, 1000.0)


def load(path, dtype):
    img = nib.as_closest_canonical(nib.load(path))
    if dtype == 'float32':
        data = img.get_fdata(dtype=np.float32)
    else:
        data = np.asanyarray(img.dataobj).astype(np.uint8)
    if data.ndim > 3:  # anadiff reads frame 0 of a 4D file
        data = data.reshape(data.shape[:3] + (-1,))[..., 0]
    # spacing from the affine's column norms, as anadiff's gridSpacing (pixdim may disagree with an sform);
    # both returned in (k, j, i) order
    return data.T, nib.affines.voxel_sizes(img.affine)[::-1]


def body_box(hu):
    """Bounding box (slices) of HU >= -500, one projection per axis."""
    inside = hu >= BODY_THRESHOLD_HU
    box = []
    for axis in range(3):
        others = tuple(a for a in range(3) if a != axis)
        hits = np.flatnonzero(inside.any(axis=others))
        if hits.size == 0:
            raise ValueError(f'no voxel >= {BODY_THRESHOLD_HU} HU: the image has no body')
        box.append(slice(int(hits[0]), int(hits[-1]) + 1))
    return tuple(box)


# A 1-D matrix means a diagonal one (scipy's fast zoom-and-shift path); scipy warns that this changed in 0.18.
warnings.filterwarnings('ignore', message='The behavior of affine_transform with a 1-D array')


def resample(volume, zooms, spacing, order):
    step = [t / float(s) for t, s in zip(spacing, zooms)]
    shape = tuple(int(np.floor((n - 1) / st + 1e-9)) + 1 for n, st in zip(volume.shape, step))
    return ndimage.affine_transform(volume, step, output_shape=shape, order=order, mode='nearest', prefilter=False)


def body_mask(hu):
    """hu in (k, j, i) order: the i faces are the last axis's ends, the j faces the middle axis's."""
    air = hu < BODY_THRESHOLD_HU
    components, _ = ndimage.label(air, structure=np.ones((3, 3, 3), dtype=bool))
    faces = np.concatenate([components[..., 0].ravel(), components[..., -1].ravel(), components[:, 0].ravel(), components[:, -1].ravel()])
    outside = np.unique(faces)
    outside = outside[outside != 0]
    return (~np.isin(components, outside)).astype(np.uint8)


def clip_and_scale(hu):
    low, high = HU_WINDOW
    out = np.clip(hu, low, high)
    out -= low
    out *= 1.0 / (high - low)
    return out


def preprocess(image_path, labels_path, spacing):
    """spacing in (i, j, k) order; returns (output dims (i, j, k), read ms, preprocess ms)."""
    spacing = spacing[::-1]
    t0 = time.perf_counter()
    hu, zooms = load(image_path, 'float32')
    labels = load(labels_path, 'uint8')[0] if labels_path else None
    t1 = time.perf_counter()
    if labels is not None and labels.shape != hu.shape:
        raise ValueError(f'labels {labels.shape} are not on the image grid {hu.shape}')
    box = body_box(hu)
    resampled = resample(hu[box], zooms, spacing, order=1)
    mask = body_mask(resampled)
    image = clip_and_scale(resampled)
    if labels is not None:
        resample(labels[box], zooms, spacing, order=0)
    t2 = time.perf_counter()
    assert mask.shape == image.shape
    return list(image.shape[::-1]), (t1 - t0) * 1000, (t2 - t1) * 1000


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('file')
    p.add_argument('--labels')
    p.add_argument('--spacing', default='1x1x2', help='target spacing in mm, XxYxZ')
    p.add_argument('--repeat', type=int, default=3)
    p.add_argument('--warmup', type=int, default=1)
    a = p.parse_args()
    spacing = [float(s) for s in a.spacing.split('x')]
    try:
        for _ in range(a.warmup):
            preprocess(a.file, a.labels, spacing)
        runs = [preprocess(a.file, a.labels, spacing) for _ in range(a.repeat)]
    except Exception as err:  # noqa: BLE001 -- the boundary: one line for the parent command
        print(f'preprocess_peer: {a.file}: {type(err).__name__}: {err}', file=sys.stderr)
        return 1
    total = [r + q for _, r, q in runs]
    print(json.dumps({
        'median_ms': float(np.median(total)),
        'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,  # Linux reports KiB
        'dims': runs[0][0],
        'read_ms': float(np.median([r for _, r, _ in runs])),
        'preprocess_ms': float(np.median([q for _, _, q in runs])),
        'runs_ms': [round(t, 2) for t in total],
    }))
    return 0


if __name__ == '__main__':
    sys.exit(main())
