// Narrowing for outside data, which is `unknown` until checked.

/** A plain JSON object (not null, not an array). */
export function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
