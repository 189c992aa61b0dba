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

export interface GdsSink {
  library(info: GdsLibraryInfo): void
  beginStructure(name: string, offset: number, times: number[]): void
  endStructure(): void
  boundary(layer: number, datatype: number, xy: Int32Array, n: number, extras: GdsElementExtras | null): void
  /**
   * A plain BOUNDARY (no extras) whose 5 points are a closed axis-parallel rectangle with non-zero sides,
   * reported by its corners (left < right, bottom < top): the most common element, spared the point copy.
   * Such a BOUNDARY with extras, or in any other form, comes to boundary().
   */
  rectangle(layer: number, datatype: number, l: number, b: number, r: number, t: number): void
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
