export * from './gds/index.js'
export * from './layout/index.js'
