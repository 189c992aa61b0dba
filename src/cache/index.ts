export { CacheStore, defaultCacheDir, sha256, CACHE_FORMAT_VERSION, type CacheOptions, type CacheStats } from './store.js'
export { fileContentHash } from './keys.js'
