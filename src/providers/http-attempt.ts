// One upstream HTTP attempt, shared by every adapter: first-byte deadline, bounded error
// bodies, classification. It resolves only once the first body chunk is in hand, so the
// caller can still fail over; after that the body belongs to the caller.
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { classifyHttp, classifyTransportError } from '../routing/classify.ts'
import type { AttemptRequest, AttemptResult, UpstreamSuccess } from './types.ts'
import { rewriteModel } from './rewrite-model.ts'

const MAX_ERROR_BODY = 64 * 1024

export interface HttpAttemptInput {
  readonly url: URL
  readonly headers: Record<string, string>
  readonly body: string | Buffer
  readonly req: AttemptRequest
  /** Outcome of a non-2xx answer; defaults to classifyHttp (families with their own error shape pass theirs). */
  readonly classify?: (status: number, headers: Dispatcher.ResponseData['headers'], bodyText: string) => Exclude<AttemptResult, { kind: 'ok' }>
}

/** Successful response before translation: status, headers and a body iterator whose first chunk was read. */
export interface RawSuccess {
  readonly kind: 'ok'
  readonly status: number
  readonly headers: Dispatcher.ResponseData['headers']
  readonly first: Buffer
  readonly rest: AsyncIterable<Buffer>
  /** The paused upstream body after `first`; the same bytes as `rest`. */
  readonly body: Readable
  readonly ttfbMs: number
  readonly close: () => void
}

export type RawAttemptResult = RawSuccess | Exclude<AttemptResult, { kind: 'ok' }>

const urlCache = new Map<string, URL>()

/** Parsed URL for `base + path`, cached: adapters call this on every request. */
export function endpoint (base: string, path: string): URL {
  const key = base + path
  let url = urlCache.get(key)
  if (url === undefined) {
    url = new URL(key)
    if (urlCache.size > 1000) urlCache.clear()
    urlCache.set(key, url)
  }
  return url
}

export async function sendAttempt (input: HttpAttemptInput): Promise<RawAttemptResult> {
  const { req } = input
  const started = performance.now()
  const ac = new AbortController()
  let firstByteTimeout = false
  const onClientAbort = (): void => { ac.abort() }
  if (req.signal.aborted) return { kind: 'client_aborted' }
  req.signal.addEventListener('abort', onClientAbort, { once: true })
  const timer = setTimeout(() => { firstByteTimeout = true; ac.abort() }, req.firstByteTimeoutMs)
  let res: Dispatcher.ResponseData | undefined
  try {
    res = await req.dispatcher.request({
      origin: input.url.origin,
      path: input.url.pathname + input.url.search,
      method: 'POST',
      headers: input.headers,
      body: input.body,
      signal: ac.signal,
      headersTimeout: req.firstByteTimeoutMs,
      bodyTimeout: req.idleTimeoutMs,
    })
    const status = res.statusCode
    if (status < 200 || status >= 300) {
      const text = await readBounded(res.body)
      return (input.classify ?? classifyHttp)(status, res.headers, text)
    }
    const body = res.body
    const first = await firstChunk(body)
    clearTimeout(timer)
    // Later aborts (client gone mid-stream) must still cancel the upstream.
    const close = (): void => {
      req.signal.removeEventListener('abort', onClientAbort)
      if (!body.destroyed) body.destroy()
    }
    const rest: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]() }
    return { kind: 'ok', status, headers: res.headers, first: first ?? Buffer.alloc(0), rest, body, ttfbMs: performance.now() - started, close }
  } catch (err) {
    if (res !== undefined && !res.body.destroyed) res.body.destroy()
    return classifyTransportError(err, { firstByteTimeout, clientAborted: req.signal.aborted })
  } finally {
    clearTimeout(timer)
    if (res === undefined || res.statusCode < 200 || res.statusCode >= 300) {
      req.signal.removeEventListener('abort', onClientAbort)
    }
  }
}

/**
 * The first body chunk (null for an empty body), leaving the stream paused so the caller
 * can either pipe it by events or iterate it. Events rather than an async iterator: the
 * passthrough path then never pays a promise per chunk.
 */
function firstChunk (body: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      body.off('data', onData)
      body.off('end', onEnd)
      body.off('error', onError)
    }
    const onData = (chunk: Buffer): void => { done(); body.pause(); resolve(chunk) }
    const onEnd = (): void => { done(); resolve(null) }
    const onError = (err: Error): void => { done(); reject(err) }
    body.on('data', onData)
    body.once('end', onEnd)
    body.once('error', onError)
  })
}

/** Reads at most MAX_ERROR_BODY bytes of an error body, then drops the rest. */
async function readBounded (body: Dispatcher.ResponseData['body']): Promise<string> {
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size < MAX_ERROR_BODY) { parts.push(chunk); size += chunk.length }
  }
  return Buffer.concat(parts).subarray(0, MAX_ERROR_BODY).toString('utf8')
}

/** The key under which `headers` holds `name` (lower case), whatever its case; undefined when absent. */
export function headerKey (headers: Record<string, string>, name: string): string | undefined {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) return k
  return undefined
}

/** Sets `name` unless a header of that name (in any case) is already there: config headers win. */
export function setDefaultHeader (headers: Record<string, string>, name: string, value: string): void {
  if (headerKey(headers, name) === undefined) headers[name] = value
}

/** Header map for a bearer-authenticated JSON POST, plus provider and model headers. */
export function jsonHeaders (req: AttemptRequest, auth: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...req.provider.headers }
  if (req.model.headers !== undefined) Object.assign(headers, req.model.headers)
  Object.assign(headers, auth)
  if (req.stream) headers.accept = 'text/event-stream'
  return headers
}

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

/** A raw success whose bytes go to the client untouched (OpenAI-wire upstreams). */
export function passthroughSuccess (result: RawSuccess, req: AttemptRequest): UpstreamSuccess {
  const ct = result.headers['content-type']
  const cl = result.headers['content-length']
  const contentLength = typeof cl === 'string' && !req.stream ? Number(cl) : undefined
  return {
    kind: 'ok',
    status: result.status,
    contentType: typeof ct === 'string' ? ct : (req.stream ? 'text/event-stream' : 'application/json'),
    contentLength: contentLength !== undefined && Number.isSafeInteger(contentLength) ? contentLength : undefined,
    first: result.first,
    rest: result.rest,
    body: result.body,
    ttfbMs: result.ttfbMs,
    close: result.close,
  }
}
