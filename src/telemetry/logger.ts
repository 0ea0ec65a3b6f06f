// pino with a fixed redaction list. A backstop only: credentials, prompts and completions
// are never put in log fields in the first place.
import pino, { type Logger, type DestinationStream } from 'pino'

export type { Logger }

const REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'key', 'token', 'access', 'refresh', 'apiKey', 'secret',
]

export function createLogger (level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: undefined,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: serializeError },
  }, destination ?? pino.destination({ dest: 1, sync: false }))
}

/** name, code, message and the cause chain; never request bodies. */
function serializeError (err: unknown): unknown {
  if (!(err instanceof Error)) return err
  const out: Record<string, unknown> = { type: err.name, message: err.message }
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') out.code = code
  if (err.stack !== undefined) out.stack = err.stack
  if (err.cause !== undefined) out.cause = serializeError(err.cause)
  return out
}
