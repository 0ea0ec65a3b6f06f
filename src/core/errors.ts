// Every error class rotor defines, one table (docs/http-api.md, "Errors"): each carries a stable
// `code` (ROTOR_ERR_<AREA>_<WHAT>, never renamed). RotorError and its subclasses are the
// client-facing ones; the others (CodedError) never reach a client as themselves: a route turns
// them into a generic 500. Only src/server/error-reply.ts knows the wire shape.
import type { LateError } from './types.ts'

/** An error with a stable code. Callers branch on the class or the code, never on the message. */
export class CodedError extends Error {
  readonly code: string = 'ROTOR_ERR_INTERNAL'
  constructor (message?: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
  }
}

/** A client-facing error: its status and OpenAI-shaped `type`/`code` go on the wire. */
export class RotorError extends CodedError {
  readonly status: number = 500
  /** OpenAI `error.code`. */
  readonly publicCode: string = 'internal_error'
  /** OpenAI `error.type`. */
  readonly type: string = 'server_error'
  readonly param: string | null = null
  readonly headers: Readonly<Record<string, string>> = {}
}

export class InvalidRequestError extends RotorError {
  override readonly code = 'ROTOR_ERR_REQUEST_INVALID'
  override readonly status = 400
  override readonly publicCode = 'invalid_request'
  override readonly type = 'invalid_request_error'
  override readonly param: string | null
  constructor (message: string, param: string | null = null) { super(message); this.param = param }
}

export class InvalidApiKeyError extends RotorError {
  override readonly code = 'ROTOR_ERR_AUTH_CLIENT_KEY'
  override readonly status = 401
  override readonly publicCode = 'invalid_api_key'
  override readonly type = 'invalid_request_error'
  constructor (message = 'Invalid or missing API key') { super(message) }
}

export class RequestTooLargeError extends RotorError {
  override readonly code = 'ROTOR_ERR_REQUEST_TOO_LARGE'
  override readonly status = 413
  override readonly publicCode = 'request_too_large'
  override readonly type = 'invalid_request_error'
}

export class ModelNotFoundError extends RotorError {
  override readonly code = 'ROTOR_ERR_ROUTING_MODEL_NOT_FOUND'
  override readonly status = 404
  override readonly publicCode = 'model_not_found'
  override readonly type = 'invalid_request_error'
  override readonly param = 'model'
}

/**
 * Every candidate is blocked: the client may retry after `retryAfterSeconds`, whole seconds and
 * at least 1 (a `Retry-After: 0` would invite an immediate retry that rotor refuses).
 */
abstract class BlockedError extends RotorError {
  override readonly headers: Readonly<Record<string, string>>
  readonly retryAfterSeconds: number
  constructor (message: string, retryAfterSeconds: number) {
    super(message)
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds))
    this.headers = { 'retry-after': String(this.retryAfterSeconds) }
  }
}

/** Every candidate is blocked, and the one that recovers soonest is blocked by a rate limit. */
export class RateLimitedError extends BlockedError {
  override readonly code = 'ROTOR_ERR_ROUTING_RATE_LIMITED'
  override readonly status = 429
  override readonly publicCode = 'rate_limited'
  override readonly type = 'rate_limit_error'
}

/** Every candidate is blocked for other reasons than a rate limit (auth, billing, failures). */
export class ProfilesUnavailableError extends BlockedError {
  override readonly code = 'ROTOR_ERR_ROUTING_PROFILES_UNAVAILABLE'
  override readonly status = 503
  override readonly publicCode = 'profiles_unavailable'
  override readonly type = 'server_error'
}

export class NoCredentialsError extends RotorError {
  override readonly code = 'ROTOR_ERR_AUTH_NO_CREDENTIALS'
  override readonly status = 503
  override readonly publicCode = 'no_credentials'
  override readonly type = 'server_error'
  constructor (provider: string) { super(`No credentials found for provider ${provider}`) }
}

export class UpstreamError extends RotorError {
  override readonly code = 'ROTOR_ERR_UPSTREAM_FAILED'
  override readonly status = 502
  override readonly publicCode = 'upstream_error'
  override readonly type = 'server_error'
}

