// What the Clawdbot model/auth guide promises, through the gateway: an explicit order is a
// priority list (unless auth.strategy is round-robin), the guide's model ids of known providers
// pass through, the upstream's own 404 moves on to the next model, the guide's Ollama block
// works, and a keyless provider's made-up profile id stays out of auth-profiles.json.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { completion, errorJson, startFakeUpstream, type RecordedRequest } from '../helpers/fake-upstream.ts'
import { messageBody, startFakeAnthropic } from '../helpers/fake-anthropic.ts'
import { startTestGateway, testClock } from '../helpers/gateway.ts'
import { scenario, countBy, HI } from '../helpers/scenario.ts'
import type { MemoryStore } from '../../src/state/memory-store.ts'

const ask = (gw: { chat: (b: unknown) => Promise<Response> }, model: string): Promise<Response> => gw.chat({ model, ...HI })

t.test('an explicit order is a priority list: the first healthy profile serves every request', async (t) => {
  const { gw, up } = await scenario(t, { names: ['a', 'b', 'c', 'x'], config: { auth: { order: { fake: ['fake:c', 'fake:a', 'fake:b'] } } } })
  const used = []
  for (let i = 0; i < 6; i++) used.push((await ask(gw, 'fake/m1')).headers.get('x-rotor-profile'))
  t.strictSame(used, Array(6).fill('fake:c'))
  t.equal(countBy(up, 'a') + countBy(up, 'b'), 0)
})

t.test('an order set for the agent (auth-profiles.json) is a priority list too', async (t) => {
  const { gw } = await scenario(t, { names: ['a', 'b', 'x'], config: { auth: {} } })
  const put = await gw.app.inject({ method: 'PUT', url: '/admin/order/fake', payload: { order: ['fake:b', 'fake:a'] } })
  t.equal(put.statusCode, 200)
  const used = []
  for (let i = 0; i < 4; i++) used.push((await ask(gw, 'fake/m1')).headers.get('x-rotor-profile'))
  t.strictSame(used, ['fake:b', 'fake:b', 'fake:b', 'fake:b'])
})

t.test('auth.strategy: "round-robin" written explicitly rotates through the explicit order; without an order profiles rotate', async (t) => {
  const explicit = await scenario(t, { names: ['a', 'b', 'x'], config: { auth: { strategy: 'round-robin', order: { fake: ['fake:b', 'fake:a'] } } } })
  const rr = []
  for (let i = 0; i < 4; i++) rr.push((await ask(explicit.gw, 'fake/m1')).headers.get('x-rotor-profile'))
  t.strictSame(rr, ['fake:b', 'fake:a', 'fake:b', 'fake:a'])
  const none = await scenario(t, { names: ['a', 'b', 'x'], config: { auth: {} } })
  const seen = new Set<string | null>()
  for (let i = 0; i < 4; i++) seen.add((await ask(none.gw, 'fake/m1')).headers.get('x-rotor-profile'))
  t.strictSame([...seen].sort(), ['fake:a', 'fake:b'])
})

t.test('the guide\'s deepseek/deepseek-r1, openai/gpt-4o and anthropic/claude-3-7-sonnet reach their providers as is', async (t) => {
  const requests: RecordedRequest[] = []
  const up = await startFakeUpstream((req) => { requests.push(req); return { body: completion('ok', String(req.body.model)) } })
  const anthropic = await startFakeAnthropic()
  t.teardown(async () => { await up.close(); await anthropic.close() })
  const gw = await startTestGateway({
    config: {
      logging: { level: 'silent' },
      models: { providers: { deepseek: { baseUrl: `${up.url}/v1` }, openai: { baseUrl: `${up.url}/v1` }, anthropic: { baseUrl: anthropic.baseUrl } } },
    },
    env: { DEEPSEEK_API_KEY: 'sk-deepseek-guide-key-1234', OPENAI_API_KEY: 'sk-openai-guide-key-1234', ANTHROPIC_API_KEY: 'sk-ant-api03-guide-key-1234' },
  })
  t.teardown(() => gw.close())
  for (const [ref, model] of [['deepseek/deepseek-r1', 'deepseek-r1'], ['openai/gpt-4o', 'gpt-4o']]) {
    const res = await ask(gw, ref)
    t.equal(res.status, 200, ref)
    t.equal(res.headers.get('x-rotor-model'), ref)
    t.equal(requests.at(-1)?.body.model, model, `${ref}: the upstream gets ${model}`)
  }
  anthropic.reply({ kind: 'json', body: messageBody({ content: [{ type: 'text', text: 'ok' }], model: 'claude-3-7-sonnet' }) })
  const res = await ask(gw, 'anthropic/claude-3-7-sonnet')
  t.equal(res.status, 200)
  t.equal((anthropic.requests.at(-1)?.body as { model?: string } | undefined)?.model, 'claude-3-7-sonnet')
  t.strictSame(anthropic.violations, [])
})

