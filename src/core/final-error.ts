// The one client-facing error after every candidate failed or was skipped (docs/http-api.md, "Which error when every candidate failed").
import {
  ModelNotFoundError, NoCredentialsError, ProfilesUnavailableError, RateLimitedError, UpstreamAuthFailedError,
  UpstreamError, UpstreamTimeoutError
} from './errors.ts'
import type { RotorError } from './errors.ts'
import { outcomeLabel, type Outcome, type Reason } from './types.ts'

/**
 * What a failed attempt came to. `bad_request` is accepted so callers may record the attempt
 * before acting on `decide()`; it ends the request, so it never reaches finalError in practice.
 */
export type AttemptFailure = Extract<Outcome, { kind: 'failure' } | { kind: 'model_not_found' } | { kind: 'bad_request' }>

/** One upstream attempt that did not succeed. */
export interface AttemptRecord {
  /** `provider/model`. */
  readonly ref: string
  readonly profileId: string
  readonly outcome: AttemptFailure
  readonly durationMs?: number
  /**
   * Until when (ms epoch) the failure blocks this candidate, as the state store recorded it:
   * the cooldown it set, which is never shorter than the upstream's own hint.
   */
  readonly until?: number
}

/** A profile not tried because it was cooling down or disabled (or its probe was taken). */
export interface SkipRecord {
  readonly ref: string
  readonly profileId: string
  readonly until: number
  readonly reason: Reason
}

// The first backoff step: the least a rate limit cools a candidate for (the state store's
// `until` is used whenever the caller has it).
const DEFAULT_RATE_LIMIT_MS = 60_000

const isRateLimit = (a: AttemptRecord): boolean => a.outcome.kind === 'failure' && a.outcome.reason === 'rate_limit'
const isTimeout = (a: AttemptRecord): boolean => a.outcome.kind === 'failure' && a.outcome.reason === 'timeout'
const isAuth = (a: AttemptRecord): boolean => a.outcome.kind === 'failure' && a.outcome.reason === 'auth'
const isRejection = (a: AttemptRecord): boolean => isAuth(a) && (a.outcome.status === 401 || a.outcome.status === 403)

function describe (a: AttemptRecord): string {
  return `${a.ref} via ${a.profileId}: ${a.outcome.message} (${outcomeLabel(a.outcome)})`
}

const list = (attempts: readonly AttemptRecord[]): string => attempts.map(describe).join(' | ')

const describeSkip = (s: SkipRecord): string => `${s.ref} via ${s.profileId} (${s.reason} until ${new Date(s.until).toISOString()})`

/** Skipped candidates, for the end of a message that lists attempts. */
const skippedSuffix = (skipped: readonly SkipRecord[]): string =>
  skipped.length === 0 ? '' : `; skipped: ${skipped.map(describeSkip).join(', ')}`

/**
 * Every candidate was tried (at least once per request) and its credentials were rejected
 * (401/403, a failed refresh after one counts too), and any skipped one is out for auth as well.
 */
function everyCredentialRejected (tried: readonly AttemptRecord[], skipped: readonly SkipRecord[]): boolean {
  if (!tried.every(isAuth) || !skipped.every((s) => s.reason === 'auth')) return false
  const rejected = new Set(tried.filter(isRejection).map((a) => `${a.ref}|${a.profileId}`))
  return tried.every((a) => rejected.has(`${a.ref}|${a.profileId}`))
}

/**
 * Precedence:
 * 1. nothing tried, nothing skipped: a provider without credentials → 503 no_credentials;
 * 2. an attempt failed for another reason than a rate limit (model-not-found attempts are
 *    neutral): every candidate's credentials rejected → 502 upstream_auth_failed; every
 *    attempt a timeout → 504 upstream_timeout; else 502 upstream_error listing each attempt;
 * 3. every attempt model-not-found and nothing skipped → 404;
 * 4. otherwise every candidate is blocked (rate-limited now, or skipped): Retry-After is the
 *    time until the soonest of them recovers, which is when rotor would next try one; 429
 *    rate_limited when that one is blocked by a rate limit, else 503 profiles_unavailable.
 */
export function finalError (
  attempts: readonly AttemptRecord[],
  skipped: readonly SkipRecord[],
  noCredentialProviders: readonly string[],
  now: number
): RotorError {
  if (attempts.length === 0 && skipped.length === 0) {
    if (noCredentialProviders.length > 0) return new NoCredentialsError(noCredentialProviders[0])
    return new UpstreamError('All candidates failed (0): no candidate could be tried')
  }

  const tried = attempts.filter((a) => a.outcome.kind !== 'model_not_found')
  if (tried.some((a) => !isRateLimit(a))) {
    if (everyCredentialRejected(tried, skipped)) {
      return new UpstreamAuthFailedError(`The upstream rejected the credentials of every candidate (${attempts.length}): ${list(attempts)}${skippedSuffix(skipped)}`)
    }
    if (tried.every(isTimeout)) return new UpstreamTimeoutError(`All candidates timed out (${attempts.length}): ${list(attempts)}`)
    return new UpstreamError(`All candidates failed (${attempts.length}): ${list(attempts)}${skippedSuffix(skipped)}`)
  }

  const blocked: SkipRecord[] = [
    ...tried.map((a) => ({
      ref: a.ref,
      profileId: a.profileId,
      reason: 'rate_limit' as const,
      until: a.until ?? now + Math.max(DEFAULT_RATE_LIMIT_MS, a.outcome.kind === 'failure' ? a.outcome.retryAfterMs ?? 0 : 0),
    })),
    ...skipped,
  ]
  if (blocked.length === 0) {
    const first = attempts[0]
    return new ModelNotFoundError(`Model "${first.ref}" not found: ${list(attempts)}`)
  }
  let soonest = blocked[0]
  for (const b of blocked) if (b.until < soonest.until) soonest = b
  const seconds = Math.max(1, Math.ceil((soonest.until - now) / 1000))
  const what = blocked.map(describeSkip).join(', ')
  const upstream = tried.length === 0 ? '' : `; upstream said: ${list(tried)}`
  if (soonest.reason === 'rate_limit') {
    return new RateLimitedError(`All candidates are rate limited or cooling down: ${what}${upstream}; retry in ${seconds}s`, seconds)
  }
  return new ProfilesUnavailableError(`No candidate is available: ${what}; retry in ${seconds}s`, seconds)
}
