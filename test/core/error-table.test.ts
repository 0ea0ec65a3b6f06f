// Every error class in src/core/errors.ts, pinned: its stable internal code, and for client-facing
// ones the HTTP status and public OpenAI `code` of the error table in docs/http-api.md. A class
// added without a row here fails the last test.
import t from 'tap'
import * as errors from '../../src/core/errors.ts'
import { RotorError } from '../../src/core/errors.ts'
import { errorBody } from '../../src/server/error-reply.ts'

interface Pin {
  readonly make: () => RotorError
  readonly code: string
  readonly status: number
  readonly publicCode: string
  readonly type: string
  /** The table's `+ Retry-After`. */
  readonly retryAfter?: string
}

// The documented table, one row per case, in its order.
const TABLE: Readonly<Record<string, Pin>> = {
  InvalidRequestError: { make: () => new errors.InvalidRequestError('messages is required', 'messages'), code: 'ROTOR_ERR_REQUEST_INVALID', status: 400, publicCode: 'invalid_request', type: 'invalid_request_error' },
  InvalidApiKeyError: { make: () => new errors.InvalidApiKeyError(), code: 'ROTOR_ERR_AUTH_CLIENT_KEY', status: 401, publicCode: 'invalid_api_key', type: 'invalid_request_error' },
  RequestTooLargeError: { make: () => new errors.RequestTooLargeError('too large'), code: 'ROTOR_ERR_REQUEST_TOO_LARGE', status: 413, publicCode: 'request_too_large', type: 'invalid_request_error' },
  ModelNotFoundError: { make: () => new errors.ModelNotFoundError('Model "x/y" not found'), code: 'ROTOR_ERR_ROUTING_MODEL_NOT_FOUND', status: 404, publicCode: 'model_not_found', type: 'invalid_request_error' },
  RateLimitedError: { make: () => new errors.RateLimitedError('rate limited', 59.2), code: 'ROTOR_ERR_ROUTING_RATE_LIMITED', status: 429, publicCode: 'rate_limited', type: 'rate_limit_error', retryAfter: '60' },
  ProfilesUnavailableError: { make: () => new errors.ProfilesUnavailableError('unavailable', 0), code: 'ROTOR_ERR_ROUTING_PROFILES_UNAVAILABLE', status: 503, publicCode: 'profiles_unavailable', type: 'server_error', retryAfter: '1' },
  UpstreamAuthFailedError: { make: () => new errors.UpstreamAuthFailedError('rejected'), code: 'ROTOR_ERR_UPSTREAM_AUTH_FAILED', status: 502, publicCode: 'upstream_auth_failed', type: 'server_error' },
  NoCredentialsError: { make: () => new errors.NoCredentialsError('openai'), code: 'ROTOR_ERR_AUTH_NO_CREDENTIALS', status: 503, publicCode: 'no_credentials', type: 'server_error' },
  UpstreamError: { make: () => new errors.UpstreamError('All candidates failed'), code: 'ROTOR_ERR_UPSTREAM_FAILED', status: 502, publicCode: 'upstream_error', type: 'server_error' },
  UpstreamTimeoutError: { make: () => new errors.UpstreamTimeoutError('timed out'), code: 'ROTOR_ERR_UPSTREAM_TIMEOUT', status: 504, publicCode: 'upstream_timeout', type: 'server_error' },
  RequestTimeoutError: { make: () => new errors.RequestTimeoutError('too slow'), code: 'ROTOR_ERR_REQUEST_TIMEOUT', status: 408, publicCode: 'request_timeout', type: 'invalid_request_error' },
}

// Outside the table: the upstream's own 4xx passed through, unmatched routes, refused admin
// access, and errors that never reach a client as themselves (a generic 500 does).
const OTHERS: Readonly<Record<string, Pin>> = {
  UpstreamClientError: { make: () => new errors.UpstreamClientError(422, 'HTTP 422: bad param'), code: 'ROTOR_ERR_UPSTREAM_CLIENT_ERROR', status: 422, publicCode: 'invalid_request', type: 'invalid_request_error' },
  NotFoundError: { make: () => new errors.NotFoundError('No route'), code: 'ROTOR_ERR_NOT_FOUND', status: 404, publicCode: 'not_found', type: 'invalid_request_error' },
  ForbiddenError: { make: () => new errors.ForbiddenError('loopback only'), code: 'ROTOR_ERR_FORBIDDEN', status: 403, publicCode: 'forbidden', type: 'invalid_request_error' },
  ConfigError: { make: () => new errors.ConfigError('bad config'), code: 'ROTOR_ERR_CONFIG_INVALID', status: 500, publicCode: 'internal_error', type: 'server_error' },
  MissingEnvVarError: { make: () => new errors.MissingEnvVarError('OPENAI_API_KEY', 'models.providers.openai.apiKey'), code: 'ROTOR_ERR_CONFIG_ENV_MISSING', status: 500, publicCode: 'internal_error', type: 'server_error' },
  CorruptCredentialsError: { make: () => new errors.CorruptCredentialsError('bad file'), code: 'ROTOR_ERR_AUTH_CORRUPT_FILE', status: 500, publicCode: 'internal_error', type: 'server_error' },
  HeadersTooLargeError: { make: () => new errors.HeadersTooLargeError(), code: 'ROTOR_ERR_REQUEST_HEADERS_TOO_LARGE', status: 431, publicCode: 'request_too_large', type: 'invalid_request_error' },
  InvalidAgentIdError: { make: () => new errors.InvalidAgentIdError('bad agent id'), code: 'ROTOR_ERR_AGENT_ID_INVALID', status: 400, publicCode: 'invalid_request', type: 'invalid_request_error' },
  ShuttingDownError: { make: () => new errors.ShuttingDownError(), code: 'ROTOR_ERR_SHUTTING_DOWN', status: 503, publicCode: 'service_unavailable', type: 'server_error' },
  RotorError: { make: () => new RotorError('boom'), code: 'ROTOR_ERR_INTERNAL', status: 500, publicCode: 'internal_error', type: 'server_error' },
}

