// The one place that writes an upstream body to the client socket: backpressure, client
// abort, the proper end of a passthrough stream, and the terminal SSE error event when the
// upstream fails after the first byte. It never throws: whatever happens, the client gets an
// answer (or its socket is closed) and the upstream body is released.
import { validateHeaderName, validateHeaderValue, type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import { UpstreamError } from '../core/errors.ts'
import { lateErrorOf } from '../providers/late-error.ts'
import type { UpstreamSuccess } from '../providers/types.ts'
import type { LateError } from '../core/types.ts'
import { errorBody, sseErrorEvent } from './error-reply.ts'

export type StreamEnd =
  | { readonly kind: 'complete', readonly bytes: number, readonly tail: string }
  | { readonly kind: 'upstream_error', readonly bytes: number, readonly error: LateError, readonly message: string }
  | { readonly kind: 'client_aborted', readonly bytes: number }
  /** rotor could not write the response (e.g. a header value Node refuses); the client got a 502 when nothing was sent yet. */
  | { readonly kind: 'write_failed', readonly bytes: number, readonly message: string }

const TAIL = 4096

/** Byte count and the last two chunks (for the usage tail), updated as chunks go out. */
interface Progress { bytes: number, prev: Buffer | undefined, last: Buffer }

/** How forwarding the rest ended: done, the client went away, or the upstream failed. */
type RestEnd = 'done' | 'client' | Error

function noop (): void {}

function waitDrain (raw: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => { raw.off('drain', onDrain); raw.off('close', onClose); resolve(ok) }
    const onDrain = done(true)
    const onClose = done(false)
    raw.once('drain', onDrain)
    raw.once('close', onClose)
  })
}

/** Passthrough bodies: 'data' events with pause/resume backpressure, no promise per chunk. */
function pipeEvents (body: Readable, raw: ServerResponse, p: Progress): Promise<RestEnd> {
  // The body may have finished (or failed) while it sat paused after its first chunk.
  if (body.readableEnded) return Promise.resolve('done')
  if (body.errored !== null) return Promise.resolve(body.errored)
  if (body.destroyed) return Promise.resolve(new Error('upstream body closed'))
  return new Promise((resolve) => {
    const onData = (chunk: Buffer): void => {
      p.bytes += chunk.length
      p.prev = p.last
      p.last = chunk
      if (!raw.write(chunk)) body.pause()
    }
    const onDrain = (): void => { body.resume() }
    const finish = (r: RestEnd) => (): void => {
      body.off('data', onData)
      body.off('end', onEnd)
      body.off('error', onError)
      raw.off('drain', onDrain)
      raw.off('close', onClose)
      resolve(r)
    }
    const onEnd = finish('done')
    const onClose = finish('client')
    const onError = (err: Error): void => { finish(err)() }
    body.on('data', onData)
    body.once('end', onEnd)
    body.once('error', onError)
    raw.on('drain', onDrain)
    raw.once('close', onClose)
    body.resume()
  })
}

/** Translated bodies: an async iterable of already-encoded chunks. */
async function pipeIterable (rest: AsyncIterable<Buffer>, raw: ServerResponse, p: Progress): Promise<RestEnd> {
  try {
    for await (const chunk of rest) {
      if (raw.destroyed) return 'client'
      p.bytes += chunk.length
      p.prev = p.last
      p.last = chunk
      if (!raw.write(chunk) && !(await waitDrain(raw))) return 'client'
    }
    return 'done'
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err))
  }
}

function tailOf (p: Progress): string {
  const { last, prev } = p
  return last.length >= TAIL || prev === undefined
    ? last.subarray(Math.max(0, last.length - TAIL)).toString('utf8')
    : prev.subarray(Math.max(0, prev.length - (TAIL - last.length))).toString('utf8') + last.toString('utf8')
}

/**
 * Writes status, headers, the first chunk and then the rest as it arrives. Keeps the last
 * few KB so the caller can read usage (and a passthrough stream's end) without parsing the body.
 */
export async function writeUpstream (
  raw: ServerResponse,
  res: UpstreamSuccess,
  headers: Record<string, string>,
  sse: boolean,
): Promise<StreamEnd> {
  // A write after the end would otherwise be an 'error' event nobody listens to.
  raw.on('error', noop)
  const p: Progress = { bytes: 0, prev: undefined, last: res.first }
  try {
    return await forward(raw, res, headers, sse, p)
  } catch (err) {
    return failWrite(raw, headers, err, p)
  } finally {
    res.close()
  }
}

