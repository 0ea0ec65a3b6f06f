// The baseline: the least a Node proxy can do — forward the POST body to the upstream
// over one keep-alive undici Pool and pipe the answer back, parsing nothing.
// rotor's figures are read against this one.
// Standalone: `node bench/bare-proxy.ts --upstream http://127.0.0.1:N [--host H] [--port N]` prints {"port":N}.
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import type { RunningServer } from './fake-upstream.ts'
import { isMain } from './lib/is-main.ts'

// Request headers worth forwarding; hop-by-hop and host are left to the pool.
const FORWARD_REQUEST = ['content-type', 'content-length', 'authorization', 'x-api-key', 'anthropic-version', 'accept']
const FORWARD_RESPONSE = ['content-type', 'content-length', 'cache-control']

function pick(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of names) {
    const v = headers[name]
    if (typeof v === 'string') out[name] = v
    else if (Array.isArray(v)) out[name] = v.join(', ')
  }
  return out
}

export function startBareProxy(opts: { upstream: string; host?: string; port?: number }): Promise<RunningServer> {
  const upstream = new URL(opts.upstream)
  // Base path of the upstream (e.g. /v1) is kept: the client sends the full path.
  const pool = new Pool(upstream.origin, { keepAliveTimeout: 60_000, pipelining: 1 })

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // The body is collected (not parsed) before forwarding: any LLM gateway reads it whole,
      // and undici sends a Buffer in one write where a streamed body costs extra writes and
      // a far worse p99 — the baseline should be the fastest honest proxy.
      const parts: Buffer[] = []
      for await (const part of req) parts.push(part as Buffer)
      const answer = await pool.request({
        path: req.url ?? '/',
        method: req.method === 'GET' ? 'GET' : 'POST',
        headers: pick(req.headers, FORWARD_REQUEST),
        body: req.method === 'GET' ? null : Buffer.concat(parts),
      })
      res.writeHead(answer.statusCode, pick(answer.headers, FORWARD_RESPONSE))
      await pipeline(answer.body, res)
    } catch {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"message":"bare proxy: upstream failed","type":"server_error","param":null,"code":"upstream_error"}}')
      else res.destroy()
    }
  }

  const server = createServer((req, res) => { void forward(req, res) })
  server.keepAliveTimeout = 65_000
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        port,
        close: async () => {
          await new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
          await pool.close()
        },
      })
    })
  })
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { upstream: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } } })
  if (values.upstream === undefined) {
    process.stderr.write('usage: node bench/bare-proxy.ts --upstream http://127.0.0.1:PORT [--host H] [--port N]\n')
    process.exit(2)
  }
  const running = await startBareProxy({ upstream: values.upstream, host: values.host, port: values.port === undefined ? 0 : Number(values.port) })
  process.stdout.write(`${JSON.stringify({ port: running.port })}\n`)
  const stop = (): void => { void running.close().then(() => process.exit(0)) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
