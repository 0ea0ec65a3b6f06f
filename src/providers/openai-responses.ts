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
import { safeMessage } from '../core/classify.ts'
import type { LateError } from '../core/types.ts'
import { endpoint, headerKey, jsonHeaders, sendAttempt, setDefaultHeader, transportOutcome, type RawSuccess } from './http-attempt.ts'
import { toResponsesRequest, type ResponsesFlavour } from './responses/request.ts'
import { fromResponsesObject } from './responses/response.ts'
import { ResponsesAggregator, ResponsesStreamTranslator } from './responses/stream.ts'
import { eventReader, type SseEvent } from './sse.ts'
import {
  completionSuccess, jsonCompletion, MAX_BODY, streamErrorFailure, translatedStream, unknownFailure, wantsUsage, type Failure,
} from './translated-stream.ts'
import { UpstreamBodyError, UpstreamEventError } from '../core/errors.ts'
import type { AttemptRequest, AttemptResult, ProviderAdapter } from './types.ts'

/** Headers the Codex backend expects besides auth and the account id (docs/providers.md). */
export const CODEX_HEADERS: Readonly<Record<string, string>> = {
  'openai-beta': 'responses=experimental',
  originator: 'codex_cli_rs',
  'user-agent': 'codex_cli_rs/0.63.0 (rotor)',
}

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

export function codexHeaders (req: AttemptRequest, accountId: string, sessionId: string): Record<string, string> {
  const headers = jsonHeaders(req, { authorization: `Bearer ${req.credential.secret}` })
  for (const [k, v] of Object.entries(CODEX_HEADERS)) setDefaultHeader(headers, k, v)
  setDefaultHeader(headers, 'chatgpt-account-id', accountId)
  setDefaultHeader(headers, 'session_id', sessionId)
  // Codex always streams, whatever the client asked for.
  const accept = headerKey(headers, 'accept')
  if (accept !== undefined) delete headers[accept]
  headers.accept = 'text/event-stream'
  return headers
}

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
export function streamErrorOutcome (err: UpstreamEventError, now?: number): Failure {
  return streamErrorFailure(err.status, err.raw ?? '', err.errorType, err.message, now)
}

/** A `response.failed`/`error` event after output was committed, for the routing layer to classify. */
export function lateStreamError (err: UpstreamEventError): LateError {
  return { kind: 'upstream', status: err.status, code: err.errorType, message: `upstream ${err.errorType}: ${safeMessage(err.message)}`, raw: err.raw }
}

/** Plain OpenAI, non-stream: one JSON `response` object. */
function jsonResult (req: AttemptRequest, raw: RawSuccess, created: number): Promise<AttemptResult> {
  return jsonCompletion(req, raw, {
    notJson: 'Responses API returned a body that is not JSON',
    convert: (json) => fromResponsesObject(json, { created, model: req.model.id }),
  })
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
      if (size > MAX_BODY) throw new UpstreamBodyError('too_large', 'Responses stream is too large')
      feed(reader.feed(chunk))
    }
    if (!agg.done) feed(reader.end())
  } catch (err) {
    raw.close()
    // Nothing reached the client yet: every failure can still fail over.
    if (err instanceof UpstreamEventError) return streamErrorOutcome(err, req.now())
    if (err instanceof UpstreamBodyError) return unknownFailure(raw, err, '')
    return transportOutcome(err, req)
  }
  raw.close()
  if (!agg.done) return { kind: 'failure', reason: 'unknown', status: raw.status, message: 'Responses stream ended before response.completed' }
  return completionSuccess(raw, fromResponsesObject(agg.result(), { created, model: req.model.id }))
}

function streamResult (req: AttemptRequest, raw: RawSuccess, created: number): Promise<AttemptResult> {
  const tr = new ResponsesStreamTranslator({ includeUsage: wantsUsage(req.body), created, model: req.model.id })
  return translatedStream(req, raw, tr, {
    // Nothing useful follows response.completed.
    stopWhenFinished: true,
    earlyError: (err) => err instanceof UpstreamEventError ? streamErrorOutcome(err, req.now()) : undefined,
    lateError: (err) => err instanceof UpstreamEventError ? lateStreamError(err) : undefined,
    emptyMessage: 'Responses stream ended without output',
  })
}
