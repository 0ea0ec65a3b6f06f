// Numbers read from stored or upstream data, which may be missing, NaN, infinite or negative.

/** A time or count that counts only when positive: missing, non-finite or ≤ 0 → 0. */
export function positiveOrZero (x: number | undefined): number {
  return x !== undefined && Number.isFinite(x) && x > 0 ? x : 0
}

/** A wait hint in whole ms: positive and finite, rounded up; else undefined. */
export function positiveMs (ms: number | undefined): number | undefined {
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : undefined
}
