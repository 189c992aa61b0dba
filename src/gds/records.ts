/** GDSII record types (the high byte of the record's type word) and their data types. */
export const R = {
  HEADER: 0x00, BGNLIB: 0x01, LIBNAME: 0x02, UNITS: 0x03, ENDLIB: 0x04, BGNSTR: 0x05, STRNAME: 0x06,
  ENDSTR: 0x07, BOUNDARY: 0x08, PATH: 0x09, SREF: 0x0a, AREF: 0x0b, TEXT: 0x0c, LAYER: 0x0d,
  DATATYPE: 0x0e, WIDTH: 0x0f, XY: 0x10, ENDEL: 0x11, SNAME: 0x12, COLROW: 0x13, TEXTNODE: 0x14,
  NODE: 0x15, TEXTTYPE: 0x16, PRESENTATION: 0x17, SPACING: 0x18, STRING: 0x19, STRANS: 0x1a, MAG: 0x1b,
  ANGLE: 0x1c, UINTEGER: 0x1d, USTRING: 0x1e, REFLIBS: 0x1f, FONTS: 0x20, PATHTYPE: 0x21,
  GENERATIONS: 0x22, ATTRTABLE: 0x23, STYPTABLE: 0x24, STRTYPE: 0x25, ELFLAGS: 0x26, ELKEY: 0x27,
  LINKTYPE: 0x28, LINKKEYS: 0x29, NODETYPE: 0x2a, PROPATTR: 0x2b, PROPVALUE: 0x2c, BOX: 0x2d,
  BOXTYPE: 0x2e, PLEX: 0x2f, BGNEXTN: 0x30, ENDEXTN: 0x31, TAPENUM: 0x32, TAPECODE: 0x33,
  STRCLASS: 0x34, RESERVED: 0x35, FORMAT: 0x36, MASK: 0x37, ENDMASKS: 0x38, LIBDIRSIZE: 0x39,
  SRFNAME: 0x3a, LIBSECUR: 0x3b,
} as const

/** GDSII data type codes (the low byte of the record's type word). */
export const DT = { NONE: 0, BITARRAY: 1, INT2: 2, INT4: 3, REAL4: 4, REAL8: 5, ASCII: 6 } as const

const DT_NAMES = ['no data', 'bit array', '2-byte integer', '4-byte integer', '4-byte real', '8-byte real', 'ASCII string']

const NAMES: string[] = []
for (const [name, code] of Object.entries(R)) NAMES[code] = name

/** The data type each known record must carry. */
export const RECORD_DATA_TYPE: number[] = []
{
  const set = (dt: number, ...recs: number[]): void => {
    for (const r of recs) RECORD_DATA_TYPE[r] = dt
  }
  set(DT.NONE, R.ENDLIB, R.ENDSTR, R.BOUNDARY, R.PATH, R.SREF, R.AREF, R.TEXT, R.ENDEL, R.TEXTNODE, R.NODE, R.BOX, R.ENDMASKS)
  set(DT.INT2, R.HEADER, R.BGNLIB, R.BGNSTR, R.LAYER, R.DATATYPE, R.COLROW, R.TEXTTYPE, R.PATHTYPE, R.GENERATIONS,
    R.NODETYPE, R.PROPATTR, R.BOXTYPE, R.FORMAT, R.TAPENUM, R.TAPECODE, R.STRTYPE, R.LINKTYPE, R.LIBDIRSIZE, R.LIBSECUR)
  set(DT.INT4, R.WIDTH, R.XY, R.PLEX, R.BGNEXTN, R.ENDEXTN, R.ELKEY, R.LINKKEYS)
  set(DT.REAL8, R.UNITS, R.MAG, R.ANGLE)
  set(DT.ASCII, R.LIBNAME, R.STRNAME, R.SNAME, R.STRING, R.REFLIBS, R.FONTS, R.ATTRTABLE, R.PROPVALUE, R.MASK, R.SRFNAME)
  set(DT.BITARRAY, R.PRESENTATION, R.STRANS, R.ELFLAGS)
}

export function recordName(type: number): string {
  return NAMES[type] ?? `record 0x${type.toString(16).padStart(2, '0')}`
}

export function dataTypeName(dt: number): string {
  return DT_NAMES[dt] ?? `data type ${dt}`
}
