import t from 'tap'
import { classifyHttp, classifyTransportError, decide, parseDurationMs, retryAfterFromHeaders, safeMessage } from '../../src/core/classify.ts'
import type { Outcome } from '../../src/core/types.ts'
import { NOW } from '../routing/fixtures.ts'

const openai = (code: string, message: string): string => JSON.stringify({ error: { message, type: code, param: null, code } })
const anthropic = (type: string, message: string): string => JSON.stringify({ type: 'error', error: { type, message } })

t.test('HTTP statuses and bodies classify per the failover table', async t => {
  const cases: Array<[string, number, string, string, string?]> = [
    // name, status, body, kind, reason
    ['429 rate limit', 429, openai('rate_limit_exceeded', 'Rate limit reached for requests'), 'failure', 'rate_limit'],
    ['429 insufficient_quota is billing', 429, openai('insufficient_quota', 'You exceeded your current quota, please check your plan'), 'failure', 'billing'],
    ['429 quota text alone is billing', 429, '{"error":{"message":"You exceeded your current quota"}}', 'failure', 'billing'],
    ['429 codex usage_limit_reached is billing', 429, '{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached"}}', 'failure', 'billing'],
    ['429 google QUOTA_EXHAUSTED is billing', 429, '{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"x","details":[{"reason":"QUOTA_EXHAUSTED"}]}}', 'failure', 'billing'],
    ['429 anthropic rate_limit_error', 429, anthropic('rate_limit_error', 'Number of requests has exceeded your rate limit'), 'failure', 'rate_limit'],
    ['529 overloaded', 529, anthropic('overloaded_error', 'Overloaded'), 'failure', 'rate_limit'],
    ['529 with an empty body', 529, '', 'failure', 'rate_limit'],
    ['503 overloaded', 503, openai('server_error', 'The engine is currently overloaded'), 'failure', 'rate_limit'],
    ['503 without overload wording', 503, 'Service Unavailable', 'failure', 'unknown'],
    ['500', 500, openai('server_error', 'boom'), 'failure', 'unknown'],
    ['502', 502, '<html>bad gateway</html>', 'failure', 'unknown'],
    ['402 billing (openrouter)', 402, '{"error":{"code":402,"message":"Insufficient credits"}}', 'failure', 'billing'],
    ['402 billing (venice)', 402, '{"error":"Insufficient USD or Diem balance to complete request"}', 'failure', 'billing'],
    ['402 Venice "Authentication required" is auth', 402, '{"error":"Authentication required"}', 'failure', 'auth'],
    ['400 credit balance is billing', 400, anthropic('invalid_request_error', 'Your credit balance is too low to access the Anthropic API.'), 'failure', 'billing'],
    ['401', 401, anthropic('authentication_error', 'invalid x-api-key'), 'failure', 'auth'],
    ['403', 403, anthropic('permission_error', 'OAuth token not allowed'), 'failure', 'auth'],
    ['403 moderation flag is a bad request', 403, '{"error":{"code":403,"message":"Input was flagged","metadata":{"reasons":["x"]}}}', 'bad_request'],
    ['404', 404, anthropic('not_found_error', 'model: claude-9'), 'model_not_found'],
    ['400 model_not_found', 400, openai('model_not_found', 'The model does not exist'), 'model_not_found'],
    ['400 copilot model_not_supported', 400, '{"error":{"code":"model_not_supported","message":"The requested model is not supported."}}', 'model_not_found'],
    ['400 openrouter invalid model id', 400, '{"error":{"code":400,"message":"foo/bar is not a valid model ID"}}', 'model_not_found'],
    ['408', 408, '', 'failure', 'timeout'],
    ['400 context too long', 400, openai('context_length_exceeded', "This model's maximum context length is 128000 tokens"), 'bad_request'],
    ['413', 413, '', 'bad_request'],
    ['422', 422, '{"error":{"message":"bad param"}}', 'bad_request'],
  ]
  for (const [name, status, body, kind, reason] of cases) {
    const o = classifyHttp(status, {}, body, NOW)
    t.equal(o.kind, kind, `${name}: kind`)
    if (reason !== undefined) t.equal(o.kind === 'failure' ? o.reason : undefined, reason, `${name}: reason`)
    t.equal(o.status, status, `${name}: status`)
  }
})

