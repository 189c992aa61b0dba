/**
 * npm run demo: a test that is expected to FAIL, so that you see the whole failure experience — the message with
 * the per-layer table, the artifacts in laytest-results/<test>/ and the HTML report laytest-results/index.html.
 * Not part of npm test (see examples/vitest.demo.config.ts).
 *
 * The generator "regressed": one ring's coupling gap is 10 nm smaller than in the committed reference
 * (reference/examples/demo/demo.test.ts/ring-chip.gds, the default chip).
 */
import { expect, test } from 'vitest'
import { ringChip } from '../ring.js'

test('ring chip (demo: a 10 nm regression)', async () => {
  await expect(ringChip({ gap2: 0.19 })).toMatchReference('ring-chip')
})
