// Anthropic Messages family (api "anthropic-messages"): OpenAI-shaped requests in, OpenAI-shaped
// bytes out. Translation lives in ./anthropic/; this file does auth headers and the endpoint;
// ./translated-stream.ts does the I/O around the answer (an `error` event before the first
// translated chunk still fails over).
import { safeMessage } from '../core/classify.ts'
import type { LateError } from '../core/types.ts'
import { toAnthropicRequest } from './anthropic/request.ts'
import { fromAnthropicResponse } from './anthropic/response.ts'
import { UpstreamEventError } from '../core/errors.ts'
import { AnthropicStreamTranslator } from './anthropic/stream.ts'
import { endpoint, headerKey, jsonHeaders, sendAttempt, setDefaultHeader, type RawSuccess } from './http-attempt.ts'
import { jsonCompletion, streamErrorFailure, translatedStream, wantsUsage, type Failure } from './translated-stream.ts'
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

export function anthropicHeaders (req: AttemptRequest, bearer: boolean): Record<string, string> {
  const { credential } = req
  const auth: Record<string, string> = credential.type === 'none' || credential.secret === ''
    ? {}
    : bearer ? { authorization: `Bearer ${credential.secret}` } : { 'x-api-key': credential.secret }
  const headers = jsonHeaders(req, auth)
  setDefaultHeader(headers, 'anthropic-version', ANTHROPIC_VERSION)
  if (!bearer) return headers
  const stray = headerKey(headers, 'x-api-key')
  if (stray !== undefined) delete headers[stray]
  for (const [k, v] of Object.entries(CLAUDE_CODE_HEADERS)) setDefaultHeader(headers, k, v)
  const betaKey = headerKey(headers, 'anthropic-beta') ?? 'anthropic-beta'
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
export function streamErrorOutcome (err: UpstreamEventError, now?: number): Failure {
  return streamErrorFailure(err.status, err.raw ?? '', err.errorType, err.message, now)
}

/** An upstream `error` event after output was committed, for the routing layer to classify. */
export function lateStreamError (err: UpstreamEventError): LateError {
  return { kind: 'upstream', status: err.status, code: err.errorType, message: safeMessage(err.message), raw: err.raw }
}

function jsonResult (req: AttemptRequest, raw: RawSuccess, created: number): Promise<AttemptResult> {
  return jsonCompletion(req, raw, {
    notJson: 'Anthropic returned a body that is not JSON',
    convert: (json) => fromAnthropicResponse(json, { created, model: req.model.id }),
  })
}

function streamResult (req: AttemptRequest, raw: RawSuccess, created: number): Promise<AttemptResult> {
  const tr = new AnthropicStreamTranslator({ includeUsage: wantsUsage(req.body), created, model: req.model.id })
  return translatedStream(req, raw, tr, {
    // Read on to the upstream EOF after message_stop.
    stopWhenFinished: false,
    earlyError: (err) => err instanceof UpstreamEventError ? streamErrorOutcome(err, req.now()) : undefined,
    lateError: (err) => err instanceof UpstreamEventError ? lateStreamError(err) : undefined,
    emptyMessage: 'Anthropic stream ended without output',
  })
}