t.test('the message is HTTP status plus the upstream error message', async t => {
  const msg = (status: number, body: string): string => {
    const o = classifyHttp(status, {}, body)
    return o.message
  }
  t.equal(msg(500, '{"error":{"message":"boom"}}'), 'HTTP 500: boom')
  t.equal(msg(402, '{"error":"Insufficient balance"}'), 'HTTP 402: Insufficient balance')
  t.equal(msg(400, '{"message":"bad thing"}'), 'HTTP 400: bad thing')
  t.equal(msg(502, 'upstream connect error'), 'HTTP 502: upstream connect error')
  t.equal(msg(502, '<html><body>Bad gateway</body></html>'), 'HTTP 502')
  t.equal(msg(500, ''), 'HTTP 500')
  const long = msg(500, JSON.stringify({ error: { message: 'word '.repeat(200) } }))
  t.equal(long.length, 'HTTP 500: '.length + 200)
  t.match(long, /word…$/, 'cut after a whole word')
})

t.test('a truncated message never ends in the head of a token', async t => {
  const key = 'Zq8xT2mN9pL4vR7wK3jH6cF1aB5dE0gY'
  // The cut falls inside the key: the whole key goes, not just its tail.
  t.equal(safeMessage(`Invalid key ${key} given`, 20), 'Invalid key …')
  t.equal(safeMessage(`Invalid key=${key}`, 20), 'Invalid …')
  t.equal(safeMessage(key.repeat(10), 50), '…', 'one long token: nothing of it is kept')
  t.equal(safeMessage(`a  b\n\tc ${key}`), `a b c ${key}`, 'short texts are only collapsed: secrets are scrubbed where text leaves rotor')
})

