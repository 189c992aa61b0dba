/*
 * The web viewer's render thread: reads, diffs and draws items (render-core.ts) off the IPC thread, so the port
 * answers while a big view is drawn. Messages from render-pool.ts; one reply per request id.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { ItemRenderer, stylesFrom, type ItemSpec, type RenderRequest, type StylesData } from './render-core.js'

const renderer = new ItemRenderer(stylesFrom((workerData as { styles?: StylesData } | undefined)?.styles))

type Msg =
  | { id: number; op: 'info'; item: ItemSpec; cell?: string }
  | { id: number; op: 'render'; item: ItemSpec; req: RenderRequest }
  | { id: number; op: 'prepare'; item: ItemSpec }
  | { id: number; op: 'drop'; key: string }

parentPort!.on('message', (m: Msg) => {
  void (async () => {
    try {
      if (m.op === 'drop') {
        renderer.drop(m.key)
        parentPort!.postMessage({ id: m.id, ok: true })
        return
      }
      // inline data is sent once per key; a key this thread has not seen without its data is asked again
      if (m.item.dataOmitted && !renderer.has(m.item.key)) {
        parentPort!.postMessage({ id: m.id, ok: false, missing: true })
        return
      }
      if (m.op === 'info') parentPort!.postMessage({ id: m.id, ok: true, value: await renderer.info(m.item, m.cell) })
      else if (m.op === 'prepare') {
        await renderer.prepare(m.item)
        parentPort!.postMessage({ id: m.id, ok: true })
      } else {
        const png = await renderer.render(m.item, m.req)
        const ab = png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength)
        parentPort!.postMessage({ id: m.id, ok: true, value: ab }, [ab as ArrayBuffer])
      }
    } catch (e) {
      parentPort!.postMessage({ id: m.id, ok: false, error: (e as Error).message, range: e instanceof RangeError })
    }
  })()
})
