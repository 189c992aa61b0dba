/** A database unit or length in µm as people write it: 0.001, not 0.0010000000000000002 (12 significant digits). */
export function showMicrons(v: number): string {
  return Number(v.toPrecision(12)).toString()
}
