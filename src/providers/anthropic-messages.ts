// Anthropic Messages family (api "anthropic-messages"): OpenAI-shaped requests in, OpenAI-shaped
// bytes out. Translation lives in ./anthropic/; this file does auth headers and the I/O around
// one attempt: the stream is read only until its first translated chunk exists (an `error`
// event before that still fails over), then handed over as a pull-based iterator.
import { createParser } from 'eventsource-parser'
import { classifyHttp, classifyTransportError, safeMessage } from '../routing/classify.ts'
import { toAnthropicRequest } from './anthropic/request.ts'
import { fromAnthropicResponse } from './anthropic/response.ts'
import { AnthropicStreamTranslator, UpstreamStreamError } from './anthropic/stream.ts'
import { endpoint, jsonHeaders, sendAttempt, type RawSuccess } from './http-attempt.ts'
import type { AttemptCredential, AttemptRequest, AttemptResult, ProviderAdapter } from './types.ts'

export const ANTHROPIC_VERSION = '2023-06-01'
/** Betas a subscription (OAuth / setup-token) credential must announce. */
export const OAUTH_BETAS: readonly string[] = ['claude-code-20250219', 'oauth-2025-04-20']
/** Claude Code identity headers; provider/model `headers` in config override them. */
export const CLAUDE_CODE_HEADERS: Readonly<Record<string, string>> = {
  'user-agent': 'claude-cli/2.0.55 (external, cli)',
  'x-app': 'cli',
  'anthropic-dangerous-direct-browser-access': 'true',
}

/** Anthropic `error.type` → the HTTP status it comes with, to classify stream `error` events. */
const ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
}

const MAX_JSON_BODY = 64 * 1024 * 1024

export interface AnthropicAdapterOptions {
  /** Clock for `created`; defaults to Date.now. */
  readonly now?: () => number
}

/** `sk-ant-oat…` is a subscription token whatever the profile type says; `sk-ant-api…` a key. */
export function usesBearer (credential: AttemptCredential): boolean {
  if (credential.secret.startsWith('sk-ant-oat')) return true
  if (credential.secret.startsWith('sk-ant-api')) return false
  return credential.type === 'oauth' || credential.type === 'token'
}

function findKey (headers: Record<string, string>, name: string): string | undefined {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) return k
  return undefined
}

export function anthropicHeaders (req: AttemptRequest, bearer: boolean): Record<string, string> {
  const { credential } = req
  const auth: Record<string, string> = credential.type === 'none' || credential.secret === ''
    ? {}
    : bearer ? { authorization: `Bearer ${credential.secret}` } : { 'x-api-key': credential.secret }
  const headers = jsonHeaders(req, auth)
  if (findKey(headers, 'anthropic-version') === undefined) headers['anthropic-version'] = ANTHROPIC_VERSION
  if (!bearer) return headers
  const stray = findKey(headers, 'x-api-key')
  if (stray !== undefined) delete headers[stray]
  for (const [k, v] of Object.entries(CLAUDE_CODE_HEADERS)) {
    if (findKey(headers, k) === undefined) headers[k] = v
  }
  const betaKey = findKey(headers, 'anthropic-beta') ?? 'anthropic-beta'
  const betas = (headers[betaKey] ?? '').split(',').map((b) => b.trim()).filter((b) => b !== '')
  for (const b of OAUTH_BETAS) if (!betas.includes(b)) betas.push(b)
  headers[betaKey] = betas.join(',')
  return headers
}

export function createAnthropicMessagesAdapter (opts: AnthropicAdapterOptions = {}): ProviderAdapter {
  const now = opts.now ?? Date.now
  return {
    api: 'anthropic-messages',
    async attempt (req: AttemptRequest): Promise<AttemptResult> {
      const bearer = usesBearer(req.credential)
      const translated = toAnthropicRequest(req.body, req.model, { stream: req.stream, claudeCode: bearer })
      if (translated.kind === 'invalid') return { kind: 'bad_request', status: 400, message: translated.message }
      const raw = await sendAttempt({
        url: endpoint(req.provider.baseUrl, '/messages'),
        headers: anthropicHeaders(req, bearer),
        body: JSON.stringify(translated.request),
        req,
      })
      if (raw.kind !== 'ok') return raw
      const created = Math.floor(now() / 1000)
      return req.stream ? streamResult(req, raw, created) : jsonResult(req, raw, created)
    },
  }
}

