import t from 'tap'
import {
  ModelNotFoundError, NoCredentialsError, ProfilesUnavailableError, RateLimitedError, UpstreamAuthFailedError, UpstreamError,
  UpstreamTimeoutError
} from '../../src/core/errors.ts'
import { finalError } from '../../src/core/final-error.ts'
import type { AttemptRecord, SkipRecord } from '../../src/core/final-error.ts'
import type { Reason } from '../../src/core/types.ts'
import { HOUR, MIN, NOW } from '../routing/fixtures.ts'

function failed (ref: string, profileId: string, reason: Reason, message: string, extra: { retryAfterMs?: number, status?: number } = {}, until?: number): AttemptRecord {
  return { ref, profileId, outcome: { kind: 'failure', reason, message, ...extra }, ...(until !== undefined ? { until } : {}) }
}
const rejected = (ref: string, profileId: string, status = 401): AttemptRecord => failed(ref, profileId, 'auth', `HTTP ${status}: invalid x-api-key`, { status })
const notFound = (ref: string, profileId: string): AttemptRecord =>
  ({ ref, profileId, outcome: { kind: 'model_not_found', status: 404, message: 'HTTP 404: no such model' } })
const skip = (ref: string, profileId: string, until: number, reason: Reason = 'rate_limit'): SkipRecord => ({ ref, profileId, until, reason })

t.test('nothing tried and a provider without credentials is no_credentials', async t => {
  const err = finalError([], [], ['anthropic', 'openai'], NOW)
  t.ok(err instanceof NoCredentialsError)
  t.match(err, { status: 503, publicCode: 'no_credentials', message: 'No credentials found for provider anthropic' })
})

t.test('nothing tried and nothing missing is an upstream error', async t => {
  t.ok(finalError([], [], [], NOW) instanceof UpstreamError)
})

t.test('every profile cooling, the soonest by a rate limit, is rate_limited until then', async t => {
  const err = finalError([], [skip('anthropic/claude-opus-4-5', 'anthropic:a', NOW + 90_500), skip('openai/gpt-5.2', 'openai:b', NOW + 5 * MIN, 'billing')], [], NOW)
  t.ok(err instanceof RateLimitedError)
  t.match(err, { status: 429, publicCode: 'rate_limited', retryAfterSeconds: 91, headers: { 'retry-after': '91' } })
})

t.test('every profile blocked, the soonest for another reason, is profiles_unavailable listing profile, reason and until', async t => {
  const err = finalError([], [
    skip('anthropic/claude-opus-4-5', 'anthropic:a', NOW + 5 * MIN),
    skip('openai/gpt-5.2', 'openai:b', NOW + 90_500, 'billing'),
    skip('openai/gpt-5.2', 'openai:c', NOW + HOUR, 'auth'),
  ], [], NOW)
  t.ok(err instanceof ProfilesUnavailableError)
  t.match(err, { status: 503, publicCode: 'profiles_unavailable', retryAfterSeconds: 91, headers: { 'retry-after': '91' } })
  t.equal(err.message, 'No candidate is available: ' +
    'anthropic/claude-opus-4-5 via anthropic:a (rate_limit until 2026-01-01T00:05:00.000Z), ' +
    'openai/gpt-5.2 via openai:b (billing until 2026-01-01T00:01:30.500Z), ' +
    'openai/gpt-5.2 via openai:c (auth until 2026-01-01T01:00:00.000Z); retry in 91s')
})

t.test('profiles cooling after rejected credentials are profiles_unavailable, not rate_limited', async t => {
  const err = finalError([], [skip('a/m', 'a:x', NOW + MIN, 'auth'), skip('a/m', 'a:y', NOW + 5 * MIN, 'auth')], [], NOW)
  t.ok(err instanceof ProfilesUnavailableError)
  t.match(err, { retryAfterSeconds: 60 })
})

t.test('skips beat missing credentials', async t => {
  t.ok(finalError([], [skip('a/b', 'a:x', NOW + HOUR)], ['openai'], NOW) instanceof RateLimitedError)
})

t.test('a rate-limited attempt blocks until the cooldown recorded for it, never less', async t => {
  // Upstream said 20 s; the state store cooled the profile for the first backoff step, 60 s.
  const shortHint = finalError([failed('a/m', 'a:x', 'rate_limit', 'HTTP 429: slow down', { retryAfterMs: 20_000 }, NOW + MIN)], [skip('a/m', 'a:y', NOW + HOUR)], [], NOW)
  t.match(shortHint, { retryAfterSeconds: 60 })
  t.match(shortHint.message, /^All candidates are rate limited or cooling down: a\/m via a:x \(rate_limit until 2026-01-01T00:01:00\.000Z\), .*; upstream said: a\/m via a:x: HTTP 429: slow down \(rate_limit\); retry in 60s$/)
  const longHint = finalError([failed('a/m', 'a:x', 'rate_limit', 'HTTP 429', { retryAfterMs: 300_000 }, NOW + 300_000)], [], [], NOW)
  t.match(longHint, { retryAfterSeconds: 300 })
})

t.test('without a recorded cooldown a rate limit counts for the longer of its hint and one minute', async t => {
  t.match(finalError([failed('a/m', 'a:x', 'rate_limit', 'HTTP 429', { retryAfterMs: 20_000 })], [], [], NOW), { retryAfterSeconds: 60 })
  t.match(finalError([failed('a/m', 'a:x', 'rate_limit', 'HTTP 429', { retryAfterMs: 90_000 })], [], [], NOW), { retryAfterSeconds: 90 })
  t.match(finalError([failed('a/m', 'a:x', 'rate_limit', 'HTTP 429')], [], [], NOW), { retryAfterSeconds: 60 })
})

