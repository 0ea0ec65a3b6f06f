import t from 'tap'
import { scenario, HI, KEYS } from '../helpers/scenario.ts'
import { startTestGateway, fakeProviderConfig } from '../helpers/gateway.ts'

interface ErrorBody { error: { message: string, type: string, param: string | null, code: string } }

t.test('no credentials for any candidate is a 503 naming the provider', async (t) => {
  const gw = await startTestGateway({ config: fakeProviderConfig('http://127.0.0.1:9/v1') })
  t.teardown(() => gw.close())
  const res = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(res.status, 503)
  const body = await res.json() as ErrorBody
  t.equal(body.error.code, 'no_credentials')
  t.equal(body.error.message, 'No credentials found for provider fake')
})

t.test('an unknown model is a 404 model_not_found in OpenAI shape', async (t) => {
  const { gw, up } = await scenario(t, {})
  const res = await gw.chat({ model: 'nope/nothing', ...HI })
  t.equal(res.status, 404)
  const body = await res.json() as ErrorBody
  t.equal(body.error.code, 'model_not_found')
  t.equal(body.error.param, 'model')
  t.type(body.error.message, 'string')
  t.equal(up.requests.length, 0)
})

t.test('malformed JSON is a 400 invalid_request', async (t) => {
  const { gw } = await scenario(t, {})
  const res = await gw.chat('{"model": "fake/m1", "messages": [')
  t.equal(res.status, 400)
  const body = await res.json() as ErrorBody
  t.equal(body.error.code, 'invalid_request')
  t.equal(body.error.type, 'invalid_request_error')
})

t.test('a missing messages array is a 400 invalid_request naming it', async (t) => {
  const { gw } = await scenario(t, {})
  const res = await gw.chat({ model: 'fake/m1' })
  t.equal(res.status, 400)
  const body = await res.json() as ErrorBody
  t.equal(body.error.code, 'invalid_request')
  t.match(body.error.message, /messages/)
})

t.test('wrong types are a 400, not coerced', async (t) => {
  const { gw } = await scenario(t, {})
  for (const bad of [{ model: 42, ...HI }, { model: 'fake/m1', messages: 'hi' }, { model: 'fake/m1', stream: 'yes', ...HI }]) {
    const res = await gw.chat(bad)
    t.equal(res.status, 400, JSON.stringify(bad))
    t.equal(((await res.json()) as ErrorBody).error.code, 'invalid_request')
  }
})

t.test('a body over the limit is a 413 request_too_large and nothing goes upstream', async (t) => {
  const { gw, up } = await scenario(t, { config: { gateway: { bodyLimitBytes: 4096 } } })
  const res = await gw.chat({ model: 'fake/m1', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] })
  t.equal(res.status, 413)
  t.equal(((await res.json()) as ErrorBody).error.code, 'request_too_large')
  t.equal(up.requests.length, 0)
})

t.test('with clients configured, a wrong or missing key is a 401 invalid_api_key', async (t) => {
  const { gw, up } = await scenario(t, { config: { gateway: { clients: [{ name: 'app', key: 'client-key-123456', agent: 'default' }] } } })
  const wrong = await gw.chat({ model: 'fake/m1', ...HI }, { authorization: 'Bearer nope-nope-nope' })
  t.equal(wrong.status, 401)
  t.equal(((await wrong.json()) as ErrorBody).error.code, 'invalid_api_key')
  const missing = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(missing.status, 401)
  const models = await fetch(`${gw.url}/v1/models`)
  t.equal(models.status, 401)
  const ok = await gw.chat({ model: 'fake/m1', ...HI }, { authorization: 'Bearer client-key-123456' })
  t.equal(ok.status, 200)
  const viaHeader = await gw.chat({ model: 'fake/m1', ...HI }, { 'x-api-key': 'client-key-123456' })
  t.equal(viaHeader.status, 200)
  t.equal(up.requests.length, 2)
  t.equal(up.requests[0].headers.authorization, `Bearer ${KEYS.a}`, 'the client key is not forwarded upstream')
})

t.test('every response carries the rotor headers', async (t) => {
  const { gw } = await scenario(t, {})
  const res = await gw.chat({ model: 'fake/m1', ...HI }, { 'x-request-id': 'req-abc-1' })
  t.equal(res.headers.get('x-request-id'), 'req-abc-1')
  t.equal(res.headers.get('x-rotor-model'), 'fake/m1')
  t.equal(res.headers.get('x-rotor-attempts'), '1')
  t.match(res.headers.get('x-rotor-overhead-ms') ?? '', /^\d+\.\d+$/)
  const err = await gw.chat({ model: 'nope/x', ...HI })
  t.ok(err.headers.get('x-request-id'))
})

t.test('GET /v1/models lists provider/model refs and aliases; /v1/models/{id} finds one', async (t) => {
  const { gw } = await scenario(t, {})
  const list = await (await fetch(`${gw.url}/v1/models`)).json() as { object: string, data: Array<{ id: string }> }
  t.equal(list.object, 'list')
  const ids = list.data.map((m) => m.id)
  t.ok(ids.includes('fake/m1'))
  t.ok(ids.includes('other/o1'))
  t.ok(ids.includes('one'))
  const one = await fetch(`${gw.url}/v1/models/fake/m1`)
  t.equal(one.status, 200)
  t.equal(((await one.json()) as { id: string }).id, 'fake/m1')
  const none = await fetch(`${gw.url}/v1/models/fake/zzz`)
  t.equal(none.status, 404)
  t.equal(((await none.json()) as ErrorBody).error.code, 'model_not_found')
})

t.test('/healthz and /readyz answer', async (t) => {
  const { gw } = await scenario(t, {})
  t.same(await (await fetch(`${gw.url}/healthz`)).json(), { status: 'ok' })
  const ready = await (await fetch(`${gw.url}/readyz`)).json() as { status: string }
  t.equal(ready.status, 'ready')
})
