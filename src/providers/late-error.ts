// Whatever ended an upstream body (core/errors.ts: UpstreamBodyError, LateStreamError, the
// deadline, transport errors) → the structured LateError core classifies once the response is committed.
import { LateStreamError, UpstreamBodyError } from '../core/errors.ts'
import type { LateError } from '../core/types.ts'
import { safeMessage } from '../core/classify.ts'
import { DEADLINE } from './deadline.ts'

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
