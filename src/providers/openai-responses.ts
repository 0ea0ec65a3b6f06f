// OpenAI Responses family (api "openai-responses"): OpenAI Chat requests in, Chat-shaped bytes
// out. Translation lives in ./responses/; this file does headers, the endpoint and the I/O
// around one attempt.
//
// Two flavours (see isCodexProvider):
//  - Codex (provider id `openai-codex`, or a baseUrl ending in `/backend-api` or
//    `/backend-api/codex`): POST `<baseUrl>/codex/responses` (just `/responses` when the baseUrl
//    already ends in `/codex`) with the ChatGPT OAuth token, `chatgpt-account-id`,
//    `OpenAI-Beta: responses=experimental`, `originator`, a fresh `session_id` per request.
//    Codex only streams, so a non-stream client request is streamed upstream and aggregated.
//  - Plain OpenAI (any other provider, e.g. `openai` with api "openai-responses"):
//    POST `<baseUrl>/responses` with a bearer key, streaming only when the client streams.
// Provider/model `headers` from config override every default header here.
import { randomUUID } from 'node:crypto'
import { codexAccountId } from '../auth/oauth/jwt.ts'
import type { ProviderDef } from '../config/types.ts'
import { classifyHttp, classifyTransportError, safeMessage } from '../routing/classify.ts'
import { endpoint, jsonHeaders, sendAttempt, type RawSuccess } from './http-attempt.ts'
import { toResponsesRequest, type ResponsesFlavour } from './responses/request.ts'
import { fromResponsesObject } from './responses/response.ts'
import { eventReader, type SseEvent } from './responses/sse.ts'
import { ResponsesAggregator, ResponsesStreamTranslator, UpstreamResponsesError } from './responses/stream.ts'
import type { AttemptRequest, AttemptResult, ProviderAdapter } from './types.ts'

/** Headers the Codex backend expects besides auth and the account id (providers.md §2). */
export const CODEX_HEADERS: Readonly<Record<string, string>> = {
  'openai-beta': 'responses=experimental',
  originator: 'codex_cli_rs',
  'user-agent': 'codex_cli_rs/0.63.0 (rotor)',
}

const MAX_BODY = 64 * 1024 * 1024

export interface ResponsesAdapterOptions {
  /** Clock for `created`; defaults to Date.now. */
  readonly now?: () => number
  /** Codex `session_id` per request; defaults to a random UUID. */
  readonly sessionId?: () => string
}

export function isCodexProvider (provider: ProviderDef): boolean {
  if (provider.id === 'openai-codex') return true
  return /\/backend-api(\/codex)?\/?$/.test(new URL(provider.baseUrl).pathname)
}

/** Endpoint path appended to the provider's baseUrl. */
export function responsesPath (provider: ProviderDef, flavour: ResponsesFlavour): string {
  if (flavour === 'openai') return '/responses'
  return /\/codex\/?$/.test(provider.baseUrl) ? '/responses' : '/codex/responses'
}

function findKey (headers: Record<string, string>, name: string): string | undefined {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) return k
  return undefined
}

function setDefault (headers: Record<string, string>, name: string, value: string): void {
  if (findKey(headers, name) === undefined) headers[name] = value
}

export function codexHeaders (req: AttemptRequest, accountId: string, sessionId: string): Record<string, string> {
  const headers = jsonHeaders(req, { authorization: `Bearer ${req.credential.secret}` })
  for (const [k, v] of Object.entries(CODEX_HEADERS)) setDefault(headers, k, v)
  setDefault(headers, 'chatgpt-account-id', accountId)
  setDefault(headers, 'session_id', sessionId)
  // Codex always streams, whatever the client asked for.
  const accept = findKey(headers, 'accept')
  if (accept !== undefined) delete headers[accept]
  headers.accept = 'text/event-stream'
  return headers
}

type Failure = Exclude<AttemptResult, { kind: 'ok' }>

export function createOpenAIResponsesAdapter (opts: ResponsesAdapterOptions = {}): ProviderAdapter {
  const now = opts.now ?? Date.now
  const newSession = opts.sessionId ?? randomUUID
  return {
    api: 'openai-responses',
    async attempt (req: AttemptRequest): Promise<AttemptResult> {
      const flavour: ResponsesFlavour = isCodexProvider(req.provider) ? 'codex' : 'openai'
      const sessionId = flavour === 'codex' ? newSession() : undefined
      const translated = toResponsesRequest(req.body, req.model, { flavour, stream: req.stream, sessionId })
      if (translated.kind === 'invalid') return { kind: 'bad_request', status: 400, message: translated.message }

      let headers: Record<string, string>
      if (flavour === 'codex') {
        // The resolver passes the stored accountId; older credentials only have it inside the token.
        const accountId = req.credential.extra?.accountId ?? codexAccountId(req.credential.secret)
        if (accountId === undefined) {
          return { kind: 'failure', reason: 'auth', message: `Codex credential ${req.credential.profileId} has no ChatGPT account id; run rotor models auth login --provider openai-codex` }
        }
        headers = codexHeaders(req, accountId, sessionId ?? randomUUID())
      } else {
        headers = jsonHeaders(req, req.credential.secret === '' ? {} : { authorization: `Bearer ${req.credential.secret}` })
      }

      const raw = await sendAttempt({
        url: endpoint(req.provider.baseUrl, responsesPath(req.provider, flavour)),
        headers,
        body: JSON.stringify(translated.request),
        req,
      })
      if (raw.kind !== 'ok') return raw
      const created = Math.floor(now() / 1000)
      if (req.stream) return streamResult(req, raw, created)
      return translated.request.stream ? aggregateResult(req, raw, created) : jsonResult(req, raw, created)
    },
  }
}

