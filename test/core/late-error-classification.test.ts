// classifyLateError: what a failure after commit means for the profile that served it.
import t from 'tap'
import { classifyLateError, outcomeOf } from '../../src/core/classify.ts'

t.test('an in-stream upstream error is classified like the HTTP error its type stands for', async (t) => {
  t.strictSame(classifyLateError({ kind: 'upstream', status: 529, code: 'overloaded_error', message: 'Overloaded' }), { reason: 'rate_limit', scope: 'model' })
  t.strictSame(classifyLateError({ kind: 'upstream', status: 429, code: 'rate_limit_exceeded', message: 'slow down' }), { reason: 'rate_limit', scope: 'model' })
  t.strictSame(classifyLateError({ kind: 'upstream', status: 402, code: 'billing_error', message: 'no credit' }), { reason: 'billing', scope: 'disable' })
  t.strictSame(classifyLateError({ kind: 'upstream', status: 401, code: 'authentication_error', message: 'bad key' }), { reason: 'auth', scope: 'profile' })
  t.strictSame(classifyLateError({ kind: 'upstream', status: 500, code: 'api_error', message: 'boom' }), { reason: 'unknown', scope: 'profile' })
})

t.test('the words of a message never decide: a 500 whose body says overloaded is an overload, a rate-limit text at 400 is not', async (t) => {
  t.strictSame(
    classifyLateError({ kind: 'upstream', status: 503, code: 'server_is_overloaded', message: 'm', raw: '{"error":{"code":"server_is_overloaded"}}' }),
    { reason: 'rate_limit', scope: 'model' },
  )
  t.strictSame(classifyLateError({ kind: 'upstream', status: 400, code: 'invalid_request_error', message: 'rate limit words' }), { reason: 'format', scope: 'none' })
})

t.test('a wait hint in the error body comes back with the verdict', async (t) => {
  const raw = JSON.stringify({ error: { code: 'usage_limit_reached', message: 'limit', resets_in_seconds: 120 } })
  t.strictSame(classifyLateError({ kind: 'upstream', status: 429, code: 'usage_limit_reached', message: 'limit', raw }), { reason: 'billing', scope: 'disable', retryAfterMs: 120_000 })
})

t.test('broken, silent and cut streams cool the profile; the request deadline does not', async (t) => {
  t.strictSame(classifyLateError({ kind: 'truncated', message: 'm' }), { reason: 'unknown', scope: 'profile' })
  t.strictSame(classifyLateError({ kind: 'malformed', message: 'm' }), { reason: 'unknown', scope: 'profile' })
  t.strictSame(classifyLateError({ kind: 'transport', message: 'm' }), { reason: 'unknown', scope: 'profile' })
  t.strictSame(classifyLateError({ kind: 'idle_timeout', message: 'm' }), { reason: 'timeout', scope: 'profile' })
  t.strictSame(classifyLateError({ kind: 'deadline', message: 'm' }), { reason: 'timeout', scope: 'none' })
})

t.test('a late error that carries its family\'s signal is decided like the same error before commit', async (t) => {
  // A Google quota with a known reset: this model cools until then; without one it is billing.
  t.strictSame(
    classifyLateError({ kind: 'upstream', status: 429, code: 'cloudcode_error', message: 'quota', raw: '{"error":{"status":"QUOTA_EXHAUSTED"}}', signal: 'quota', retryAfterMs: 60_000 }),
    { reason: 'rate_limit', scope: 'model', retryAfterMs: 60_000 },
  )
  t.strictSame(classifyLateError({ kind: 'upstream', status: 429, code: 'cloudcode_error', message: 'quota', signal: 'quota' }), { reason: 'billing', scope: 'disable' })
  // A Bedrock exception frame: Amazon-side trouble cools the profile.
  t.strictSame(classifyLateError({ kind: 'upstream', status: 503, code: 'ModelStreamErrorException', message: 'm', signal: 'transient' }), { reason: 'unknown', scope: 'profile' })
  for (const signal of ['rate_limit', 'quota', 'billing', 'overloaded', 'auth', 'timeout', 'model_not_found', 'bad_request', 'transient'] as const) {
    const early = outcomeOf({ status: 429, signal, retryAfterMs: 5000 }, 'm')
    const late = classifyLateError({ kind: 'upstream', status: 429, code: 'x', message: 'm', signal, retryAfterMs: 5000 })
    t.equal(late.reason, early.kind === 'failure' ? early.reason : 'format', `${signal}: the same reason before and after commit`)
  }
})