const ALL = { ...TABLE, ...OTHERS }

t.test('every row of the error table is one class with its status, public code and Retry-After', async (t) => {
  for (const [name, pin] of Object.entries(TABLE)) {
    const err = pin.make()
    t.equal(err.name, name)
    t.strictSame(
      { status: err.status, publicCode: err.publicCode, type: err.type, retryAfter: err.headers['retry-after'] },
      { status: pin.status, publicCode: pin.publicCode, type: pin.type, retryAfter: pin.retryAfter },
      name,
    )
  }
})

t.test('every class keeps its stable internal code, and codes are unique', async (t) => {
  const seen = new Map<string, string>()
  for (const [name, pin] of Object.entries(ALL)) {
    const err = pin.make()
    t.equal(err.code, pin.code, name)
    t.match(err.code, /^ROTOR_ERR_[A-Z]+(_[A-Z]+)*$/, `${name}: ROTOR_ERR_<AREA>_<WHAT>`)
    t.equal(seen.get(err.code), undefined, `${err.code} is used once`)
    seen.set(err.code, name)
    t.strictSame({ status: err.status, publicCode: err.publicCode, type: err.type }, { status: pin.status, publicCode: pin.publicCode, type: pin.type }, name)
  }
})

t.test('the wire shape carries the public code', async (t) => {
  const err = new errors.InvalidRequestError('messages is required', 'messages')
  t.strictSame(errorBody(err), { error: { message: 'messages is required', type: 'invalid_request_error', param: 'messages', code: 'invalid_request' } })
})

t.test('no error class in src/core/errors.ts is left unpinned', async (t) => {
  const classes = Object.entries(errors)
    .filter(([, v]) => typeof v === 'function' && (v === RotorError || v.prototype instanceof RotorError))
    .map(([k]) => k)
  t.strictSame(classes.sort(), Object.keys(ALL).sort())
})

// Errors that never reach a client as themselves: each keeps a stable code of its own.
const INTERNAL: Readonly<Record<string, { readonly make: () => errors.CodedError, readonly code: string }>> = {
  StateUnavailableError: { make: () => new errors.StateUnavailableError('redis: down'), code: 'ROTOR_ERR_STATE_UNAVAILABLE' },
  RequestDeadlineError: { make: () => new errors.RequestDeadlineError(), code: 'ROTOR_ERR_REQUEST_DEADLINE' },
  RequestTranslationError: { make: () => new errors.RequestTranslationError('stop must be a string'), code: 'ROTOR_ERR_REQUEST_UNTRANSLATABLE' },
  UpstreamBodyError: { make: () => new errors.UpstreamBodyError('truncated', 'cut'), code: 'ROTOR_ERR_UPSTREAM_BODY' },
  UpstreamEventError: { make: () => new errors.UpstreamEventError('overloaded_error', 529, 'Overloaded'), code: 'ROTOR_ERR_UPSTREAM_EVENT' },
  LateStreamError: { make: () => new errors.LateStreamError({ kind: 'truncated', message: 'cut' }), code: 'ROTOR_ERR_UPSTREAM_LATE' },
  ControlPlaneError: { make: () => new errors.ControlPlaneError('HTTP 403'), code: 'ROTOR_ERR_BEDROCK_CONTROL_PLANE' },
  RefreshError: { make: () => new errors.RefreshError('HTTP 400: invalid_grant', 'invalid_grant'), code: 'ROTOR_ERR_AUTH_REFRESH' },
  ProjectDiscoveryError: { make: () => new errors.ProjectDiscoveryError('no project'), code: 'ROTOR_ERR_AUTH_PROJECT_DISCOVERY' },
  AwsCredentialsError: { make: () => new errors.AwsCredentialsError('no credentials'), code: 'ROTOR_ERR_AUTH_AWS_CREDENTIALS' },
  LoginError: { make: () => new errors.LoginError('denied'), code: 'ROTOR_ERR_AUTH_LOGIN' },
  CliError: { make: () => new errors.CliError('no such profile'), code: 'ROTOR_ERR_CLI_FAILED' },
  UsageError: { make: () => new errors.UsageError('--provider is required'), code: 'ROTOR_ERR_CLI_USAGE' },
}

t.test('every internal error class has its own stable code, is named after itself, and is no RotorError', async (t) => {
  const seen = new Set(Object.values(ALL).map((p) => p.code))
  for (const [name, pin] of Object.entries(INTERNAL)) {
    const err = pin.make()
    t.equal(err.name, name)
    t.equal(err.code, pin.code, name)
    t.match(err.code, /^ROTOR_ERR_[A-Z]+(_[A-Z]+)*$/, `${name}: ROTOR_ERR_<AREA>_<WHAT>`)
    t.notOk(seen.has(err.code), `${err.code} is used once`)
    seen.add(err.code)
    t.notOk(err instanceof RotorError, `${name} never reaches a client as itself`)
  }
  const classes = Object.entries(errors)
    .filter(([, v]) => typeof v === 'function' && v.prototype instanceof errors.CodedError && !(v === RotorError || v.prototype instanceof RotorError))
    .map(([k]) => k)
  t.strictSame(classes.sort(), Object.keys(INTERNAL).sort(), 'no internal error class is left unpinned')
})
