// A scripted upstream on a loopback port: each request is answered by the next script
// entry (or a handler), and recorded so tests can assert which credential it carried.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { playWire, type WireScript } from './wire-script.ts'

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly raw: string
  readonly body: Record<string, unknown>
  /** Settles when the response closes: `finished` false when the connection went before the end (rotor hung up). */
  readonly closed: Promise<{ readonly finished: boolean }>
}

export interface Scripted {
  status?: number
  headers?: Record<string, string>
  /** Whole JSON/text body. */
  body?: unknown
  /** SSE or raw chunks, written in order; `gate` is awaited before the chunk is written. */
  chunks?: Array<string | { data: string, gate?: Promise<unknown> }>
  /** Destroy the socket after writing this many chunks. */
  destroyAfter?: number
  /** Never answer (first-byte timeout). */
  hang?: boolean
  /** Hostile behaviour (drip, stall, reset at a byte, raw bytes); replaces the fields above. */
  wire?: WireScript
}

export type Handler = (req: RecordedRequest, index: number) => Scripted | Promise<Scripted>

export interface FakeUpstream {
  readonly url: string
  readonly port: number
  readonly requests: RecordedRequest[]
  /** Responses not yet closed (a hung-up client's request no longer counts). */
  openResponses (): number
  /** Connected sockets, idle keep-alive ones included. */
  openSockets (): number
  close (): Promise<void>
}

export function completion (content: string, model = 'm', usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }): unknown {
  return {
    id: 'chatcmpl-fake', object: 'chat.completion', created: 1700000000, model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage,
  }
}

export function sseChunk (content: string, model = 'm'): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1700000000, model, choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`
}

export function errorJson (status: number, message: string, code?: string, type = 'error'): Scripted {
  return { status, body: { error: { message, type, code: code ?? null } } }
}

export async function startFakeUpstream (handler: Handler): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = []
  let open = 0
  const sockets = new Set<import('node:net').Socket>()
  const server = createServer((req, res) => { void serve(req, res) })
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })

  async function serve (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = []
    for await (const c of req) parts.push(c as Buffer)
    const raw = Buffer.concat(parts).toString('utf8')
    let body: Record<string, unknown> = {}
    try { body = JSON.parse(raw) as Record<string, unknown> } catch { /* recorded raw */ }
    open++
    const closed = new Promise<{ finished: boolean }>((resolve) => {
      res.once('close', () => { open--; resolve({ finished: res.writableFinished }) })
    })
    const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, raw, body, closed }
    const index = requests.push(rec) - 1
    const s = await handler(rec, index)
    if (s.hang === true) return
    if (s.wire !== undefined) {
      const type = body.stream === true ? 'text/event-stream' : 'application/json'
      return playWire(res, { ...s.wire, headers: { 'content-type': type, ...s.wire.headers } })
    }
    const status = s.status ?? 200
    if (s.chunks !== undefined) {
      res.writeHead(status, { 'content-type': 'text/event-stream', ...s.headers })
      let n = 0
      if (s.destroyAfter === 0) {
        res.flushHeaders()
        await new Promise<void>((resolve) => res.write('', () => resolve()))
        res.destroy()
        return
      }
      for (const c of s.chunks) {
        const chunk = typeof c === 'string' ? { data: c } : c
        if (chunk.gate !== undefined) await chunk.gate
        if (res.destroyed) return
        // Wait until the chunk reached the socket, so a following destroy cannot swallow it.
        await new Promise<void>((resolve) => res.write(chunk.data, () => resolve()))
        n++
        if (s.destroyAfter !== undefined && n >= s.destroyAfter) { res.destroy(); return }
      }
      res.end()
      return
    }
    const text = typeof s.body === 'string' ? s.body : JSON.stringify(s.body ?? completion('ok'))
    res.writeHead(status, { 'content-type': 'application/json', ...s.headers })
    res.end(text)
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    openResponses: () => open,
    openSockets: () => sockets.size,
    async close () {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A port nothing listens on. */
export { freePort as deadPort } from './ports.ts'
