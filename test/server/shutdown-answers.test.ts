// A request that reaches a gateway already shutting down (on a connection kept busy by an
// earlier request) gets a 503 in OpenAI's shape, and the earlier request still completes.
import t from 'tap'
import { connect } from 'node:net'
import { completion } from '../helpers/fake-upstream.ts'
import { openAIError, REQUEST_ID } from '../helpers/openai-error.ts'
import { parseResponse } from '../helpers/raw-http.ts'
import { scenario, HI } from '../helpers/scenario.ts'

async function until (what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return
    await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error(`never happened: ${what}`)
}

t.test('a request arriving during shutdown is a 503 service_unavailable in OpenAI shape', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const { gw, up } = await scenario(t, { byKey: { a: async (req) => { await gate; return { body: completion('late', String(req.body.model)) } } } })
  const body = JSON.stringify({ model: 'fake/m1', ...HI })
  const socket = connect(gw.port, '127.0.0.1')
  const received: Buffer[] = []
  socket.on('data', (d: Buffer) => received.push(d))
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: rotor\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  await until('the upstream holds the first request', () => up.requests.length === 1)

  const shutdown = gw.app.close()
  const secondRead = new Promise<void>((resolve) => {
    gw.app.server.on('request', (req: { url?: string }) => { if (req.url === '/healthz') resolve() })
  })
  socket.write('GET /healthz HTTP/1.1\r\nHost: rotor\r\n\r\n')
  // The gateway has the second request before the first one finishes.
  await secondRead
  release()
  await Promise.race([closed, new Promise((_resolve, reject) => setTimeout(() => reject(new Error('connection never closed')), 10_000))])
  await shutdown

  const text = Buffer.concat(received).toString('latin1')
  const first = parseResponse(text)
  t.equal(first.status, 200, 'the request in flight completes')
  const secondStart = text.indexOf('HTTP/1.1', 1)
  t.ok(secondStart > 0, `a second answer follows: ${JSON.stringify(text.slice(0, 600))}`)
  const second = parseResponse(text.slice(secondStart))
  t.equal(second.status, 503)
  t.match(second.headers['x-request-id'] ?? '', REQUEST_ID)
  t.equal(openAIError(second.body)?.code, 'service_unavailable')
  t.equal(openAIError(second.body)?.type, 'server_error')
})
