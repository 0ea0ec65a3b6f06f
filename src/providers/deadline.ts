// The whole-response deadline (gateway.requestTimeoutMs). One timer per request aborts the
// request's own signal — the one that already carries a client disconnect — with DEADLINE as
// the reason, so every layer can tell the two apart without another AbortController.
import { RequestDeadlineError } from '../core/errors.ts'

/** One instance for every request: aborting with it allocates nothing. */
export const DEADLINE = new RequestDeadlineError()

/** True when `signal` was aborted by the request's deadline (not by the client). */
export function deadlinePassed (signal: AbortSignal): boolean {
  return signal.aborted && signal.reason === DEADLINE
}

function expire (ac: AbortController): void { ac.abort(DEADLINE) }

/** Arms the deadline: after `ms`, `ac` is aborted with DEADLINE. Clear it when the response ends. */
export function startDeadline (ac: AbortController, ms: number): NodeJS.Timeout {
  return setTimeout(expire, ms, ac)
}
