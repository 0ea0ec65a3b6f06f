// Where upstream text enters a request: the one choke point for what reaches a client. Every
// message an attempt brings back (HTTP error bodies, in-stream error events, token-endpoint
// failures) and every error that ends a committed translated stream is scrubbed here of every
// secret rotor holds, so the error replies, SSE error events and log fields built from them
// downstream are clean. A success costs nothing: nothing is scanned, and a passthrough body is
// not wrapped (its errors are undici's own transport errors, which carry no upstream text).
import type { SecretRegistry } from '../auth/secret-registry.ts'
import { LateStreamError } from '../core/errors.ts'
import type { AttemptResult, UpstreamSuccess } from '../providers/types.ts'
import type { LateError } from '../core/types.ts'

/**
 * An attempt's result with its text scrubbed. `sent` is the credential the attempt used: it is
 * registered before scrubbing (only on a failure), so even a token rotor has never seen
 * before (a CLI's file, a peer's refresh) cannot come back in the upstream's answer to it.
 */
export function fromUpstream (result: AttemptResult, secrets: SecretRegistry, sent: string): AttemptResult {
  switch (result.kind) {
    case 'ok': return result.body === undefined ? scrubLateErrors(result, secrets) : result
    case 'client_aborted': return result
    default:
      secrets.add(sent)
      return { ...result, message: secrets.scrub(result.message) }
  }
}

/** A failure the credential resolver reports (refresh or exchange failed): reason `auth`, text scrubbed. */
export function credentialFailure (message: string, secrets: SecretRegistry): AttemptResult {
  return { kind: 'failure', reason: 'auth', message: secrets.scrub(message) }
}

/**
 * A translated body whose errors (an upstream error event after the first chunk) are scrubbed
 * as they are thrown. The error object is kept, only its text is rewritten, so whoever
 * classifies it later still sees its class and fields.
 */
function scrubLateErrors (res: UpstreamSuccess, secrets: SecretRegistry): UpstreamSuccess {
  const inner = res.rest
  const scrubbed = (err: unknown): never => {
    // The writer reads a late error's structured fields, not its message: scrub those.
    if (err instanceof LateStreamError) throw new LateStreamError(scrubLate(err.late, secrets))
    if (err instanceof Error) {
      err.message = secrets.scrub(err.message)
      if (err.stack !== undefined) err.stack = secrets.scrub(err.stack)
      throw err
    }
    throw new Error(secrets.scrub(String(err)))
  }
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => {
      const it = inner[Symbol.asyncIterator]()
      return {
        next: () => it.next().catch(scrubbed),
        return: async (value?: unknown) => it.return !== undefined ? await it.return(value) : { done: true, value: undefined },
      }
    },
  }
  return { ...res, rest }
}

function scrubLate (late: LateError, secrets: SecretRegistry): LateError {
  const message = secrets.scrub(late.message)
  if (late.kind !== 'upstream') return { ...late, message }
  return late.raw === undefined ? { ...late, message } : { ...late, message, raw: secrets.scrub(late.raw) }
}
