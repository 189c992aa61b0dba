// AssemblyScript, not TypeScript for tsc: compiled to WebAssembly by `npm run build:wasm` (asc), embedded by
// build.mjs. The reader's fast path for plain BOUNDARY and PATH elements (see ../decoder.ts and ../reader.ts).
//
// Why WebAssembly: a fresh Node process runs JavaScript interpreted until V8 has optimised it, and a reader of
// many small cells spends most of a first read in that state. WebAssembly is compiled before it runs.
//
// Memory (addresses fixed by init): the input window (the reader reads the file into it), a hash table of
// layer/datatype pairs, per-group statistics, the tape (decoded elements in file order) and the batch (the
// tape scattered into per-group arrays, which JavaScript copies out).

const BOUNDARY_HEADER: u32 = 0x00040800
const PATH_HEADER: u32 = 0x00040900
const LAYER_HEADER: u32 = 0x00060d02
const DATATYPE_HEADER: u32 = 0x00060e02
const PATHTYPE_HEADER: u32 = 0x00062102
const WIDTH_HEADER: u32 = 0x00080f03
const BGNEXTN_HEADER: u32 = 0x00083003
const ENDEXTN_HEADER: u32 = 0x00083103
const ENDEL_HEADER: u32 = 0x00041100
const XY_INT4: u32 = 0x1003

// tape entries: a header word (kind | group << 2), then
//   box: l, b, r, t;  polygon: count, 2 * count coordinates;  path: count, width, pathtype, bgn, end, coordinates
const KIND_BOX: u32 = 0
const KIND_POLY: u32 = 1
const KIND_PATH: u32 = 2

// batch header, per group (the same layout as ShapeBatch in ../sink.ts)
const GROUP_WORDS: u32 = 13
const G_LAYER: u32 = 0
const G_DATATYPE: u32 = 1
const G_BOX_OFF: u32 = 2
const G_BOX_INTS: u32 = 3
const G_POLY_COORD_OFF: u32 = 4
const G_POLY_COORD_INTS: u32 = 5
const G_POLY_START_OFF: u32 = 6
const G_POLYS: u32 = 7
const G_PATH_COORD_OFF: u32 = 8
const G_PATH_COORD_INTS: u32 = 9
const G_PATH_START_OFF: u32 = 10
const G_PATHS: u32 = 11
const G_PATH_PARAM_OFF: u32 = 12

const SLOTS: u32 = 4096 // hash slots (power of two): [key, group + 1]
const SLOT_BITS: u32 = 12
const MAX_GROUPS: u32 = 2048 // distinct layer/datatype pairs in one batch
// per-group statistics: counts while decoding, then write cursors while scattering
const STAT_WORDS: u32 = 16
const S_LAYER: u32 = 0
const S_DATATYPE: u32 = 1
const S_BOX_INTS: u32 = 2
const S_POLY_COORD_INTS: u32 = 3
const S_POLYS: u32 = 4
const S_PATH_COORD_INTS: u32 = 5
const S_PATHS: u32 = 6
const S_SLOT: u32 = 7
const S_HEADER: u32 = 8
const S_PARAM_CURSOR: u32 = 9
/** The most bytes one element adds to the tape: a path of 8191 points (one XY record) and its 6 words. */
const MAX_ELEMENT_BYTES: u32 = 8 * 8191 + 96

let oStateAddr: usize = 0
let listBase: usize = 0 // four OASIS point lists of LIST_BYTES (no heap allocation: the window starts at __heap_base)
let windowAddr: usize = 0
let tableAddr: usize = 0
let statAddr: usize = 0
let tapeAddr: usize = 0
let tapePos: usize = 0
let tapeLimit: usize = 0
let outAddr: usize = 0
let groups: u32 = 0
let lastKey: u32 = 0xffffffff
let lastGroup: i32 = -1
let full: bool = false
let batchGroups: u32 = 0
let batchWords: u32 = 0

@inline function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p))
}
@inline function bei32(p: usize): i32 {
  return <i32>bswap<u32>(load<u32>(p))
}
@inline function be16(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p))
}
/** Four big-endian 32-bit integers at p, as native ones (one SIMD load and byte shuffle). */
@inline function be32x4(p: usize): v128 {
  const v = v128.load(p)
  return i8x16.shuffle(v, v, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12)
}
@inline function word(base: usize, i: u32): i32 {
  return load<i32>(base + (<usize>i << 2))
}
@inline function setWord(base: usize, i: u32, v: i32): void {
  store<i32>(base + (<usize>i << 2), v)
}
@inline function stat(g: u32): usize {
  return statAddr + ((<usize>g * STAT_WORDS) << 2)
}
@inline function bump(g: u32, field: u32, by: i32): void {
  const s = stat(g)
  setWord(s, field, word(s, field) + by)
}

/**
 * Lays out the memory for a window of `windowBytes` and a tape of about `tapeBytes`, growing the memory if
 * needed. Returns the window's address, or 0 if the memory cannot grow.
 */
