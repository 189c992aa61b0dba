import type { View } from './view.js'

/** A length in µm for people: up to 6 significant digits, no trailing zeros, no exponent for ordinary sizes. */
export function fmtUm(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v)
  const a = Math.abs(v)
  if (a >= 1e-4 && a < 1e9) return String(Number(v.toPrecision(6)))
  return v.toPrecision(3)
}

/** An area in µm² for people: 4 significant digits below 10^6, grouped integers above. */
export function fmtArea(um2: number): string {
  if (um2 === 0) return '0'
  if (Math.abs(um2) >= 1e6) return Math.round(um2).toLocaleString('en-US')
  if (Math.abs(um2) < 1e-4) return um2.toPrecision(3)
  return String(Number(um2.toPrecision(4)))
}

/** A scale-bar length: 1, 2 or 5 times a power of ten µm, at most `maxUm`. */
export function niceLength(maxUm: number): number {
  if (!(maxUm > 0)) return 0
  const p = 10 ** Math.floor(Math.log10(maxUm))
  for (const m of [5, 2, 1]) if (m * p <= maxUm * (1 + 1e-9)) return m * p
  return p
}

/** "2 mm", "50 µm", "200 nm": the unit that keeps the number short. */
export function lengthLabel(um: number): string {
  if (um >= 1000) return `${fmtUm(um / 1000)} mm`
  if (um < 1) return `${fmtUm(um * 1000)} nm`
  return `${fmtUm(um)} µm`
}

/** The view's window in µm, one line: "x -5 … 155 µm, y -20 … 60 µm, 0.156 µm/px" (to about a pixel). */
export function viewCaption(view: View, dbu: number): string {
  const per = dbu / view.scale
  const decimals = Math.max(0, Math.min(6, Math.ceil(-Math.log10(per) - 1e-9)))
  const f = (v: number): string => {
    const s = (v * dbu).toFixed(decimals)
    return s.includes('.') ? s.replace(/\.?0+$/, '') : s
  }
  return `x ${f(view.l)} … ${f(view.r)} µm, y ${f(view.b)} … ${f(view.t)} µm, ${fmtUm(Number(per.toPrecision(3)))} µm/px`
}
