// Raw HTTP/1.1 over a TCP socket, for what fetch refuses to send: malformed framing,
// oversized headers, bodies that stop halfway.
import { connect } from 'node:net'

export interface RawResponse {
  readonly status: number
  /** Lower-cased header names; the last value wins. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** Every byte the server sent before closing. */
  readonly raw: string
}

/**
 * Writes `request` (or each of its parts, in order) and reads until the server closes the
 * connection; with `halfClose` the client also ends its side once it has written. Rejects
 * when the server has not closed within `limitMs`: a bound, not a timing claim.
 */
export function rawExchange (port: number, request: string | Buffer | ReadonlyArray<string | Buffer>, limitMs = 10_000, opts: { halfClose?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const parts: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`connection still open after ${limitMs} ms; got ${JSON.stringify(Buffer.concat(parts).toString('latin1'))}`)) }, limitMs)
    socket.on('data', (d: Buffer) => parts.push(d))
    socket.on('error', () => { /* a reset after the answer is read as a close */ })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(parseResponse(Buffer.concat(parts).toString('latin1')))
    })
    socket.on('connect', () => {
      for (const p of Array.isArray(request) ? request : [request]) socket.write(p)
      // Half-close: the server sees the end of the request instead of waiting for more.
      if (opts.halfClose === true) socket.end()
    })
  })
}

/** Splits the first final response in `raw` (after any 1xx) into status, headers and body. */
export function parseResponse (all: string): RawResponse {
  let raw = all
  while (/^HTTP\/1\.[01] 1\d\d /.test(raw) && raw.includes('\r\n\r\n')) raw = raw.slice(raw.indexOf('\r\n\r\n') + 4)
  const headEnd = raw.indexOf('\r\n\r\n')
  const head = headEnd < 0 ? raw : raw.slice(0, headEnd)
  const lines = head.split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  let body = headEnd < 0 ? '' : raw.slice(headEnd + 4)
  const length = headers['content-length']
  if (length !== undefined) body = body.slice(0, Number(length))
  return { status, headers, body, raw: all }
}
