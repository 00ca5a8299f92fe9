// Worker-thread entry (bundled as dist/worker-viewer-decode.js): decodes one NIfTI file off the extension host's
// event loop (native zlib inflate, scaling), posts the first-paint slices as soon as they exist, then the compact
// volume. All buffers are transferred, never copied, to the host.
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { readNiftiFile } from '../nifti/read-file.js';
import { headerFields, niftiLayout, type NiftiImage } from '../../core/nifti/index.js';
import { compactVoxels, distinctLabelIds, firstPaint, isIntegerDatatype, volumeGeometry } from '../../core/viewer/prepare.js';
import { defaultRange, looksLikeCt } from '../../core/viewer/window.js';
import { readGridGeometry } from './read-geometry.js';
import { rawVoxelsOf } from './raw-voxels.js';
import type { DecodeReply, DecodeRequest, RawVoxels } from '../../protocol/viewer.js';

function post(reply: DecodeReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(reply, transfer);
}

async function decode(request: Extract<DecodeRequest, { type: 'decode' }>): Promise<void> {
  const started = performance.now();
  const image = await readNiftiFile(request.path, { frame: 0, maxVoxels: request.maxVoxels });
  const datatype = image.datatype;
  const source = { dims: image.dims, ijkToRas: image.ijkToRas, data: image.data, datatype };
  const range = { min: image.range[0], max: image.range[1] };
  if (request.role === 'image') {
    const paint = firstPaint(source, range);
    const slices = paint.slices.map((s) => ({ plane: s.plane, width: s.width, height: s.height, pixelMm: s.pixelMm, pixels: s.data.buffer as ArrayBuffer }));
    post({ type: 'firstPaint', geometry: paint.geometry, slices, defaultWindow: paint.defaultWindow, isCt: paint.isCt, raw: rawVoxels(image, request.maxVoxels) }, slices.map((s) => s.pixels));
  }
  const compact = compactVoxels(image.data);
  const integerCoded = isIntegerDatatype(datatype);
  const labelIds = request.role === 'overlay' ? distinctLabelIds(compact.voxelType, compact.voxels) : [];
  const geometry = volumeGeometry(source);
  post(
    {
      type: 'decoded',
      geometry,
      voxelType: compact.voxelType,
      voxels: compact.voxels,
      fullRange: compact.range,
      defaultWindow: defaultRange(image.data, compact.range, integerCoded),
      isCt: looksLikeCt(compact.range, integerCoded),
      integerValued: compact.integerValued,
      labelIds,
      description: image.header.description,
      header: headerFields(image).map((f) => ({ name: f.name, value: String(f.value) })),
      decodeMs: Math.round(performance.now() - started),
    },
    [compact.voxels],
  );
}

/** The same rule the host applied from the header alone before decoding (see raw-voxels.ts); the tests compare both. */
function rawVoxels(image: NiftiImage, maxVoxels: number): RawVoxels | null {
  return rawVoxelsOf(image.header, niftiLayout(image.header, { maxVoxels }));
}

async function readGrids(paths: readonly string[]): Promise<void> {
  const results = await Promise.all(
    paths.map(async (path) => {
      try {
        const g = await readGridGeometry(path);
        return { path, dims: g.dims, ijkToRas: [...g.ijkToRas] };
      } catch (err) {
        return { path, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  post({ type: 'grids', results });
}

parentPort?.on('message', (request: DecodeRequest) => {
  const work = request.type === 'decode' ? decode(request) : readGrids(request.paths);
  work.catch((err: unknown) => {
    post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  });
});
