// gateway.requestBodyTimeoutMs: a client that stops sending its request gets a 408
// request_timeout and the connection closes, instead of holding it forever.
import t from 'tap'
import { loadConfig } from '../../src/config/load.ts'
import { startTestGateway, fakeProviderConfig } from '../helpers/gateway.ts'
import { assertOpenAIError } from '../helpers/openai-error.ts'
import { rawExchange } from '../helpers/raw-http.ts'

const HEAD = 'POST /v1/chat/completions HTTP/1.1\r\nHost: rotor\r\nContent-Type: application/json\r\n'

t.test('requestBodyTimeoutMs defaults to 30 s', async (t) => {
  const home = t.testdir({ 'rotor.json': JSON.stringify({}) })
  t.equal(loadConfig({ env: {}, home }).gateway.requestBodyTimeoutMs, 30_000)
  const set = t.testdir({ 'rotor.json': JSON.stringify({ gateway: { requestBodyTimeoutMs: 1234 } }) })
  t.equal(loadConfig({ env: {}, home: set }).gateway.requestBodyTimeoutMs, 1234)
})

t.test('a request that stops halfway is answered 408 and its connection closed', async (t) => {
  const gw = await startTestGateway({ config: { ...fakeProviderConfig('http://127.0.0.1:9/v1'), gateway: { requestBodyTimeoutMs: 200 } } })
  t.teardown(() => gw.close())
  const stalled = {
    'a partial chunked body': `${HEAD}Transfer-Encoding: chunked\r\n\r\n5\r\n{"mod`,
    'a partial Content-Length body': `${HEAD}Content-Length: 100\r\n\r\n{"model":`,
    'headers that never end': `${HEAD}X-Slow: 1\r\n`,
  }
  for (const [name, request] of Object.entries(stalled)) {
    await t.test(name, async (t) => {
      // rawExchange resolves only once the server closed the connection.
      const res = await rawExchange(gw.port, request)
      const err = assertOpenAIError(t, res, 408, 'request_timeout')
      t.equal(err?.type, 'invalid_request_error')
      t.equal(res.headers.connection, 'close')
    })
  }
  const ok = await fetch(`${gw.url}/healthz`)
  t.equal(ok.status, 200, 'the gateway still serves')
})
