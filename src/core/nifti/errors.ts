/** What went wrong, for code that wants to branch on it; the message is what a person reads. */
export type NiftiErrorKind =
  | 'not-nifti'
  | 'truncated'
  | 'corrupt-gzip'
  | 'bad-header'
  | 'bad-dims'
  | 'unsupported-datatype'
  | 'too-large'
  | 'bad-frame'
  | 'non-finite'
  | 'bad-input'
  | 'file-exists';

/** The one error the NIfTI reader and writer throw for bad input; `message` is written for the user. */
export class NiftiError extends Error {
  constructor(readonly kind: NiftiErrorKind, message: string) {
    super(message);
    this.name = 'NiftiError';
  }
}
