/** Rewrites the example GDS files next to this script's source folder (`npm run examples`). */
import { join } from 'node:path'
import { writeFileAtomic } from '../src/index.js'
import { exampleFiles } from './ring.js'

const dir = join(process.cwd(), 'examples')
for (const [name, bytes] of Object.entries(exampleFiles())) {
  writeFileAtomic(join(dir, name), bytes)
  console.log(`wrote examples/${name} (${bytes.length} bytes)`)
}
