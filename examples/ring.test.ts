/**
 * The ring chip generator under regression test, the way a user's PDK would be:
 *   npx vitest run examples/ring.test.ts        (part of npm test)
 * References: reference/examples/ring.test.ts/*.gds (written on the first run, committed).
 */
import { describe, expect, test } from 'vitest'
import { ringChip } from './ring.js'

describe('ring chip', () => {
  test('default parameters', async () => {
    await expect(ringChip()).toMatchReference()
  })

  test('radius 15 um, gap 0.25 um', async () => {
    await expect(ringChip({ radius: 15, gap: 0.25 })).toMatchReference('ring-r15-g250', { tolerance: 0.001 })
  })
})
