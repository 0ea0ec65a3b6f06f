// Slow OpenAI streaming upstream for the soak: each answer waits `firstByteMs`, then sends
// `chunks` content chunks `intervalMs` apart, a finish chunk and [DONE]. It counts what a
// leak would show: responses still open, responses the other side closed before their end,
// and connected sockets. GET /_stats returns those counts.
// Standalone: `node bench/slow-upstream.ts [--first-byte-ms N] [--interval-ms N] [--chunks N]` prints {"port":N}.
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { parseArgs } from 'node:util'
import { isMain } from './lib/is-main.ts'

export interface SlowOptions {
  firstByteMs: number
  intervalMs: number
  chunks: number
}

export interface SlowStats {
  /** Responses started and not yet closed. */
  open: number
  /** Responses whose connection closed before the end (the client side hung up). */
  aborted: number
  finished: number
  total: number
  /** Sockets connected right now (idle keep-alive ones included). */
  sockets: number
}

function chunk(delta: Record<string, unknown>, finish: string | null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-soak', object: 'chat.completion.chunk', created: 1767225600, model: 'm1', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export function startSlowUpstream(opts: SlowOptions, host = '127.0.0.1'): Promise<{ port: number; server: Server }> {
  const stats: SlowStats = { open: 0, aborted: 0, finished: 0, total: 0, sockets: 0 }
  const sockets = new Set<Socket>()

  async function stream(res: ServerResponse): Promise<void> {
    await delay(opts.firstByteMs)
    const write = (text: string): Promise<boolean> => new Promise((resolve) => {
      if (res.destroyed) { resolve(false); return }
      res.write(text, () => resolve(!res.destroyed))
    })
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    if (!await write(chunk({ role: 'assistant', content: '' }, null))) return
    for (let i = 0; i < opts.chunks; i++) {
      await delay(opts.intervalMs)
      if (!await write(chunk({ content: ` word${i}` }, null))) return
    }
    if (!await write(chunk({}, 'stop'))) return
    res.end('data: [DONE]\n\n')
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/_stats') {
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...stats, sockets: sockets.size }))
      return
    }
    stats.total++
    stats.open++
    res.once('close', () => {
      stats.open--
      if (res.writableFinished) stats.finished++
      else stats.aborted++
    })
    req.resume()
    req.once('end', () => { void stream(res) })
  })
  server.keepAliveTimeout = 65_000
  server.on('connection', (s: Socket) => { sockets.add(s); s.once('close', () => sockets.delete(s)) })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    // A deep accept queue: the soak opens a thousand connections at once.
    server.listen({ port: 0, host, backlog: 4096 }, () => resolve({ port: (server.address() as AddressInfo).port, server }))
  })
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { 'first-byte-ms': { type: 'string' }, 'interval-ms': { type: 'string' }, chunks: { type: 'string' } } })
  const running = await startSlowUpstream({
    firstByteMs: Number(values['first-byte-ms'] ?? 100),
    intervalMs: Number(values['interval-ms'] ?? 100),
    chunks: Number(values.chunks ?? 20),
  })
  process.stdout.write(`${JSON.stringify({ port: running.port })}\n`)
  const stop = (): void => { running.server.closeAllConnections(); running.server.close(() => process.exit(0)) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
