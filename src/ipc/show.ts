import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeLayoutFile } from '../layout/gdsio.js'
import type { Layout } from '../layout/layout.js'
import { connectViewer, type ViewerConnection, type ViewerOptions } from './client.js'

/*
 * Looking at a generator while it runs (lyipc's other uses): show a layout, trace the steps of a build, or
 * play frames as an animation. Layouts are written to a temp folder and loaded by path.
 */

let dir: string | null = null
function tempFile(name: string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'laytest-show-'))
  return join(dir, `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.gds`)
}

/** Shows a layout in the viewer (replacing the current view); launches `laytest serve` if nothing listens. */
export async function show(layout: Layout, opts: ViewerOptions & { title?: string } = {}): Promise<ViewerConnection> {
  const v = await connectViewer(opts)
  const f = tempFile(opts.title ?? layout.name)
  writeLayoutFile(layout, f)
  await v.load(f, 0)
  return v
}

/**
 * A tracer: call it after each step of a generator and the viewer shows the layout as it is now (one file,
 * rewritten and reloaded), so a debugger session or a slow build can be watched.
 */
export async function trace(layout: Layout, opts: ViewerOptions & { title?: string } = {}): Promise<(step?: string) => Promise<void>> {
  const v = await connectViewer(opts)
  const f = tempFile(`${opts.title ?? layout.name}-trace`)
  let n = 0
  return async (step?: string): Promise<void> => {
    writeLayoutFile(layout, f)
    // mode 0: the same view is replaced (and redrawn keeping its pan and zoom)
    await v.load(f, 0, step ?? `step ${++n}`)
  }
}

/** Plays layouts as frames, `fps` per second (default 4). */
export async function animate(frames: Layout[], opts: ViewerOptions & { fps?: number; title?: string } = {}): Promise<void> {
  const v = await connectViewer(opts)
  const f = tempFile(`${opts.title ?? 'animation'}`)
  const wait = 1000 / (opts.fps ?? 4)
  for (const [i, frame] of frames.entries()) {
    writeLayoutFile(frame, f)
    await v.load(f, 0, `frame ${i + 1}/${frames.length}`)
    if (i + 1 < frames.length) await new Promise((r) => setTimeout(r, wait))
  }
}
