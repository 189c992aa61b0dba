export * from './gds/index.js'
export * from './layout/index.js'
export * from './diff/index.js'
export * from './render/index.js'
export * from './cache/index.js'
// the matcher's options, for scripts and setup files (the matcher itself: 'laytest/vitest')
export { configureLaytest, type LaytestOptions, type UpdateMode } from './harness/config.js'
