export { CacheStore, defaultCacheDir, sha256, CACHE_FORMAT_VERSION, type CacheOptions, type CacheStats } from './store.js'
export { fileContentHash } from './keys.js'
export {
  saveSession, loadSession, sessionReport, sessionInfo, clearSession,
  type SaveSessionOptions, type LoadSessionOptions, type SessionOptions, type SessionReport, type SessionCellRecord,
  type SessionInfo, type SessionLayoutInfo, type SessionFactoryInfo, type SessionCellInfo, type SessionLastRun,
} from './session.js'
export { moduleGraph, type ModuleGraph, type FactoryVersion } from './factory-keys.js'