async function forward (raw: ServerResponse, res: UpstreamSuccess, headers: Record<string, string>, sse: boolean, p: Progress): Promise<StreamEnd> {
  headers['content-type'] = res.contentType
  if (sse) {
    headers['cache-control'] = 'no-cache'
    headers['x-accel-buffering'] = 'no'
  }
  if (res.contentLength !== undefined) headers['content-length'] = String(res.contentLength)
  raw.writeHead(res.status, headers)
  p.bytes = res.first.length
  if (res.contentLength !== undefined && res.contentLength === res.first.length) {
    // The whole body is in hand (non-stream answers are read and checked before commit).
    raw.end(res.first)
    return { kind: 'complete', bytes: p.bytes, tail: tailOf(p) }
  }
  let end: RestEnd
  if (res.first.length > 0 && !raw.write(res.first) && !(await waitDrain(raw))) {
    end = 'client'
  } else {
    end = res.body !== undefined ? await pipeEvents(res.body, raw, p) : await pipeIterable(res.rest, raw, p)
  }
  if (end === 'client' || raw.destroyed) return { kind: 'client_aborted', bytes: p.bytes }
  if (end instanceof Error) return failLate(raw, sse, lateErrorOf(end), p)
  if (res.sseEnd !== undefined) {
    const verdict = res.sseEnd(tailOf(p))
    if (verdict.kind === 'failed') return failLate(raw, sse, verdict.error, p)
    if (verdict.append !== undefined) {
      raw.end(verdict.append)
      return { kind: 'complete', bytes: p.bytes, tail: tailOf(p) }
    }
  }
  raw.end()
  return { kind: 'complete', bytes: p.bytes, tail: tailOf(p) }
}

/** The upstream failed after the first byte: a final SSE error event, or a cut connection for a non-stream body. */
function failLate (raw: ServerResponse, sse: boolean, error: LateError, p: Progress): StreamEnd {
  const message = error.kind === 'deadline'
    ? "Response cut at the gateway's request deadline (it had not ended)"
    : `Upstream failed after the response started: ${error.message}`
  const timeout = error.kind === 'idle_timeout' || error.kind === 'deadline'
  // A stream cut inside an event: blank lines first, so the error event is an event of its own.
  if (sse) raw.end((endsEvent(p) ? '' : '\n\n') + sseErrorEvent(message, timeout ? 'upstream_timeout' : 'upstream_error'))
  else raw.destroy()
  return { kind: 'upstream_error', bytes: p.bytes, error, message }
}

function endsEvent (p: Progress): boolean {
  const { last, bytes } = p
  return bytes === 0 || (last.length >= 2 && last[last.length - 1] === 0x0a && last[last.length - 2] === 0x0a)
}

/**
 * rotor itself could not write (writeHead refused a header value, …). Before the status line
 * went out the client still gets an OpenAI-shaped 502 with the headers that are valid;
 * after it, the connection is closed so the client sees a broken response, never a hang.
 */
function failWrite (raw: ServerResponse, headers: Record<string, string>, err: unknown, p: Progress): StreamEnd {
  const code = (err as { code?: unknown } | null)?.code
  const message = `The gateway could not write the upstream's response${typeof code === 'string' ? ` (${code})` : ''}`
  if (raw.headersSent || raw.destroyed) {
    raw.destroy()
    return { kind: 'write_failed', bytes: p.bytes, message }
  }
  try {
    const body = JSON.stringify(errorBody(new UpstreamError(message)))
    const safe = validHeaders(headers)
    safe['content-type'] = 'application/json'
    safe['content-length'] = Buffer.byteLength(body)
    raw.writeHead(502, safe)
    raw.end(body)
  } catch {
    raw.destroy()
  }
  return { kind: 'write_failed', bytes: 0, message }
}

/** The rotor headers Node accepts, minus the body's own (the 502 has its own body). */
function validHeaders (headers: Record<string, string>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'content-type' || name === 'content-length' || name === 'cache-control' || name === 'x-accel-buffering') continue
    try {
      validateHeaderName(name)
      validateHeaderValue(name, value)
      out[name] = value
    } catch { /* left out */ }
  }
  return out
}
