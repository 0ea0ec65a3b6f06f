// Upstream response / transport error → Outcome, and Outcome → Decision (docs/routing.md,
// docs/providers.md). Pure: status, headers and body text in; no I/O.
import type { Decision, ErrorSignal, LateError, LateVerdict, Outcome, UpstreamErrorFacts } from './types.ts'
import { isRecord } from './json.ts'
import { positiveMs } from './numbers.ts'

export type HttpHeaders = Readonly<Record<string, string | readonly string[] | undefined>>
export type FailureOutcome = Extract<Outcome, { kind: 'failure' }>
export type HttpOutcome = Exclude<Outcome, { kind: 'ok' } | { kind: 'client_aborted' }>

const MAX_MESSAGE = 200

// Quota/billing signals that arrive as 429 (OpenAI, Codex, Google): not transient.
const QUOTA_429 = /insufficient_quota|exceeded your current quota|usage_limit_reached|quota_exhausted/i
const CREDIT_BALANCE = /credit balance is too low/i
const MODEL_NOT_FOUND_400 = /model_not_found|model_not_supported|is not a valid model id/i
const OVERLOADED = /overloaded/i
const VENICE_AUTH_402 = /authentication required/i
// OpenRouter answers 403 for input flagged by moderation: another profile would not help.
const MODERATION_403 = /flagged|moderation/i

/**
 * Collapses whitespace and caps the length (≤ max chars). The text stays the upstream's: secrets
 * are scrubbed where text leaves the attempt loop or enters a log line (auth/secret-registry.ts).
 * A cut never ends inside a word, so no head of a key survives a truncation where the scrub,
 * which matches whole values, could no longer recognise it.
 */
export function safeMessage (text: string, max = MAX_MESSAGE): string {
  const s = text.replace(/\s+/g, ' ').trim()
  if (s.length <= max) return s
  const cut = s.slice(0, max - 1)
  return `${/\S$/.test(cut) && /\S/.test(s[max - 1]) ? cut.replace(/\S+$/, '') : cut}…`
}

/** A header's trimmed value, whatever the case of its name; undefined when absent or blank. */
export function findHeader (headers: HttpHeaders, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== name) continue
    const s = typeof v === 'string' ? v : v?.[0]
    if (s !== undefined && s.trim() !== '') return s.trim()
  }
  return undefined
}

/** Go-style durations as OpenAI sends them: `6m0s`, `1.5s`, `20ms`, `1h2m`; a bare number is seconds. */
export function parseDurationMs (text: string): number | undefined {
  const s = text.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000
  if (!/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(s)) return undefined
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }
  let total = 0
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) total += Number(m[1]) * unit[m[2]]
  return total
}

/** Seconds, or an HTTP/RFC 3339 date (needs `now`), or epoch seconds for large numbers. */
function parseRetryAfter (text: string, now: number | undefined): number | undefined {
  const s = text.trim()
  if (/^\d+(\.\d+)?$/.test(s)) {
    const n = Number(s)
    // Epoch seconds (anthropic-ratelimit-unified-reset is reported that way by some clients).
    if (n > 1e9) return now === undefined ? undefined : n * 1000 - now
    return n * 1000
  }
  if (now === undefined) return undefined
  const at = Date.parse(s)
  return Number.isNaN(at) ? undefined : at - now
}

/**
 * Upstream wait hint in ms. `retry-after-ms` / `retry-after` are authoritative. Otherwise the
 * per-limit reset headers: the latest reset of the limits reported exhausted (remaining 0),
 * else the soonest reset (over-estimating would cool a profile longer than needed).
 */
export function retryAfterFromHeaders (headers: HttpHeaders, now?: number): number | undefined {
  const ms = findHeader(headers, 'retry-after-ms')
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return positiveMs(Number(ms))
  const ra = findHeader(headers, 'retry-after')
  if (ra !== undefined) {
    const v = positiveMs(parseRetryAfter(ra, now))
    if (v !== undefined) return v
  }
  const exhausted: number[] = []
  const all: number[] = []
  const consider = (reset: string | undefined, remaining: string | undefined, parse: (s: string) => number | undefined): void => {
    if (reset === undefined) return
    const v = positiveMs(parse(reset))
    if (v === undefined) return
    all.push(v)
    if (remaining !== undefined && Number(remaining) === 0) exhausted.push(v)
  }
  for (const kind of ['requests', 'tokens']) {
    consider(findHeader(headers, `x-ratelimit-reset-${kind}`), findHeader(headers, `x-ratelimit-remaining-${kind}`), parseDurationMs)
  }
  for (const kind of ['requests', 'tokens', 'input-tokens', 'output-tokens', 'unified']) {
    consider(findHeader(headers, `anthropic-ratelimit-${kind}-reset`), findHeader(headers, `anthropic-ratelimit-${kind}-remaining`), s => parseRetryAfter(s, now))
  }
  if (exhausted.length > 0) return Math.max(...exhausted)
  if (all.length > 0) return Math.min(...all)
  return undefined
}

