/**
 * Just enough ELF reading for `doctor`: the machine type and the DT_NEEDED libraries of a shared object, read with a few
 * positioned reads (a CUDA provider library is ~230 MB; it is never read whole). 64-bit little-endian only.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export interface ElfInfo {
  /** e_machine: 62 = x86-64, 183 = AArch64. */
  readonly machine: number;
  readonly needed: readonly string[];
}

export class ElfError extends Error {
  constructor(message: string, readonly path: string) {
    super(`${message} (${path})`);
    this.name = 'ElfError';
  }
}

export const elfMachineOfArch: Readonly<Record<string, number>> = { x64: 62, arm64: 183 };

export function readElfInfo(path: string): ElfInfo {
  const fd = openSync(path, 'r');
  try {
    const read = (pos: number, len: number): Buffer => {
      const buf = Buffer.alloc(len);
      const n = readSync(fd, buf, 0, len, pos);
      if (n !== len) throw new ElfError(`truncated ELF (wanted ${len} bytes at ${pos})`, path);
      return buf;
    };
    const head = read(0, 64);
    if (head.readUInt32BE(0) !== 0x7f454c46) throw new ElfError('not an ELF file', path);
    if (head[4] !== 2 || head[5] !== 1) throw new ElfError('only 64-bit little-endian ELF is supported', path);
    const machine = head.readUInt16LE(0x12);
    const phoff = Number(head.readBigUInt64LE(0x20));
    const phentsize = head.readUInt16LE(0x36);
    const phnum = head.readUInt16LE(0x38);
    const loads: { vaddr: number; offset: number; filesz: number }[] = [];
    let dynamic: { offset: number; size: number } | undefined;
    const ph = read(phoff, phentsize * phnum);
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      const type = ph.readUInt32LE(at);
      const offset = Number(ph.readBigUInt64LE(at + 8));
      const vaddr = Number(ph.readBigUInt64LE(at + 16));
      const filesz = Number(ph.readBigUInt64LE(at + 32));
      if (type === 1) loads.push({ vaddr, offset, filesz });
      if (type === 2) dynamic = { offset, size: filesz };
    }
    if (!dynamic) return { machine, needed: [] };
    const dyn = read(dynamic.offset, dynamic.size);
    const neededOffsets: number[] = [];
    let strtab: number | undefined;
    for (let at = 0; at + 16 <= dyn.length; at += 16) {
      const tag = Number(dyn.readBigInt64LE(at));
      const val = Number(dyn.readBigUInt64LE(at + 8));
      if (tag === 0) break;
      if (tag === 1) neededOffsets.push(val);
      if (tag === 5) strtab = val;
    }
    if (strtab === undefined) return { machine, needed: [] };
    const seg = loads.find((l) => strtab! >= l.vaddr && strtab! < l.vaddr + l.filesz);
    if (!seg) throw new ElfError('string table outside any loaded segment', path);
    const strtabOffset = strtab - seg.vaddr + seg.offset;
    const needed = neededOffsets.map((off) => {
      const chunk = read(strtabOffset + off, 256);
      return chunk.subarray(0, chunk.indexOf(0)).toString('utf8');
    });
    return { machine, needed };
  } finally {
    closeSync(fd);
  }
}

/** Whether the file contains `needle` (read in chunks; used to find an embedded version string). */
export function fileContains(path: string, needle: Uint8Array): boolean {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(8 << 20);
    const overlap = needle.byteLength - 1;
    let pos = 0;
    let carried = 0;
    for (;;) {
      const n = readSync(fd, chunk, carried, chunk.length - carried, pos);
      if (n === 0) return false;
      const filled = carried + n;
      if (chunk.subarray(0, filled).indexOf(needle) >= 0) return true;
      pos += n;
      carried = Math.min(overlap, filled);
      chunk.copy(chunk, 0, filled - carried, filled);
    }
  } finally {
    closeSync(fd);
  }
}
