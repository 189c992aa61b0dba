// Writes dist/build-id.txt: a SHA-256 of laytest's built code (every .js and .wasm file under dist/, by path and
// content). Factory keys include it (src/cache/factory-keys.ts), so a laytest rebuilt with different code and
// the same version does not restore cells its older code built; reading it costs a warm run one small file.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import process from 'node:process'

const dist = process.argv[2] ?? 'dist'
const hash = createHash('sha256')
for (const name of readdirSync(dist, { recursive: true }).map(String).sort()) {
  if (!/\.(?:m?js|wasm)$/.test(name)) continue
  hash.update(`${name}\0`).update(readFileSync(join(dist, name))).update('\0')
}
const tmp = join(dist, `.build-id.${process.pid}.tmp`)
writeFileSync(tmp, `${hash.digest('hex')}\n`)
renameSync(tmp, join(dist, 'build-id.txt'))
