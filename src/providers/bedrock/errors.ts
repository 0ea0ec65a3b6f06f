// Bedrock exceptions → attempt outcomes. One table for both places they arrive: an HTTP error
// (type in the `x-amzn-errortype` header or the body's `__type`) and an exception frame inside
// the event stream (`:exception-type`, lower camel case). Pure.
import { classifyHttp, retryAfterFromHeaders, safeMessage, type HttpHeaders } from '../../core/classify.ts'
import type { Failure } from '../translated-stream.ts'
import { isRecord } from '../../core/json.ts'

/** What rotor does with a Bedrock exception (see docs/providers.md, Amazon Bedrock). */
export type BedrockErrorClass =
  /** Rate limit: cooldown of this profile for this model, next candidate. */
  | 'rate_limit'
  /** Credentials rejected: profile cooldown (`auth`), next candidate. */
  | 'auth'
  /** Transient on Amazon's side: profile cooldown, next candidate. */
  | 'retryable'
  /** The model timed out: profile cooldown (`timeout`), next candidate. */
  | 'timeout'
  /** The request itself is wrong: returned to the client, no failover. */
  | 'bad_request'
  /** No such model or inference profile here: next model. */
  | 'model_not_found'

export const BEDROCK_ERRORS: Readonly<Record<string, BedrockErrorClass>> = {
  ThrottlingException: 'rate_limit',
  ServiceQuotaExceededException: 'rate_limit',
  TooManyRequestsException: 'rate_limit',
  AccessDeniedException: 'auth',
  UnrecognizedClientException: 'auth',
  InvalidSignatureException: 'auth',
  IncompleteSignatureException: 'auth',
  MissingAuthenticationTokenException: 'auth',
  InvalidClientTokenId: 'auth',
  ExpiredTokenException: 'auth',
  ServiceUnavailableException: 'retryable',
  ModelNotReadyException: 'retryable',
  InternalServerException: 'retryable',
  ModelErrorException: 'retryable',
  ModelStreamErrorException: 'retryable',
  ModelTimeoutException: 'timeout',
  ValidationException: 'bad_request',
  ResourceNotFoundException: 'model_not_found',
}

/** Status an in-stream exception stands for (the HTTP status Bedrock gives the same exception). */
const CLASS_STATUS: Readonly<Record<BedrockErrorClass, number>> = {
  rate_limit: 429, auth: 403, retryable: 503, timeout: 408, bad_request: 400, model_not_found: 404,
}

// Bedrock answers an unknown model id with a 400 ValidationException, not a 404.
const INVALID_MODEL_ID = /model identifier is invalid/i

/** `ThrottlingException` from `ThrottlingException:http://…`, `com.amazon.coral.service#…` or `throttlingException`. */
export function normalizeErrorType (raw: string): string {
  let t = raw.trim()
  const colon = t.indexOf(':')
  if (colon > 0) t = t.slice(0, colon)
  const hash = t.lastIndexOf('#')
  if (hash >= 0) t = t.slice(hash + 1)
  return t.charAt(0).toUpperCase() + t.slice(1)
}

export function errorClass (type: string, message: string): BedrockErrorClass | undefined {
  const cls = Object.hasOwn(BEDROCK_ERRORS, type) ? BEDROCK_ERRORS[type] : undefined
  if (cls === 'bad_request' && INVALID_MODEL_ID.test(message)) return 'model_not_found'
  return cls
}

/**
 * The outcome for one Bedrock exception. `prefix` starts the message (`HTTP 429` or
 * `stream error`); an exception type rotor does not know gives undefined.
 */
export function bedrockOutcome (
  type: string, status: number, message: string, prefix: string, retryAfterMs?: number,
): Failure | undefined {
  const cls = errorClass(type, message)
  if (cls === undefined) return undefined
  const text = `${prefix} ${type}${message === '' ? '' : `: ${safeMessage(message)}`}`
  switch (cls) {
    case 'bad_request': return { kind: 'bad_request', status, message: text }
    case 'model_not_found': return { kind: 'model_not_found', status, message: text }
    case 'rate_limit':
    case 'auth':
    case 'timeout':
    case 'retryable': {
      const reason = cls === 'retryable' ? 'unknown' : cls
      return retryAfterMs === undefined
        ? { kind: 'failure', reason, status, message: text }
        : { kind: 'failure', reason, status, message: text, retryAfterMs }
    }
    default: {
      const never: never = cls
      throw new Error(`unknown Bedrock error class ${String(never)}`)
    }
  }
}

function headerValue (headers: HttpHeaders, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== name) continue
    const s = typeof v === 'string' ? v : v?.[0]
    if (s !== undefined && s.trim() !== '') return s
  }
  return undefined
}

/** Exception type and message of an HTTP error answer. */
export function httpErrorOf (headers: HttpHeaders, bodyText: string): { type: string | undefined, message: string } {
  let json: unknown
  try { json = JSON.parse(bodyText) } catch { json = undefined }
  const body = isRecord(json) ? json : {}
  const rawType = headerValue(headers, 'x-amzn-errortype') ?? (typeof body.__type === 'string' ? body.__type : undefined)
  const message = typeof body.message === 'string' ? body.message : typeof body.Message === 'string' ? body.Message : ''
  return { type: rawType === undefined ? undefined : normalizeErrorType(rawType), message }
}

export interface ClassifiedHttpError {
  /** The exception type, when the answer named one. */
  readonly type: string | undefined
  readonly outcome: Failure
}

/** A non-2xx Bedrock answer → outcome; an unnamed or unknown type falls back to the shared HTTP rules. */
export function classifyBedrockHttp (status: number, headers: HttpHeaders, bodyText: string, now?: number): ClassifiedHttpError {
  const { type, message } = httpErrorOf(headers, bodyText)
  const outcome = type === undefined ? undefined : bedrockOutcome(type, status, message, `HTTP ${status}`, retryAfterFromHeaders(headers, now))
  return { type, outcome: outcome ?? classifyHttp(status, headers, bodyText, now) }
}

/** The HTTP status an exception frame stands for (500 for a type rotor does not know). */
export function streamExceptionStatus (type: string, message: string): number {
  const cls = errorClass(type, message)
  return cls === undefined ? 500 : CLASS_STATUS[cls]
}

/** An exception frame before any output → the outcome (as if it had been the HTTP error). */
export function streamExceptionOutcome (type: string, message: string): Failure {
  const status = streamExceptionStatus(type, message)
  return bedrockOutcome(type, status, message, 'stream error') ??
    { kind: 'failure', reason: 'unknown', status, message: `stream error ${type}: ${safeMessage(message)}` }
}