/** Every candidate's credentials were rejected upstream (401/403): an operator must fix them, waiting will not. */
export class UpstreamAuthFailedError extends RotorError {
  override readonly code = 'ROTOR_ERR_UPSTREAM_AUTH_FAILED'
  override readonly status = 502
  override readonly publicCode = 'upstream_auth_failed'
  override readonly type = 'server_error'
}

/** An upstream 4xx that is the client's to fix (bad request, context too long): its status and message, as is. */
export class UpstreamClientError extends RotorError {
  override readonly code = 'ROTOR_ERR_UPSTREAM_CLIENT_ERROR'
  override readonly status: number
  override readonly publicCode = 'invalid_request'
  override readonly type = 'invalid_request_error'
  constructor (status: number, message: string) { super(message); this.status = status }
}

export class UpstreamTimeoutError extends RotorError {
  override readonly code = 'ROTOR_ERR_UPSTREAM_TIMEOUT'
  override readonly status = 504
  override readonly publicCode = 'upstream_timeout'
  override readonly type = 'server_error'
}

export class NotFoundError extends RotorError {
  override readonly code = 'ROTOR_ERR_NOT_FOUND'
  override readonly status = 404
  override readonly publicCode = 'not_found'
  override readonly type = 'invalid_request_error'
}

export class ForbiddenError extends RotorError {
  override readonly code = 'ROTOR_ERR_FORBIDDEN'
  override readonly status = 403
  override readonly publicCode = 'forbidden'
  override readonly type = 'invalid_request_error'
}

/** Config that cannot be loaded; the message names the file and the config path. */
export class ConfigError extends RotorError {
  override readonly code: string = 'ROTOR_ERR_CONFIG_INVALID'
}

/** A `${VAR}` in the config names an unset or empty env var. */
export class MissingEnvVarError extends ConfigError {
  override readonly code = 'ROTOR_ERR_CONFIG_ENV_MISSING'
  readonly varName: string
  readonly configPath: string
  constructor (varName: string, configPath: string) {
    super(`Missing env var "${varName}" referenced at config path: ${configPath || '(root)'}`)
    this.varName = varName
    this.configPath = configPath
  }
}

/** A credentials file that exists but cannot be parsed; never overwritten. */
export class CorruptCredentialsError extends RotorError {
  override readonly code = 'ROTOR_ERR_AUTH_CORRUPT_FILE'
}

/** The client did not send its whole request within `gateway.requestBodyTimeoutMs`. */
export class RequestTimeoutError extends RotorError {
  override readonly code = 'ROTOR_ERR_REQUEST_TIMEOUT'
  override readonly status = 408
  override readonly publicCode = 'request_timeout'
  override readonly type = 'invalid_request_error'
  constructor (message = 'The request was not received in time') { super(message) }
}

/** Request headers over Node's limit; answered by the HTTP parser's error handler. */
export class HeadersTooLargeError extends RotorError {
  override readonly code = 'ROTOR_ERR_REQUEST_HEADERS_TOO_LARGE'
  override readonly status = 431
  override readonly publicCode = 'request_too_large'
  override readonly type = 'invalid_request_error'
  constructor (message = 'Request headers are larger than the gateway allows') { super(message) }
}

/** An agent id outside `^[a-z0-9][a-z0-9_-]{0,63}$`; never used to build a path. */
export class InvalidAgentIdError extends RotorError {
  override readonly code = 'ROTOR_ERR_AGENT_ID_INVALID'
  override readonly status = 400
  override readonly publicCode = 'invalid_request'
  override readonly type = 'invalid_request_error'
  override readonly param = 'agent'
}

/** A request that reached a gateway already shutting down (pipelined or on a kept-alive connection). */
export class ShuttingDownError extends RotorError {
  override readonly code = 'ROTOR_ERR_SHUTTING_DOWN'
  override readonly status = 503
  override readonly publicCode = 'service_unavailable'
  override readonly type = 'server_error'
  override readonly headers: Readonly<Record<string, string>> = { connection: 'close' }
  constructor (message = 'The gateway is shutting down; retry on another replica or after restart') { super(message) }
}

// ── Errors that never reach a client as themselves ──────────────────────────────────────────

