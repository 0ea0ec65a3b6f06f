// The only code that knows OpenAI's error shape.
import { InvalidRequestError, NotFoundError, RequestTooLargeError, RotorError } from '../core/errors.ts'

export interface OpenAIErrorBody {
  error: { message: string, type: string, param: string | null, code: string }
}

export function errorBody (err: RotorError): OpenAIErrorBody {
  return { error: { message: err.message, type: err.type, param: err.param, code: err.publicCode } }
}

/** Serialised error for an SSE stream that already began (docs/http-api.md). */
export function sseErrorEvent (message: string, code = 'upstream_error'): string {
  return `data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code } })}\n\n`
}

interface SchemaIssue { instancePath?: unknown, params?: { missingProperty?: unknown } }

/** The top-level field a schema error is about: `/messages/0/role` → `messages`. */
function validationParam (issue: SchemaIssue | undefined): string | null {
  const path = typeof issue?.instancePath === 'string' ? issue.instancePath : ''
  const first = path.split('/')[1]
  if (first !== undefined && first !== '') return first.replace(/~1/g, '/').replace(/~0/g, '~')
  const missing = issue?.params?.missingProperty
  return typeof missing === 'string' && missing !== '' ? missing : null
}

/** Maps anything thrown on a route to a RotorError; unknown errors become a generic 500. */
export function toRotorError (err: unknown): RotorError {
  if (err instanceof RotorError) return err
  const e = err as { statusCode?: unknown, code?: unknown, message?: unknown, validation?: unknown }
  const message = typeof e.message === 'string' ? e.message : 'Internal error'
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
    return new RequestTooLargeError('Request body is larger than the gateway allows')
  }
  if (e.code === 'FST_ERR_NOT_FOUND') return new NotFoundError(message)
  if (Array.isArray(e.validation)) return new InvalidRequestError(message, validationParam(e.validation[0] as SchemaIssue | undefined))
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new InvalidRequestError(message)
  }
  return new RotorError('Internal error')
}
