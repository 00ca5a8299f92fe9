export { NiftiError, type NiftiErrorKind } from './errors.js';
export { DATATYPES, datatypeByCode, type NiftiDatatype, type NiftiDatatypeName } from './datatypes.js';
export { parseNiftiHeader, sniffNifti, type NiftiHeader, type NiftiExtension } from './header.js';
export { niftiAffine, qformAffine, affineToQuaternion, type AffineSource } from './affine.js';
export { niftiLayout, DEFAULT_MAX_VOXELS, type NiftiLayout, type LayoutOptions, type Scaling } from './layout.js';
export { decodeVoxels, decodeVoxelsInto, emptyStats, mergeStats, statsRange, type DecodedVoxels, type VoxelStats } from './voxels.js';
export { decodeNifti, assembleImage, assembleDecoded, checkFileLength, checkFrame, type NiftiImage, type DecodeOptions } from './decode.js';
export { encodeNifti, type NiftiWriteInput, type NiftiWriteData, type EncodeOptions, type WritableDatatype } from './encode.js';
export { headerFields, type HeaderField } from './header-fields.js';