/** An in-stream failure before any output, classified as if it were the HTTP error. */
export function streamErrorOutcome (err: UpstreamResponsesError): Failure {
  const outcome = classifyHttp(err.status, {}, err.raw)
  return { ...outcome, message: `stream error ${err.code}: ${safeMessage(err.message)}` }
}

function transportOutcome (err: unknown, req: AttemptRequest): Failure {
  return classifyTransportError(err, { firstByteTimeout: false, clientAborted: req.signal.aborted })
}

function unknownFailure (raw: RawSuccess, err: unknown, fallback: string): Failure {
  const message = err instanceof Error ? err.message : fallback
  return { kind: 'failure', reason: 'unknown', status: raw.status, message: safeMessage(message) }
}

const emptyRest: AsyncIterable<Buffer> = {
  [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }),
}

function completionResult (raw: RawSuccess, response: unknown, req: AttemptRequest, created: number): AttemptResult {
  const result = fromResponsesObject(response, { created, model: req.model.id })
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

/** Plain OpenAI, non-stream: one JSON `response` object. */
async function jsonResult (req: AttemptRequest, raw: RawSuccess, created: number): Promise<AttemptResult> {
  const parts: Buffer[] = [raw.first]
  let size = raw.first.length
  try {
    for await (const chunk of raw.rest) {
      size += chunk.length
      if (size > MAX_BODY) throw new Error('Responses API answer is too large')
      parts.push(chunk)
    }
  } catch (err) {
    raw.close()
    return transportOutcome(err, req)
  }
  raw.close()
  let json: unknown
  try { json = JSON.parse(Buffer.concat(parts).toString('utf8')) } catch {
    return { kind: 'failure', reason: 'unknown', status: raw.status, message: 'Responses API returned a body that is not JSON' }
  }
  return completionResult(raw, json, req, created)
}

/** Codex, non-stream client: the whole upstream stream folded into one chat.completion. */
async function aggregateResult (req: AttemptRequest, raw: RawSuccess, created: number): Promise<AttemptResult> {
  const agg = new ResponsesAggregator()
  const reader = eventReader()
  const feed = (events: SseEvent[]): void => { for (const e of events) agg.push(e.event, e.data) }
  let size = raw.first.length
  try {
    feed(reader.feed(raw.first))
    for await (const chunk of raw.rest) {
      if (agg.done) break
      size += chunk.length
      if (size > MAX_BODY) throw new Error('Responses stream is too large')
      feed(reader.feed(chunk))
    }
    if (!agg.done) feed(reader.end())
  } catch (err) {
    raw.close()
    // Nothing reached the client yet: every failure can still fail over.
    if (err instanceof UpstreamResponsesError) return streamErrorOutcome(err)
    if (err instanceof Error && err.message.startsWith('Responses stream')) return unknownFailure(raw, err, '')
    return transportOutcome(err, req)
  }
  raw.close()
  if (!agg.done) return { kind: 'failure', reason: 'unknown', status: raw.status, message: 'Responses stream ended before response.completed' }
  return completionResult(raw, agg.result(), req, created)
}

/** Output of one upstream chunk: translated text, and the error that cut it short, if any. */
interface Piece { out: string, error: unknown, done: boolean }

function translate (tr: ResponsesStreamTranslator, events: SseEvent[], done: boolean): Piece {
  let out = ''
  try {
    for (const e of events) out += tr.push(e.event, e.data)
    if (done) out += tr.end()
  } catch (err) {
    return { out, error: err, done }
  }
  return { out, error: undefined, done: done || tr.finished }
}

async function streamResult (req: AttemptRequest, raw: RawSuccess, created: number): Promise<AttemptResult> {
  const so = req.body.stream_options
  const includeUsage = typeof so === 'object' && so !== null && (so as Record<string, unknown>).include_usage === true
  const tr = new ResponsesStreamTranslator({ includeUsage, created, model: req.model.id })
  const reader = eventReader()
  const upstream = raw.rest[Symbol.asyncIterator]()
  const pull = async (): Promise<Piece> => {
    const step = await upstream.next()
    return step.done === true ? translate(tr, reader.end(), true) : translate(tr, reader.feed(step.value), false)
  }

  // Before the first output nothing is committed: every problem is an outcome the gateway can fail over on.
  let piece = translate(tr, reader.feed(raw.first), false)
  try {
    while (piece.error === undefined && piece.out === '' && !piece.done) piece = await pull()
  } catch (err) {
    raw.close()
    return transportOutcome(err, req)
  }
  if (piece.error !== undefined || piece.out === '') {
    raw.close()
    if (piece.error instanceof UpstreamResponsesError) return streamErrorOutcome(piece.error)
    return unknownFailure(raw, piece.error, 'Responses stream ended without output')
  }

  const first = Buffer.from(piece.out)
  const rest: AsyncIterable<Buffer> = piece.done
    ? emptyRest
    : (async function * (): AsyncGenerator<Buffer> {
        for (;;) {
          const p = await pull()
          if (p.out !== '') yield Buffer.from(p.out)
          // After commit an upstream failure ends the stream; the gateway sends it as the SSE error event.
          if (p.error instanceof UpstreamResponsesError) throw new Error(`upstream ${p.error.code}: ${safeMessage(p.error.message)}`)
          if (p.error !== undefined) throw p.error
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
