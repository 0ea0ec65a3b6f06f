// pino with a fixed redaction list. A backstop only: credentials, prompts and completions
// are never put in log fields in the first place. Upstream and token-endpoint texts do get
// logged (failure reasons, error messages), and upstreams echo keys in them: every line passes
// through the gateway's secret scrubber on its way out, the one choke point for logs.
import pino, { type Logger, type DestinationStream } from 'pino'

export type { Logger }

const REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'key', 'token', 'access', 'refresh', 'apiKey', 'secret',
]

// The per-request summary of a success (`msg: "request"`, written after every answer) holds ids,
// model refs and numbers only: it is not scanned, so the success path pays nothing. Any other
// line, including one that changes that message, is.
const SUCCESS_SUMMARY_END = '"msg":"request"}\n'

export interface LoggerOptions {
  /** Replaces every secret in a serialised line (the gateway's secret registry). */
  readonly scrub?: (line: string) => string
}

export function createLogger (level: string, destination?: DestinationStream, options: LoggerOptions = {}): Logger {
  const scrub = options.scrub
  return pino({
    level,
    base: undefined,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: serializeError },
    ...(scrub === undefined ? {} : { hooks: { streamWrite: (line: string) => line.endsWith(SUCCESS_SUMMARY_END) ? line : scrub(line) } }),
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