interface ParsedBody { readonly message: string | undefined, readonly hintMs: number | undefined }

/** Message from `{error:{message}}`, `{error:"str"}`, `{message}`; plus body-level wait hints. */
function parseBody (bodyText: string, now: number | undefined): ParsedBody {
  let json: unknown
  try { json = JSON.parse(bodyText) } catch { json = undefined }
  if (!isRecord(json)) {
    const text = bodyText.trim()
    // HTML error pages say nothing useful.
    return { message: text === '' || text.startsWith('<') ? undefined : text, hintMs: undefined }
  }
  const err = json.error
  let message: string | undefined
  if (isRecord(err) && typeof err.message === 'string') message = err.message
  else if (typeof err === 'string') message = err
  else if (typeof json.message === 'string') message = json.message
  else if (typeof json.detail === 'string') message = json.detail
  return { message, hintMs: bodyHint(isRecord(err) ? err : json, now) }
}

/** Codex `resets_in_seconds` / `resets_at`, Google RetryInfo `retryDelay: "30s"`. */
function bodyHint (err: Record<string, unknown>, now: number | undefined): number | undefined {
  if (typeof err.resets_in_seconds === 'number') return positiveMs(err.resets_in_seconds * 1000)
  if (typeof err.resets_at === 'number' && now !== undefined) return positiveMs(err.resets_at * 1000 - now)
  if (Array.isArray(err.details)) {
    for (const d of err.details) {
      if (isRecord(d) && typeof d.retryDelay === 'string') {
        const v = positiveMs(parseDurationMs(d.retryDelay))
        if (v !== undefined) return v
      }
    }
  }
  return undefined
}

/**
 * What a generic (OpenAI-style or plain-text) error answer signals: the status, refined by the
 * few body texts that change its meaning. `haystack` is the start of the body.
 */
function httpSignal (status: number, haystack: string): ErrorSignal {
  if (status === 429) return QUOTA_429.test(haystack) ? 'billing' : 'rate_limit'
  if (status === 529) return 'overloaded'
  if (status === 402) return VENICE_AUTH_402.test(haystack) ? 'auth' : 'billing'
  if (status === 401) return 'auth'
  if (status === 403) return MODERATION_403.test(haystack) ? 'bad_request' : 'auth'
  if (status === 404) return 'model_not_found'
  if (status === 408) return 'timeout'
  if (status === 400) {
    if (CREDIT_BALANCE.test(haystack)) return 'billing'
    if (MODEL_NOT_FOUND_400.test(haystack)) return 'model_not_found'
  }
  if (status >= 500) return OVERLOADED.test(haystack) ? 'overloaded' : 'transient'
  if (status >= 400) return 'bad_request'
  // 1xx/3xx reaching here mean the adapter got something it cannot use.
  return 'transient'
}

/**
 * What rotor does with an upstream error, whatever its family and whether it came as an HTTP
 * answer or inside a stream: the one decision from signal to outcome.
 */
export function outcomeOf (facts: UpstreamErrorFacts, message: string): HttpOutcome {
  const { status, retryAfterMs } = facts
  const failure = (reason: FailureOutcome['reason']): FailureOutcome =>
    retryAfterMs === undefined ? { kind: 'failure', reason, status, message } : { kind: 'failure', reason, status, message, retryAfterMs }
  switch (facts.signal) {
    case 'rate_limit':
    case 'overloaded':
      return failure('rate_limit')
    // A quota with a known reset cools only this model until then; without one it is a billing-class failure.
    case 'quota': return failure(retryAfterMs === undefined ? 'billing' : 'rate_limit')
    case 'billing': return failure('billing')
    case 'auth': return failure('auth')
    case 'timeout': return failure('timeout')
    case 'transient': return failure('unknown')
    case 'model_not_found': return { kind: 'model_not_found', status, message }
    case 'bad_request': return { kind: 'bad_request', status, message }
    default: {
      const never: never = facts.signal
      throw new Error(`unknown error signal ${String(never)}`)
    }
  }
}

/**
 * Classifies a non-2xx upstream response. `now` is needed only for date-valued reset headers.
 * The message is `HTTP <status>: <upstream error message>` (≤ 200 chars, not yet scrubbed of secrets).
 */