t.test('retry-after is the soonest any candidate recovers, whatever blocks the others', async t => {
  const sooner = finalError([failed('a/m', 'a:x', 'rate_limit', 'HTTP 429', {}, NOW + MIN)], [skip('a/m', 'a:y', NOW + 10_000, 'auth')], [], NOW)
  t.ok(sooner instanceof ProfilesUnavailableError, 'the soonest is out for auth')
  t.match(sooner, { retryAfterSeconds: 10 })
  const later = finalError([failed('a/m', 'a:x', 'rate_limit', 'HTTP 429', {}, NOW + MIN)], [skip('a/m', 'a:y', NOW + HOUR, 'auth')], [], NOW)
  t.ok(later instanceof RateLimitedError)
  t.match(later, { retryAfterSeconds: 60 })
})

t.test('credentials rejected upstream for every candidate are upstream_auth_failed', async t => {
  const err = finalError([rejected('a/m', 'a:x'), rejected('a/m', 'a:y', 403), rejected('b/n', 'b:z')], [], [], NOW)
  t.ok(err instanceof UpstreamAuthFailedError)
  t.match(err, { status: 502, publicCode: 'upstream_auth_failed', headers: {} })
  t.match(err.message, /^The upstream rejected the credentials of every candidate \(3\): a\/m via a:x: HTTP 401: invalid x-api-key \(auth\) \| /)
  t.notOk('retry-after' in err.headers, 'waiting does not fix a key')
})

t.test('a rejected token whose forced refresh then failed still counts as rejected', async t => {
  const err = finalError([rejected('a/m', 'a:oauth'), failed('a/m', 'a:oauth', 'auth', 'OAuth token refresh failed for a: HTTP 400 invalid_grant')], [skip('a/m', 'a:key', NOW + MIN, 'auth')], [], NOW)
  t.ok(err instanceof UpstreamAuthFailedError)
})

t.test('auth failures next to a candidate blocked for something else are an upstream error', async t => {
  const err = finalError([rejected('a/m', 'a:x')], [skip('a/m', 'a:y', NOW + MIN)], [], NOW)
  t.ok(err instanceof UpstreamError)
  t.match(err.message, /; skipped: a\/m via a:y \(rate_limit until 2026-01-01T00:01:00\.000Z\)$/)
  t.ok(finalError([failed('a/m', 'a:x', 'auth', 'OAuth token refresh failed for a: HTTP 500')], [], [], NOW) instanceof UpstreamError, 'a refresh that failed without any rejection')
  t.ok(finalError([rejected('a/m', 'a:x'), failed('a/m', 'a:y', 'rate_limit', 'HTTP 429')], [], [], NOW) instanceof UpstreamError, 'next to a rate limit')
})

t.test('retry-after is at least one second', async t => {
  t.match(finalError([], [skip('a/m', 'a:x', NOW - 5)], [], NOW), { retryAfterSeconds: 1 })
  t.match(finalError([], [skip('a/m', 'a:x', NOW + 10)], [], NOW), { retryAfterSeconds: 1 })
})

t.test('a model-not-found attempt does not prevent rate_limited when others are cooling', async t => {
  t.ok(finalError([notFound('a/m', 'a:x')], [skip('b/n', 'b:y', NOW + MIN)], [], NOW) instanceof RateLimitedError)
})

t.test('any other failure next to rate limits is an upstream error', async t => {
  const err = finalError([failed('a/m', 'a:x', 'rate_limit', 'HTTP 429'), failed('b/n', 'b:y', 'unknown', 'HTTP 500: boom')], [skip('a/m', 'a:z', NOW + MIN)], [], NOW)
  t.ok(err instanceof UpstreamError)
})

t.test('every attempt timing out is upstream_timeout', async t => {
  const err = finalError([
    { ref: 'a/m', profileId: 'a:x', outcome: { kind: 'failure', reason: 'timeout', message: 'first-byte timeout', firstByteTimeout: true } },
    failed('b/n', 'b:y', 'timeout', 'connect ETIMEDOUT 10.0.0.1:443'),
  ], [], [], NOW)
  t.ok(err instanceof UpstreamTimeoutError)
  t.match(err, { status: 504, message: /^All candidates timed out \(2\): a\/m via a:x: first-byte timeout \(timeout\) \| b\/n via b:y/ })
})

t.test('every attempt model-not-found is model_not_found', async t => {
  const err = finalError([notFound('openrouter/x/y', 'openrouter:k'), notFound('ollama/z', 'ollama:none')], [], [], NOW)
  t.ok(err instanceof ModelNotFoundError)
  t.match(err, { status: 404, message: /^Model "openrouter\/x\/y" not found/ })
})

t.test('mixed failures list every attempt', async t => {
  const err = finalError([
    failed('openai/gpt-5.2', 'openai:work', 'unknown', 'HTTP 500: boom'),
    failed('anthropic/claude-opus-4-5', 'anthropic:me', 'auth', 'HTTP 401: invalid x-api-key'),
    notFound('openrouter/x/y', 'openrouter:k'),
  ], [], [], NOW)
  t.ok(err instanceof UpstreamError)
  t.equal(err.message,
    'All candidates failed (3): openai/gpt-5.2 via openai:work: HTTP 500: boom (unknown) | ' +
    'anthropic/claude-opus-4-5 via anthropic:me: HTTP 401: invalid x-api-key (auth) | ' +
    'openrouter/x/y via openrouter:k: HTTP 404: no such model (model_not_found)')
  t.equal(err.status, 502)
})

t.test('a billing failure is an upstream error that names the reason', async t => {
  const err = finalError([failed('deepseek/deepseek-chat', 'deepseek:env', 'billing', 'HTTP 402: Insufficient Balance')], [], [], NOW)
  t.ok(err instanceof UpstreamError)
  t.match(err.message, /\(billing\)$/)
})
