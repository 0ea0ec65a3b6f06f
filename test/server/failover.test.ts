import t from 'tap'
import { errorJson, deadPort } from '../helpers/fake-upstream.ts'
import { scenario, HI, countBy } from '../helpers/scenario.ts'
import { fakeProviderConfig } from '../helpers/gateway.ts'

const failures = {
  '429 rate limit': () => ({ ...errorJson(429, 'Rate limit reached', 'rate_limit_exceeded'), headers: { 'retry-after': '1' } }),
  '402 payment required': () => errorJson(402, 'Insufficient credits'),
  '429 insufficient_quota': () => errorJson(429, 'You exceeded your current quota', 'insufficient_quota'),
  '529 overloaded': () => errorJson(529, 'Overloaded', 'overloaded_error'),
  '500 server error': () => errorJson(500, 'boom'),
  '503 unavailable': () => errorJson(503, 'unavailable'),
  '401 bad key': () => errorJson(401, 'Incorrect API key provided', 'invalid_api_key'),
}

for (const [name, respond] of Object.entries(failures)) {
  t.test(`a ${name} on the first profile fails over to the next profile`, async (t) => {
    const { gw, up } = await scenario(t, { byKey: { a: respond } })
    const res = await gw.chat({ model: 'fake/m1', ...HI })
    const body = await res.json() as { choices: Array<{ message: { content: string } }> }
    t.equal(res.status, 200)
    t.equal(body.choices[0].message.content, 'from b')
    t.equal(res.headers.get('x-rotor-profile'), 'fake:b')
    t.equal(res.headers.get('x-rotor-attempts'), '2')
    t.equal(countBy(up, 'a'), 1)
  })
}

t.test('when every profile of a model fails, the next model in the chain answers', async (t) => {
  const { gw } = await scenario(t, { byKey: { a: () => errorJson(500, 'boom'), b: () => errorJson(529, 'Overloaded') } })
  const res = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'other/o1')
  t.equal(res.headers.get('x-rotor-profile'), 'other:x')
  t.equal(res.headers.get('x-rotor-attempts'), '3')
})

t.test('a refused connection fails over to the fallback model', async (t) => {
  const port = await deadPort()
  const { gw } = await scenario(t, {
    config: (baseUrl) => ({
      models: {
        mode: 'replace',
        providers: {
          dead: { baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-dead-000000000000', models: [{ id: 'd1' }] },
          ...(fakeProviderConfig(baseUrl) as { models: { providers: Record<string, unknown> } }).models.providers,
        },
      },
      agents: { defaults: { model: { primary: 'dead/d1', fallbacks: ['fake/m1'] } } },
    }),
  })
  const res = await gw.chat(HI)
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'fake/m1')
  t.equal(res.headers.get('x-rotor-attempts'), '2')
  const status = await gw.app.inject({ method: 'GET', url: '/admin/status' })
  const dead = (status.json() as { profiles: Array<{ id: string, state: string, cooldownReason: string | null }> }).profiles.find((p) => p.id === 'dead:config')
  t.equal(dead?.state, 'cooldown')
  t.equal(dead?.cooldownReason, 'unknown')
})

t.test('a first-byte timeout cools the profile and the next one answers', async (t) => {
  const { gw, up } = await scenario(t, {
    byKey: { a: () => ({ hang: true }) },
    config: { gateway: { firstByteTimeoutMs: 1000 } },
  })
  const res = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-profile'), 'fake:b')
  t.equal(countBy(up, 'a'), 1)
  const status = await gw.app.inject({ method: 'GET', url: '/admin/status' })
  const a = (status.json() as { profiles: Array<{ id: string, cooldownReason: string | null }> }).profiles.find((p) => p.id === 'fake:a')
  t.equal(a?.cooldownReason, 'timeout')
})

t.test('a first-byte timeout on every candidate is a 504 upstream_timeout', async (t) => {
  const { gw } = await scenario(t, {
    byKey: { a: () => ({ hang: true }), b: () => ({ hang: true }), x: () => ({ hang: true }) },
    config: { gateway: { firstByteTimeoutMs: 500 } },
  })
  const res = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(res.status, 504)
  const body = await res.json() as { error: { code: string } }
  t.equal(body.error.code, 'upstream_timeout')
})

t.test('a 400 from the upstream is returned as is, with no failover', async (t) => {
  const { gw, up } = await scenario(t, { byKey: { a: () => errorJson(400, "This model's maximum context length is 8192 tokens", 'context_length_exceeded', 'invalid_request_error') } })
  const res = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(res.status, 400)
  const body = await res.json() as { error: { message: string } }
  t.match(body.error.message, /maximum context length/)
  t.equal(countBy(up, 'b'), 0)
  t.equal(countBy(up, 'x'), 0)
})

t.test('a 404 model not found moves to the next model without cooling the profile', async (t) => {
  const { gw } = await scenario(t, { byKey: { a: () => errorJson(404, 'The model m1 does not exist', 'model_not_found') } })
  const res = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'other/o1')
  const status = await gw.app.inject({ method: 'GET', url: '/admin/status' })
  const a = (status.json() as { profiles: Array<{ id: string, state: string }> }).profiles.find((p) => p.id === 'fake:a')
  t.equal(a?.state, 'ok')
})

t.test('candidates that fail in different ways give a 502 listing each attempt', async (t) => {
  const { gw } = await scenario(t, { byKey: { a: () => errorJson(500, 'boom'), b: () => errorJson(401, 'bad key'), x: () => errorJson(503, 'down') } })
  const res = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(res.status, 502)
  const body = await res.json() as { error: { code: string, message: string } }
  t.equal(body.error.code, 'upstream_error')
  t.match(body.error.message, /fake:a/)
  t.match(body.error.message, /fake:b/)
  t.match(body.error.message, /other:x/)
  t.notMatch(body.error.message, /sk-fake/)
})
