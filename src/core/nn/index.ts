export { createNetContext, initParams, countParams, param, ParamError, type NetContext, type ParamSpec, type ParamInit } from './params.js';
export { conv, linear, filmLayer, norm, activate, convNormAct, doubleConv, resBlock, resStack, upConv, groupsFor, NetConfigError, type BlockStyle, type NormKind, type ActivationKind, type UpsampleKind } from './layers.js';
export { unet, type UNetConfig } from './unet.js';
export { fpn3d, type Fpn3dConfig } from './fpn3d.js';
export { linearHead, fpnHead } from './heads.js';
export { segmenter, presetConfig, checkSegmenterConfig, spatialMultiple, type SegmenterConfig, type Fpn3dSegmenterConfig, type SizePreset } from './networks.js';
