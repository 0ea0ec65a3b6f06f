// Amazon Bedrock Converse family (api "bedrock-converse-stream"): OpenAI-shaped requests in,
// OpenAI-shaped bytes out, through `POST /model/{modelId}/converse` and `/converse-stream`.
// Translation lives in ./bedrock/; this file authenticates (SigV4 with the AWS credential chain
// for `aws-sdk` profiles, else the Bedrock API key as a bearer token), sends, and hands the
// answer to ./translated-stream.ts (an exception frame before the first output still fails over).
import { createAwsCredentialCache, type AwsCredentialCache, type AwsCredentials } from '../auth/aws-credentials.ts'
import { DEFAULT_BEDROCK_REGION } from '../config/builtin-providers.ts'
import type { Clock, LateError } from '../core/types.ts'
import { safeMessage } from '../core/classify.ts'
import { classifyBedrockHttp, errorSignal, streamExceptionOutcome } from './bedrock/errors.ts'
import { frameReader } from './bedrock/eventstream.ts'
import { toConverseRequest } from './bedrock/request.ts'
import { fromConverseResponse } from './bedrock/response.ts'
import { bearerHeaders, sigv4Headers } from './bedrock/signing.ts'
import { BedrockStreamTranslator } from './bedrock/stream.ts'
import { UpstreamEventError } from '../core/errors.ts'
import { endpoint, sendAttempt, type RawAttemptResult, type RawSuccess } from './http-attempt.ts'
import { jsonCompletion, translatedStream, wantsUsage, type Failure } from './translated-stream.ts'
import type { AttemptRequest, AttemptResult, ProviderAdapter } from './types.ts'

export const BEDROCK_API = 'bedrock-converse-stream'

export interface BedrockAdapterOptions {
  /** Clock for `created` and for credential expiry; defaults to Date.now. */
  readonly now?: Clock
  /** The AWS credential cache of a region; one chain per region by default. */
  readonly credentials?: (region: string) => AwsCredentialCache
}

function baseHeaders (req: AttemptRequest): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: req.stream ? 'application/vnd.amazon.eventstream' : 'application/json',
    ...req.provider.headers,
  }
  if (req.model.headers !== undefined) Object.assign(headers, req.model.headers)
  return headers
}

export function createBedrockConverseAdapter (opts: BedrockAdapterOptions = {}): ProviderAdapter {
  const now = opts.now ?? Date.now
  const caches = new Map<string, AwsCredentialCache>()
  const cacheFor = opts.credentials ?? ((region: string): AwsCredentialCache => {
    let cache = caches.get(region)
    if (cache === undefined) {
      cache = createAwsCredentialCache({ now, region })
      caches.set(region, cache)
    }
    return cache
  })

  return {
    api: BEDROCK_API,
    async attempt (req: AttemptRequest): Promise<AttemptResult> {
      const translated = toConverseRequest(req.body, req.model)
      if (translated.kind === 'invalid') return { kind: 'bad_request', status: 400, message: translated.message }
      const body = JSON.stringify(translated.request)
      const url = endpoint(req.provider.baseUrl, `/model/${encodeURIComponent(req.model.id)}/${req.stream ? 'converse-stream' : 'converse'}`)
      let errorType: string | undefined
      const send = (headers: Record<string, string>): Promise<RawAttemptResult> => {
        errorType = undefined
        return sendAttempt({
          url, headers, body, req,
          classify: (status, h, text, at) => {
            const c = classifyBedrockHttp(status, h, text, at)
            errorType = c.type
            return c.outcome
          },
        })
      }

      let raw: RawAttemptResult
      if (req.credential.type === 'aws-sdk') {
        const cache = cacheFor(req.provider.region ?? DEFAULT_BEDROCK_REGION)
        const signed = async (): Promise<{ creds: AwsCredentials, raw: RawAttemptResult } | Failure> => {
          let creds: AwsCredentials
          try {
            creds = await cache.get()
          } catch (err) {
            return { kind: 'failure', reason: 'auth', message: safeMessage(err instanceof Error ? err.message : String(err)) }
          }
          const headers = await sigv4Headers({ method: 'POST', url, headers: baseHeaders(req), body, region: req.provider.region ?? DEFAULT_BEDROCK_REGION, credentials: creds })
          return { creds, raw: await send(headers) }
        }
        let first = await signed()
        if (!('raw' in first)) return first
        // Rejected credentials are dropped so the next request runs the chain again; a token
        // that expired early (clock skew, revoked session) is replaced and tried once more.
        if (first.raw.kind === 'failure' && first.raw.reason === 'auth') {
          cache.invalidate(first.creds)
          if (errorType === 'ExpiredTokenException') {
            const again = await signed()
            if (!('raw' in again)) return again
            first = again
          }
        }
        raw = first.raw
      } else {
        raw = await send(req.credential.secret === '' ? baseHeaders(req) : bearerHeaders(baseHeaders(req), req.credential.secret))
      }
      if (raw.kind !== 'ok') return raw
      const created = Math.floor(now() / 1000)
      const id = completionId(raw)
      return req.stream ? streamResult(req, raw, created, id) : jsonResult(req, raw, created, id)
    },
  }
}

/** An exception frame after output was committed, with what it signals: core decides on it as on the same frame before commit. */
function lateStreamError (err: UpstreamEventError): LateError {
  const late = { kind: 'upstream', status: err.status, code: err.errorType, message: `${err.errorType}: ${safeMessage(err.message)}` } as const
  const signal = errorSignal(err.errorType, err.message)
  return signal === undefined ? late : { ...late, signal }
}

/** `chatcmpl-<request id>`: Converse answers carry no id of their own. */
function completionId (raw: RawSuccess): string {
  const rid = raw.headers['x-amzn-requestid']
  return `chatcmpl-${typeof rid === 'string' && rid !== '' ? rid : 'bedrock'}`
}

function jsonResult (req: AttemptRequest, raw: RawSuccess, created: number, id: string): Promise<AttemptResult> {
  return jsonCompletion(req, raw, {
    notJson: 'Bedrock returned a body that is not JSON',
    convert: (json) => fromConverseResponse(json, { created, model: req.model.id, id }),
  })
}

function streamResult (req: AttemptRequest, raw: RawSuccess, created: number, id: string): Promise<AttemptResult> {
  const tr = new BedrockStreamTranslator({ includeUsage: wantsUsage(req.body), created, model: req.model.id, id })
  return translatedStream(req, raw, tr, {
    // Read on to the upstream EOF after the metadata event, so the connection is reused.
    stopWhenFinished: false,
    reader: frameReader,
    earlyError: (err) => err instanceof UpstreamEventError ? streamExceptionOutcome(err.errorType, err.message) : undefined,
    lateError: (err) => err instanceof UpstreamEventError ? lateStreamError(err) : undefined,
    emptyMessage: 'Bedrock stream ended without output',
  })
}
