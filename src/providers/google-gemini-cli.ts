// Google Antigravity (api "google-gemini-cli"): OpenAI-shaped requests in, the Cloud Code Assist
// envelope out (`POST <base>/v1internal:streamGenerateContent?alt=sse` when streaming,
// `/v1internal:generateContent` otherwise), OpenAI-shaped bytes back. Translation lives in
// ./gemini/; this file does the identity headers, the account's project (the oauth credential's
// `projectId`, handed over as `extra.projectId`), the endpoint and Google's error shape;
// ./translated-stream.ts does the I/O around the answer.
import { randomBytes } from 'node:crypto'
import { CLOUD_CODE_HEADERS } from '../auth/oauth/google-project.ts'
import { safeMessage } from '../core/classify.ts'
import { UpstreamEventError } from '../core/errors.ts'
import type { LateError } from '../core/types.ts'
import { classifyCloudCodeError, cloudCodeError } from './gemini/errors.ts'
import { isClaude, toCloudCodeRequest } from './gemini/request.ts'
import { fromCloudCodeResponse } from './gemini/response.ts'
import { GeminiStreamTranslator } from './gemini/stream.ts'
import { endpoint, jsonHeaders, sendAttempt, setDefaultHeader, type RawSuccess } from './http-attempt.ts'
import { jsonCompletion, translatedStream, wantsUsage, type Failure } from './translated-stream.ts'
import type { AttemptRequest, AttemptResult, ProviderAdapter } from './types.ts'

export const STREAM_PATH = '/v1internal:streamGenerateContent?alt=sse'
export const GENERATE_PATH = '/v1internal:generateContent'
/** Claude thinking models behind the API want Anthropic's interleaved-thinking beta announced. */
const INTERLEAVED_THINKING = 'interleaved-thinking-2025-05-14'

export interface GoogleGeminiCliAdapterOptions {
  /** Clock for `created`, request ids and date-valued wait hints; defaults to Date.now. */
  readonly now?: () => number
}

/** Bearer token, Antigravity identity, and config headers (which win). */
export function antigravityHeaders (req: AttemptRequest): Record<string, string> {
  const headers = jsonHeaders(req, { authorization: `Bearer ${req.credential.secret}` })
  for (const k in CLOUD_CODE_HEADERS) setDefaultHeader(headers, k, CLOUD_CODE_HEADERS[k])
  if (isClaude(req.model.id) && req.model.reasoning) setDefaultHeader(headers, 'anthropic-beta', INTERLEAVED_THINKING)
  return headers
}

/** An error event before any output, classified like the HTTP error it stands for. */
export function streamErrorOutcome (err: UpstreamEventError, now: number): Failure {
  const outcome = classifyCloudCodeError(err.status, {}, err.raw ?? '', now)
  return { ...outcome, message: `stream error: ${outcome.message}` }
}

/**
 * An error event after output was committed. It carries what the Google error signals, so core
 * decides on it as on the same error before commit (a 429 QUOTA_EXHAUSTED with a reset cools the
 * model, not the profile).
 */
export function lateStreamError (err: UpstreamEventError, now: number): LateError {
  const late = { kind: 'upstream', status: err.status, code: err.errorType, message: safeMessage(err.message), raw: err.raw } as const
  const e = cloudCodeError(err.status, {}, err.raw ?? '', now)
  if (e === undefined) return late
  return e.facts.retryAfterMs === undefined
    ? { ...late, signal: e.facts.signal }
    : { ...late, signal: e.facts.signal, retryAfterMs: e.facts.retryAfterMs }
}

export function createGoogleGeminiCliAdapter (opts: GoogleGeminiCliAdapterOptions = {}): ProviderAdapter {
  const now = opts.now ?? Date.now
  // requestId = agent-<ms>-<per-process random><counter>: unique without a random draw per request.
  const idPrefix = randomBytes(4).toString('hex')
  let serial = 0
  return {
    api: 'google-gemini-cli',
    async attempt (req: AttemptRequest): Promise<AttemptResult> {
      const projectId = req.credential.extra?.projectId
      if (projectId === undefined || projectId === '') {
        // Unusable until the account is signed in again (login finds the project): an auth failure.
        return { kind: 'failure', reason: 'auth', message: `profile ${req.credential.profileId} has no Google Cloud project id; run rotor models auth login --provider ${req.provider.id}` }
      }
      const started = now()
      const translated = toCloudCodeRequest(req.body, req.model, {
        projectId,
        requestId: `agent-${started}-${idPrefix}${(serial++ % 0x100000).toString(36)}`,
        profileId: req.credential.profileId,
      })
      if (translated.kind === 'invalid') return { kind: 'bad_request', status: 400, message: translated.message }
      const raw = await sendAttempt({
        url: endpoint(req.provider.baseUrl, req.stream ? STREAM_PATH : GENERATE_PATH),
        headers: antigravityHeaders(req),
        body: JSON.stringify(translated.request),
        req,
        classify: (status, headers, text) => classifyCloudCodeError(status, headers, text, now()),
      })
      if (raw.kind !== 'ok') return raw
      const created = Math.floor(started / 1000)
      return req.stream ? streamResult(req, raw, created, now) : jsonResult(req, raw, created)
    },
  }
}

function jsonResult (req: AttemptRequest, raw: RawSuccess, created: number): Promise<AttemptResult> {
  return jsonCompletion(req, raw, {
    notJson: 'Antigravity returned a body that is not JSON',
    convert: (json) => fromCloudCodeResponse(json, { created, model: req.model.id }),
  })
}

function streamResult (req: AttemptRequest, raw: RawSuccess, created: number, now: () => number): Promise<AttemptResult> {
  const tr = new GeminiStreamTranslator({ includeUsage: wantsUsage(req.body), created, model: req.model.id })
  return translatedStream(req, raw, tr, {
    // No [DONE] upstream: the stream ends at EOF, after the chunk with the finish reason.
    stopWhenFinished: false,
    earlyError: (err) => err instanceof UpstreamEventError ? streamErrorOutcome(err, now()) : undefined,
    lateError: (err) => err instanceof UpstreamEventError ? lateStreamError(err, now()) : undefined,
    emptyMessage: 'Antigravity stream ended without output',
  })
}
