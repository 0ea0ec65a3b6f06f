// Request bodies: parsed once, kept as bytes (a request whose model needs no rewrite goes
// upstream as it came), and refused when their shape could hurt rotor or mislead an upstream.
import { InvalidRequestError } from '../core/errors.ts'

/**
 * Deeper bodies are refused: re-serialising (model rewrite, translation) recurses per
 * level, and no chat request needs more (tool schemas nest a few dozen levels at most).
 */
export const MAX_JSON_DEPTH = 256

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const OPEN = [0x5b, 0x7b] as const
const MODEL = Buffer.from('model')

// Most strings (keys, roles, ids) are short: walked inline. Past this many bytes the rest
// of a string is skipped with indexOf, which is native and fast on long message texts.
const INLINE_BYTES = 32

type Shape = 'ok' | 'too_deep' | 'duplicate_model'

/** Index of the quote closing the string that opens at `start`; -1 when unterminated. */
function stringEnd (buf: Buffer, start: number): number {
  const stop = Math.min(buf.length, start + 1 + INLINE_BYTES)
  let i = start + 1
  for (; i < stop; i++) {
    const c = buf[i]
    if (c === BACKSLASH) i++
    else if (c === QUOTE) return i
  }
  // A quote is escaped when an odd run of backslashes precedes it.
  let j = i - 1
  for (;;) {
    j = buf.indexOf(QUOTE, j + 1)
    if (j < 0) return -1
    let k = j - 1
    while (buf[k] === BACKSLASH) k--
    if (((j - 1 - k) & 1) === 0) return j
  }
}

/** A top-level key spelled `model`, escapes included (`"mod\u0065l"` is the same key). */
function isModelKey (buf: Buffer, start: number, end: number): boolean {
  let i = end + 1
  while (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d) i++
  if (buf[i] !== COLON) return false
  const length = end - start - 1
  if (length === MODEL.length) return buf.compare(MODEL, 0, MODEL.length, start + 1, end) === 0
  // Escaped, `model` is 6 to 30 bytes (each letter at most `\uXXXX`); only then decode it.
  if (length < 6 || length > 30) return false
  for (let k = start + 1; k < end; k++) {
    if (buf[k] === BACKSLASH) return JSON.parse(buf.toString('utf8', start, end + 1)) === 'model'
  }
  return false
}

/**
 * One pass over bytes that JSON.parse already accepted: nesting depth, and whether the
 * top-level object names `model` twice (JSON.parse keeps the last, an upstream may read the first).
 */
export function jsonShape (buf: Buffer, maxDepth = MAX_JSON_DEPTH): Shape {
  let depth = 0
  let models = 0
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]
    if (c === QUOTE) {
      const end = stringEnd(buf, i)
      if (end < 0) return 'ok'
      if (depth === 1 && isModelKey(buf, i, end) && ++models > 1) return 'duplicate_model'
      i = end
    } else if (c === OPEN[0] || c === OPEN[1]) {
      if (++depth > maxDepth) return 'too_deep'
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return 'ok'
}

/** The parsed object, or the InvalidRequestError to answer with. */
export function parseJsonBody (buf: Buffer): Record<string, unknown> | InvalidRequestError {
  let parsed: unknown
  try {
    parsed = JSON.parse(buf.toString('utf8'))
  } catch {
    return new InvalidRequestError('Request body is not valid JSON')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return new InvalidRequestError('Request body must be a JSON object')
  }
  switch (jsonShape(buf)) {
    case 'too_deep': return new InvalidRequestError(`Request body is nested deeper than ${MAX_JSON_DEPTH} levels`)
    case 'duplicate_model': return new InvalidRequestError('Request body has more than one "model" key', 'model')
    case 'ok': return parsed as Record<string, unknown>
  }
}
