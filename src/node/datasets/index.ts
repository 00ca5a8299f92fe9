export { openDataset, DatasetError, type Dataset, type DatasetCase, type DatasetLayout } from './layouts.js';
export { checkDataset } from './check.js';
export { CACHE_FORMAT, CacheError, cacheKey, cleanCache, fileSha256, preprocessCached, resolvedParams, type CacheMeta, type CacheResult } from './cache.js';
