import t from 'tap'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, spawnGateway } from '../helpers/spawn-gateway.ts'
import { completion, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { scenario, HI } from '../helpers/scenario.ts'

function tempHome (t: import("tap").Test): string {
  const home = mkdtempSync(join(tmpdir(), 'rotor-start-'))
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  return home
}

const baseEnv = (home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: home, ROTOR_HOME: home, ...extra })

t.test('a missing ${VAR} stops startup with an error naming the variable and the config path', async (t) => {
  const home = tempHome(t)
  writeFileSync(join(home, 'rotor.json'), '{ models: { providers: { openai: { apiKey: "${MY_MISSING_KEY}" } } } }')
  const r = await runCli(['serve', '--port', '0'], baseEnv(home))
  t.equal(r.code, 1)
  t.match(r.stderr, /MY_MISSING_KEY/)
  t.match(r.stderr, /models\.providers\.openai\.apiKey/)
})

t.test('a fresh home with no config and no keys: healthz, the catalog, and 503 no_credentials', async (t) => {
  const home = tempHome(t)
  const gw = await spawnGateway(['--port', '0'], baseEnv(home))
  t.teardown(() => gw.stop())
  t.equal((await fetch(`${gw.url}/healthz`)).status, 200)
  const models = await (await fetch(`${gw.url}/v1/models`)).json() as { data: Array<{ id: string }> }
  const ids = models.data.map((m) => m.id)
  t.ok(ids.includes('openai/gpt-5.2'))
  t.ok(ids.includes('anthropic/claude-opus-4-5'))
  t.ok(ids.includes('opus'))
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt', ...HI }) })
  t.equal(res.status, 503)
  const body = await res.json() as { error: { code: string, message: string } }
  t.equal(body.error.code, 'no_credentials')
  t.equal(body.error.message, 'No credentials found for provider openai')
})

t.test('with openai pointed at a local fake and a key in the environment, "gpt" returns the fake completion', async (t) => {
  const home = tempHome(t)
  const up = await startFakeUpstream((req) => ({ body: completion(`hello from ${String(req.body.model)}`) }))
  t.teardown(() => up.close())
  writeFileSync(join(home, 'rotor.json'), JSON.stringify({
    models: { providers: { openai: { baseUrl: up.url } } },
    agents: { defaults: { model: { primary: 'openai/gpt-5.2' }, models: { 'openai/gpt-5.2': { alias: 'gpt' } } } },
  }))
  const gw = await spawnGateway(['--port', '0'], baseEnv(home, { OPENAI_API_KEY: 'sk-test-envkey-0123456789abcd' }))
  t.teardown(() => gw.stop())
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt', ...HI }) })
  t.equal(res.status, 200)
  const body = await res.json() as { choices: Array<{ message: { content: string } }> }
  t.equal(body.choices[0].message.content, 'hello from gpt-5.2')
  t.equal(res.headers.get('x-rotor-profile'), 'openai:env')
  t.equal(up.requests[0].url, '/v1/chat/completions')
  t.equal(up.requests[0].headers.authorization, 'Bearer sk-test-envkey-0123456789abcd')
})

t.test('the gateway refuses a non-loopback address without client keys', async (t) => {
  const home = tempHome(t)
  const r = await runCli(['serve', '--host', '0.0.0.0', '--port', '0'], baseEnv(home))
  t.equal(r.code, 1)
  t.match(r.stderr, /gateway\.clients|gateway\.auth/)
})

t.test('an invalid hot reload is rejected and the old config keeps serving', async (t) => {
  const { gw } = await scenario(t, {})
  const path = join(gw.home, 'rotor.json')
  writeFileSync(path, '{ gateway: { port: "not a number" }, ')
  const r = await gw.app.inject({ method: 'POST', url: '/admin/reload' })
  t.equal(r.statusCode, 400)
  t.match((r.json() as { error: { message: string } }).error.message, /Reload rejected/)
  t.ok(gw.logs.some((l) => /config reload rejected/.test(l)), 'the rejection is logged')
  const res = await gw.chat({ model: 'one', ...HI })
  t.equal(res.status, 200, 'the old config still serves the alias')
})

t.test('a valid hot reload takes effect for the next request', async (t) => {
  const { gw } = await scenario(t, {})
  const path = join(gw.home, 'rotor.json')
  writeFileSync(path, JSON.stringify({
    models: { mode: 'replace', providers: { fake: { baseUrl: gw.runtime().config.catalog.providers.get('fake')!.baseUrl, models: [{ id: 'm1' }] } } },
    agents: { defaults: { model: { primary: 'fake/m1' }, models: { 'fake/m1': { alias: 'renamed' } } } },
  }))
  t.equal((await gw.app.inject({ method: 'POST', url: '/admin/reload' })).statusCode, 200)
  t.equal((await gw.chat({ model: 'renamed', ...HI })).status, 200)
  t.equal((await gw.chat({ model: 'one', ...HI })).status, 404)
})
