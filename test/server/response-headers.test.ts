// Every response carries x-request-id; every chat response, errors included, carries
// x-rotor-attempts (0 when no upstream was called) and x-rotor-overhead-ms.
import t from 'tap'
import { errorJson } from '../helpers/fake-upstream.ts'
import { scenario, HI } from '../helpers/scenario.ts'
import { REQUEST_ID } from '../helpers/openai-error.ts'

const OVERHEAD = /^\d+\.\d{3}$/

t.test('every kind of response carries x-request-id, and a valid one sent by the client is echoed', async (t) => {
  const { gw } = await scenario(t, { config: { gateway: { adminKey: 'admin-key-0123456789' } } })
  const admin = { authorization: 'Bearer admin-key-0123456789' }
  const requests: Array<[string, string, Record<string, string>?]> = [
    ['GET', '/healthz'], ['GET', '/readyz'], ['GET', '/metrics'],
    ['GET', '/v1/models'], ['GET', '/v1/models/fake/m1'], ['GET', '/v1/models/nope'],
    ['GET', '/v2/unknown'], ['GET', '/v1/models/%FF'],
    ['GET', '/admin/status', admin], ['GET', '/admin/status'], ['GET', '/admin/order/fake', admin],
    ['GET', '/admin/status?agent=..', admin],
  ]
  for (const [method, path, headers] of requests) {
    const res = await fetch(`${gw.url}${path}`, { method, headers })
    await res.arrayBuffer()
    t.match(res.headers.get('x-request-id') ?? '', REQUEST_ID, `${method} ${path} (${res.status})`)
    const echoed = await fetch(`${gw.url}${path}`, { method, headers: { ...headers, 'x-request-id': 'client-req-42' } })
    await echoed.arrayBuffer()
    t.equal(echoed.headers.get('x-request-id'), 'client-req-42', `${method} ${path} echoes the client's id`)
  }
})

t.test('chat errors before any upstream call say x-rotor-attempts 0 and carry the overhead', async (t) => {
  const { gw, up } = await scenario(t, {
    config: { gateway: { clients: [{ name: 'app', key: 'client-key-123456', agent: 'default' }], bodyLimitBytes: 4096 } },
  })
  const auth = { authorization: 'Bearer client-key-123456' }
  const cases: Array<[string, number, () => Promise<Response>]> = [
    ['401 no key', 401, () => gw.chat({ model: 'fake/m1', ...HI })],
    ['400 malformed JSON', 400, () => gw.chat('{"model":', auth)],
    ['400 schema', 400, () => gw.chat({ model: 'fake/m1' }, auth)],
    ['400 wrong content type', 400, () => fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { ...auth, 'content-type': 'application/xml' }, body: '<x/>' })],
    ['413 too large', 413, () => gw.chat({ model: 'fake/m1', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] }, auth)],
    ['404 unknown model', 404, () => gw.chat({ model: 'nope/x', ...HI }, auth)],
  ]
  for (const [name, status, send] of cases) {
    const res = await send()
    await res.arrayBuffer()
    t.equal(res.status, status, name)
    t.equal(res.headers.get('x-rotor-attempts'), '0', `${name}: attempts`)
    t.match(res.headers.get('x-rotor-overhead-ms') ?? '', OVERHEAD, `${name}: overhead`)
    t.match(res.headers.get('x-request-id') ?? '', REQUEST_ID, `${name}: request id`)
  }
  t.equal(up.requests.length, 0)
})

t.test('a 429 after upstream attempts counts them; the next 429 without a call says 0', async (t) => {
  const limited = () => ({ ...errorJson(429, 'Rate limit reached'), headers: { 'retry-after': '120' } })
  const { gw } = await scenario(t, { byKey: { a: limited, b: limited, x: limited } })
  const first = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(first.status, 429)
  t.equal(first.headers.get('x-rotor-attempts'), '3')
  t.match(first.headers.get('x-rotor-overhead-ms') ?? '', OVERHEAD)
  const second = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(second.status, 429)
  t.equal(second.headers.get('x-rotor-attempts'), '0')
  t.match(second.headers.get('x-rotor-overhead-ms') ?? '', OVERHEAD)
})