export function classifyHttp (status: number, headers: HttpHeaders, bodyText: string, now?: number): HttpOutcome {
  const body = parseBody(bodyText, now)
  const message = body.message === undefined ? `HTTP ${status}` : `HTTP ${status}: ${safeMessage(body.message)}`
  const retryAfterMs = retryAfterFromHeaders(headers, now) ?? body.hintMs
  const signal = httpSignal(status, bodyText.slice(0, 16_384))
  return outcomeOf(retryAfterMs === undefined ? { status, signal } : { status, signal, retryAfterMs }, message)
}

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'ESOCKETTIMEDOUT'
])

/** The first `code` along the `cause` chain (fetch wraps undici errors in `TypeError: fetch failed`). */
function errorCode (err: unknown): string | undefined {
  let e: unknown = err
  for (let i = 0; i < 5 && isRecord(e); i++) {
    if (typeof e.code === 'string') return e.code
    e = e.cause
  }
  return undefined
}

function errorMessage (err: unknown): string {
  let e: unknown = err
  // Prefer the innermost cause's text: "fetch failed" says nothing.
  for (let i = 0; i < 5 && isRecord(e); i++) {
    if (typeof e.code === 'string' && typeof e.message === 'string') return e.message
    if (e.cause === undefined) break
    e = e.cause
  }
  if (err instanceof Error) return err.message
  return typeof err === 'string' ? err : 'transport error'
}

/** Connection-level failure (no HTTP status) → Outcome. */
export function classifyTransportError (
  err: unknown,
  opts: { readonly firstByteTimeout: boolean, readonly clientAborted: boolean }
): FailureOutcome | { readonly kind: 'client_aborted' } {
  if (opts.clientAborted) return { kind: 'client_aborted' }
  if (opts.firstByteTimeout) return { kind: 'failure', reason: 'timeout', firstByteTimeout: true, message: 'first-byte timeout' }
  const code = errorCode(err)
  const text = errorMessage(err)
  const message = safeMessage(code === undefined || text.includes(code) ? text : `${code}: ${text}`)
  if (code !== undefined && TIMEOUT_CODES.has(code)) return { kind: 'failure', reason: 'timeout', message }
  if (isRecord(err) && err.name === 'TimeoutError') return { kind: 'failure', reason: 'timeout', message }
  return { kind: 'failure', reason: 'unknown', message }
}

/** What to do after an attempt, and where its cooldown applies. */
export function decide (outcome: Outcome): Decision {
  switch (outcome.kind) {
    case 'ok': return { next: 'return', scope: 'none' }
    case 'client_aborted': return { next: 'return', scope: 'none' }
    case 'bad_request': return { next: 'return', scope: 'none' }
    case 'model_not_found': return { next: 'next_model', scope: 'none' }
    case 'failure':
      switch (outcome.reason) {
        case 'rate_limit': return { next: 'next_profile', scope: 'model' }
        case 'billing': return { next: 'next_profile', scope: 'disable' }
        case 'auth':
        case 'timeout':
        case 'format':
        case 'unknown':
          return { next: 'next_profile', scope: 'profile' }
        default: {
          const never: never = outcome.reason
          throw new Error(`unknown reason ${String(never)}`)
        }
      }
    default: {
      const never: never = outcome
      throw new Error(`unknown outcome ${JSON.stringify(never)}`)
    }
  }
}

/**
 * A failure after the response was committed → what to record against the profile. An
 * in-stream upstream error is classified like the HTTP error its type stands for (an
 * overloaded_error cools the model like a 529); a broken or silent stream cools the profile
 * like a 5xx or a timeout; rotor's own deadline says nothing about the upstream's health.
 */
export function classifyLateError (late: LateError, now?: number): LateVerdict {
  switch (late.kind) {
    case 'upstream': {
      // A family that read its own error format said what it signals; else the body is read as a generic one.
      const outcome = late.signal !== undefined
        ? outcomeOf(late.retryAfterMs === undefined ? { status: late.status, signal: late.signal } : { status: late.status, signal: late.signal, retryAfterMs: late.retryAfterMs }, late.message)
        : classifyHttp(late.status, {}, late.raw ?? '', now)
      const { scope } = decide(outcome)
      if (outcome.kind !== 'failure') return { reason: 'format', scope }
      return outcome.retryAfterMs === undefined
        ? { reason: outcome.reason, scope }
        : { reason: outcome.reason, scope, retryAfterMs: outcome.retryAfterMs }
    }
    case 'idle_timeout': return { reason: 'timeout', scope: 'profile' }
    case 'deadline': return { reason: 'timeout', scope: 'none' }
    case 'truncated':
    case 'malformed':
    case 'transport':
      return { reason: 'unknown', scope: 'profile' }
    default: {
      const never: never = late
      throw new Error(`unknown late error ${JSON.stringify(never)}`)
    }
  }
}
