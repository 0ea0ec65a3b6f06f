// Model reference syntax (DESIGN §5): `provider/model`, optional `@<provider>:<name>` pin.

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
