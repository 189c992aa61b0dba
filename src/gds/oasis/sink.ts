import type { GdsShapeBatch } from '../sink.js'

/**
 * What the OASIS parser reports, element by element. Like the GDSII reader's GdsSink, it knows nothing of the
 * layout model: src/layout/oasisio.ts implements it.
 *
 * Cells are named by handles (0, 1, 2, ... in order of first mention: a CELL record or a PLACEMENT). A handle's
 * name may be known only later (CELLNAME records may follow the cells that use them): `cell` announces a
 * handle (with its name if known), `nameCell` gives a name learned later, and `mergeCells` says that two handles
 * turned out to be one cell (one referenced by name, the other by reference number, before the CELLNAME record
 * that links them).
 *
 * Repetitions are resolved by the parser: an element with a repetition is reported once per member, except a
 * PLACEMENT with a regular repetition (types 1, 2, 3, 8, 9), which is reported once as an array.
 *
 * Arrays handed to a callback (`xy`) are views into a scratch buffer that the next element reuses: copy what
 * you keep. `props` arrays may be shared by the members of a repetition: do not modify them.
 */

/** START record: version string, unit (database units per micron), where the table offsets are. */
export interface OasisFileInfo {
  version: string
  /** Grid steps (database units) per micron: the dbu in microns is 1 / unit. */
  unit: number
  /** 0: the offset table follows START; 1: it is in the END record. */
  offsetFlag: number
}

/** A property value that refers to a PROPSTRING by reference number not defined yet (resolved at the end). */
export class OasisStringRef {
  constructor(readonly id: number) {}
}

export type OasisValue = number | bigint | string | OasisStringRef

/** One PROPERTY record (or a repetition of the previous one) attached to an element. */
export interface OasisProperty {
  /** The name; null while it is a reference to a PROPNAME not read yet (then `nameId` is that number). */
  name: string | null
  nameId: number
  /** The S bit: a standard property (S_GDS_PROPERTY, S_TOP_CELL, ...). */
  standard: boolean
  values: OasisValue[]
}

/** The name tables as they are at the end of the file (for forward references). */
export interface OasisNames {
  propName(id: number): string | undefined
  propString(id: number): string | undefined
  textString(id: number): string | undefined
}

export interface OasisSink {
  start(info: OasisFileInfo): void
  /** A new cell handle (first mention, at file offset `offset`), with its name when it is known already. */
  cell(handle: number, name: string | null, offset: number): void
  /** The name of a handle announced without one. */
  nameCell(handle: number, name: string): void
  /** Handle `from` is the same cell as `into` (`into` keeps everything of `from`). */
  mergeCells(from: number, into: number): void
  /** A CELL record: the cell's elements follow until endCell. `offset`: the record's file offset. */
  beginCell(handle: number, offset: number): void
  endCell(): void
  /**
   * Optional: plain RECTANGLE, POLYGON and PATH records in bulk (the parser's WebAssembly decoder), grouped by
   * layer/datatype, in file order within each group and after every element reported before: rectangles as
   * boxes, polygons normalised (no closing point, no repeated or in-line points; a ring left with fewer than 3
   * points as a box when axis-parallel), paths with their GDSII width and type (see GdsShapeBatch). A sink
   * without it gets every element one by one.
   */
  shapes?(batch: GdsShapeBatch): void
  /** RECTANGLE: a box from (l, b) to (r, t). */
  box(layer: number, datatype: number, l: number, b: number, r: number, t: number, props: OasisProperty[] | null): void
  /** POLYGON, TRAPEZOID, CTRAPEZOID: n points xy[0..2n) displaced by (dx, dy) (xy[0], xy[1] are 0, 0). */
  polygon(layer: number, datatype: number, xy: Int32Array, n: number, dx: number, dy: number, props: OasisProperty[] | null): void
  /** PATH: centre line as for polygon, half-width and the start / end extensions (signed). */
  path(
    layer: number, datatype: number, xy: Int32Array, n: number, dx: number, dy: number, halfWidth: number,
    startExt: number, endExt: number, props: OasisProperty[] | null,
  ): void
  /** CIRCLE with a positive radius. */
  circle(layer: number, datatype: number, x: number, y: number, radius: number, props: OasisProperty[] | null): void
  /** TEXT: the string, or null and the TEXTSTRING reference number when it is not defined yet. */
  text(textlayer: number, texttype: number, x: number, y: number, string: string | null, stringId: number, props: OasisProperty[] | null): void
  /**
   * PLACEMENT of cell `cell` at (x, y): mirrored at the x axis first (if `mirror`), magnified, rotated by
   * `rotation` degrees counter-clockwise. A regular array when na * nb > 1: member (i, j) displaced by
   * i * (ax, ay) + j * (bx, by).
   */
  placement(
    cell: number, x: number, y: number, rotation: number, mirror: boolean, mag: number,
    na: number, nb: number, ax: number, ay: number, bx: number, by: number, props: OasisProperty[] | null,
  ): void
  /** END record read: every name table is complete. */
  endFile(names: OasisNames): void
}