export function init(windowBytes: u32, tapeBytes: u32): usize {
  windowAddr = (__heap_base + 15) & ~(<usize>15)
  tableAddr = (windowAddr + windowBytes + 15) & ~(<usize>15)
  statAddr = tableAddr + SLOTS * 8
  tapeAddr = statAddr + ((<usize>MAX_GROUPS * STAT_WORDS) << 2)
  tapeLimit = tapeAddr + tapeBytes
  const tapeCap = <usize>tapeBytes + MAX_ELEMENT_BYTES
  outAddr = tapeAddr + tapeCap
  // the batch holds what the tape holds, plus a header and at most two words per group more
  const batchEnd = outAddr + tapeCap + ((<usize>MAX_GROUPS * (GROUP_WORDS + 2)) << 2)
  // then the OASIS decoder's modal state and point lists (two of each kind: the committed one, and the one being read)
  oStateAddr = (batchEnd + 15) & ~(<usize>15)
  listBase = oStateAddr + 256
  const need = oStateAddr + 256 + 4 * LIST_BYTES
  const have = <usize>memory.size() << 16
  if (need > have && memory.grow(<i32>((need - have + 0xffff) >> 16)) < 0) return 0
  memory.fill(tableAddr, 0, SLOTS * 8)
  reset()
  return windowAddr
}

function reset(): void {
  for (let g: u32 = 0; g < groups; g++) store<u64>(tableAddr + (<usize>word(stat(g), S_SLOT) << 3), 0)
  groups = 0
  lastKey = 0xffffffff
  lastGroup = -1
  tapePos = tapeAddr
  full = false
}

/** The group of a layer/datatype pair in this batch (created on first use), or -1 when the table is full. */
function groupOf(layer: u32, datatype: u32): i32 {
  const key = (layer << 16) | datatype
  if (key == lastKey) return lastGroup
  let h = (key * 0x9e3779b1) >> (32 - SLOT_BITS)
  for (;;) {
    const s = tableAddr + (<usize>h << 3)
    const g1 = load<u32>(s, 4)
    if (g1 == 0) {
      if (groups == MAX_GROUPS) return -1
      store<u32>(s, key)
      store<u32>(s, groups + 1, 4)
      const st = stat(groups)
      memory.fill(st, 0, STAT_WORDS * 4)
      setWord(st, S_LAYER, <i32>layer)
      setWord(st, S_DATATYPE, <i32>datatype)
      setWord(st, S_SLOT, <i32>h)
      lastKey = key
      lastGroup = <i32>groups
      groups++
      return lastGroup
    }
    if (load<u32>(s) == key) {
      lastKey = key
      lastGroup = <i32>(g1 - 1)
      return lastGroup
    }
    h = (h + 1) & (SLOTS - 1)
  }
  return -1 // (not reached: the table always has a free slot, SLOTS > MAX_GROUPS)
}

/**
 * Decodes consecutive plain BOUNDARY and PATH elements (no ELFLAGS, PLEX or properties; records in the
 * standard order; well-formed) from window offset `p` up to `end` onto the tape. Returns the window offset after
 * the last element decoded: `p` itself when the first is not plain (the general path takes it, and reports
 * every error). Stops early when the tape is full (isFull()): flush, then call again.
 */
export function decode(p0: u32, end0: u32, maxVertices: u32): u32 {
  let p = windowAddr + p0
  const end = windowAddr + end0
  full = false
  for (;;) {
    if (tapePos >= tapeLimit) {
      full = true
      break
    }
    if (p + 20 > end || be32(p + 4) != LAYER_HEADER || be32(p + 10) != DATATYPE_HEADER) break
    const head = be32(p)
    let q = p + 16
    let pathtype: i32 = 0, width: i32 = 0, bgn: i32 = 0, fin: i32 = 0
    if (head == PATH_HEADER) {
      if (q + 10 <= end && be32(q) == PATHTYPE_HEADER) {
        pathtype = <i32><i16>be16(q + 4)
        if (pathtype != 0 && pathtype != 1 && pathtype != 2 && pathtype != 4) break
        q += 6
      }
      if (q + 12 <= end && be32(q) == WIDTH_HEADER) {
        width = bei32(q + 4)
        q += 8
      }
      if (q + 12 <= end && be32(q) == BGNEXTN_HEADER) {
        bgn = bei32(q + 4)
        q += 8
      }
      if (q + 12 <= end && be32(q) == ENDEXTN_HEADER) {
        fin = bei32(q + 4)
        q += 8
      }
      if (q + 4 > end) break
    } else if (head != BOUNDARY_HEADER) {
      break
    }
    const xyLen = be16(q)
    if (be16(q + 2) != XY_INT4 || xyLen < 12 || ((xyLen - 4) & 7) != 0) break
    const e = q + xyLen
    if (e + 4 > end || be32(e) != ENDEL_HEADER) break
    const n = (xyLen - 4) >> 3
    if (n > maxVertices) break
    const g = groupOf(be16(p + 8), be16(p + 14))
    if (g < 0) {
      full = true
      break
    }
    if (head == BOUNDARY_HEADER) boundary(<u32>g, q + 4, n)
    else path(<u32>g, q + 4, n, width, pathtype, pathtype == 4 ? bgn : 0, pathtype == 4 ? fin : 0)
    p = e + 4
  }
  return <u32>(p - windowAddr)
}

