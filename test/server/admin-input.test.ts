// Hostile admin input is a 4xx, never a 500: prototype names as providers, repeated or
// oversized query values, path traversal in ?agent=, and bodies built to break parsers.
import t from 'tap'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { scenario, HI } from '../helpers/scenario.ts'
import { openAIError } from '../helpers/openai-error.ts'

t.test('prototype names as providers are 4xx on every admin order route', async (t) => {
  const { gw } = await scenario(t, {})
  const cases: Array<{ method: 'GET' | 'DELETE' | 'PUT', url: string, payload?: unknown }> = [
    { method: 'GET', url: '/admin/order/constructor' },
    { method: 'GET', url: '/admin/order/hasOwnProperty' },
    { method: 'GET', url: '/admin/order/__proto__' },
    { method: 'GET', url: '/admin/order/tostring' },
    { method: 'DELETE', url: '/admin/order/constructor' },
    { method: 'DELETE', url: '/admin/order/__proto__' },
    { method: 'PUT', url: '/admin/order/constructor', payload: { order: ['fake:a'] } },
    { method: 'PUT', url: '/admin/order/__proto__', payload: { order: ['fake:a'] } },
  ]
  for (const c of cases) {
    const res = await gw.app.inject({ method: c.method, url: c.url, payload: c.payload as Record<string, unknown> | undefined })
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${c.method} ${c.url} → ${res.statusCode}`)
    t.ok(openAIError(res.body), 'OpenAI-shaped')
  }
  const known = await gw.app.inject({ method: 'GET', url: '/admin/order/fake' })
  t.equal(known.statusCode, 200, 'a real provider still answers')
})

t.test('bad ?agent= values are a 400 naming param agent, and no file is made outside ROTOR_HOME', async (t) => {
  const { gw } = await scenario(t, {})
  const parent = join(gw.home, '..')
  const before = new Set(readdirSync(parent))
  const agents = ['a&agent=b', 'x'.repeat(10_000), '..%2F..%2Ftmp%2Frotor-traversal', '..', 'Work', '-x', '%00', '']
  for (const a of agents) {
    for (const [method, url, payload] of [
      ['GET', `/admin/status?agent=${a}`, undefined],
      ['GET', `/admin/order/fake?agent=${a}`, undefined],
      ['DELETE', `/admin/order/fake?agent=${a}`, undefined],
      ['PUT', `/admin/order/fake?agent=${a}`, { order: ['fake:a'] }],
      ['POST', `/admin/profiles/fake:a/clear-cooldown?agent=${a}`, undefined],
    ] as const) {
      const res = await gw.app.inject({ method, url, payload })
      t.equal(res.statusCode, 400, `${method} ${url.slice(0, 60)}`)
      const err = openAIError(res.body)
      t.equal(err?.code, 'invalid_request')
      t.equal(err?.param, 'agent')
    }
  }
  t.notOk(existsSync(join(gw.home, 'agents', '..', '..', 'tmp', 'rotor-traversal')), 'no traversal directory')
  t.strictSame(readdirSync(parent).filter((n) => !before.has(n) && n.startsWith('rotor-traversal')), [])
  const ok = await gw.app.inject({ method: 'GET', url: '/admin/status?agent=default' })
  t.equal(ok.statusCode, 200)
})

t.test('bad admin bodies and path params are a 400', async (t) => {
  const { gw } = await scenario(t, {})
  const put = (payload: string): Promise<{ statusCode: number, body: string }> => gw.app.inject({ method: 'PUT', url: '/admin/order/fake', headers: { 'content-type': 'application/json' }, payload })
  for (const payload of ['{"order": "fake:a"}', '{"order": []}', '{"order": [1]}', '{"order": [["fake:a"]]}', '[]', 'null', '{', `{"order": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`]) {
    const res = await put(payload)
    t.equal(res.statusCode, 400, payload.slice(0, 40))
    t.ok(openAIError(res.body), 'OpenAI-shaped')
  }
  const long = await gw.app.inject({ method: 'POST', url: `/admin/profiles/${'p'.repeat(5000)}/clear-cooldown` })
  t.ok(long.statusCode === 400 || long.statusCode === 404, `long profile id → ${long.statusCode}`)
  t.ok(openAIError(long.body), 'OpenAI-shaped')
})

t.test('a 100k-deep chat body with a duplicate model key is a 400, not a 500', async (t) => {
  const { gw, up } = await scenario(t, {})
  const deep = '['.repeat(100_000) + ']'.repeat(100_000)
  const bodies = {
    'deep with a duplicate model': `{"model":"fake/m1","model":"fake/m1","messages":[{"role":"user","content":"hi"}],"x":${deep}}`,
    'deep alone': `{"model":"fake/m1","messages":[{"role":"user","content":"hi"}],"x":${deep}}`,
    'duplicate model alone': '{"model":"fake/m2","messages":[{"role":"user","content":"hi"}],"model":"fake/m1"}',
    'duplicate model spelled with an escape': '{"mod\\u0065l":"fake/m2","messages":[{"role":"user","content":"hi"}],"model":"fake/m1"}',
  }
  for (const [name, body] of Object.entries(bodies)) {
    const res = await gw.chat(body)
    t.equal(res.status, 400, name)
    const err = openAIError(await res.text())
    t.equal(err?.code, 'invalid_request', name)
    t.equal(res.headers.get('x-rotor-attempts'), '0', name)
  }
  t.equal(up.requests.length, 0)
  const nested = await gw.chat({ model: 'fake/m1', ...HI, metadata: { model: 'x', a: { model: 'y' } } })
  t.equal(nested.status, 200, 'a nested "model" key is not a duplicate')
})

t.test('prototype names as models are a clean 404 or 400, or (as a known provider\'s model id) passed through as the string they are', async (t) => {
  const { gw, up } = await scenario(t, {})
  for (const model of ['constructor', '__proto__/x', 'toString', 'hasOwnProperty', '__proto__', 'constructor/m1', 'fake/m1@fake:constructor', 'fake/m1@fake:__proto__']) {
    const res = await gw.chat({ model, ...HI })
    t.ok(res.status === 404 || res.status === 400, `${model} → ${res.status}`)
    t.ok(openAIError(await res.text()), 'OpenAI-shaped')
  }
  for (const id of ['constructor', '__proto__', 'toString', 'fake%2F__proto__']) {
    const res = await fetch(`${gw.url}/v1/models/${id}`)
    t.equal(res.status, 404, `/v1/models/${id}`)
    t.equal(openAIError(await res.text())?.code, 'model_not_found')
  }
  t.equal(up.requests.length, 0)
  // A known provider takes model ids its catalog does not list: these are just names to it.
  for (const model of ['constructor', '__proto__']) {
    const res = await gw.chat({ model: `fake/${model}`, ...HI })
    t.equal(res.status, 200, `fake/${model}`)
    t.equal(up.requests.at(-1)?.body.model, model)
  }
})