/** Classifies an upstream `error` event that arrived before any output, as if it were the HTTP error. */
export function streamErrorOutcome (err: UpstreamStreamError): Exclude<AttemptResult, { kind: 'ok' }> {
  const outcome = classifyHttp(ERROR_STATUS[err.errorType] ?? 500, {}, err.raw)
  return { ...outcome, message: `stream error ${err.errorType}: ${safeMessage(err.message)}` }
}

function transportOutcome (err: unknown, req: AttemptRequest): Exclude<AttemptResult, { kind: 'ok' }> {
  return classifyTransportError(err, { firstByteTimeout: false, clientAborted: req.signal.aborted })
}

const emptyRest: AsyncIterable<Buffer> = {
  [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }),
}

async function jsonResult (req: AttemptRequest, raw: RawSuccess, created: number): Promise<AttemptResult> {
  const parts: Buffer[] = [raw.first]
  let size = raw.first.length
  try {
    for await (const chunk of raw.rest) {
      size += chunk.length
      if (size > MAX_JSON_BODY) throw new Error('Anthropic response body is too large')
      parts.push(chunk)
    }
  } catch (err) {
    raw.close()
    return transportOutcome(err, req)
  }
  raw.close()
  let json: unknown
  try { json = JSON.parse(Buffer.concat(parts).toString('utf8')) } catch {
    return { kind: 'failure', reason: 'unknown', status: raw.status, message: 'Anthropic returned a body that is not JSON' }
  }
  const result = fromAnthropicResponse(json, { created, model: req.model.id })
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

interface SseEvent { readonly event: string | undefined, readonly data: string }

/** SSE framing over raw chunks: multi-byte characters and events may be split anywhere. */
function eventReader (): { feed: (chunk: Buffer) => SseEvent[], end: () => SseEvent[] } {
  const decoder = new TextDecoder()
  let events: SseEvent[] = []
  const parser = createParser({ onEvent: (e) => { events.push({ event: e.event, data: e.data }) } })
  const take = (): SseEvent[] => { const out = events; events = []; return out }
  return {
    feed: (chunk) => { parser.feed(decoder.decode(chunk, { stream: true })); return take() },
    // A final event without its blank line still counts.
    end: () => { parser.feed(decoder.decode() + '\n\n'); return take() },
  }
}

/** Output of one upstream chunk: translated text, and the error that cut it short, if any. */
interface Piece { out: string, error: unknown, done: boolean }

function translate (tr: AnthropicStreamTranslator, events: SseEvent[], done: boolean): Piece {
  let out = ''
  try {
    for (const e of events) out += tr.push(e.event, e.data)
    if (done) out += tr.end()
  } catch (err) {
    return { out, error: err, done }
  }
  return { out, error: undefined, done }
}

async function streamResult (req: AttemptRequest, raw: RawSuccess, created: number): Promise<AttemptResult> {
  const streamOptions = req.body.stream_options
  const includeUsage = typeof streamOptions === 'object' && streamOptions !== null &&
    (streamOptions as Record<string, unknown>).include_usage === true
  const tr = new AnthropicStreamTranslator({ includeUsage, created, model: req.model.id })
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
    const err = piece.error
    if (err instanceof UpstreamStreamError) return streamErrorOutcome(err)
    const message = err instanceof Error ? err.message : 'Anthropic stream ended without output'
    return { kind: 'failure', reason: 'unknown', status: raw.status, message: safeMessage(message) }
  }

  const first = Buffer.from(piece.out)
  const rest: AsyncIterable<Buffer> = piece.done
    ? emptyRest
    : (async function * (): AsyncGenerator<Buffer> {
        for (;;) {
          const p = await pull()
          if (p.out !== '') yield Buffer.from(p.out)
          // After commit an upstream error ends the stream; the gateway sends it as the SSE error event.
          if (p.error instanceof UpstreamStreamError) throw new Error(safeMessage(p.error.message))
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
