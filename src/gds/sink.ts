/**
 * What the GDSII reader reports, element by element. The reader knows nothing of the layout model: the
 * `layout` layer implements this interface to build its cells (data flows gds -> layout, never back).
 *
 * Arrays handed to a callback (`xy`) are views into a scratch buffer that the next element reuses:
 * copy what you keep.
 */

/** STRANS/MAG/ANGLE of a reference or text. Angle in degrees, counter-clockwise. */
export interface GdsStrans {
  reflect: boolean
  absMag: boolean
  absAngle: boolean
  mag: number
  angle: number
}

export interface GdsProperty {
  attr: number
  value: string
}

/** The rarely used per-element records: present only when the element has any of them. */
export interface GdsElementExtras {
  elflags?: number
  plex?: number
  props?: GdsProperty[]
}

export interface GdsLibraryInfo {
  version: number
  name: string
  /** UNITS: size of a database unit in user units, and in meters. */
  userUnitsPerDbu: number
  metersPerDbu: number
  modified: number[] | null
  accessed: number[] | null
  refLibs?: string[]
  fonts?: string[]
  attrTable?: string
  generations?: number
  format?: number
}

/**
 * A batch of plain shapes (GdsSink.shapes): `words` holds a header of ShapeBatch.GROUP_WORDS words per group,
 * then the groups' arrays one group after the other, at the word offsets the header gives: boxes (l, b, r, t
 * each), polygon coordinates (x, y pairs), polygon starts (0, then where each polygon's coordinates end,
 * counted from the group's first polygon coordinate: polygons + 1 words), path coordinates, path starts
 * (likewise), and path parameters (width with GDSII's sign, PATHTYPE, begin and end extension, 0 unless
 * PATHTYPE 4: 4 words per path). A view into the reader's scratch memory, valid during the call only: copy what
 * you keep.
 */
export interface GdsShapeBatch {
  groups: number
  words: Int32Array
  /** True when the batch holds all of the structure's BOUNDARY, PATH and BOX elements (ENDSTR follows). */
  complete: boolean
}

/** Word indices in a GdsShapeBatch group header. */
export const ShapeBatch = {
  GROUP_WORDS: 13,
  LAYER: 0,
  DATATYPE: 1,
  BOX_OFF: 2,
  BOX_INTS: 3,
  POLY_COORD_OFF: 4,
  POLY_COORD_INTS: 5,
  POLY_START_OFF: 6,
  POLYS: 7,
  PATH_COORD_OFF: 8,
  PATH_COORD_INTS: 9,
  PATH_START_OFF: 10,
  PATHS: 11,
  PATH_PARAM_OFF: 12,
} as const

export interface GdsSink {
  library(info: GdsLibraryInfo): void
  beginStructure(name: string, offset: number, times: number[]): void
  endStructure(): void
  boundary(layer: number, datatype: number, xy: Int32Array, n: number, extras: GdsElementExtras | null): void
  /**
   * Plain BOUNDARY and PATH elements (no ELFLAGS, PLEX or properties) in bulk, grouped by layer/datatype, in
   * file order within each group. Polygons come normalised as KLayout stores them: no closing point, no
   * repeated or in-line vertices, and a ring that is an axis-parallel rectangle (or a degenerate axis-parallel
   * ring of 1 or 2 points) as a box. Other elements come one by one, never out of order: the reader hands over
   * a batch before any other BOUNDARY, PATH or BOX, and before ENDSTR.
   */
  shapes(batch: GdsShapeBatch): void
  box(layer: number, boxtype: number, xy: Int32Array, n: number, extras: GdsElementExtras | null): void
  path(
    layer: number, datatype: number, xy: Int32Array, n: number, width: number, pathtype: number,
    bgnExt: number, endExt: number, extras: GdsElementExtras | null,
  ): void
  text(
    layer: number, texttype: number, x: number, y: number, string: string, presentation: number,
    strans: GdsStrans | null, width: number | null, pathtype: number | null, extras: GdsElementExtras | null,
  ): void
  node(layer: number, nodetype: number, xy: Int32Array, n: number, extras: GdsElementExtras | null): void
  sref(name: string, x: number, y: number, strans: GdsStrans | null, extras: GdsElementExtras | null, offset: number): void
  aref(
    name: string, cols: number, rows: number, xy: Int32Array, strans: GdsStrans | null,
    extras: GdsElementExtras | null, offset: number,
  ): void
  endLibrary(): void
}
