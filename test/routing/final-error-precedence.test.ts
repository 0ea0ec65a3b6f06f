import t from 'tap'
import {
  ModelNotFoundError, NoCredentialsError, RateLimitedError, UpstreamError, UpstreamTimeoutError
} from '../../src/errors.ts'
import { finalError } from '../../src/routing/index.ts'
import type { AttemptRecord, Reason, SkipRecord } from '../../src/routing/index.ts'
import { HOUR, MIN, NOW } from './fixtures.ts'

function failed (ref: string, profileId: string, reason: Reason, message: string, extra: { retryAfterMs?: number, status?: number } = {}): AttemptRecord {
  return { ref, profileId, outcome: { kind: 'failure', reason, message, ...extra } }
}
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

t.test('every profile cooling is rate_limited with the earliest until', async t => {
  const err = finalError([], [skip('anthropic/claude-opus-4-5', 'anthropic:a', NOW + 5 * MIN), skip('openai/gpt-5.2', 'openai:b', NOW + 90_500, 'billing')], [], NOW)
  t.ok(err instanceof RateLimitedError)
  t.match(err, { status: 429, retryAfterSeconds: 91, headers: { 'retry-after': '91' } })
})

t.test('skips beat missing credentials', async t => {
  t.ok(finalError([], [skip('a/b', 'a:x', NOW + HOUR)], ['openai'], NOW) instanceof RateLimitedError)
})

t.test('rate-limited attempts contribute their retry hint, else one minute', async t => {
  const withHint = finalError([failed('a/m', 'a:x', 'rate_limit', 'HTTP 429: slow down', { retryAfterMs: 20_000 })], [skip('a/m', 'a:y', NOW + HOUR)], [], NOW)
  t.match(withHint, { retryAfterSeconds: 20 })
  const noHint = finalError([failed('a/m', 'a:x', 'rate_limit', 'HTTP 429')], [], [], NOW)
  t.match(noHint, { retryAfterSeconds: 60 })
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
