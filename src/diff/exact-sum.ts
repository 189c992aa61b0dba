/*
 * An exact sum of rational numbers, kept as numerators per denominator (no common denominator is ever formed:
 * where non-Manhattan edges cross, denominators are products of edge extents, and a common denominator of
 * thousands of them would have thousands of digits). The value is read by rounding it to a fixed grid with
 * adaptive precision: the result is the correctly rounded exact value, so it does not depend on how the sum was
 * split up (tiles, windows, operand order, workers).
 */

const SAFE = 9007199254740992 // 2^53

/** A serialisable form of an ExactSum (structured clone keeps bigint). */
export interface WireSum {
  small: Array<[number, number]>
  big: Array<[bigint, bigint]>
}

export class ExactSum {
  /** denominator -> numerator, both safe integers. */
  private small = new Map<number, number>()
  /** denominator -> numerator. */
  private big = new Map<bigint, bigint>()

  /** Adds num/den (den > 0, both integers; num and den below 2^53 in magnitude). */
  add(num: number, den: number): void {
    if (num === 0) return
    const cur = this.small.get(den)
    if (cur === undefined) {
      this.small.set(den, num)
      return
    }
    const s = cur + num
    if (s > -SAFE && s < SAFE) this.small.set(den, s)
    else {
      this.small.delete(den)
      this.addBig(BigInt(cur) + BigInt(num), BigInt(den))
    }
  }

  /** Adds num/den (den > 0). */
  addBig(num: bigint, den: bigint): void {
    if (num === 0n) return
    if (den < BigInt(SAFE) && num > -BigInt(SAFE) && num < BigInt(SAFE)) {
      this.add(Number(num), Number(den))
      return
    }
    this.big.set(den, (this.big.get(den) ?? 0n) + num)
  }

  addSum(o: ExactSum): void {
    for (const [d, n] of o.small) this.add(n, d)
    for (const [d, n] of o.big) this.addBig(n, d)
  }

  /** Multiplies every term by an integer. */
  scale(k: number): void {
    if (k === 1) return
    const small = this.small, big = this.big
    this.small = new Map()
    this.big = new Map()
    for (const [d, n] of small) this.addBig(BigInt(n) * BigInt(k), BigInt(d))
    for (const [d, n] of big) this.addBig(n * BigInt(k), d)
  }

  get terms(): number {
    return this.small.size + this.big.size
  }

  /** True when there are no terms (a sum with terms may still be zero). */
  get empty(): boolean {
    return this.small.size === 0 && this.big.size === 0
  }

  toWire(): WireSum {
    return { small: [...this.small], big: [...this.big] }
  }

  static fromWire(w: WireSum): ExactSum {
    const s = new ExactSum()
    for (const [d, n] of w.small) s.add(n, d)
    for (const [d, n] of w.big) s.addBig(n, d)
    return s
  }

  /**
   * The value divided by `div`, rounded to the nearest multiple of 1/`unit` (ties to even), as an integer count of
   * 1/unit. Exact: terms are evaluated at increasing binary precision until the rounding is decided, and the
   * exact rational is formed only if the value lies on a rounding tie.
   */
  rounded(unit: bigint, div = 1n): bigint {
    if (this.empty) return 0n
    for (let bits = 64n; bits <= 4096n; bits *= 4n) {
      // V * unit / div * 2^bits lies in [lo, lo + n]
      const S = 1n << bits
      let lo = 0n
      let n = 0n
      const mul = unit * S
      const each = (num: bigint, den: bigint): void => {
        const d = den * div
        let q = (num * mul) / d
        // BigInt division truncates: make it a floor
        if (num < 0n && q * d !== num * mul) q -= 1n
        lo += q
        n += 1n
      }
      for (const [d, num] of this.small) each(BigInt(num), BigInt(d))
      for (const [d, num] of this.big) each(num, d)
      const hi = lo + n
      const r = roundHalfEven(lo, S)
      // decided when no tie boundary (k + 1/2) * S lies in [lo, hi]
      const half = S / 2n
      const firstTie = floorDiv(lo - half, S) * S + half
      const tie = firstTie >= lo ? firstTie : firstTie + S
      if (tie > hi) return r
    }
    // on (or astonishingly close to) a tie: the exact rational decides
    const [num, den] = this.exact()
    return roundHalfEvenFrac(num * unit, den * div)
  }

  /** The exact value as a reduced fraction [num, den]. Can be slow for thousands of distinct denominators. */
  exact(): [bigint, bigint] {
    let num = 0n, den = 1n
    const add = (n: bigint, d: bigint): void => {
      num = num * d + n * den
      den *= d
      const g = gcd(num < 0n ? -num : num, den)
      if (g > 1n) {
        num /= g
        den /= g
      }
    }
    for (const [d, n] of this.small) add(BigInt(n), BigInt(d))
    for (const [d, n] of this.big) add(n, d)
    return [num, den]
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a < 0n && q * b !== a ? q - 1n : q
}

/** round(x / S), ties to even, S > 0 even. */
function roundHalfEven(x: bigint, S: bigint): bigint {
  return roundHalfEvenFrac(x, S)
}

function roundHalfEvenFrac(num: bigint, den: bigint): bigint {
  if (den < 0n) {
    num = -num
    den = -den
  }
  const q = floorDiv(num, den)
  const r2 = 2n * (num - q * den)
  if (r2 < den) return q
  if (r2 > den) return q + 1n
  return q % 2n === 0n ? q : q + 1n
}

export function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b]
  return a
}

/** A count of 1/10^6 as a decimal string without trailing zeros ("625", "960.666667", "-0.5"). */
export function microDecimal(v: bigint): string {
  const neg = v < 0n
  const a = neg ? -v : v
  const int = a / 1000000n
  let frac = (a % 1000000n).toString().padStart(6, '0').replace(/0+$/, '')
  if (frac) frac = '.' + frac
  return (neg ? '-' : '') + int.toString() + frac
}
