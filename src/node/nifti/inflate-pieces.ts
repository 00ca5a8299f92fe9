import { constants, createGunzip, type Gunzip } from 'node:zlib';
import { NiftiError } from '../../core/nifti/index.js';

/**
 * zlib's native inflate handle driven the way Node's own zlib.js drives it: `writeSync(flush, input, inOffset,
 * inLength, output, outOffset, outLength)`, then `_writeState` holds [output bytes left, input bytes left]. Not public
 * API, and used for one reason: it inflates into a buffer WE own. Every public zlib call allocates fresh output
 * buffers, and fresh memory costs a page fault per 4 KiB on first touch; on the 2-core development VM a fault costs
 * 5 to 16 us, so the inflated copy of example_ct (5.5 MB, 1350 faults) cost about as much as decoding it. nibabel
 * pays for its inflated bytes too, but numpy allocates its float32 output with madvise(MADV_HUGEPAGE) (568 faults for
 * 40 MB instead of 9900), which no Node API can do. Inflating into two small reused buffers leaves the float32
 * output as the only fresh memory. When a Node version lacks the handle, createPieceInflater returns undefined and
 * the reader uses gunzipSync.
 */
interface NativeZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number): void;
  onerror: (message: string, errno: number, code?: string) => void;
}

export interface PieceInflater {
  /**
   * Inflates `input` (the next compressed piece; `final` for the last) into `output`, which must be the same buffer on
   * every call; calls `drain` with `output` whenever it is full, and with what it holds after the final piece.
   * Drained pieces are therefore all output.length long but the last, so voxels stay aligned across pieces (a piece
   * that split a voxel would make the decoder copy). The bytes drained are reused after `drain` resolves.
   */
  inflate(input: Uint8Array, final: boolean, output: Uint8Array, drain: (inflated: Uint8Array) => Promise<void>): Promise<void>;
  close(): void;
}

export function createPieceInflater(): PieceInflater | undefined {
  const gunzip = createGunzip() as Gunzip & { _handle?: Partial<NativeZlibHandle>; _writeState?: unknown };
  const handle = gunzip._handle, state = gunzip._writeState;
  if (!handle || typeof handle.writeSync !== 'function' || !(state instanceof Uint32Array) || state.length < 2) {
    gunzip.close();
    return undefined;
  }
  const native = handle as NativeZlibHandle;
  let failure: NiftiError | undefined;
  let inflatedBytes = 0;
  let filled = 0; // bytes of output holding inflated data not yet drained
  native.onerror = (message) => {
    failure = new NiftiError('corrupt-gzip', `the gzip data is corrupt or truncated after ${inflatedBytes} decompressed bytes (${message})`);
  };
  return {
    async inflate(input, final, output, drain) {
      let inOffset = 0;
      for (;;) {
        native.writeSync(final ? constants.Z_FINISH : constants.Z_NO_FLUSH, input, inOffset, input.length - inOffset, output, filled, output.length - filled);
        if (failure) throw failure;
        const outLeft = state[0]!, inLeft = state[1]!;
        const produced = output.length - filled - outLeft;
        inOffset = input.length - inLeft;
        inflatedBytes += produced;
        filled += produced;
        if (filled === output.length) {
          await drain(output);
          filled = 0;
          continue;
        }
        // Output space left over: zlib needs more input, or (Z_FINISH) the stream has ended.
        if (final && filled > 0) {
          await drain(output.subarray(0, filled));
          filled = 0;
        }
        return;
      }
    },
    close() {
      gunzip.close();
    },
  };
}
