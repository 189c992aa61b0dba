/**
 * OASIS (SEMI P39) record ids and the names messages use for them. A record is a one-byte id (an unsigned
 * integer below 128, so one byte) followed by its fields; there is no length field, so a reader has to decode
 * every field of every record to find the next one.
 */
export const OR = {
  PAD: 0, START: 1, END: 2,
  CELLNAME: 3, CELLNAME_REF: 4, TEXTSTRING: 5, TEXTSTRING_REF: 6, PROPNAME: 7, PROPNAME_REF: 8,
  PROPSTRING: 9, PROPSTRING_REF: 10, LAYERNAME: 11, LAYERNAME_TEXT: 12,
  CELL_REF: 13, CELL_NAME: 14, XYABSOLUTE: 15, XYRELATIVE: 16, PLACEMENT: 17, PLACEMENT_X: 18,
  TEXT: 19, RECTANGLE: 20, POLYGON: 21, PATH: 22, TRAPEZOID: 23, TRAPEZOID_A: 24, TRAPEZOID_B: 25,
  CTRAPEZOID: 26, CIRCLE: 27, PROPERTY: 28, PROPERTY_REPEAT: 29, XNAME: 30, XNAME_REF: 31,
  XELEMENT: 32, XGEOMETRY: 33, CBLOCK: 34,
} as const

const NAMES = [
  'PAD', 'START', 'END', 'CELLNAME', 'CELLNAME', 'TEXTSTRING', 'TEXTSTRING', 'PROPNAME', 'PROPNAME', 'PROPSTRING',
  'PROPSTRING', 'LAYERNAME', 'LAYERNAME', 'CELL', 'CELL', 'XYABSOLUTE', 'XYRELATIVE', 'PLACEMENT', 'PLACEMENT',
  'TEXT', 'RECTANGLE', 'POLYGON', 'PATH', 'TRAPEZOID', 'TRAPEZOID', 'TRAPEZOID', 'CTRAPEZOID', 'CIRCLE',
  'PROPERTY', 'PROPERTY', 'XNAME', 'XNAME', 'XELEMENT', 'XGEOMETRY', 'CBLOCK',
]

/** "PLACEMENT", "CELL", ... ; an unknown id as "record 77". */
export function oasisRecordName(id: number): string {
  return NAMES[id] ?? `record ${id}`
}

/** The 13 bytes every OASIS file starts with: `%SEMI-OASIS` CR LF. */
export const OASIS_MAGIC = Uint8Array.of(0x25, 0x53, 0x45, 0x4d, 0x49, 0x2d, 0x4f, 0x41, 0x53, 0x49, 0x53, 0x0d, 0x0a)

/** True when the bytes start with the OASIS magic (`%SEMI-OASIS\r\n`): the format is detected from content. */
export function isOasis(bytes: Uint8Array): boolean {
  if (bytes.length < OASIS_MAGIC.length) return false
  for (let i = 0; i < OASIS_MAGIC.length; i++) if (bytes[i] !== OASIS_MAGIC[i]) return false
  return true
}

/** The standard property that carries a GDSII property (attribute number, value string) in OASIS. */
export const S_GDS_PROPERTY = 'S_GDS_PROPERTY'
