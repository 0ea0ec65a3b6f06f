// Errors Node's HTTP parser and Fastify's router raise before any route runs: each is
// answered in OpenAI's error shape with a request id, and the gateway keeps serving.
import t from 'tap'
import { startTestGateway, fakeProviderConfig } from '../helpers/gateway.ts'
import { assertOpenAIError } from '../helpers/openai-error.ts'
import { rawExchange } from '../helpers/raw-http.ts'

const CHAT_HEAD = 'POST /v1/chat/completions HTTP/1.1\r\nHost: rotor\r\nContent-Type: application/json\r\n'

t.test('malformed requests below the router get OpenAI-shaped errors and a request id', async (t) => {
  const gw = await startTestGateway({ config: fakeProviderConfig('http://127.0.0.1:9/v1') })
  t.teardown(() => gw.close())
  const cases: Array<{ name: string, request: string, status: number, code: string }> = [
    { name: 'headers over the limit are a 431', request: `GET /healthz HTTP/1.1\r\nHost: rotor\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: 431, code: 'request_too_large' },
    { name: 'a bad chunk size is a 400', request: `${CHAT_HEAD}Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`, status: 400, code: 'invalid_request' },
    { name: 'Content-Length with Transfer-Encoding is a 400', request: `${CHAT_HEAD}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`, status: 400, code: 'invalid_request' },
    { name: 'a duplicate Content-Length is a 400', request: `${CHAT_HEAD}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, status: 400, code: 'invalid_request' },
    { name: 'bare LF line endings are a 400', request: 'GET /healthz HTTP/1.1\nHost: rotor\n\n', status: 400, code: 'invalid_request' },
    { name: 'a bad method is a 400', request: '\u0000\u0001 / HTTP/1.1\r\n\r\n', status: 400, code: 'invalid_request' },
    { name: 'bad percent-encoding in the URL is a 400', request: 'GET /v1/models/%FF HTTP/1.1\r\nHost: rotor\r\nConnection: close\r\n\r\n', status: 400, code: 'invalid_request' },
    { name: 'an unknown route is a 404', request: 'GET /v2/nothing HTTP/1.1\r\nHost: rotor\r\nConnection: close\r\n\r\n', status: 404, code: 'not_found' },
    { name: 'an HTTP/1.1 request without Host is a 400', request: 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', status: 400, code: 'invalid_request' },
    { name: 'a CONNECT request is a 404', request: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', status: 404, code: 'not_found' },
    { name: 'an HTTP/2 preface is a 400', request: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', status: 400, code: 'invalid_request' },
  ]
  for (const c of cases) {
    await t.test(c.name, async (t) => { assertOpenAIError(t, await rawExchange(gw.port, c.request), c.status, c.code) })
  }
  t.equal((await fetch(`${gw.url}/healthz`)).status, 200, 'the gateway still serves')
  t.notOk(gw.logs.some((l) => /"level":50/.test(l)), 'no error was logged as a server fault')
})