t.test('the upstream\'s own 404 for a passed-through model moves on to the next model; models.strict answers 404 itself', async (t) => {
  const requests: RecordedRequest[] = []
  const up = await startFakeUpstream((req) => {
    requests.push(req)
    return req.body.model === 'gpt-4o' ? errorJson(404, 'The model `gpt-4o` does not exist or you do not have access to it.', 'model_not_found') : { body: completion('fallback', String(req.body.model)) }
  })
  t.teardown(() => up.close())
  const config = (strict: boolean): unknown => ({
    logging: { level: 'silent' },
    models: { ...(strict ? { strict: true } : {}), providers: { openai: { baseUrl: `${up.url}/v1` }, fake: { baseUrl: `${up.url}/v1`, api: 'openai-completions', models: [{ id: 'm1' }] } } },
    agents: { defaults: { model: { primary: 'openai/gpt-4o', fallbacks: ['fake/m1'] } } },
  })
  const env = { OPENAI_API_KEY: 'sk-openai-guide-key-1234' }
  const authProfiles = { version: 1, profiles: { 'fake:a': { type: 'api_key', provider: 'fake', key: 'sk-fake-guide-key-1234' } } }
  const open = await startTestGateway({ config: config(false), env, authProfiles })
  t.teardown(() => open.close())
  const res = await ask(open, 'default')
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'fake/m1')
  t.equal(res.headers.get('x-rotor-attempts'), '2')
  t.strictSame(requests.map((r) => r.body.model), ['gpt-4o', 'm1'])

  const strict = await startTestGateway({ config: config(true), env, authProfiles })
  t.teardown(() => strict.close())
  const direct = await ask(strict, 'openai/gpt-4o')
  t.equal(direct.status, 404)
  t.match(await direct.json(), { error: { code: 'model_not_found' } })
  t.equal(requests.length, 2, 'nothing sent upstream')
})

t.test('the guide\'s Ollama block serves llama3.2, and the keyless profile\'s stats stay out of auth-profiles.json', async (t) => {
  const requests: RecordedRequest[] = []
  let down = true
  const up = await startFakeUpstream((req) => { requests.push(req); return down ? errorJson(503, 'loading model') : { body: completion('hi', 'llama3.2') } })
  t.teardown(() => up.close())
  const clock = testClock()
  const gw = await startTestGateway({
    now: clock,
    config: {
      logging: { level: 'silent' },
      models: { providers: { ollama: { baseUrl: up.url, api: 'openai-completions', auth: 'none', models: [{ id: 'ollama/llama3.2', name: 'Llama 3.2', reasoning: false, input: ['text'], cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 128000, maxTokens: 4096 }] } } },
      agents: { defaults: { model: { primary: 'ollama/llama3.2' } } },
    },
    authProfiles: { version: 1, profiles: {} },
  })
  t.teardown(() => gw.close())
  t.equal((await ask(gw, 'default')).status, 502, 'Ollama still loading')
  clock.advance(10 * 60_000)
  down = false
  const res = await ask(gw, 'default')
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'ollama/llama3.2')
  t.equal(res.headers.get('x-rotor-profile'), 'ollama:none')
  t.strictSame(requests.map((r) => r.body.model), ['llama3.2', 'llama3.2'], 'the upstream gets llama3.2, not ollama/llama3.2')
  t.equal(requests[1].url, '/v1/chat/completions')
  await (gw.store as MemoryStore).flush()
  const file = JSON.parse(readFileSync(join(gw.home, 'agents', 'default', 'agent', 'auth-profiles.json'), 'utf8')) as Record<string, Record<string, unknown> | undefined>
  t.equal(file.usageStats?.['ollama:none'], undefined, 'no usageStats for a profile id that names no credential')
  t.equal(file.lastGood?.ollama, undefined, 'nor a lastGood')
  const status = await gw.app.inject({ method: 'GET', url: '/admin/status' })
  const ollama = (status.json() as { profiles: Array<{ id: string, lastUsed: number | null, errorCount: number }> }).profiles.find((p) => p.id === 'ollama:none')
  t.equal(ollama?.lastUsed, clock.now, 'the gateway keeps its state in memory')
})

t.test('a first 429 with a Retry-After under the minimum cooldown: the profile is cooled 60 s and the message says 60 s', async (t) => {
  const up = await startFakeUpstream(() => ({ ...errorJson(429, 'Rate limit reached. Please retry in 30s.'), headers: { 'retry-after': '30' } }))
  t.teardown(() => up.close())
  const clock = testClock()
  const gw = await startTestGateway({
    now: clock,
    config: { logging: { level: 'silent' }, models: { mode: 'replace', providers: { p: { baseUrl: `${up.url}/v1`, api: 'openai-completions', models: [{ id: 'm1' }] } } } },
    authProfiles: { version: 1, profiles: { 'p:a': { type: 'api_key', provider: 'p', key: 'sk-retry-guide-key-1234' } } },
  })
  t.teardown(() => gw.close())
  const res = await ask(gw, 'p/m1')
  t.equal(res.status, 429)
  t.equal(res.headers.get('retry-after'), '60')
  const message = ((await res.json()) as { error: { message: string } }).error.message
  t.match(message, /; retry in 60s$/, 'rotor\'s own advice is the cooldown it set')
  t.comment(message)
})
