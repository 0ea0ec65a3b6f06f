// OpenAI-wire upstreams (openai-completions, github-copilot): the client's bytes go up with
// at most the model spliced in, and the upstream's bytes come back untouched — but a 200 must
// be an answer. A non-stream body is read whole and parsed before anything is committed (a
// body that is empty, not JSON or not a chat completion fails over); a stream is judged at
// its end from the last bytes the writer keeps anyway, so no chunk is parsed on the way.
import { safeMessage } from '../core/classify.ts'
import type { LateError } from '../core/types.ts'
import { isRecord } from '../core/json.ts'
import { DONE_EVENT } from './chat-output.ts'
import type { RawSuccess } from './http-attempt.ts'
import { rewriteModel } from './rewrite-model.ts'
import { emptyRest, wholeBody } from './translated-stream.ts'
import type { AttemptRequest, AttemptResult, SseEnd } from './types.ts'

/**
 * The client's body for an OpenAI-wire upstream: the raw bytes when the model id already
 * matches, the raw bytes with the model spliced in when possible, else re-serialised.
 */
export function passthroughBody (req: AttemptRequest): Buffer | string {
  const model = req.body.model
  if (model === req.model.id) return req.rawBody
  return (typeof model === 'string' ? rewriteModel(req.rawBody, model, req.model.id) : undefined) ??
    JSON.stringify({ ...req.body, model: req.model.id })
}

/** A raw 2xx as the attempt's answer: streams as they come, non-stream bodies once checked whole. */
export async function passthroughResult (raw: RawSuccess, req: AttemptRequest): Promise<AttemptResult> {
  const ct = raw.headers['content-type']
  const contentType = typeof ct === 'string' ? ct : (req.stream ? 'text/event-stream' : 'application/json')
  if (req.stream) {
    return {
      kind: 'ok',
      status: raw.status,
      contentType,
      first: raw.first,
      rest: raw.rest,
      body: raw.body,
      ...(contentType.startsWith('text/event-stream') ? { sseEnd: openAIStreamEnd } : {}),
      ttfbMs: raw.ttfbMs,
      close: raw.close,
    }
  }
  let whole: Buffer
  let close = raw.close
  if (raw.first.length === Number(raw.headers['content-length'])) {
    // The whole body came with the headers (the common case): undici has completed the
    // request, so the body only has its end left; let it end on its own, without waiting.
    whole = raw.first
    raw.body.resume()
    close = noop
  } else {
    const body = await wholeBody(req, raw)
    if (!Buffer.isBuffer(body)) return body
    whole = body
  }
  const problem = notACompletion(whole)
  if (problem !== undefined) return { kind: 'failure', reason: 'unknown', status: raw.status, message: `upstream answered ${raw.status} ${problem}` }
  return {
    kind: 'ok',
    status: raw.status,
    contentType,
    contentLength: whole.length,
    first: whole,
    rest: emptyRest,
    ttfbMs: raw.ttfbMs,
    close,
  }
}

function noop (): void {}

/** Why a non-stream body is no chat completion, or undefined when it is one. */
function notACompletion (body: Buffer): string | undefined {
  if (body.length === 0) return 'with an empty body'
  let json: unknown
  try { json = JSON.parse(body.toString('utf8')) } catch { return 'with a body that is not JSON' }
  if (isRecord(json) && Array.isArray(json.choices)) return undefined
  const err = isRecord(json) && isRecord(json.error) && typeof json.error.message === 'string' ? `: ${safeMessage(json.error.message)}` : ''
  return `with JSON that is not a chat completion${err}`
}

const DONE = /(?:^|\n)data: ?\[DONE\]/
const FINISH = /"finish_reason"\s*:\s*"/
const DONE_ONLY: SseEnd = { kind: 'ok' }
const ADD_DONE: SseEnd = { kind: 'ok', append: DONE_EVENT }
const TRUNCATED: SseEnd = {
  kind: 'failed',
  error: { kind: 'truncated', message: 'upstream stream ended without a finish reason or [DONE]' },
}

/**
 * The end of an OpenAI chat stream, from its last bytes: `[DONE]` is a proper end; a chunk
 * with a finish reason followed by EOF is one too, short of the `[DONE]` that is added; an
 * error event or anything else is a stream cut short.
 */
export function openAIStreamEnd (tail: string): SseEnd {
  if (DONE.test(tail)) return DONE_ONLY
  const error = errorEvent(tail)
  if (error !== undefined) return { kind: 'failed', error }
  return FINISH.test(tail) ? ADD_DONE : TRUNCATED
}

/** The last `data: {"error":…}` event in `tail` (OpenRouter and others report mid-stream failures so). */
function errorEvent (tail: string): LateError | undefined {
  const at = tail.lastIndexOf('{"error"')
  if (at < 0 || !/(?:^|\n)data: ?$/.test(tail.slice(Math.max(0, at - 7), at))) return undefined
  const nl = tail.indexOf('\n', at)
  const raw = tail.slice(at, nl < 0 ? undefined : nl)
  let ev: unknown
  try { ev = JSON.parse(raw) } catch { return { kind: 'malformed', message: 'upstream sent an unreadable error event' } }
  const err = isRecord(ev) && isRecord(ev.error) ? ev.error : {}
  const numeric = typeof err.code === 'number' ? err.code : typeof err.status === 'number' ? err.status : undefined
  const status = numeric !== undefined && numeric >= 400 && numeric <= 599 ? numeric : 500
  const code = typeof err.code === 'string' ? err.code : typeof err.type === 'string' ? err.type : String(status)
  const message = typeof err.message === 'string' ? err.message : code
  return { kind: 'upstream', status, code, message: `upstream ${code}: ${safeMessage(message)}`, raw }
}
