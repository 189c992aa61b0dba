export * from './gds/index.js'
export * from './layout/index.js'
export * from './diff/index.js'
export * from './render/index.js'