/** A Redis failure as the rest of rotor sees it: no ioredis types, no credentials. */
export class StateUnavailableError extends CodedError {
  override readonly code = 'ROTOR_ERR_STATE_UNAVAILABLE'
}

/** The abort reason of a request whose deadline (gateway.requestTimeoutMs) passed. */
export class RequestDeadlineError extends CodedError {
  override readonly code = 'ROTOR_ERR_REQUEST_DEADLINE'
  constructor () { super('request deadline exceeded') }
}

/** The client's request cannot be put into the upstream's wire format; answered as a 400 outcome. */
export class RequestTranslationError extends CodedError {
  override readonly code = 'ROTOR_ERR_REQUEST_UNTRANSLATABLE'
}

/** The upstream's bytes are not a usable answer: cut short, unreadable, or too large. */
export class UpstreamBodyError extends CodedError {
  override readonly code = 'ROTOR_ERR_UPSTREAM_BODY'
  readonly kind: 'truncated' | 'malformed' | 'too_large'
  constructor (kind: UpstreamBodyError['kind'], message: string) {
    super(message)
    this.kind = kind
  }
}

/**
 * An error the upstream reported inside its stream: an Anthropic `error` event, a Responses
 * `response.failed`/`error`, a Cloud Code error chunk, a Bedrock exception frame.
 */
export class UpstreamEventError extends CodedError {
  override readonly code = 'ROTOR_ERR_UPSTREAM_EVENT'
  /** The upstream's own error type or code, e.g. `overloaded_error`, `ThrottlingException`. */
  readonly errorType: string
  /** The HTTP status the error stands for. */
  readonly status: number
  /** The error's JSON text, for classification (wait hints); absent when the family gives none. */
  readonly raw: string | undefined
  constructor (errorType: string, status: number, message: string, raw?: string) {
    super(message)
    this.errorType = errorType
    this.status = status
    this.raw = raw
  }
}

/** Thrown by a translated body after commit; carries what went wrong, already classified by kind. */
export class LateStreamError extends CodedError {
  override readonly code = 'ROTOR_ERR_UPSTREAM_LATE'
  readonly late: LateError
  constructor (late: LateError) {
    super(late.message)
    this.late = late
  }
}

/** Bedrock's control plane (model listing) answered an error; never echoes a credential. */
export class ControlPlaneError extends CodedError {
  override readonly code = 'ROTOR_ERR_BEDROCK_CONTROL_PLANE'
}

/** An OAuth refresh or token exchange failed; `reason` never holds a token. */
export class RefreshError extends CodedError {
  override readonly code = 'ROTOR_ERR_AUTH_REFRESH'
  readonly reason: string
  /** The token endpoint's own error code (`invalid_grant` …), when it gave one. */
  readonly oauthError: string | undefined
  constructor (reason: string, oauthError?: string) {
    super(reason)
    this.reason = reason
    this.oauthError = oauthError
  }
}

/** No Cloud Code Assist project could be found or made for a Google account. */
export class ProjectDiscoveryError extends CodedError {
  override readonly code = 'ROTOR_ERR_AUTH_PROJECT_DISCOVERY'
}

/** The AWS credential chain gave no usable credentials. */
export class AwsCredentialsError extends CodedError {
  override readonly code = 'ROTOR_ERR_AUTH_AWS_CREDENTIALS'
}

/** An interactive login failed (`rotor models auth login`). */
export class LoginError extends CodedError {
  override readonly code = 'ROTOR_ERR_AUTH_LOGIN'
}

/** CLI exit codes (docs/operations.md). */
export const EXIT_OK = 0
export const EXIT_PROBLEM = 1
export const EXIT_USAGE = 2

/** A failure the CLI user can act on: printed as `rotor: <message>`, exit 1 (or 2 for usage). */
export class CliError extends CodedError {
  override readonly code: string = 'ROTOR_ERR_CLI_FAILED'
  readonly exitCode: number
  constructor (message: string, exitCode = EXIT_PROBLEM) {
    super(message)
    this.exitCode = exitCode
  }
}

export class UsageError extends CliError {
  override readonly code = 'ROTOR_ERR_CLI_USAGE'
  constructor (message: string) { super(message, EXIT_USAGE) }
}
