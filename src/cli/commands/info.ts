import { parseArgs } from 'node:util';
import { mat4ToRows } from '../../core/volume/mat4.js';
import type { NiftiSummary } from '../../core/nifti/index.js';
import { checkInputFile } from '../../node/io/output-path.js';
import { readNamedNiftiSummary } from '../../node/nifti/index.js';
import { UsageError, type CliCommand } from '../command.js';

const usage = `usage: anadiff info FILE [--json] [--frame N]

Prints a NIfTI file's dimensions, voxel spacing, datatype, ijk->RAS affine (the one nibabel reports),
orientation and intensity range. --json prints one object: dims, frames, spacing, datatype, affine
(4x4 row-major), orientation, range, and more. Bad input exits 1 with a one-line message.`;

const fmt = (v: number): string => String(Number(v.toFixed(4)));

/** The JSON `anadiff info --json` prints; other tools may parse it. */
export function infoJson(file: string, image: NiftiSummary): Record<string, unknown> {
  return {
    file,
    version: image.header.version,
    dims: image.dims,
    frames: image.frames,
    frame: image.frame,
    spacing: image.spacing,
    datatype: image.datatype,
    affine: mat4ToRows(image.ijkToRas),
    affineSource: image.affineSource,
    orientation: image.orientation,
    range: image.range,
    nonFiniteCount: image.nonFiniteCount,
    sclSlope: image.header.sclSlope,
    sclInter: image.header.sclInter,
    qformCode: image.header.qformCode,
    sformCode: image.header.sformCode,
    description: image.header.description,
  };
}

function infoText(file: string, image: NiftiSummary): string {
  const lines = [
    `file         ${file}`,
    `format       NIfTI-${image.header.version}, ${image.header.littleEndian ? 'little' : 'big'}-endian`,
    `dims         ${image.dims.join(' x ')}${image.frames > 1 ? ` (${image.frames} frames, showing frame ${image.frame})` : ''}`,
    `spacing      ${image.spacing.map(fmt).join(' x ')} mm`,
    `datatype     ${image.datatype}${image.header.sclSlope !== 0 && (image.header.sclSlope !== 1 || image.header.sclInter !== 0) && Number.isFinite(image.header.sclSlope) ? ` (scaled: x * ${fmt(image.header.sclSlope)} + ${fmt(image.header.sclInter)})` : ''}`,
    `orientation  ${image.orientation}`,
    `affine       ijk -> RAS mm, from the ${image.affineSource}`,
    ...mat4ToRows(image.ijkToRas).map((row) => `             [${row.map((v) => fmt(v).padStart(10)).join(' ')} ]`),
    `range        ${fmt(image.range[0])} .. ${fmt(image.range[1])}`,
  ];
  if (image.nonFiniteCount > 0) lines.push(`note         ${image.nonFiniteCount} voxels are NaN or infinite (kept; the range covers finite values)`);
  if (image.header.description) lines.push(`description  ${image.header.description}`);
  return lines.join('\n');
}

export const infoCommand: CliCommand = {
  name: 'info',
  summary: 'print a NIfTI file\'s dimensions, spacing, datatype, affine and range',
  usage,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { json: { type: 'boolean' }, frame: { type: 'string' } } });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError(`expected one FILE\n${usage}`);
    const frame = values.frame === undefined ? 0 : Number(values.frame);
    if (!Number.isSafeInteger(frame) || frame < 0 || values.frame?.trim() === '') throw new UsageError(`--frame must be an integer >= 0 (a 0-based frame index), got ${values.frame}`);
    checkInputFile(file, '');
    // The summary reader streams the voxels for the range without keeping them (a few MiB at any size).
    const image = await readNamedNiftiSummary(file, { frame });
    console.log(values.json ? JSON.stringify(infoJson(file, image)) : infoText(file, image));
    return 0;
  },
};
