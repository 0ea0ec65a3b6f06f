// Model reference syntax (docs/routing.md): `provider/model`, optional `@<provider>:<name>` pin.

export interface PinSplit {
  /** The model part (ref or alias), trimmed. */
  readonly ref: string
  /** The pinned profile id, when the input carried `@<provider>:…`. */
  readonly profileId: string | undefined
}

export interface ParsedRef {
  /** Lower-cased provider id. */
  readonly provider: string
  readonly model: string
}

/** Longer names are refused: no provider has one, and it would be echoed in a response header. */
export const MAX_MODEL_NAME_LENGTH = 512

// Unicode Cc: C0, DEL and C1. Never part of a model id; CR/LF/NUL would also break headers.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * Why a requested model name cannot be used, or undefined when it can. Printable non-Latin-1
 * names are fine (upstreams may serve them; rotor percent-encodes them in its headers).
 */
export function modelNameProblem (name: string): string | undefined {
  if (name.length > MAX_MODEL_NAME_LENGTH) return `Model name is longer than ${MAX_MODEL_NAME_LENGTH} characters`
  if (CONTROL.test(name)) return 'Model name contains control characters'
  if (!name.isWellFormed()) return 'Model name contains a lone surrogate (not valid Unicode)'
  return undefined
}

// Only an '@' followed by `<provider>:` starts a pin, so model ids containing '@'
// (and profile ids like `anthropic:me@example.com`) survive.
const PIN_AT = /@(?=[a-z0-9-]+:)/i

/** `sonnet@anthropic:me@example.com` → ref `sonnet`, profile `anthropic:me@example.com`. */
export function splitPin (raw: string): PinSplit {
  const text = raw.trim()
  const m = PIN_AT.exec(text)
  if (m === null) return { ref: text, profileId: undefined }
  return { ref: text.slice(0, m.index).trim(), profileId: text.slice(m.index + 1).trim() }
}

/**
 * Splits at the first '/': `openrouter/anthropic/claude-sonnet-4-5` is provider `openrouter`,
 * model `anthropic/claude-sonnet-4-5`. Undefined when there is no '/' or a side is empty.
 */
export function parseRef (ref: string): ParsedRef | undefined {
  const text = ref.trim()
  const slash = text.indexOf('/')
  if (slash < 0) return undefined
  const provider = text.slice(0, slash).trim().toLowerCase()
  const model = text.slice(slash + 1).trim()
  if (provider === '' || model === '') return undefined
  return { provider, model }
}

/** The profile id's provider: the part before the first ':'. */
export function profileProvider (profileId: string): string {
  const colon = profileId.indexOf(':')
  return (colon < 0 ? profileId : profileId.slice(0, colon)).toLowerCase()
}
