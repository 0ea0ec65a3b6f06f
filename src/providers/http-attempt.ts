// One upstream HTTP attempt, shared by every adapter: first-byte deadline, bounded error
// bodies, classification. It resolves only once the first body chunk is in hand, so the
// caller can still fail over; after that the body belongs to the caller.
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { classifyHttp, classifyTransportError } from '../core/classify.ts'
import type { AttemptRequest, AttemptResult } from './types.ts'
import { UpstreamBodyError } from '../core/errors.ts'
import { DEADLINE, deadlinePassed } from './deadline.ts'

const MAX_ERROR_BODY = 64 * 1024

export interface HttpAttemptInput {
  readonly url: URL
  readonly headers: Record<string, string>
  readonly body: string | Buffer
  readonly req: AttemptRequest
  /** Classifies a non-2xx answer; defaults to the shared classifyHttp (for upstreams whose error type is in a header). */
  readonly classify?: (status: number, headers: Dispatcher.ResponseData['headers'], bodyText: string, now?: number) => Exclude<AttemptResult, { kind: 'ok' }>
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

function noop (): void {}

/**
 * Marks a body so that nothing it emits can end the process: destroying an undici body
 * before its end emits a RequestAbortedError, and a request that already completed adds no
 * listener of its own. Readers add their own listeners; this one only keeps the emit safe.
 */
function guard (body: Readable): void { body.on('error', noop) }

/** A transport error (no HTTP status) of this attempt → its outcome; a passed deadline is a timeout, never a client abort. */
export function transportOutcome (err: unknown, req: AttemptRequest, firstByteTimeout = false): Exclude<AttemptResult, { kind: 'ok' }> {
  if (deadlinePassed(req.signal)) return { kind: 'failure', reason: 'timeout', message: DEADLINE.message }
  const headersTimeout = (err as { code?: unknown } | null)?.code === 'UND_ERR_HEADERS_TIMEOUT'
  return classifyTransportError(err, { firstByteTimeout: firstByteTimeout || headersTimeout, clientAborted: req.signal.aborted })
}

/**
 * One attempt. The request's own signal (client gone, or the request deadline) goes to
 * undici as is; the first-byte limit is undici's headersTimeout, then — only when the first
 * body chunk is not already there with the headers — one timer for what is left of it.
 */
export async function sendAttempt (input: HttpAttemptInput): Promise<RawAttemptResult> {
  const { req } = input
  const started = performance.now()
  if (req.signal.aborted) return transportOutcome(req.signal.reason, req)
  let res: Dispatcher.ResponseData
  try {
    res = await req.dispatcher.request({
      origin: input.url.origin,
      path: input.url.pathname + input.url.search,
      method: 'POST',
      headers: input.headers,
      body: input.body,
      signal: req.signal,
      headersTimeout: req.firstByteTimeoutMs,
      bodyTimeout: req.idleTimeoutMs,
    })
  } catch (err) {
    return transportOutcome(err, req)
  }
  const body = res.body
  guard(body)
  const status = res.statusCode
  if (status < 200 || status >= 300) {
    try {
      return (input.classify ?? classifyHttp)(status, res.headers, await readBounded(body), req.now())
    } catch (err) {
      return transportOutcome(err, req)
    }
  }
  let first: Buffer | null
  try {
    first = await firstChunk(body, req.firstByteTimeoutMs - (performance.now() - started))
  } catch (err) {
    release(body)
    return transportOutcome(err, req, err === FIRST_BYTE_TIMEOUT)
  }
  const close = (): void => { release(body) }
  const rest: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]() }
  return { kind: 'ok', status, headers: res.headers, first: first ?? Buffer.alloc(0), rest, body, ttfbMs: performance.now() - started, close }
}

/** Destroys an upstream body unless it is already gone (safe any number of times). */
function release (body: Readable): void {
  if (!body.destroyed) body.destroy()
}

const FIRST_BYTE_TIMEOUT = new Error('first-byte timeout')

function expireFirstByte (body: Readable): void { body.destroy(FIRST_BYTE_TIMEOUT) }

/**
 * The first body chunk (null for an empty body), leaving the stream paused so the caller
 * can either pipe it by events or iterate it. Events rather than an async iterator: the
 * passthrough path then never pays a promise per chunk. Bytes that came with the headers
 * are taken at once, with no timer.
 */
function firstChunk (body: Readable, timeoutMs: number): Promise<Buffer | null> {
  if (body.readableLength > 0) return Promise.resolve(body.read() as Buffer)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(expireFirstByte, Math.max(1, timeoutMs), body)
    const done = (): void => {
      clearTimeout(timer)
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

/**
 * The whole body of a success (its first chunk included) as one buffer, at most `max` bytes;
 * rejects on a transport error or a body over `max`. Events, not an iterator: no promise per chunk.
 */
export function readWhole (raw: RawSuccess, max: number): Promise<Buffer> {
  const { body, first } = raw
  if (body.errored !== null) return Promise.reject(body.errored)
  if (body.readableEnded) return Promise.resolve(first)
  if (body.destroyed) return Promise.reject(new UpstreamBodyError('truncated', 'upstream body closed'))
  return new Promise((resolve, reject) => {
    const parts = [first]
    let size = first.length
    const done = (): void => {
      body.off('data', onData)
      body.off('end', onEnd)
      body.off('error', onError)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > max) {
        done()
        reject(new UpstreamBodyError('too_large', `upstream body is larger than ${max} bytes`))
        return
      }
      parts.push(chunk)
    }
    const onEnd = (): void => { done(); resolve(parts.length === 1 ? first : Buffer.concat(parts, size)) }
    const onError = (err: Error): void => { done(); reject(err) }
    body.on('data', onData)
    body.once('end', onEnd)
    body.once('error', onError)
    body.resume()
  })
}

/** Reads at most MAX_ERROR_BODY bytes of an error body; a longer one is cut there (its connection is dropped). */
async function readBounded (body: Dispatcher.ResponseData['body']): Promise<string> {
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    parts.push(chunk)
    size += chunk.length
    if (size >= MAX_ERROR_BODY) break
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
