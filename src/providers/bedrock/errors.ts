// Bedrock exceptions → core's error signals, which core turns into outcomes (outcomeOf). One
// table for both places they arrive: an HTTP error (type in the `x-amzn-errortype` header or the
// body's `__type`) and an exception frame inside the event stream (`:exception-type`, lower camel
// case), before or after the first output. Pure.
import { classifyHttp, findHeader, outcomeOf, retryAfterFromHeaders, safeMessage, type HttpHeaders } from '../../core/classify.ts'
import type { ErrorSignal } from '../../core/types.ts'
import type { Failure } from '../translated-stream.ts'
import { isRecord } from '../../core/json.ts'

/**
 * What each Bedrock exception signals (see docs/providers.md, "Amazon Bedrock"): a rate limit cools
 * this profile for this model; rejected credentials, Amazon-side trouble (`transient`) and model
 * timeouts cool the profile; a bad request goes back to the client; a missing model moves on to
 * the next model.
 */
export type BedrockSignal = Extract<ErrorSignal, 'rate_limit' | 'auth' | 'transient' | 'timeout' | 'bad_request' | 'model_not_found'>

export const BEDROCK_ERRORS: Readonly<Record<string, BedrockSignal>> = {
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
  ServiceUnavailableException: 'transient',
  ModelNotReadyException: 'transient',
  InternalServerException: 'transient',
  ModelErrorException: 'transient',
  ModelStreamErrorException: 'transient',
  ModelTimeoutException: 'timeout',
  ValidationException: 'bad_request',
  ResourceNotFoundException: 'model_not_found',
}

/** Status an in-stream exception stands for (the HTTP status Bedrock gives the same exception). */
const SIGNAL_STATUS: Readonly<Record<BedrockSignal, number>> = {
  rate_limit: 429, auth: 403, transient: 503, timeout: 408, bad_request: 400, model_not_found: 404,
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

export function errorSignal (type: string, message: string): BedrockSignal | undefined {
  const signal = Object.hasOwn(BEDROCK_ERRORS, type) ? BEDROCK_ERRORS[type] : undefined
  if (signal === 'bad_request' && INVALID_MODEL_ID.test(message)) return 'model_not_found'
  return signal
}

/**
 * The outcome for one Bedrock exception. `prefix` starts the message (`HTTP 429` or
 * `stream error`); an exception type rotor does not know gives undefined.
 */
export function bedrockOutcome (
  type: string, status: number, message: string, prefix: string, retryAfterMs?: number,
): Failure | undefined {
  const signal = errorSignal(type, message)
  if (signal === undefined) return undefined
  const text = `${prefix} ${type}${message === '' ? '' : `: ${safeMessage(message)}`}`
  return outcomeOf(retryAfterMs === undefined ? { status, signal } : { status, signal, retryAfterMs }, text)
}

/** Exception type and message of an HTTP error answer. */
export function httpErrorOf (headers: HttpHeaders, bodyText: string): { type: string | undefined, message: string } {
  let json: unknown
  try { json = JSON.parse(bodyText) } catch { json = undefined }
  const body = isRecord(json) ? json : {}
  const rawType = findHeader(headers, 'x-amzn-errortype') ?? (typeof body.__type === 'string' ? body.__type : undefined)
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
  const signal = errorSignal(type, message)
  return signal === undefined ? 500 : SIGNAL_STATUS[signal]
}

/** An exception frame before any output → the outcome (as if it had been the HTTP error). */
export function streamExceptionOutcome (type: string, message: string): Failure {
  const status = streamExceptionStatus(type, message)
  return bedrockOutcome(type, status, message, 'stream error') ??
    { kind: 'failure', reason: 'unknown', status, message: `stream error ${type}: ${safeMessage(message)}` }
}