function putBox(g: u32, l: i32, b: i32, r: i32, t: i32): void {
  const w = tapePos
  store<u32>(w, KIND_BOX | (g << 2))
  store<i32>(w, l, 4)
  store<i32>(w, b, 8)
  store<i32>(w, r, 12)
  store<i32>(w, t, 16)
  tapePos = w + 20
  bump(g, S_BOX_INTS, 4)
}

/** A BOUNDARY of n points at c (big-endian), normalised as layout/polygon.ts compressRing and ringAsBox do. */
function boundary(g: u32, c: usize, n: u32): void {
  if (n == 5) {
    // the most common element: a closed axis-parallel rectangle with non-zero sides
    const a = be32x4(c), b = be32x4(c + 16)
    const x0 = i32x4.extract_lane(a, 0), y0 = i32x4.extract_lane(a, 1), x1 = i32x4.extract_lane(a, 2), y1 = i32x4.extract_lane(a, 3)
    const x2 = i32x4.extract_lane(b, 0), y2 = i32x4.extract_lane(b, 1), x3 = i32x4.extract_lane(b, 2), y3 = i32x4.extract_lane(b, 3)
    if (x0 != x2 && y0 != y2 && bei32(c + 32) == x0 && bei32(c + 36) == y0 &&
      ((x0 == x1 && y1 == y2 && x2 == x3 && y3 == y0) || (y0 == y1 && x1 == x2 && y2 == y3 && x3 == x0))) {
      // (min x, min y, max x, max y) of the corners 0 and 2
      const lo = i32x4.min_s(a, b), hi = i32x4.max_s(a, b)
      const w = tapePos
      store<u32>(w, KIND_BOX | (g << 2))
      v128.store(w + 4, i8x16.shuffle(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23))
      tapePos = w + 20
      bump(g, S_BOX_INTS, 4)
      return
    }
  }
  const w = tapePos
  const d = w + 8
  // (whole 16-byte blocks: may copy up to 12 bytes past the points, into tape room that is never read)
  for (let i: usize = 0; i < (<usize>n << 3); i += 16) v128.store(d + i, be32x4(c + i))
  const cnt = compressRing(d, n)
  // a ring that is an axis-parallel rectangle (or a degenerate axis-parallel one of 1 or 2 points) is a box
  if (cnt == 1 || cnt == 2) {
    const x0 = word(d, 0), y0 = word(d, 1), x1 = word(d, 2 * cnt - 2), y1 = word(d, 2 * cnt - 1)
    if (x0 == x1 || y0 == y1) {
      putBox(g, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
      return
    }
  } else if (cnt == 4) {
    const x0 = word(d, 0), y0 = word(d, 1), x1 = word(d, 2), y1 = word(d, 3)
    const x2 = word(d, 4), y2 = word(d, 5), x3 = word(d, 6), y3 = word(d, 7)
    if ((x0 == x1 && y1 == y2 && x2 == x3 && y3 == y0) || (y0 == y1 && x1 == x2 && y2 == y3 && x3 == x0)) {
      putBox(g, min(x0, x2), min(y0, y2), max(x0, x2), max(y0, y2))
      return
    }
  }
  store<u32>(w, KIND_POLY | (g << 2))
  store<u32>(w, cnt, 4)
  tapePos = d + (<usize>cnt << 3)
  bump(g, S_POLYS, 1)
  bump(g, S_POLY_COORD_INTS, <i32>(2 * cnt))
}

function path(g: u32, c: usize, n: u32, width: i32, pathtype: i32, bgn: i32, fin: i32): void {
  const w = tapePos
  store<u32>(w, KIND_PATH | (g << 2))
  store<u32>(w, n, 4)
  store<i32>(w, width, 8)
  store<i32>(w, pathtype, 12)
  store<i32>(w, bgn, 16)
  store<i32>(w, fin, 20)
  const d = w + 24
  for (let i: usize = 0; i < (<usize>n << 3); i += 16) v128.store(d + i, be32x4(c + i))
  tapePos = d + (<usize>n << 3)
  bump(g, S_PATHS, 1)
  bump(g, S_PATH_COORD_INTS, <i32>(2 * n))
}

// Ring normalisation: the same algorithm as compressRing in layout/polygon.ts (test/decoder.test.ts compares
// them), in place on the n points at d. In-line tests use doubles, as the JavaScript does, so that both agree
// bit for bit.

/** c lies on the segment p..n strictly continuing in the same direction (not a spike). */
@inline function inLine(px: i32, py: i32, cx: i32, cy: i32, nx: i32, ny: i32): bool {
  const ax = <f64>cx - <f64>px, ay = <f64>cy - <f64>py
  const bx = <f64>nx - <f64>cx, by = <f64>ny - <f64>cy
  if (ax * by - ay * bx != 0) return false
  return ax * bx + ay * by > 0
}

/**
 * Some vertex of the ring of cnt points lies in line between its neighbours, or (with `repeats`) equals its
 * predecessor, cyclically.
 */
function hasInLine(d: usize, cnt: u32, repeats: bool): bool {
  let px = word(d, 2 * cnt - 2), py = word(d, 2 * cnt - 1)
  let cx = word(d, 0), cy = word(d, 1)
  for (let i: u32 = 1; i <= cnt; i++) {
    const k: u32 = i == cnt ? 0 : 2 * i
    const nx = word(d, k), ny = word(d, k + 1)
    if (repeats && cx == px && cy == py) return true
    if (inLine(px, py, cx, cy, nx, ny)) return true
    px = cx
    py = cy
    cx = nx
    cy = ny
  }
  return false
}

function compressRing(d: usize, n: u32): u32 {
  const open = n > 1 && word(d, 0) == word(d, 2 * n - 2) && word(d, 1) == word(d, 2 * n - 1) ? n - 1 : n
  // the common case: a clean ring
  if (open >= 3 && !hasInLine(d, open, true)) return open
  // drop consecutive duplicates (writes never overtake reads: m <= 2 * i)
  let m: u32 = 0
  for (let i: u32 = 0; i < n; i++) {
    const x = word(d, 2 * i), y = word(d, 2 * i + 1)
    if (m > 0 && word(d, m - 2) == x && word(d, m - 1) == y) continue
    setWord(d, m, x)
    setWord(d, m + 1, y)
    m += 2
  }
  let cnt = m >> 1
  while (cnt > 1 && word(d, 0) == word(d, 2 * cnt - 2) && word(d, 1) == word(d, 2 * cnt - 1)) cnt--
  if (cnt < 3) return cnt
  if (!hasInLine(d, cnt, false)) return cnt
  // remove in-line vertices until none is left
  let changed = true
  while (changed && cnt >= 3) {
    changed = false
    let w: u32 = 0
    for (let i: u32 = 0; i < cnt; i++) {
      const pi: u32 = 2 * ((i + cnt - 1) % cnt)
      const ci: u32 = 2 * i
      const ni: u32 = 2 * ((i + 1) % cnt)
      const px = w > 0 ? word(d, 2 * (w - 1)) : word(d, pi)
      const py = w > 0 ? word(d, 2 * (w - 1) + 1) : word(d, pi + 1)
      const cx = word(d, ci), cy = word(d, ci + 1)
      const nx = word(d, ni), ny = word(d, ni + 1)
      if (inLine(px, py, cx, cy, nx, ny)) {
        changed = true
        continue
      }
      setWord(d, 2 * w, cx)
      setWord(d, 2 * w + 1, cy)
      w++
    }
    cnt = w
  }
  return cnt
}

/** True when decode stopped because the tape (or the group table) is full. */
export function isFull(): bool {
  return full
}

/** True when the tape holds elements not yet flushed. */
export function pending(): bool {
  return tapePos > tapeAddr
}

/**
 * Scatters the tape into the batch: a header of GROUP_WORDS words per group, then each group's boxes, polygon
 * coordinates, polygon starts, path coordinates, path starts and path parameters (word offsets from the batch's
 * start; starts are 0, then each shape's end, relative to the group's first coordinate). Returns the batch's
 * address and empties the tape.
 */
export function flush(): usize {
  let w: u32 = groups * GROUP_WORDS
  for (let g: u32 = 0; g < groups; g++) {
    const s = stat(g)
    const h = outAddr + ((<usize>g * GROUP_WORDS) << 2)
    const boxInts = <u32>word(s, S_BOX_INTS), pcInts = <u32>word(s, S_POLY_COORD_INTS), polys = <u32>word(s, S_POLYS)
    const qcInts = <u32>word(s, S_PATH_COORD_INTS), paths = <u32>word(s, S_PATHS)
    setWord(h, G_LAYER, word(s, S_LAYER))
    setWord(h, G_DATATYPE, word(s, S_DATATYPE))
    setWord(h, G_BOX_OFF, <i32>w)
    setWord(h, G_BOX_INTS, <i32>boxInts)
    w += boxInts
    setWord(h, G_POLY_COORD_OFF, <i32>w)
    setWord(h, G_POLY_COORD_INTS, <i32>pcInts)
    w += pcInts
    setWord(h, G_POLY_START_OFF, <i32>w)
    setWord(h, G_POLYS, <i32>polys)
    setWord(outAddr, w, 0)
    w += polys + 1
    setWord(h, G_PATH_COORD_OFF, <i32>w)
    setWord(h, G_PATH_COORD_INTS, <i32>qcInts)
    w += qcInts
    setWord(h, G_PATH_START_OFF, <i32>w)
    setWord(h, G_PATHS, <i32>paths)
    setWord(outAddr, w, 0)
    w += paths + 1
    setWord(h, G_PATH_PARAM_OFF, <i32>w)
    w += 4 * paths
    // the statistics become write cursors
    setWord(s, S_HEADER, <i32>(g * GROUP_WORDS))
    setWord(s, S_BOX_INTS, word(h, G_BOX_OFF))
    setWord(s, S_POLY_COORD_INTS, word(h, G_POLY_COORD_OFF))
    setWord(s, S_POLYS, word(h, G_POLY_START_OFF) + 1)
    setWord(s, S_PATH_COORD_INTS, word(h, G_PATH_COORD_OFF))
    setWord(s, S_PATHS, word(h, G_PATH_START_OFF) + 1)
    setWord(s, S_PARAM_CURSOR, word(h, G_PATH_PARAM_OFF))
  }
  for (let t = tapeAddr; t < tapePos; ) {
    const head = load<u32>(t)
    const kind = head & 3
    const s = stat(head >> 2)
    if (kind == KIND_BOX) {
      const o = <u32>word(s, S_BOX_INTS)
      memory.copy(outAddr + (<usize>o << 2), t + 4, 16)
      setWord(s, S_BOX_INTS, <i32>(o + 4))
      t += 20
    } else if (kind == KIND_POLY) {
      const cnt = load<u32>(t, 4)
      const o = <u32>word(s, S_POLY_COORD_INTS)
      memory.copy(outAddr + (<usize>o << 2), t + 8, <usize>cnt << 3)
      const first = <u32>word(outAddr + ((<usize>word(s, S_HEADER)) << 2), G_POLY_COORD_OFF)
      const e = <u32>word(s, S_POLYS)
      setWord(outAddr, e, <i32>(o + 2 * cnt - first))
      setWord(s, S_POLYS, <i32>(e + 1))
      setWord(s, S_POLY_COORD_INTS, <i32>(o + 2 * cnt))
      t += 8 + (<usize>cnt << 3)
    } else {
      const n = load<u32>(t, 4)
      const pp = <u32>word(s, S_PARAM_CURSOR)
      memory.copy(outAddr + (<usize>pp << 2), t + 8, 16)
      setWord(s, S_PARAM_CURSOR, <i32>(pp + 4))
      const o = <u32>word(s, S_PATH_COORD_INTS)
      memory.copy(outAddr + (<usize>o << 2), t + 24, <usize>n << 3)
      const first = <u32>word(outAddr + ((<usize>word(s, S_HEADER)) << 2), G_PATH_COORD_OFF)
      const e = <u32>word(s, S_PATHS)
      setWord(outAddr, e, <i32>(o + 2 * n - first))
      setWord(s, S_PATHS, <i32>(e + 1))
      setWord(s, S_PATH_COORD_INTS, <i32>(o + 2 * n))
      t += 24 + (<usize>n << 3)
    }
  }
  batchGroups = groups
  batchWords = w
  reset()
  return outAddr
}

/** Groups in the last batch. */
export function flushedGroups(): u32 {
  return batchGroups
}

/** Words in the last batch (header and data). */
export function flushedWords(): u32 {
  return batchWords
}

/** The batch header's words per group, for the JavaScript side to check its layout against. */
export function groupWords(): u32 {
  return GROUP_WORDS
}

// ---------------------------------------------------------------------------------------------------------------
// OASIS elements: RECTANGLE, POLYGON and PATH records as ../oasis/reader.ts's fastElements reads them (the same
// rules, record for record: every field there and of at most 4 bytes, no repetition, no property after the
// element, point lists of type 0, 1 or 4 of at most OASIS_MAX_POINTS points, coordinates within 32 bits), put
// on the tape as layout/oasisio.ts's builder stores them: a rectangle as a box, a polygon normalised but kept a
// polygon (only a ring left with fewer than 3 points may become a box), a path with its GDSII width and type.
// Anything else stops it; the reader's JavaScript takes that record and reports what is wrong with it.

const O_RECTANGLE: u32 = 20
const O_POLYGON: u32 = 21
const O_PATH: u32 = 22
const O_PAD: u32 = 0
const O_PROPERTY: u32 = 28
const O_PROPERTY_REPEAT: u32 = 29
const O_CBLOCK: u32 = 34
const O_MAX_LAYER: i32 = 65535
/** Most points of a point list taken here (the implicit first point, and a polygon's implied last, included). */
const OASIS_MAX_POINTS: u32 = 8191
const LIST_BYTES: usize = <usize>OASIS_MAX_POINTS * 8 + 64
/** Most bytes a point list taken here can have (type, count, at most 8 bytes a point). */
const MAX_LIST_BYTES: usize = <usize>OASIS_MAX_POINTS * 8 + 16
const I32_MIN: i64 = -2147483648
const I32_MAX: i64 = 2147483647

// modal state, i32 words at oStateAddr: the reader writes it before decodeOasis and reads it back after
const M_LAYER: u32 = 0 // -1: not set
const M_DATATYPE: u32 = 1
const M_X: u32 = 2
const M_Y: u32 = 3
const M_W: u32 = 4 // -1: not set
const M_H: u32 = 5
const M_HW: u32 = 6 // -1: not set
const M_SX: u32 = 7
const M_EX: u32 = 8
const M_SX_SET: u32 = 9
const M_EX_SET: u32 = 10
const M_ABS: u32 = 11 // xy-absolute mode
const M_POLY_N: u32 = 12 // points of the committed polygon point list (-1: the reader holds the modal list)
const M_PATH_N: u32 = 13
const M_POLY_AT: u32 = 14 // its address
const M_PATH_AT: u32 = 15
const M_STOP: u32 = 16 // why decodeOasis stopped: 0 a record it does not take, 1 the end of the bytes, 2 the tape is full
const M_POLY_NEW: u32 = 17 // 1 when it took a polygon with a point list of its own (the modal list is at M_POLY_AT)
const M_PATH_NEW: u32 = 18

let polyCur: usize = 0 // committed lists and the ones being read (swapped on commit)
let polyNext: usize = 0
let pathCur: usize = 0
let pathNext: usize = 0
let vpos: usize = 0
let listN: i32 = 0

/** The address of the modal state words (see M_*), for the reader. */
export function oasisState(): usize {
  polyCur = listBase
  polyNext = listBase + LIST_BYTES
  pathCur = listBase + 2 * LIST_BYTES
  pathNext = listBase + 3 * LIST_BYTES
  return oStateAddr
}

/** An unsigned integer of at most 4 bytes at p (end in vpos), or -1 when longer. */
@inline function ovu(p: usize): i32 {
  let c = <u32>load<u8>(p)
  if (c < 0x80) {
    vpos = p + 1
    return <i32>c
  }
  let v = c & 0x7f
  c = <u32>load<u8>(p + 1)
  if (c < 0x80) {
    vpos = p + 2
    return <i32>(v | (c << 7))
  }
  v |= (c & 0x7f) << 7
  c = <u32>load<u8>(p + 2)
  if (c < 0x80) {
    vpos = p + 3
    return <i32>(v | (c << 14))
  }
  v |= (c & 0x7f) << 14
  c = <u32>load<u8>(p + 3)
  if (c < 0x80) {
    vpos = p + 4
    return <i32>(v | (c << 21))
  }
  return -1
}

@inline function dirX(d: u32): i64 {
  // octangular directions 0-7: east, north, west, south, NE, NW, SW, SE
  return d == 0 || d == 4 || d == 7 ? 1 : d == 2 || d == 5 || d == 6 ? -1 : 0
}
@inline function dirY(d: u32): i64 {
  return d == 1 || d == 4 || d == 5 ? 1 : d == 3 || d == 6 || d == 7 ? -1 : 0
}

/**
 * A point list of type 0, 1 or 4 at q into `dst` (the implicit first point (0, 0) included; for a polygon of
 * type 0 or 1, the implied last point): returns the position after it (count in listN), or 0 when this code
 * does not take it (another type, a longer value, too many points, not all there, out of 32 bits).
 */
function readPoints(q: usize, end: usize, forPolygon: bool, dst: usize, maxPoints: u32): usize {
  const type = <u32>load<u8>(q)
  if (type != 0 && type != 1 && type != 4) return 0
  const count = ovu(q + 1)
  if (count <= 0) return 0
  const total = <u32>count + 1 + (forPolygon && type <= 1 ? 1 : 0)
  if (total > maxPoints || total > OASIS_MAX_POINTS) return 0
  let p = vpos
  if (p > end || <i64>(end - p) < 8 * <i64>count) return 0
  store<i32>(dst, 0)
  store<i32>(dst, 0, 4)
  let x: i64 = 0, y: i64 = 0
  let o = dst + 8
  if (type == 4) {
    for (let i: i32 = 0; i < count; i++) {
      let u = ovu(p)
      if (u < 0) return 0
      p = vpos
      if ((u & 1) == 0) {
        // form 1: a magnitude and an octangular direction
        const m = <i64>(<u32>u >>> 4), d = (<u32>u >>> 1) & 7
        x += dirX(d) * m
        y += dirY(d) * m
      } else {
        const m = <i64>(<u32>u >>> 2)
        x += u & 2 ? -m : m
        u = ovu(p)
        if (u < 0) return 0
        p = vpos
        const n = <i64>(<u32>u >>> 1)
        y += u & 1 ? -n : n
      }
      if (x < I32_MIN || x > I32_MAX || y < I32_MIN || y > I32_MAX) return 0
      store<i32>(o, <i32>x)
      store<i32>(o, <i32>y, 4)
      o += 8
    }
  } else {
    let h = type == 0
    for (let i: i32 = 0; i < count; i++) {
      const u = ovu(p)
      if (u < 0) return 0
      p = vpos
      const m = <i64>(<u32>u >>> 1)
      const d: i64 = u & 1 ? -m : m
      if (h) x += d
      else y += d
      h = !h
      if (x < I32_MIN || x > I32_MAX || y < I32_MIN || y > I32_MAX) return 0
      store<i32>(o, <i32>x)
      store<i32>(o, <i32>y, 4)
      o += 8
    }
    if (forPolygon) {
      // the implied last point: back to x = 0 (or y = 0) along the direction that comes next
      store<i32>(o, h ? 0 : <i32>x)
      store<i32>(o, h ? <i32>y : 0, 4)
      o += 8
    }
  }
  listN = <i32>((o - dst) >> 3)
  return p
}

/** The box of the n points at a: whether every point displaced by (dx, dy) stays within 32 bits. */
function fitsDisplaced(a: usize, n: i32, dx: i64, dy: i64): bool {
  let l: i32 = 0, b: i32 = 0, r: i32 = 0, t: i32 = 0
  for (let i: i32 = 0; i < n; i++) {
    const px = load<i32>(a + (<usize>i << 3)), py = load<i32>(a + (<usize>i << 3), 4)
    if (px < l) l = px
    else if (px > r) r = px
    if (py < b) b = py
    else if (py > t) t = py
  }
  return <i64>l + dx >= I32_MIN && <i64>r + dx <= I32_MAX && <i64>b + dy >= I32_MIN && <i64>t + dy <= I32_MAX
}

/** An OASIS polygon: displaced, normalised as compressRing does; a ring of fewer than 3 points left may be a box. */
function oasisPolygon(g: u32, a: usize, n: u32, dx: i32, dy: i32): void {
  const w = tapePos
  const d = w + 8
  for (let i: usize = 0; i < (<usize>n << 3); i += 8) {
    store<i32>(d + i, load<i32>(a + i) + dx)
    store<i32>(d + i, load<i32>(a + i, 4) + dy, 4)
  }
  const cnt = compressRing(d, n)
  if (cnt == 1 || cnt == 2) {
    const x0 = word(d, 0), y0 = word(d, 1), x1 = word(d, 2 * cnt - 2), y1 = word(d, 2 * cnt - 1)
    if (x0 == x1 || y0 == y1) {
      putBox(g, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
      return
    }
  }
  store<u32>(w, KIND_POLY | (g << 2))
  store<u32>(w, cnt, 4)
  tapePos = d + (<usize>cnt << 3)
  bump(g, S_POLYS, 1)
  bump(g, S_POLY_COORD_INTS, <i32>(2 * cnt))
}

/** An OASIS path: displaced points, GDSII width (twice the half-width), type 0 (flush), 2 (half-width) or 4. */
function oasisPath(g: u32, a: usize, n: u32, dx: i32, dy: i32, hw: i32, sx: i32, ex: i32): void {
  const type: i32 = sx == 0 && ex == 0 ? 0 : sx == hw && ex == hw ? 2 : 4
  const w = tapePos
  store<u32>(w, KIND_PATH | (g << 2))
  store<u32>(w, n, 4)
  store<i32>(w, 2 * hw, 8)
  store<i32>(w, type, 12)
  store<i32>(w, type == 4 ? sx : 0, 16)
  store<i32>(w, type == 4 ? ex : 0, 20)
  const d = w + 24
  for (let i: usize = 0; i < (<usize>n << 3); i += 8) {
    store<i32>(d + i, load<i32>(a + i) + dx)
    store<i32>(d + i, load<i32>(a + i, 4) + dy, 4)
  }
  tapePos = d + (<usize>n << 3)
  bump(g, S_PATHS, 1)
  bump(g, S_PATH_COORD_INTS, <i32>(2 * n))
}

/**
 * Decodes consecutive RECTANGLE, POLYGON and PATH records from window offset p0 up to end0 onto the tape, with
 * the modal state at oasisState() (read first, written back for every element taken). Returns the offset after
 * the last element taken; M_STOP says why it stopped. `nextAfter`: the record id that follows end0 when the
 * reader knows it (the file's next byte after a CBLOCK's data), else -1; with it, the elements up to end0 are
 * taken (the last one of each CBLOCK included), else only those at least 48 bytes before it.
 */
export function decodeOasis(p0: u32, end0: u32, maxPoints: u32, nextAfter: i32): u32 {
  const st = oStateAddr
  let p = windowAddr + p0
  const end = windowAddr + end0
  let layer = word(st, M_LAYER), datatype = word(st, M_DATATYPE)
  let x = word(st, M_X), y = word(st, M_Y), w = word(st, M_W), h = word(st, M_H)
  let hw = word(st, M_HW), sx = word(st, M_SX), ex = word(st, M_EX)
  let sxSet = word(st, M_SX_SET) != 0, exSet = word(st, M_EX_SET) != 0
  const abs = word(st, M_ABS) != 0
  let polyN = word(st, M_POLY_N), pathN = word(st, M_PATH_N)
  let stop: i32 = 0
  let polyNew = false, pathNew = false
  full = false
  for (;;) {
    if (tapePos >= tapeLimit) {
      full = true
      stop = 2
      break
    }
    // room for every fixed field (at most 4 bytes each) and the next record's id; nearer the end only when the
    // record after the end is known (then every field is checked to end before it: the bytes past the end that
    // are read are the window's own memory, never used)
    if (p >= end || (end - p < 48 && nextAfter < 0)) {
      stop = 1
      break
    }
    const tail = end - p < 48
    const r = <u32>load<u8>(p)
    if (r < O_RECTANGLE || r > O_PATH) break
    let q = p + 1
    const info = <u32>load<u8>(q++)
    let nl = layer, nd = datatype
    if (info & 0x01) {
      const v = ovu(q)
      if (v < 0 || v > O_MAX_LAYER) break
      q = vpos
      nl = v
    }
    if (info & 0x02) {
      const v = ovu(q)
      if (v < 0 || v > O_MAX_LAYER) break
      q = vpos
      nd = v
    }
    if (nl < 0 || nd < 0) break
    let kind = 0
    let nw = w, nh = h, nhw = hw, nsx = sx, nex = ex, nsxSet = sxSet, nexSet = exSet
    let list: usize = 0, n: i32 = -1
    let newList = false
    if (r == O_RECTANGLE) {
      if ((info & 0xa4) == 0xa0 || (info & 0x04) != 0) break
      if (info & 0x40) {
        const v = ovu(q)
        if (v < 0) break
        q = vpos
        nw = v
      }
      if (info & 0x80) nh = nw
      else if (info & 0x20) {
        const v = ovu(q)
        if (v < 0) break
        q = vpos
        nh = v
      }
      if (nw < 0 || nh < 0) break
    } else if (r == O_POLYGON) {
      if (info & 0xc4) break
      kind = 1
    } else {
      if (info & 0x04) break
      if (info & 0x40) {
        const v = ovu(q)
        if (v < 0) break
        q = vpos
        nhw = v
      }
      if (info & 0x80) {
        const scheme = <u32>load<u8>(q++)
        if (scheme > 15) break
        const s = scheme >> 2, e = scheme & 3
        if (s == 3 || e == 3) break
        if ((s == 2 || e == 2) && nhw < 0) break
        if (s != 0) {
          nsx = s == 1 ? 0 : nhw
          nsxSet = true
        }
        if (e != 0) {
          nex = e == 1 ? 0 : nhw
          nexSet = true
        }
      }
      kind = 2
    }
    if (kind != 0) {
      // the point list: its own (read into the spare list), or the modal one
      const poly = kind == 1
      if (info & 0x20) {
        const spare = poly ? polyNext : pathNext
        const e = readPoints(q, end, poly, spare, maxPoints)
        if (e == 0) {
          // (a list that may only be cut by the end of the bytes: more of them may let it through)
          stop = end - q < MAX_LIST_BYTES ? 1 : 0
          break
        }
        q = e
        if (end - q < 12 && !tail) {
          stop = 1
          break
        }
        list = spare
        n = listN
        newList = true
      } else {
        n = poly ? polyN : pathN
        if (n < 0) break
        list = poly ? polyCur : pathCur
      }
      if (!poly && (nhw < 0 || !nsxSet || !nexSet)) break
    }
    let nx = x, ny = y
    if (info & 0x10) {
      const v = ovu(q)
      if (v < 0) break
      q = vpos
      const m = <i64>(<u32>v >>> 1)
      const d: i64 = v & 1 ? -m : m
      const c: i64 = abs ? d : <i64>x + d
      if (c < I32_MIN || c > I32_MAX) break
      nx = <i32>c
    }
    if (info & 0x08) {
      const v = ovu(q)
      if (v < 0) break
      q = vpos
      const m = <i64>(<u32>v >>> 1)
      const d: i64 = v & 1 ? -m : m
      const c: i64 = abs ? d : <i64>y + d
      if (c < I32_MIN || c > I32_MAX) break
      ny = <i32>c
    }
    // a property (or a PAD or CBLOCK before one) may follow: the reader's JavaScript reads the element then
    if (q > end || (q == end && nextAfter < 0)) {
      stop = 1
      break
    }
    const next = q == end ? <u32>nextAfter : <u32>load<u8>(q)
    if (next == O_PROPERTY || next == O_PROPERTY_REPEAT || next == O_PAD || next == O_CBLOCK) break
    const g = groupOf(<u32>nl, <u32>nd)
    if (g < 0) {
      full = true
      stop = 2
      break
    }
    if (kind == 0) {
      if (<i64>nx + <i64>nw > I32_MAX || <i64>ny + <i64>nh > I32_MAX) break
      putBox(<u32>g, nx, ny, nx + nw, ny + nh)
    } else if (kind == 1) {
      // as KLayout: a polygon of fewer than 3 points is left out
      if (n >= 3) {
        if (!fitsDisplaced(list, n, nx, ny)) break
        oasisPolygon(<u32>g, list, <u32>n, nx, ny)
      }
    } else if (n >= 2) {
      if (!fitsDisplaced(list, n, nx, ny)) break
      oasisPath(<u32>g, list, <u32>n, nx, ny, nhw, nsx, nex)
    }
    // the element is taken: its modal variables are the reader's now
    layer = nl
    datatype = nd
    x = nx
    y = ny
    if (kind == 0) {
      w = nw
      h = nh
    } else if (kind == 2) {
      hw = nhw
      sx = nsx
      ex = nex
      sxSet = nsxSet
      exSet = nexSet
    }
    if (newList) {
      if (kind == 1) {
        polyNext = polyCur
        polyCur = list
        polyN = n
        polyNew = true
      } else {
        pathNext = pathCur
        pathCur = list
        pathN = n
        pathNew = true
      }
    }
    p = q
  }
  setWord(st, M_LAYER, layer)
  setWord(st, M_DATATYPE, datatype)
  setWord(st, M_X, x)
  setWord(st, M_Y, y)
  setWord(st, M_W, w)
  setWord(st, M_H, h)
  setWord(st, M_HW, hw)
  setWord(st, M_SX, sx)
  setWord(st, M_EX, ex)
  setWord(st, M_SX_SET, sxSet ? 1 : 0)
  setWord(st, M_EX_SET, exSet ? 1 : 0)
  setWord(st, M_POLY_N, polyN)
  setWord(st, M_PATH_N, pathN)
  setWord(st, M_POLY_AT, <i32>polyCur)
  setWord(st, M_PATH_AT, <i32>pathCur)
  setWord(st, M_STOP, stop)
  setWord(st, M_POLY_NEW, polyNew ? 1 : 0)
  setWord(st, M_PATH_NEW, pathNew ? 1 : 0)
  return <u32>(p - windowAddr)
}
