// The I/O around one attempt whose upstream speaks another wire format (Anthropic Messages,
// OpenAI Responses), after a 2xx: streaming, the upstream SSE is read through a translator only
// until the first OpenAI-shaped chunk exists (an upstream error event before that still fails
// over), then handed over as a pull-based iterator; non-streaming, the bounded JSON body is
// read and converted into one chat.completion.
import { classifyHttp, safeMessage } from '../core/classify.ts'
import type { LateError } from '../core/types.ts'
import type { CompletionResult } from './chat-output.ts'
import { readWhole, transportOutcome, type RawSuccess } from './http-attempt.ts'
import { lateErrorOf } from './late-error.ts'
import { eventReader, type EventReader, type SseEvent } from './sse.ts'
import type { AttemptRequest, AttemptResult } from './types.ts'
import { LateStreamError } from '../core/errors.ts'

export type Failure = Exclude<AttemptResult, { kind: 'ok' }>

/** Largest upstream body read whole (non-stream answers, aggregated streams). */
export const MAX_BODY = 64 * 1024 * 1024

/** Upstream SSE events in, chat.completion.chunk SSE text out. */
export interface StreamTranslator {
  /** Translates one upstream event (its `event:` name and `data:` text); throws on an error event. */
  push (eventName: string | undefined, data: string): string
  /** Upstream EOF: the closing chunks; throws when the stream was cut short. */
  end (): string
  /** True once the final chunks ([DONE]) were produced. */
  readonly finished: boolean
}

export interface TranslatedStreamOptions {
  /** Stop reading the upstream once the translator has finished, rather than at its EOF. */
  readonly stopWhenFinished: boolean
  /** An upstream error event before any output → the outcome to fail over on; undefined for any other error. */
  readonly earlyError: (err: unknown) => Failure | undefined
  /** An upstream error event after output was committed → what ended the client stream; undefined for any other error. */
  readonly lateError: (err: unknown) => LateError | undefined
  /** Failure message when the upstream ends without any output (and without an error). */
  readonly emptyMessage: string
  /** Framing of the upstream body; SSE when left out (Bedrock passes its binary event-stream reader). */
  readonly reader?: () => EventReader
}

export const emptyRest: AsyncIterable<Buffer> = {
  [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }),
}

/** `stream_options.include_usage` of the client's body. */
export function wantsUsage (body: Readonly<Record<string, unknown>>): boolean {
  const so = body.stream_options
  return typeof so === 'object' && so !== null && (so as Record<string, unknown>).include_usage === true
}

export function unknownFailure (raw: RawSuccess, err: unknown, fallback: string): Failure {
  const message = err instanceof Error ? err.message : fallback
  return { kind: 'failure', reason: 'unknown', status: raw.status, message: safeMessage(message) }
}

/**
 * An upstream error event before any output, classified as if it were the HTTP error it
 * stands for. `raw` is the error's JSON text (for wait hints), `code` its upstream type or code.
 */
export function streamErrorFailure (status: number, raw: string, code: string, message: string, now?: number): Failure {
  const outcome = classifyHttp(status, {}, raw, now)
  return { ...outcome, message: `stream error ${code}: ${safeMessage(message)}` }
}

/** Output of one upstream chunk: translated text, and the error that cut it short, if any. */
interface Piece { out: string, error: unknown, done: boolean }

function translate (tr: StreamTranslator, events: SseEvent[], done: boolean, stopWhenFinished: boolean): Piece {
  let out = ''
  try {
    for (const e of events) out += tr.push(e.event, e.data)
    if (done) out += tr.end()
  } catch (err) {
    return { out, error: err, done }
  }
  return { out, error: undefined, done: done || (stopWhenFinished && tr.finished) }
}

export async function translatedStream (
  req: AttemptRequest,
  raw: RawSuccess,
  tr: StreamTranslator,
  opts: TranslatedStreamOptions,
): Promise<AttemptResult> {
  const reader = opts.reader?.() ?? eventReader()
  const upstream = raw.rest[Symbol.asyncIterator]()
  const pull = async (): Promise<Piece> => {
    const step = await upstream.next()
    return step.done === true
      ? translate(tr, reader.end(), true, opts.stopWhenFinished)
      : translate(tr, reader.feed(step.value), false, opts.stopWhenFinished)
  }

  // Before the first output nothing is committed: every problem is an outcome the gateway can fail over on.
  let piece: Piece
  try {
    piece = translate(tr, reader.feed(raw.first), false, opts.stopWhenFinished)
    while (piece.error === undefined && piece.out === '' && !piece.done) piece = await pull()
  } catch (err) {
    raw.close()
    return transportOutcome(err, req)
  }
  if (piece.error !== undefined || piece.out === '') {
    raw.close()
    return opts.earlyError(piece.error) ?? unknownFailure(raw, piece.error, opts.emptyMessage)
  }

  const first = Buffer.from(piece.out)
  const rest: AsyncIterable<Buffer> = piece.done
    ? emptyRest
    : (async function * (): AsyncGenerator<Buffer> {
        for (;;) {
          const p = await pull()
          if (p.out !== '') yield Buffer.from(p.out)
          // After commit an upstream error ends the stream; the gateway sends it as the SSE error event.
          if (p.error !== undefined) throw new LateStreamError(opts.lateError(p.error) ?? lateErrorOf(p.error))
          if (p.done) return
        }
      })()
  return {
    kind: 'ok',
    status: raw.status,
    contentType: 'text/event-stream',
    first,
    rest,
    ttfbMs: raw.ttfbMs,
    close: raw.close,
  }
}

/** A translated chat.completion as the attempt's answer (an untranslatable one as a failure). */
export function completionSuccess (raw: RawSuccess, result: CompletionResult): AttemptResult {
  if (result.kind === 'invalid') return { kind: 'failure', reason: 'unknown', status: raw.status, message: result.message }
  return {
    kind: 'ok',
    status: raw.status,
    contentType: 'application/json',
    first: Buffer.from(JSON.stringify(result.completion)),
    rest: emptyRest,
    ttfbMs: raw.ttfbMs,
    close: raw.close,
  }
}

export interface JsonCompletionOptions {
  /** Failure message when the body is not JSON. */
  readonly notJson: string
  /** The upstream's JSON answer → a chat.completion. */
  readonly convert: (json: unknown) => CompletionResult
}

/** The whole upstream body (at most MAX_BODY bytes), the upstream closed either way; a failed read is the attempt's outcome. */
export async function wholeBody (req: AttemptRequest, raw: RawSuccess): Promise<Buffer | Failure> {
  try {
    return await readWhole(raw, MAX_BODY)
  } catch (err) {
    return transportOutcome(err, req)
  } finally {
    raw.close()
  }
}

/** A non-stream answer: the whole upstream body as JSON, converted. */
export async function jsonCompletion (req: AttemptRequest, raw: RawSuccess, opts: JsonCompletionOptions): Promise<AttemptResult> {
  const whole = await wholeBody(req, raw)
  if (!Buffer.isBuffer(whole)) return whole
  let json: unknown
  try { json = JSON.parse(whole.toString('utf8')) } catch {
    return { kind: 'failure', reason: 'unknown', status: raw.status, message: opts.notJson }
  }
  return completionSuccess(raw, opts.convert(json))
}
