// Just enough PNG decoding (8-bit RGB/RGBA, non-interlaced: what Chromium's screenshots are) to measure what a
// canvas shows, without an image library.
import { inflateSync } from 'node:zlib';

export interface Pixels {
  readonly width: number;
  readonly height: number;
  /** RGBA, 4 bytes per pixel. */
  readonly rgba: Uint8Array;
}

export function decodePng(png: Buffer): Pixels {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 4;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [bitDepth, colourType, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (bitDepth !== 8 || interlace !== 0 || (colourType !== 2 && colourType !== 6)) throw new Error(`unsupported PNG (depth ${bitDepth}, colour ${colourType})`);
      channels = colourType === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (cur[x - channels] as number) : 0;
      const b = prev[x] as number;
      const c = x >= channels ? (prev[x - channels] as number) : 0;
      const v = line[x] as number;
      const p = a + b - c;
      const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      cur[x] = (v + predictor) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      out.set([cur[x * channels] as number, cur[x * channels + 1] as number, cur[x * channels + 2] as number, channels === 4 ? (cur[x * channels + 3] as number) : 255], (y * width + x) * 4);
    }
    prev = cur;
  }
  return { width, height, rgba: out };
}

/** Standard deviation of luminance: near 0 for a blank canvas, tens for a CT slice. */
export function luminanceSpread(p: Pixels): number {
  let sum = 0;
  let sumSq = 0;
  const n = p.width * p.height;
  for (let i = 0; i < n; i++) {
    const l = 0.299 * (p.rgba[i * 4] as number) + 0.587 * (p.rgba[i * 4 + 1] as number) + 0.114 * (p.rgba[i * 4 + 2] as number);
    sum += l;
    sumSq += l * l;
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sumSq / n - mean * mean));
}

/** Fraction of pixels whose colour differs by more than `threshold` (0..255) in any channel. */
export function changedFraction(a: Pixels, b: Pixels, threshold = 16): number {
  if (a.width !== b.width || a.height !== b.height) return 1;
  let changed = 0;
  const n = a.width * a.height;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      if (Math.abs((a.rgba[i * 4 + c] as number) - (b.rgba[i * 4 + c] as number)) > threshold) {
        changed++;
        break;
      }
    }
  }
  return changed / n;
}

/** Count of pixels that are strongly coloured (saturation): label overlays are colour, CT is grey. */
export function colouredFraction(p: Pixels, minChroma = 60): number {
  let coloured = 0;
  const n = p.width * p.height;
  for (let i = 0; i < n; i++) {
    const r = p.rgba[i * 4] as number, g = p.rgba[i * 4 + 1] as number, b = p.rgba[i * 4 + 2] as number;
    if (Math.max(r, g, b) - Math.min(r, g, b) >= minChroma) coloured++;
  }
  return coloured / n;
}

/** Luminance spread inside a rectangle (pixels of the image): tells whether a tile shows a slice. */
export function luminanceSpreadIn(p: Pixels, rect: { x: number; y: number; w: number; h: number }): number {
  const x0 = Math.max(0, Math.floor(rect.x));
  const y0 = Math.max(0, Math.floor(rect.y));
  const x1 = Math.min(p.width, Math.ceil(rect.x + rect.w));
  const y1 = Math.min(p.height, Math.ceil(rect.y + rect.h));
  const w = Math.max(0, x1 - x0);
  const h = Math.max(0, y1 - y0);
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) rgba.set(p.rgba.subarray(((y0 + y) * p.width + x0) * 4, ((y0 + y) * p.width + x1) * 4), y * w * 4);
  return w * h === 0 ? 0 : luminanceSpread({ width: w, height: h, rgba });
}
