// Errors that end an upstream body: what readers and translators throw, and their mapping to
// the structured LateError the routing layer classifies once the response is committed.
import type { LateError } from '../core/types.ts'
import { safeMessage } from '../core/classify.ts'
import { DEADLINE } from './deadline.ts'

/** The upstream's bytes are not a usable answer: cut short, unreadable, or too large. */
export class UpstreamBodyError extends Error {
  readonly kind: 'truncated' | 'malformed' | 'too_large'
  constructor (kind: UpstreamBodyError['kind'], message: string) {
    super(message)
    this.name = 'UpstreamBodyError'
    this.kind = kind
  }
}

/** Thrown by a translated body after commit; carries what went wrong, already classified by kind. */
export class LateStreamError extends Error {
  readonly late: LateError
  constructor (late: LateError) {
    super(late.message)
    this.name = 'LateStreamError'
    this.late = late
  }
}

function codeOf (err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** Whatever ended an upstream body after commit → a LateError (transport errors by their undici code). */
export function lateErrorOf (err: unknown): LateError {
  if (err instanceof LateStreamError) return err.late
  if (err === DEADLINE) return { kind: 'deadline', message: DEADLINE.message }
  if (err instanceof UpstreamBodyError) {
    return { kind: err.kind === 'truncated' ? 'truncated' : 'malformed', message: safeMessage(err.message) }
  }
  const code = codeOf(err)
  if (code === 'UND_ERR_BODY_TIMEOUT') return { kind: 'idle_timeout', message: 'upstream sent nothing for longer than the idle timeout' }
  const text = err instanceof Error ? err.message : String(err)
  return { kind: 'transport', message: safeMessage(code === undefined || text.includes(code) ? text : `${code}: ${text}`) }
}