t.test('retry hints come from retry-after, retry-after-ms and reset headers', async t => {
  const cases: Array<[string, Record<string, string | string[] | undefined>, number | undefined]> = [
    ['seconds', { 'retry-after': '30' }, 30_000],
    ['http date', { 'retry-after': new Date(NOW + 90_000).toUTCString() }, 90_000],
    ['date in the past', { 'retry-after': new Date(NOW - 90_000).toUTCString() }, undefined],
    ['retry-after-ms beats retry-after', { 'retry-after-ms': '1500', 'retry-after': '30' }, 1500],
    ['header names are case-insensitive', { 'Retry-After': '7' }, 7000],
    ['array values use the first', { 'retry-after': ['3', '9'] }, 3000],
    ['openai reset 6m0s', { 'x-ratelimit-reset-requests': '6m0s' }, 360_000],
    ['openai reset 1.5s', { 'x-ratelimit-reset-tokens': '1.5s' }, 1500],
    ['openai reset 20ms', { 'x-ratelimit-reset-tokens': '20ms' }, 20],
    ['soonest reset when none is reported exhausted', { 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-reset-tokens': '2s' }, 2000],
    ['the exhausted limit decides', {
      'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-tokens': '2s', 'x-ratelimit-remaining-tokens': '5000',
    }, 360_000],
    ['anthropic RFC 3339 reset', { 'anthropic-ratelimit-requests-reset': new Date(NOW + 42_000).toISOString() }, 42_000],
    ['garbage', { 'retry-after': 'soon', 'x-ratelimit-reset-tokens': 'later' }, undefined],
    ['none', {}, undefined],
  ]
  for (const [name, headers, expected] of cases) t.equal(retryAfterFromHeaders(headers, NOW), expected, name)
  t.equal(retryAfterFromHeaders({ 'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:42Z' }), undefined, 'dates need now')
})

t.test('parseDurationMs reads Go-style durations', async t => {
  const cases: Array<[string, number | undefined]> = [['6m0s', 360_000], ['1h2m3s', 3_723_000], ['0.5s', 500], ['20ms', 20], ['12', 12_000], ['1x', undefined], ['', undefined]]
  for (const [text, ms] of cases) t.equal(parseDurationMs(text), ms, text)
})

t.test('classifyHttp attaches the retry hint to failures only', async t => {
  const h = { 'retry-after': '20' }
  t.match(classifyHttp(429, h, '', NOW), { kind: 'failure', reason: 'rate_limit', retryAfterMs: 20_000 })
  t.match(classifyHttp(503, h, '', NOW), { kind: 'failure', reason: 'unknown', retryAfterMs: 20_000 })
  t.notOk('retryAfterMs' in classifyHttp(400, h, '', NOW))
  t.notOk('retryAfterMs' in classifyHttp(429, {}, '', NOW))
})

t.test('body-level reset hints are used when headers have none', async t => {
  t.match(classifyHttp(429, {}, '{"error":{"type":"usage_limit_reached","message":"limit","resets_in_seconds":3600}}', NOW), { reason: 'billing', retryAfterMs: 3_600_000 })
  t.match(classifyHttp(429, {}, '{"error":{"code":429,"message":"x","details":[{"@type":"RetryInfo","retryDelay":"36s"}]}}', NOW), { reason: 'rate_limit', retryAfterMs: 36_000 })
})

function codeError (code: string, message: string): Error {
  return Object.assign(new Error(message), { code })
}

t.test('transport errors classify by code', async t => {
  const none = { firstByteTimeout: false, clientAborted: false }
  const cases: Array<[string, unknown, string]> = [
    ['refused', codeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1234'), 'unknown'],
    ['reset', codeError('ECONNRESET', 'read ECONNRESET'), 'unknown'],
    ['socket', codeError('UND_ERR_SOCKET', 'other side closed'), 'unknown'],
    ['epipe', codeError('EPIPE', 'write EPIPE'), 'unknown'],
    ['dns', codeError('ENOTFOUND', 'getaddrinfo ENOTFOUND nowhere.invalid'), 'unknown'],
    ['headers timeout', codeError('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error'), 'timeout'],
    ['connect timeout', codeError('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error'), 'timeout'],
    ['body timeout', codeError('UND_ERR_BODY_TIMEOUT', 'Body Timeout Error'), 'timeout'],
    ['etimedout', codeError('ETIMEDOUT', 'connect ETIMEDOUT'), 'timeout'],
    ['wrapped by fetch', new TypeError('fetch failed', { cause: codeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9') }), 'unknown'],
    ['a plain string', 'weird', 'unknown'],
  ]
  for (const [name, err, reason] of cases) t.match(classifyTransportError(err, none), { kind: 'failure', reason }, name)
})

t.test('transport error messages name the code', async t => {
  const none = { firstByteTimeout: false, clientAborted: false }
  t.match(classifyTransportError(codeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1234'), none), { message: 'connect ECONNREFUSED 127.0.0.1:1234' })
  t.match(classifyTransportError(codeError('UND_ERR_SOCKET', 'other side closed'), none), { message: 'UND_ERR_SOCKET: other side closed' })
  t.match(classifyTransportError(new TypeError('fetch failed', { cause: codeError('ECONNRESET', 'read ECONNRESET') }), none), { message: 'read ECONNRESET' })
})

t.test('client abort and first-byte timeout take precedence', async t => {
  const err = codeError('ECONNRESET', 'aborted')
  t.same(classifyTransportError(err, { firstByteTimeout: true, clientAborted: true }), { kind: 'client_aborted' })
  t.match(classifyTransportError(err, { firstByteTimeout: true, clientAborted: false }), { kind: 'failure', reason: 'timeout', firstByteTimeout: true })
  const plain = classifyTransportError(codeError('ETIMEDOUT', 'x'), { firstByteTimeout: false, clientAborted: false })
  t.equal(plain.kind === 'failure' ? plain.firstByteTimeout : 'n/a', undefined)
})

t.test('decide maps each outcome to the next step and cooldown scope', async t => {
  const f = (reason: 'rate_limit' | 'billing' | 'auth' | 'timeout' | 'format' | 'unknown'): Outcome => ({ kind: 'failure', reason, message: 'm' })
  const cases: Array<[string, Outcome, string, string]> = [
    ['rate limit', f('rate_limit'), 'next_profile', 'model'],
    ['billing', f('billing'), 'next_profile', 'disable'],
    ['auth', f('auth'), 'next_profile', 'profile'],
    ['timeout', f('timeout'), 'next_profile', 'profile'],
    ['format', f('format'), 'next_profile', 'profile'],
    ['unknown', f('unknown'), 'next_profile', 'profile'],
    ['model not found', { kind: 'model_not_found', status: 404, message: 'm' }, 'next_model', 'none'],
    ['bad request', { kind: 'bad_request', status: 400, message: 'm' }, 'return', 'none'],
    ['client aborted', { kind: 'client_aborted' }, 'return', 'none'],
    ['ok', { kind: 'ok' }, 'return', 'none'],
  ]
  for (const [name, outcome, next, scope] of cases) t.same(decide(outcome), { next, scope }, name)
})
