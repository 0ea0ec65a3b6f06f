// Cloud Code Assist error answers → Outcomes: the pure mapping the cooldown table depends on.
import t from 'tap'
import { classifyCloudCodeError, LONG_WAIT_MS, parseGoogleError } from '../../../src/providers/gemini/errors.ts'
import { decide } from '../../../src/core/classify.ts'
import { createSecretRegistry } from '../../../src/auth/secret-registry.ts'
import { fromUpstream } from '../../../src/server/upstream-text.ts'
import { googleError } from '../../helpers/fake-cloudcode.ts'

const NOW = Date.parse('2026-01-24T00:00:00Z')
const retryInfo = (delay: string): unknown => ({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay })
const errorInfo = (reason: string, metadata?: Record<string, string>): unknown =>
  ({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'cloudcode-pa.googleapis.com', ...(metadata !== undefined ? { metadata } : {}) })
const classify = (status: number, body: unknown, headers: Record<string, string> = {}): ReturnType<typeof classifyCloudCodeError> =>
  classifyCloudCodeError(status, headers, typeof body === 'string' ? body : JSON.stringify(body), NOW)

t.test('a short 429 RESOURCE_EXHAUSTED is a rate limit of this model, cooled for RetryInfo.retryDelay', async (t) => {
  const o = classify(429, googleError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted', [errorInfo('RATE_LIMIT_EXCEEDED'), retryInfo('12.5s')]))
  t.strictSame(o, { kind: 'failure', reason: 'rate_limit', status: 429, message: 'HTTP 429 RESOURCE_EXHAUSTED/RATE_LIMIT_EXCEEDED: Resource has been exhausted', retryAfterMs: 12500 })
  t.strictSame(decide(o), { next: 'next_profile', scope: 'model' })
})

t.test('QUOTA_EXHAUSTED with quotaResetDelay stays model-scoped but lasts until the reset', async (t) => {
  const o = classify(429, googleError(429, 'RESOURCE_EXHAUSTED', 'You have exhausted your capacity on this model.', [errorInfo('QUOTA_EXHAUSTED', { quotaResetDelay: '3h2m5.5s' })]))
  t.equal(o.kind === 'failure' && o.reason, 'rate_limit')
  t.equal(o.kind === 'failure' && o.retryAfterMs, (3 * 3600 + 2 * 60 + 5.5) * 1000)
  t.strictSame(decide(o), { next: 'next_profile', scope: 'model' })
})

t.test('the reset time may come as a timestamp, a sentence, or Retry-After; the longest wait wins', async (t) => {
  const stamp = classify(429, googleError(429, 'RESOURCE_EXHAUSTED', 'quota', [errorInfo('QUOTA_EXHAUSTED', { quotaResetTimeStamp: '2026-01-24T05:00:00Z' })]))
  t.equal(stamp.kind === 'failure' && stamp.retryAfterMs, 5 * 3600_000)
  const sentence = classify(429, googleError(429, 'RESOURCE_EXHAUSTED', 'Your quota will reset after 18h31m10s.'))
  t.equal(sentence.kind === 'failure' && sentence.retryAfterMs, (18 * 3600 + 31 * 60 + 10) * 1000)
  const header = classify(429, googleError(429, 'RESOURCE_EXHAUSTED', 'slow down', [retryInfo('2s')]), { 'retry-after': '90' })
  t.equal(header.kind === 'failure' && header.retryAfterMs, 90_000)
})

t.test('an exhausted quota without any reset time is a billing-class failure (long backoff, whole profile)', async (t) => {
  const o = classify(429, googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exhausted', [errorInfo('QUOTA_EXHAUSTED')]))
  t.equal(o.kind === 'failure' && o.reason, 'billing')
  t.strictSame(decide(o), { next: 'next_profile', scope: 'disable' })
})

t.test('a plain 429 with no hint is a rate limit without a wait', async (t) => {
  t.strictSame(classify(429, googleError(429, 'RESOURCE_EXHAUSTED', 'Too many requests')), { kind: 'failure', reason: 'rate_limit', status: 429, message: 'HTTP 429 RESOURCE_EXHAUSTED: Too many requests' })
  t.ok(LONG_WAIT_MS >= 60_000)
})

t.test('401 and 403 are auth failures (the gateway refreshes once, then cools the profile)', async (t) => {
  const unauth = classify(401, googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'))
  t.equal(unauth.kind === 'failure' && unauth.reason, 'auth')
  const denied = classify(403, googleError(403, 'PERMISSION_DENIED', 'Cloud Code Private API has not been used in project 123'))
  t.equal(denied.kind === 'failure' && denied.reason, 'auth')
  t.strictSame(decide(denied), { next: 'next_profile', scope: 'profile' })
})

t.test('404 is a missing model: next model, no cooldown', async (t) => {
  const o = classify(404, googleError(404, 'NOT_FOUND', 'Requested entity was not found.'))
  t.strictSame(o, { kind: 'model_not_found', status: 404, message: 'HTTP 404 NOT_FOUND: Requested entity was not found.' })
})

t.test('400 INVALID_ARGUMENT (context too long included) goes back to the client', async (t) => {
  const o = classify(400, googleError(400, 'INVALID_ARGUMENT', 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).'))
  t.equal(o.kind, 'bad_request')
  t.strictSame(decide(o), { next: 'return', scope: 'none' })
})

t.test('overload (503 capacity, 529) is a per-model rate limit; other 5xx cool the profile; 504 is a timeout', async (t) => {
  const capacity = classify(503, googleError(503, 'UNAVAILABLE', 'No capacity available for model gemini-3-pro-high on the server', [errorInfo('MODEL_CAPACITY_EXHAUSTED')]))
  t.equal(capacity.kind === 'failure' && capacity.reason, 'rate_limit')
  const c529 = classify(529, googleError(529, 'UNAVAILABLE', 'Overloaded'))
  t.equal(c529.kind === 'failure' && c529.reason, 'rate_limit')
  const plain503 = classify(503, googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.'))
  t.equal(plain503.kind === 'failure' && plain503.reason, 'unknown')
  const internal = classify(500, googleError(500, 'INTERNAL', 'Internal error encountered.'))
  t.equal(internal.kind === 'failure' && internal.reason, 'unknown')
  const deadline = classify(504, googleError(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'))
  t.equal(deadline.kind === 'failure' && deadline.reason, 'timeout')
})

t.test('an error wrapped in an array parses too; a non-Google body falls back to the generic classifier', async (t) => {
  t.equal(parseGoogleError(JSON.stringify([googleError(429, 'RESOURCE_EXHAUSTED', 'x', [retryInfo('3s')])]))?.waitMs, 3000)
  const html = classify(502, '<html><body>Bad Gateway</body></html>')
  t.strictSame(html, { kind: 'failure', reason: 'unknown', status: 502, message: 'HTTP 502' })
})

t.test('an access token echoed in the message is masked where the text enters the gateway', async (t) => {
  // Classification keeps the upstream's text; src/server/upstream-text.ts scrubs it (by value,
  // with the prefix patterns as a backstop even for a token rotor never held).
  const o = classify(401, googleError(401, 'UNAUTHENTICATED', 'token ya29.a0AfH6SMBxyzSecretTokenValue1234567890 is invalid'))
  const scrubbed = fromUpstream(o, createSecretRegistry(), 'ya29.other-token-rotor-sent-0000')
  t.notMatch(scrubbed.kind === 'failure' ? scrubbed.message : '', /SecretTokenValue/)
})
