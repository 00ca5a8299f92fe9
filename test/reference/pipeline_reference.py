"""Independent reference for the pipeline tests (Debian python3-scipy / numpy), reading raw arrays from a folder.

  metrics DIR   pred.u8, ref.u8, meta.json {dims, spacing, classes} -> JSON {dice, hd95} computed as MONAI does:
                edges = mask ^ binary_erosion(mask); distances from scipy's distance_transform_edt with sampling.
  bodymask DIR  hu.f32, meta.json {dims} -> mask.u8: complement of the 26-connected air (HU < -500) components
                that touch the i or j faces (vox2vec's padded flood fill, by component labelling instead).
  largest DIR   labels.u8, meta.json {dims} -> kept.u8: per non-zero value, only its largest 26-connected component
                (scipy ndimage.label per value; ties go to the component whose first voxel comes first in x-fastest order).
Arrays are x fastest on disk (NIfTI order), so they are read as (z, y, x) and spacing is reversed.
"""
import json
import os
import sys

import numpy as np
from scipy import ndimage


def load(d, name, dtype, dims):
    return np.fromfile(os.path.join(d, name), dtype=dtype).reshape(dims[2], dims[1], dims[0])


def hd(pred, ref, spacing, q=95):
    if not pred.any() or not ref.any():
        return float("nan")
    ep = pred ^ ndimage.binary_erosion(pred)
    er = ref ^ ndimage.binary_erosion(ref)
    d_pr = ndimage.distance_transform_edt(~er, sampling=spacing)[ep]
    d_rp = ndimage.distance_transform_edt(~ep, sampling=spacing)[er]
    return float(max(np.percentile(d_pr, q), np.percentile(d_rp, q)))


def metrics(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    dims, spacing = meta["dims"], meta["spacing"][::-1]
    pred, ref = load(d, "pred.u8", np.uint8, dims), load(d, "ref.u8", np.uint8, dims)
    dice, hd95 = [], []
    for c in meta["classes"]:
        p, r = pred == c, ref == c
        dice.append(float((2 * (p & r).sum() + 1e-5) / (p.sum() + r.sum() + 1e-5)))
        hd95.append(hd(p, r, spacing))
    print(json.dumps({"dice": dice, "hd95": [None if np.isnan(x) else x for x in hd95]}))


def bodymask(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    dims = meta["dims"]
    air = load(d, "hu.f32", np.float32, dims) < -500
    labels, _ = ndimage.label(air, structure=np.ones((3, 3, 3), bool))
    side = np.concatenate([labels[:, :, 0].ravel(), labels[:, :, -1].ravel(), labels[:, 0, :].ravel(), labels[:, -1, :].ravel()])
    outside = np.isin(labels, np.unique(side[side > 0]))
    (~outside).astype(np.uint8).tofile(os.path.join(d, "mask.u8"))
    print("{}")


def largest(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    labels = load(d, "labels.u8", np.uint8, meta["dims"])
    kept = np.zeros_like(labels)
    for value in np.unique(labels[labels > 0]):
        comp, n = ndimage.label(labels == value, structure=np.ones((3, 3, 3), bool))
        sizes = np.bincount(comp.ravel())[1:]
        kept[comp == 1 + int(np.argmax(sizes))] = value
    kept.tofile(os.path.join(d, "kept.u8"))
    print("{}")


if __name__ == "__main__":
    {"metrics": metrics, "bodymask": bodymask, "largest": largest}[sys.argv[1]](sys.argv[2])
