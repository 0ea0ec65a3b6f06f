// The Bedrock exception table: each exception class → outcome → routing decision, for HTTP
// answers (header or body type) and for exception frames.
import t from 'tap'
import { BEDROCK_ERRORS, classifyBedrockHttp, normalizeErrorType, streamExceptionOutcome } from '../../../src/providers/bedrock/errors.ts'
import { decide } from '../../../src/core/classify.ts'

const TABLE: ReadonlyArray<[type: string, status: number, kind: string, reason: string | undefined, next: string, scope: string]> = [
  ['ThrottlingException', 429, 'failure', 'rate_limit', 'next_profile', 'model'],
  ['ServiceQuotaExceededException', 429, 'failure', 'rate_limit', 'next_profile', 'model'],
  ['AccessDeniedException', 403, 'failure', 'auth', 'next_profile', 'profile'],
  ['UnrecognizedClientException', 403, 'failure', 'auth', 'next_profile', 'profile'],
  ['InvalidSignatureException', 403, 'failure', 'auth', 'next_profile', 'profile'],
  ['ExpiredTokenException', 400, 'failure', 'auth', 'next_profile', 'profile'],
  ['ServiceUnavailableException', 503, 'failure', 'unknown', 'next_profile', 'profile'],
  ['ModelNotReadyException', 429, 'failure', 'unknown', 'next_profile', 'profile'],
  ['InternalServerException', 500, 'failure', 'unknown', 'next_profile', 'profile'],
  ['ModelErrorException', 424, 'failure', 'unknown', 'next_profile', 'profile'],
  ['ModelTimeoutException', 408, 'failure', 'timeout', 'next_profile', 'profile'],
  ['ValidationException', 400, 'bad_request', undefined, 'return', 'none'],
  ['ResourceNotFoundException', 404, 'model_not_found', undefined, 'next_model', 'none'],
]

t.test('each Bedrock exception maps to its outcome and routing decision', async (t) => {
  for (const [type, status, kind, reason, next, scope] of TABLE) {
    const { type: seen, outcome } = classifyBedrockHttp(status, { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` }, JSON.stringify({ message: 'boom' }))
    t.equal(seen, type)
    t.match(outcome, { kind, status, message: `HTTP ${status} ${type}: boom`, ...(reason !== undefined ? { reason } : {}) }, type)
    t.strictSame(decide(outcome), { next, scope }, `${type} decision`)
  }
  t.equal(Object.keys(BEDROCK_ERRORS).length >= TABLE.length, true)
})

t.test('the type is read from the body\'s __type when the header is missing', async (t) => {
  const { outcome } = classifyBedrockHttp(403, {}, JSON.stringify({ __type: 'com.amazon.coral.service#UnrecognizedClientException', message: 'The security token included in the request is invalid.' }))
  t.strictSame(outcome, { kind: 'failure', reason: 'auth', status: 403, message: 'HTTP 403 UnrecognizedClientException: The security token included in the request is invalid.' })
})

t.test('an invalid model id (a 400 ValidationException) moves on to the next model', async (t) => {
  const { outcome } = classifyBedrockHttp(400, { 'x-amzn-errortype': 'ValidationException' }, '{"message":"The provided model identifier is invalid."}')
  t.equal(outcome.kind, 'model_not_found')
})

t.test('an unnamed or unknown error falls back to the shared HTTP rules, with Retry-After kept', async (t) => {
  t.match(classifyBedrockHttp(502, {}, '<html>bad gateway</html>'), { type: undefined, outcome: { kind: 'failure', reason: 'unknown', status: 502 } })
  t.match(classifyBedrockHttp(429, { 'x-amzn-errortype': 'BrandNewException' }, '{}'), { type: 'BrandNewException', outcome: { kind: 'failure', reason: 'rate_limit' } })
  t.match(classifyBedrockHttp(429, { 'x-amzn-errortype': 'ThrottlingException', 'retry-after': '7' }, '{}').outcome, { retryAfterMs: 7000 })
})

t.test('exception frames are classified as the HTTP error they stand for', async (t) => {
  t.strictSame(streamExceptionOutcome('ThrottlingException', 'slow down'), { kind: 'failure', reason: 'rate_limit', status: 429, message: 'stream error ThrottlingException: slow down' })
  t.strictSame(streamExceptionOutcome('ValidationException', 'bad'), { kind: 'bad_request', status: 400, message: 'stream error ValidationException: bad' })
  t.match(streamExceptionOutcome('ModelStreamErrorException', 'x'), { kind: 'failure', reason: 'unknown', status: 503 })
  t.match(streamExceptionOutcome('SomethingNew', 'x'), { kind: 'failure', reason: 'unknown', status: 500 })
})

t.test('exception type spellings normalise to one name', async (t) => {
  t.equal(normalizeErrorType('throttlingException'), 'ThrottlingException')
  t.equal(normalizeErrorType('ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/'), 'ThrottlingException')
  t.equal(normalizeErrorType('com.amazon.coral.service#ExpiredTokenException'), 'ExpiredTokenException')
})
