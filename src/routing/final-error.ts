// The one client-facing error after every candidate failed or was skipped (DESIGN §6 table).
import {
  ModelNotFoundError, NoCredentialsError, RateLimitedError, UpstreamError, UpstreamTimeoutError
} from '../errors.ts'
import type { RotorError } from '../errors.ts'
import type { Outcome, Reason } from './types.ts'

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
}

/** A profile not tried because it was cooling down or disabled (or its probe was taken). */
export interface SkipRecord {
  readonly ref: string
  readonly profileId: string
  readonly until: number
  readonly reason: Reason
}

// A rate-limited attempt without a hint is cooled for at least the first backoff step.
const DEFAULT_RATE_LIMIT_MS = 60_000

const isRateLimit = (a: AttemptRecord): boolean => a.outcome.kind === 'failure' && a.outcome.reason === 'rate_limit'
const isTimeout = (a: AttemptRecord): boolean => a.outcome.kind === 'failure' && a.outcome.reason === 'timeout'

function describe (a: AttemptRecord): string {
  const label = a.outcome.kind === 'failure' ? a.outcome.reason : a.outcome.kind
  return `${a.ref} via ${a.profileId}: ${a.outcome.message} (${label})`
}

const list = (attempts: readonly AttemptRecord[]): string => attempts.map(describe).join(' | ')

/**
 * Precedence:
 * 1. nothing tried, nothing skipped, a provider without credentials → 503 no_credentials;
 * 2. every attempt rate-limited (model-not-found attempts are neutral) with at least one
 *    skip or rate limit → 429, Retry-After = time to the earliest known `until`;
 * 3. every attempt a timeout → 504;
 * 4. every attempt model-not-found → 404;
 * 5. otherwise → 502 listing each attempt.
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

  const rateLimited = attempts.filter(isRateLimit)
  const onlyRateLimits = attempts.every(a => isRateLimit(a) || a.outcome.kind === 'model_not_found')
  if (onlyRateLimits && (skipped.length > 0 || rateLimited.length > 0)) {
    const untils = [
      ...skipped.map(s => s.until),
      ...rateLimited.map(a => now + (a.outcome.kind === 'failure' ? a.outcome.retryAfterMs ?? DEFAULT_RATE_LIMIT_MS : DEFAULT_RATE_LIMIT_MS))
    ]
    const seconds = Math.max(1, Math.ceil((Math.min(...untils) - now) / 1000))
    const what = rateLimited.length > 0
      ? `rate limited: ${list(rateLimited)}`
      : `cooling down: ${skipped.map(s => `${s.ref} via ${s.profileId} (${s.reason})`).join(', ')}`
    return new RateLimitedError(`All candidates are rate limited or cooling down (${what}); retry in ${seconds}s`, seconds)
  }

  if (attempts.length > 0 && attempts.every(isTimeout)) {
    return new UpstreamTimeoutError(`All candidates timed out (${attempts.length}): ${list(attempts)}`)
  }

  if (attempts.length > 0 && attempts.every(a => a.outcome.kind === 'model_not_found')) {
    const first = attempts[0]
    return new ModelNotFoundError(`Model "${first.ref}" not found: ${list(attempts)}`)
  }

  return new UpstreamError(`All candidates failed (${attempts.length}): ${list(attempts)}`)
}
