// The one place that writes an upstream body to the client socket: backpressure, client
// abort, and the terminal SSE error event when the upstream dies after the first byte.
import type { ServerResponse } from 'node:http'
import type { UpstreamSuccess } from '../providers/types.ts'
import { sseErrorEvent } from './error-reply.ts'

export type StreamEnd =
  | { readonly kind: 'complete', readonly bytes: number, readonly tail: string }
  | { readonly kind: 'upstream_error', readonly bytes: number, readonly message: string }
  | { readonly kind: 'client_aborted', readonly bytes: number }

const TAIL = 4096

function waitDrain (raw: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => { raw.off('drain', onDrain); raw.off('close', onClose); resolve(ok) }
    const onDrain = done(true)
    const onClose = done(false)
    raw.once('drain', onDrain)
    raw.once('close', onClose)
  })
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
  if (res.contentLength !== undefined && res.contentLength === res.first.length) {
    // The whole body came in the first chunk (the common non-stream case): one write.
    raw.end(res.first)
    try { for await (const _ of res.rest) { /* already complete; lets the connection go back to the pool */ } } catch { /* body was complete */ }
    res.close()
    return { kind: 'complete', bytes: res.first.length, tail: res.first.subarray(Math.max(0, res.first.length - TAIL)).toString('utf8') }
  }
  let bytes = res.first.length
  let prev: Buffer | undefined
  let last: Buffer = res.first
  if (res.first.length > 0 && !raw.write(res.first) && !(await waitDrain(raw))) {
    res.close()
    return { kind: 'client_aborted', bytes }
  }
  try {
    for await (const chunk of res.rest) {
      if (raw.destroyed) { res.close(); return { kind: 'client_aborted', bytes } }
      bytes += chunk.length
      prev = last
      last = chunk
      if (!raw.write(chunk) && !(await waitDrain(raw))) {
        res.close()
        return { kind: 'client_aborted', bytes }
      }
    }
  } catch (err) {
    res.close()
    if (raw.destroyed) return { kind: 'client_aborted', bytes }
    const message = `Upstream failed after the response started: ${err instanceof Error ? err.message : String(err)}`
    if (sse) raw.end(sseErrorEvent(message))
    else raw.destroy()
    return { kind: 'upstream_error', bytes, message }
  }
  raw.end()
  res.close()
  const tail = last.length >= TAIL || prev === undefined
    ? last.subarray(Math.max(0, last.length - TAIL)).toString('utf8')
    : prev.subarray(Math.max(0, prev.length - (TAIL - last.length))).toString('utf8') + last.toString('utf8')
  return { kind: 'complete', bytes, tail }
}
