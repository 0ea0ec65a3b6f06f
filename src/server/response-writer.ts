// The one place that writes an upstream body to the client socket: backpressure, client
// abort, and the terminal SSE error event when the upstream dies after the first byte.
import type { ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import type { UpstreamSuccess } from '../providers/types.ts'
import { sseErrorEvent } from './error-reply.ts'

export type StreamEnd =
  | { readonly kind: 'complete', readonly bytes: number, readonly tail: string }
  | { readonly kind: 'upstream_error', readonly bytes: number, readonly message: string }
  | { readonly kind: 'client_aborted', readonly bytes: number }

const TAIL = 4096

/** Byte count and the last two chunks (for the usage tail), updated as chunks go out. */
interface Progress { bytes: number, prev: Buffer | undefined, last: Buffer }

/** How forwarding the rest ended: done, the client went away, or the upstream failed. */
type RestEnd = 'done' | 'client' | Error

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
 * few KB so the caller can read usage without parsing the body.
 */
export async function writeUpstream (
  raw: ServerResponse,
  res: UpstreamSuccess,
  headers: Record<string, string>,
  sse: boolean,
): Promise<StreamEnd> {
  headers['content-type'] = res.contentType
  if (sse) {
    headers['cache-control'] = 'no-cache'
    headers['x-accel-buffering'] = 'no'
  }
  if (res.contentLength !== undefined) headers['content-length'] = String(res.contentLength)
  raw.writeHead(res.status, headers)
  const p: Progress = { bytes: res.first.length, prev: undefined, last: res.first }
  let end: RestEnd
  if (res.contentLength !== undefined && res.contentLength === res.first.length) {
    // The whole body came in the first chunk (the common non-stream case): one write, and
    // the (empty) rest is still read so the connection goes back to the pool.
    raw.end(res.first)
    end = res.body !== undefined ? await pipeEvents(res.body, raw, p) : await pipeIterable(res.rest, raw, p)
    res.close()
    return { kind: 'complete', bytes: p.bytes, tail: tailOf(p) }
  }
  if (res.first.length > 0 && !raw.write(res.first) && !(await waitDrain(raw))) {
    end = 'client'
  } else {
    end = res.body !== undefined ? await pipeEvents(res.body, raw, p) : await pipeIterable(res.rest, raw, p)
  }
  res.close()
  if (end === 'client' || raw.destroyed) return { kind: 'client_aborted', bytes: p.bytes }
  if (end instanceof Error) {
    const message = `Upstream failed after the response started: ${end.message}`
    if (sse) raw.end(sseErrorEvent(message))
    else raw.destroy()
    return { kind: 'upstream_error', bytes: p.bytes, message }
  }
  raw.end()
  return { kind: 'complete', bytes: p.bytes, tail: tailOf(p) }
}
