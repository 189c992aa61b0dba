export { CacheStore, defaultCacheDir, sha256, CACHE_FORMAT_VERSION, type CacheOptions, type CacheStats } from './store.js'
export { fileContentHash } from './keys.js'
export { saveSession, loadSession, type SaveSessionOptions, type LoadSessionOptions, type SessionOptions } from './session.js'
