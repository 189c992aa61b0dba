/**
 * The reader's fast path: a WebAssembly decoder (wasm/decoder.as.ts) for plain BOUNDARY and PATH elements,
 * the elements most files are made of. The reader reads the file into the decoder's memory (its window) and
 * hands runs of plain elements to it; the decoder normalises polygons, groups the shapes by layer/datatype and
 * returns them in batches (GdsShapeBatch). Everything else, and every error, takes the reader's general path.
 *
 * WebAssembly because a fresh process runs JavaScript unoptimised at first: before this decoder, half of a
 * first read of a file of many small cells went to V8 warming up the element loop.
 */
import { ShapeBatch, type GdsShapeBatch } from './sink.js'
import { DECODER_WASM } from './wasm/decoder-binary.js'

// The few WebAssembly types used here (Node has WebAssembly; the "ES2022" lib this project builds with does
// not declare it, and DOM types are not wanted in a Node library)
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: object }
}

interface DecoderExports {
  memory: { buffer: ArrayBuffer }
  init(windowBytes: number, tapeBytes: number): number
  decode(pos: number, end: number, maxVertices: number): number
  isFull(): number
  pending(): number
  flush(): number
  flushedGroups(): number
  flushedWords(): number
  groupWords(): number
  oasisState(): number
  decodeOasis(pos: number, end: number, maxPoints: number, nextAfter: number): number
}

/** Bytes of decoded elements collected before they are handed over (a batch is about as big). */
const TAPE_BYTES = 2 << 20
/** The most points the decoder takes in one element: one XY record's worth (more go the general path). */
const MAX_FAST_VERTICES = 8191

let compiled: object | null = null
const idle: ElementDecoder[] = []

export class ElementDecoder {
  /** The window the reader reads the file into (a view of the decoder's memory). */
  readonly window: Uint8Array
  private readonly ex: DecoderExports

  private constructor(ex: DecoderExports, windowBytes: number) {
    this.ex = ex
    const at = ex.init(windowBytes, TAPE_BYTES)
    if (at === 0) throw new RangeError('the GDSII decoder could not allocate its memory')
    // init grows the memory (if it must) before this view is made; nothing grows it later
    this.window = new Uint8Array(ex.memory.buffer, at, windowBytes)
  }

  /** A decoder with a window of `windowBytes` (one per read; released ones are reused). */
  static acquire(windowBytes: number): ElementDecoder {
    const i = idle.findIndex((d) => d.window.length === windowBytes)
    if (i >= 0) {
      const d = idle.splice(i, 1)[0]!
      d.ex.init(windowBytes, TAPE_BYTES) // empties the tape (a read that failed may have left elements on it)
      return d
    }
    compiled ??= new WebAssembly.Module(Buffer.from(DECODER_WASM, 'base64'))
    const ex = new WebAssembly.Instance(compiled, {}).exports as unknown as DecoderExports
    if (ex.groupWords() !== ShapeBatch.GROUP_WORDS) throw new Error('the GDSII decoder does not match ShapeBatch')
    return new ElementDecoder(ex, windowBytes)
  }

  /** Gives the decoder back for the next read (a few are kept; each holds a few MB). */
  release(): void {
    if (idle.length < 2) idle.push(this)
  }

  /**
   * Decodes the plain elements from window offset `pos` to `end` (see decoder.as.ts); returns the offset
   * after the last one decoded (`pos` if the first is not plain). When full(), flush and call again.
   */
  decode(pos: number, end: number, maxVertices: number): number {
    return this.ex.decode(pos, end, Math.max(0, Math.min(MAX_FAST_VERTICES, Math.floor(maxVertices))))
  }

  /** The OASIS decoder's modal state words (see decoder.as.ts, M_*), a view of its memory. */
  oasisState(): Int32Array {
    return new Int32Array(this.ex.memory.buffer, this.ex.oasisState(), 32)
  }

  /**
   * Decodes OASIS RECTANGLE, POLYGON and PATH records from window offset `pos` to `end` (see decodeOasis in
   * decoder.as.ts) with the modal state in oasisState(); returns the offset after the last one taken.
   * `nextAfter`: the record id after `end` when known, else -1.
   */
  decodeOasis(pos: number, end: number, maxPoints: number, nextAfter: number): number {
    return this.ex.decodeOasis(pos, end, Math.max(0, Math.min(MAX_FAST_VERTICES, Math.floor(maxPoints))), nextAfter)
  }

  /** `n` points (x, y pairs) at an address of the decoder's memory. */
  points(at: number, n: number): Int32Array {
    return new Int32Array(this.ex.memory.buffer, at, 2 * n)
  }

  full(): boolean {
    return this.ex.isFull() !== 0
  }

  pending(): boolean {
    return this.ex.pending() !== 0
  }

  /** The decoded elements as a batch (valid until the next decode), and an empty tape. */
  flush(complete: boolean): GdsShapeBatch {
    const at = this.ex.flush()
    return { groups: this.ex.flushedGroups(), words: new Int32Array(this.ex.memory.buffer, at, this.ex.flushedWords()), complete }
  }
}
