"""Reference side of the NIfTI tests: nibabel (Debian python3-nibabel) writes test files and reads files back.

  make OUTDIR          write generated NIfTI files covering datatypes, byte orders, orientations, scaling,
                       4D, NIfTI-2 and extensions; print a JSON list of {file, case, frame}
  dump OUTDIR FILE...  for each FILE[:frame] write OUTDIR/<n>.f32 (get_fdata(dtype=float32), frame `frame`, x fastest)
                       and print a JSON list of {shape, affine}
Run with /usr/bin/python3 (plain python3 may be a Python without nibabel).
"""
import json
import os
import sys

import nibabel as nib
import numpy as np


def rotation(ax, ay, az):
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def affine(linear, offset):
    a = np.eye(4)
    a[:3, :3] = linear
    a[:3, 3] = offset
    return a


def values(rng, dtype, shape):
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if info is None:
        return (rng.standard_normal(shape) * 1000).astype(dtype)
    lo, hi = max(info.min, -(2 ** 40)), min(info.max, 2 ** 40)
    return rng.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64 if dtype != np.uint64 else np.uint64).astype(dtype)


def save(img, outdir, name, cases, case, frame=0):
    path = os.path.join(outdir, name)
    nib.save(img, path)
    cases.append({'file': path, 'case': case, 'frame': frame})


def make(outdir):
    rng = np.random.default_rng(7)
    cases = []
    shape = (5, 6, 7)
    ras = affine(np.diag([1.5, 2.0, 2.5]), [-10, 20, 30])
    for dtype in ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float32', 'float64']:
        for order in '<>':
            hdr = nib.Nifti1Header(endianness=order)
            img = nib.Nifti1Image(values(rng, np.dtype(dtype), shape), ras, header=hdr)
            img.set_data_dtype(np.dtype(dtype).newbyteorder(order))
            ext = 'nii.gz' if order == '<' else 'nii'
            save(img, outdir, f'dtype_{dtype}_{"le" if order == "<" else "be"}.{ext}', cases, f'{dtype} {order}')

    data = values(rng, np.dtype('int16'), shape)
    lps = affine(np.diag([-0.8, -0.8, 2.5]), [200, 180, -100])
    save(nib.Nifti1Image(data, lps), outdir, 'orient_lps.nii.gz', cases, 'LPS sform')
    permuted = affine(np.array([[0, 0, -3.0], [-1.2, 0, 0], [0, 1.1, 0]]), [5, 6, 7])
    save(nib.Nifti1Image(data, permuted), outdir, 'orient_permuted.nii.gz', cases, 'permuted PSR-like')
    oblique = affine(rotation(0.3, -0.2, 0.5) @ np.diag([1.0, 1.3, 2.0]), [-30, 12, 8])
    img = nib.Nifti1Image(data, None)
    img.set_qform(oblique, code=1)
    img.set_sform(None, code=0)
    save(img, outdir, 'orient_qform_only_oblique.nii.gz', cases, 'qform only, oblique')
    flipped = affine(rotation(0.1, 0.2, -0.4) @ np.diag([0.9, 0.9, -1.7]), [1, 2, 3])
    img = nib.Nifti1Image(data, None)
    img.set_qform(flipped, code=2)
    img.set_sform(None, code=0)
    save(img, outdir, 'orient_qform_qfac_neg.nii', cases, 'qform only, qfac -1')
    sheared = affine(np.array([[-0.5, 0, 0], [0, 0.5, 0.2], [0, 0.15, 3.8]]), [120, -110, -70])
    save(nib.Nifti1Image(data, sheared), outdir, 'orient_sheared_sform.nii.gz', cases, 'sheared sform')
    img = nib.Nifti1Image(data, None)
    img.header.set_zooms((1.1, 1.2, 1.3))
    img.set_qform(None, code=0)
    img.set_sform(None, code=0)
    save(img, outdir, 'orient_pixdim_only.nii', cases, 'no qform, no sform')

    img = nib.Nifti1Image(values(rng, np.dtype('int16'), shape), ras)
    img.header.set_slope_inter(0.25, -1024)
    save(img, outdir, 'scaled_int16.nii.gz', cases, 'scl_slope/scl_inter')
    img = nib.Nifti1Image(values(rng, np.dtype('uint8'), shape), ras)
    img.header.set_slope_inter(2.0, 0.5)
    save(img, outdir, 'scaled_uint8_be.nii', cases, 'scaled uint8')

    four_d = values(rng, np.dtype('int16'), (4, 5, 6, 3))
    save(nib.Nifti1Image(four_d, lps), outdir, 'four_d.nii.gz', cases, '4D frame 2', frame=2)
    save(nib.Nifti2Image(values(rng, np.dtype('float32'), shape), oblique), outdir, 'nifti2.nii.gz', cases, 'NIfTI-2')
    img = nib.Nifti2Image(values(rng, np.dtype('int16'), shape), permuted, header=nib.Nifti2Header(endianness='>'))
    save(img, outdir, 'nifti2_be.nii', cases, 'NIfTI-2 big-endian')

    img = nib.Nifti1Image(values(rng, np.dtype('float32'), shape), ras)
    img.header.extensions.append(nib.nifti1.Nifti1Extension('comment', b'anadiff test extension, 32 bytes'))
    save(img, outdir, 'with_extension.nii.gz', cases, 'extension')
    nan_data = values(rng, np.dtype('float32'), shape)
    nan_data[0, 0, 0] = np.nan
    nan_data[1, 0, 0] = np.inf
    save(nib.Nifti1Image(nan_data, ras), outdir, 'nan_inf.nii', cases, 'NaN and Inf voxels')
    print(json.dumps(cases))


def dump(outdir, specs):
    out = []
    for n, spec in enumerate(specs):
        path, _, frame = spec.rpartition(':') if spec.rpartition(':')[2].isdigit() else (spec, '', '0')
        img = nib.load(path)
        data = img.get_fdata(dtype=np.float32)
        if data.ndim > 3:
            data = data.reshape(data.shape[:3] + (-1,))[..., int(frame)]
        while data.ndim < 3:
            data = data[..., np.newaxis]
        np.asfortranarray(data).ravel(order='F').astype('<f4').tofile(os.path.join(outdir, f'{n}.f32'))
        out.append({'shape': list(data.shape), 'affine': img.affine.tolist()})
    print(json.dumps(out))


if __name__ == '__main__':
    if sys.argv[1] == 'make':
        make(sys.argv[2])
    else:
        dump(sys.argv[2], sys.argv[3:])
