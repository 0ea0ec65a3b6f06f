// Cloud Code Assist error answers (Google RPC: `{"error":{code, message, status, details}}`, or
// the same wrapped in a one-element array) → core's error signals, which core turns into
// outcomes (outcomeOf), for HTTP answers and in-stream errors alike. Pure: status, headers, body
// text and `now` in. The wait hints Google gives are RetryInfo.retryDelay ("12.5s"), ErrorInfo
// metadata.quotaResetDelay ("3h2m1s") / quotaResetTimeStamp (RFC 3339), a "reset after 1h2m3s"
// sentence, and Retry-After; the longest one wins.
//
// 429 RESOURCE_EXHAUSTED is a rate limit of this profile for this model, cooled until the wait
// the upstream names. That holds for an exhausted quota too (ErrorInfo QUOTA_EXHAUSTED, or a
// wait of LONG_WAIT_MS or more): Antigravity quotas are per model, so cooling the profile's
// other models — a billing disable — would be wrong, and the reset time is exact. A quota
// exhaustion without any reset time is a billing-class failure (long backoff).
import {
  classifyHttp, outcomeOf, parseDurationMs, retryAfterFromHeaders, safeMessage, type HttpHeaders, type HttpOutcome,
} from '../../core/classify.ts'
import type { ErrorSignal, UpstreamErrorFacts } from '../../core/types.ts'
import { isRecord } from '../../core/json.ts'
import { positiveMs } from '../../core/numbers.ts'

/** A wait this long (or an ErrorInfo QUOTA_EXHAUSTED) means a quota window, not a burst limit. */
export const LONG_WAIT_MS = 10 * 60_000

export interface GoogleError {
  readonly code: number | undefined
  /** google.rpc.Code name, e.g. RESOURCE_EXHAUSTED. */
  readonly status: string | undefined
  readonly message: string | undefined
  /** ErrorInfo.reason, e.g. QUOTA_EXHAUSTED, RATE_LIMIT_EXCEEDED. */
  readonly reason: string | undefined
  /** Longest wait hint in the body, ms. */
  readonly waitMs: number | undefined
}

const RESET_AFTER = /reset after ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)/i
const CAPACITY = /overload|capacity/i

function longest (...waits: Array<number | undefined>): number | undefined {
  let best: number | undefined
  for (const w of waits) if (w !== undefined && (best === undefined || w > best)) best = w
  return best
}

/** The Google RPC error in a body, or undefined when the body is not one. */
export function parseGoogleError (text: string, now?: number): GoogleError | undefined {
  let json: unknown
  try { json = JSON.parse(text) } catch { return undefined }
  if (Array.isArray(json)) json = json[0]
  const err = isRecord(json) ? json.error : undefined
  if (!isRecord(err)) return undefined
  return googleError(err, now)
}

/** The fields of one `error` object (also used for errors inside a 200 stream). */
export function googleError (err: Record<string, unknown>, now?: number): GoogleError {
  let reason: string | undefined
  let waitMs: number | undefined
  const message = typeof err.message === 'string' ? err.message : undefined
  if (Array.isArray(err.details)) {
    for (const d of err.details) {
      if (!isRecord(d)) continue
      if (typeof d.retryDelay === 'string') waitMs = longest(waitMs, positiveMs(parseDurationMs(d.retryDelay)))
      if (typeof d.reason === 'string') reason ??= d.reason
      const meta = d.metadata
      if (isRecord(meta)) {
        if (typeof meta.quotaResetDelay === 'string') waitMs = longest(waitMs, positiveMs(parseDurationMs(meta.quotaResetDelay)))
        if (typeof meta.quotaResetTimeStamp === 'string' && now !== undefined) {
          const at = Date.parse(meta.quotaResetTimeStamp)
          if (!Number.isNaN(at)) waitMs = longest(waitMs, positiveMs(at - now))
        }
      }
    }
  }
  const sentence = message === undefined ? null : RESET_AFTER.exec(message)
  if (sentence !== null) waitMs = longest(waitMs, positiveMs(parseDurationMs(sentence[1])))
  return {
    code: typeof err.code === 'number' ? err.code : undefined,
    status: typeof err.status === 'string' ? err.status : undefined,
    message,
    reason,
    waitMs,
  }
}

/** What a Google RPC error signals; undefined when neither its status nor its code says (then the generic rules apply). */
function googleSignal (status: number, g: GoogleError, bodyText: string): ErrorSignal | undefined {
  if (status === 429 || g.status === 'RESOURCE_EXHAUSTED') {
    const quota = g.reason === 'QUOTA_EXHAUSTED' || (g.waitMs !== undefined && g.waitMs >= LONG_WAIT_MS)
    return quota ? 'quota' : 'rate_limit'
  }
  if (status === 401 || g.status === 'UNAUTHENTICATED') return 'auth'
  if (status === 403 || g.status === 'PERMISSION_DENIED') return 'auth'
  if (status === 404 || g.status === 'NOT_FOUND') return 'model_not_found'
  if (status === 529) return 'overloaded'
  if (status === 503 || g.status === 'UNAVAILABLE') return CAPACITY.test(bodyText.slice(0, 16_384)) ? 'overloaded' : 'transient'
  if (status === 504 || g.status === 'DEADLINE_EXCEEDED') return 'timeout'
  if (status >= 500) return 'transient'
  if (status >= 400) return 'bad_request'
  return undefined
}

/**
 * A Cloud Code Assist error (an HTTP answer, or an error in the stream) in core's words, with
 * its message; undefined when the body is no Google error or says nothing rotor reads.
 */
export function cloudCodeError (status: number, headers: HttpHeaders, bodyText: string, now?: number): { facts: UpstreamErrorFacts, message: string } | undefined {
  const g = parseGoogleError(bodyText, now)
  if (g === undefined) return undefined
  const signal = googleSignal(status, g, bodyText)
  if (signal === undefined) return undefined
  const label = [g.status, g.reason].filter((s) => s !== undefined).join('/')
  const text = `HTTP ${status}${label === '' ? '' : ` ${label}`}${g.message === undefined ? '' : `: ${g.message}`}`
  const waitMs = longest(retryAfterFromHeaders(headers, now), g.waitMs)
  return { facts: waitMs === undefined ? { status, signal } : { status, signal, retryAfterMs: waitMs }, message: safeMessage(text) }
}

/** Outcome of a non-2xx Cloud Code Assist answer (also of an error event before any output). */
export function classifyCloudCodeError (status: number, headers: HttpHeaders, bodyText: string, now?: number): HttpOutcome {
  const e = cloudCodeError(status, headers, bodyText, now)
  return e === undefined ? classifyHttp(status, headers, bodyText, now) : outcomeOf(e.facts, e.message)
}
