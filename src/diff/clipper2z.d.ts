// clipper2-wasm's package.json points `types` at a file it does not ship; the real declarations are in
// dist/clipper2z.d.ts. This maps the ES build's entry point onto them.
declare module 'clipper2-wasm/dist/es/clipper2z.js' {
  import type { MainModule } from 'clipper2-wasm/dist/clipper2z.js'
  const factory: (opts?: object) => Promise<MainModule>
  export default factory
}
