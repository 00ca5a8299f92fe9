/**
 * The safetensors format (https://github.com/huggingface/safetensors), pure TypeScript:
 *   8 bytes   little-endian uint64 N, the header length
 *   N bytes   UTF-8 JSON: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { str: str } },
 *             padded with spaces so the data starts 8-byte aligned (as the Rust writer does)
 *   rest      the tensors' bytes, little-endian, offsets relative to the start of this section
 * The decoder validates everything the reference implementation validates (offsets contiguous, covering the whole
 * buffer, sizes matching dtype x shape) so a truncated or corrupt file is rejected before any tensor is used.
 * Assumes a little-endian host (every platform onnxruntime-node ships for).
 */

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'I64' | 'I32' | 'U8';

/** F16 is carried as raw IEEE half bits in a Uint16Array (what onnxruntime's float16 tensors accept too). */
export type TensorData = Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

export interface NamedTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, NamedTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** What the header says about one tensor, before any data is read. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Byte range within the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** Bytes before the data section (8 + header length). */
  readonly dataStart: number;
  /** The exact file size the header implies. */
  readonly totalBytes: number;
  readonly entries: readonly TensorEntry[];
  readonly metadata: Readonly<Record<string, string>>;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const itemBytes: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, I64: 8, I32: 4, U8: 1 };
/** Headers larger than this are rejected (the reference implementation's limit) so a corrupt length cannot OOM us. */
const maxHeaderBytes = 100_000_000;

export function dtypeByteSize(dtype: SafetensorsDtype): number {
  return itemBytes[dtype];
}

function isDtype(x: unknown): x is SafetensorsDtype {
  return typeof x === 'string' && Object.hasOwn(itemBytes, x);
}

function expectedArray(dtype: SafetensorsDtype): string {
  const names: Record<SafetensorsDtype, string> = {
    F64: 'Float64Array', F32: 'Float32Array', F16: 'Uint16Array', I64: 'BigInt64Array', I32: 'Int32Array', U8: 'Uint8Array',
  };
  return names[dtype];
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkTensor(name: string, t: NamedTensor): void {
  if (!isDtype(t.dtype)) throw new SafetensorsError(`tensor "${name}": unsupported dtype ${String(t.dtype)}`);
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(`tensor "${name}": shape ${JSON.stringify(t.shape)} must be non-negative integers`);
  }
  if (t.data.constructor.name !== expectedArray(t.dtype)) {
    throw new SafetensorsError(`tensor "${name}": dtype ${t.dtype} needs a ${expectedArray(t.dtype)}, got ${t.data.constructor.name}`);
  }
  if (t.data.length !== elementCount(t.shape)) {
    throw new SafetensorsError(`tensor "${name}": shape ${JSON.stringify(t.shape)} has ${elementCount(t.shape)} elements, data has ${t.data.length}`);
  }
}

/**
 * The header bytes (length prefix included) and the data parts in file order, without concatenating them, so a writer
 * can stream a large checkpoint to disk without a second copy in memory.
 */
export function planSafetensors(
  tensors: Iterable<readonly [string, NamedTensor]>,
  metadata: Readonly<Record<string, string>> = {},
): { header: Uint8Array; parts: Uint8Array[]; totalBytes: number } {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  const parts: Uint8Array[] = [];
  let offset = 0;
  // Widest dtype first (as the Rust writer orders them) so every tensor starts aligned and decodes without a copy;
  // then by name, so the same tensors always give the same bytes (and the same sha256).
  const sorted = [...tensors].sort(([a, ta], [b, tb]) =>
    itemBytes[tb.dtype] - itemBytes[ta.dtype] || (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, t] of sorted) {
    if (name === '__metadata__') throw new SafetensorsError('"__metadata__" is reserved and cannot name a tensor');
    if (Object.hasOwn(header, name)) throw new SafetensorsError(`tensor "${name}" appears twice`);
    checkTensor(name, t);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20, 8);
  head.set(json, 8);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  return { header: head, parts, totalBytes: head.byteLength + offset };
}

