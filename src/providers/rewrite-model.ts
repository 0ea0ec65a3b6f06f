// Rewrites the top-level `model` of a JSON request body in place of re-serialising it: a
// long conversation costs a byte search instead of a JSON.stringify.

const MODEL_KEY = Buffer.from('"model"')

function isSpace (b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d
}

/**
 * The body with its `"model": "<from>"` value replaced by `to`, or undefined when the raw
 * bytes do not hold exactly one such pair written the canonical way (then the caller
 * serialises). Exactly one: a second `"model"` key with the same value somewhere nested
 * would make the byte position ambiguous.
 */
export function rewriteModel (raw: Buffer, from: string, to: string): Buffer | undefined {
  const value = Buffer.from(JSON.stringify(from))
  let found = -1
  let end = -1
  let at = raw.indexOf(MODEL_KEY)
  while (at !== -1) {
    let i = at + MODEL_KEY.length
    while (isSpace(raw[i])) i++
    if (raw[i] === 0x3a /* : */) {
      i++
      while (isSpace(raw[i])) i++
      if (i + value.length <= raw.length && raw.compare(value, 0, value.length, i, i + value.length) === 0) {
        if (found !== -1) return undefined
        found = i
        end = i + value.length
      }
    }
    at = raw.indexOf(MODEL_KEY, at + MODEL_KEY.length)
  }
  if (found === -1) return undefined
  return Buffer.concat([raw.subarray(0, found), Buffer.from(JSON.stringify(to)), raw.subarray(end)])
}