/** Encodes tensors (any iterable of [name, tensor], e.g. a Map) and string metadata into one buffer. */
export function encodeSafetensors(
  tensors: Iterable<readonly [string, NamedTensor]>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const plan = planSafetensors(tensors, metadata);
  const out = new Uint8Array(plan.totalBytes);
  out.set(plan.header, 0);
  let at = plan.header.byteLength;
  for (const p of plan.parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Parses and validates the header from the first bytes of a file (at least 8 + header length of them).
 * `fileBytes` is the full file size when known: it must equal what the header implies (catches truncation).
 */
export function readSafetensorsHeader(prefix: Uint8Array, fileBytes?: number): SafetensorsHeader {
  if (prefix.byteLength < 8) throw new SafetensorsError(`file too short for a safetensors header (${prefix.byteLength} bytes)`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(maxHeaderBytes)) throw new SafetensorsError(`header length ${n} exceeds ${maxHeaderBytes} bytes: not a safetensors file or corrupt`);
  const headerLen = Number(n);
  if (prefix.byteLength < 8 + headerLen) {
    throw new SafetensorsError(`truncated: header needs ${8 + headerLen} bytes, have ${prefix.byteLength}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SafetensorsError('header must be a JSON object');
  const entries: TensorEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(value);
      continue;
    }
    entries.push(parseEntry(name, value));
  }
  // Offsets must tile the data section exactly: no gaps, no overlaps (as the reference implementation requires).
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin !== cursor) throw new SafetensorsError(`tensor "${e.name}": data_offsets start at ${e.begin}, expected ${cursor} (gap or overlap)`);
    cursor = e.end;
  }
  const dataStart = 8 + headerLen;
  const totalBytes = dataStart + cursor;
  if (fileBytes !== undefined && fileBytes !== totalBytes) {
    throw new SafetensorsError(`file is ${fileBytes} bytes but its header describes ${totalBytes} bytes${fileBytes < totalBytes ? ' (truncated)' : ' (trailing data)'}`);
  }
  return { dataStart, totalBytes, entries, metadata };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SafetensorsError('"__metadata__" must be an object of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new SafetensorsError(`"__metadata__.${k}" must be a string`);
    out[k] = v;
  }
  return out;
}

function parseEntry(name: string, value: unknown): TensorEntry {
  if (typeof value !== 'object' || value === null) throw new SafetensorsError(`tensor "${name}": header entry must be an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isDtype(dtype)) throw new SafetensorsError(`tensor "${name}": unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(itemBytes).join(', ')})`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(`tensor "${name}": shape must be an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new SafetensorsError(`tensor "${name}": data_offsets must be [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  const want = elementCount(shape as number[]) * itemBytes[dtype];
  if (end - begin !== want) {
    throw new SafetensorsError(`tensor "${name}": ${dtype}${JSON.stringify(shape)} needs ${want} bytes, data_offsets span ${end - begin}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function view(dtype: SafetensorsDtype, bytes: Uint8Array): TensorData {
  // Typed-array views need aligned offsets; copy when the file's layout does not give one.
  const aligned = bytes.byteOffset % itemBytes[dtype] === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset, byteLength } = aligned;
  const n = byteLength / itemBytes[dtype];
  switch (dtype) {
    case 'F64': return new Float64Array(buffer, byteOffset, n);
    case 'F32': return new Float32Array(buffer, byteOffset, n);
    case 'F16': return new Uint16Array(buffer, byteOffset, n);
    case 'I64': return new BigInt64Array(buffer, byteOffset, n);
    case 'I32': return new Int32Array(buffer, byteOffset, n);
    case 'U8': return new Uint8Array(buffer, byteOffset, n);
  }
}

/** Decodes a whole file. Tensors are views into `bytes` where alignment allows (no copy), else copies. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  const header = readSafetensorsHeader(bytes, bytes.byteLength);
  const tensors = new Map<string, NamedTensor>();
  for (const e of header.entries) {
    const data = view(e.dtype, bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end));
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata: header.metadata };
}
