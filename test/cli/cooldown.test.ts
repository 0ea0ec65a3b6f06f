// Cooldowns set by a running gateway (a real `rotor serve`), seen and cleared by the CLI.
import t from 'tap'
import type { Test } from 'tap'
import { startFakeAnthropic, errorBody, messageBody, type FakeAnthropic } from '../helpers/fake-anthropic.ts'
import { redisForTest } from '../helpers/redis.ts'
import { cliHome, statusProfile, until, ANTHROPIC_KEY, type CliHome, type StatusProfile } from './cli-env.ts'
import type { SpawnedGateway } from '../helpers/spawn-gateway.ts'

const OPUS = 'anthropic/claude-opus-4-5'

interface Setup { h: CliHome, fake: FakeAnthropic, gw: SpawnedGateway }

async function setup (t: Test, state?: Record<string, unknown>): Promise<Setup> {
  const fake = await startFakeAnthropic()
  t.teardown(() => fake.close())
  const h = await cliHome(t, { gateway: true })
  h.writeConfig({ models: { providers: { anthropic: { baseUrl: fake.baseUrl } } }, agents: { defaults: { model: { primary: OPUS } } }, ...(state !== undefined ? { state } : {}) })
  h.writeAuth({ version: 1, profiles: { 'anthropic:default': { type: 'api_key', provider: 'anthropic', key: ANTHROPIC_KEY } } })
  const gw = await h.serve()
  return { h, fake, gw }
}

function chat (gw: SpawnedGateway, model: string): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) })
}

async function rateLimit (s: Setup): Promise<void> {
  s.fake.reply({ kind: 'json', status: 429, body: errorBody('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit') })
  const res = await chat(s.gw, OPUS)
  await res.text()
}

/** Polls `models status --json` (≤ 5 s) until the profile is in the wanted state. */
async function waitForState (s: Setup, want: string): Promise<StatusProfile | undefined> {
  return until(async () => {
    const r = await s.h.cli(['models', 'status', '--json'])
    if (r.code !== 0) return undefined
    const p = statusProfile(JSON.parse(r.stdout) as Record<string, unknown>, 'anthropic:default')
    return p?.state === want ? p : undefined
  })
}

async function adminModelCooldowns (gw: SpawnedGateway): Promise<Record<string, unknown>> {
  const status = await (await fetch(`${gw.url}/admin/status`)).json() as { profiles: Array<{ id: string, modelCooldowns: Record<string, unknown>, errorCount: number }> }
  return status.profiles.find((p) => p.id === 'anthropic:default')?.modelCooldowns ?? {}
}

async function clearsAndServesAgain (t: Test, s: Setup): Promise<void> {
  t.ok(Object.keys(await adminModelCooldowns(s.gw)).includes('claude-opus-4-5'), 'the gateway holds the cooldown')
  const r = await s.h.cli(['models', 'auth', 'clear-cooldown', '--provider', 'anthropic'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'Cooldown cleared: anthropic:default\n')
  t.same(await adminModelCooldowns(s.gw), {}, 'cleared in the running gateway at once')
  const after = await s.h.json(['models', 'status', '--json'])
  t.match(statusProfile(after, 'anthropic:default'), { state: 'ok', errorCount: 0, blocks: [] })
  s.fake.reply({ kind: 'json', body: messageBody({ content: [{ type: 'text', text: 'back' }], model: 'claude-opus-4-5' }) })
  const res = await chat(s.gw, OPUS)
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-profile'), 'anthropic:default', 'the profile serves again')
  await res.text()
}

t.test('models status shows a cooldown caused by a 429', async (t) => {
  const s = await setup(t)
  await rateLimit(s)
  const p = await waitForState(s, 'cooldown')
  t.ok(p, 'models status --json reports the cooldown')
  t.match(p, { type: 'api_key', errorCount: 1, blocks: [{ scope: 'model', model: 'claude-opus-4-5', reason: 'rate_limit' }] })
  const text = await s.h.cli(['models', 'status'])
  t.equal(text.code, 0)
  t.match(text.stdout, /anthropic\s+anthropic:default\s+api_key\s+file\s+cooldown (?:\d+m)?\d+s \(rate_limit, model claude-opus-4-5\)\s+-\s+never\s+1/)
  t.match(text.stdout, /^PROVIDER\s+PROFILE\s+TYPE\s+SOURCE\s+STATE\s+EXPIRES\s+LAST USED\s+ERRORS$/m)
})

t.test('clear-cooldown clears a cooldown set by a running gateway (memory store)', async (t) => {
  const s = await setup(t)
  await rateLimit(s)
  t.ok(await waitForState(s, 'cooldown'))
  await clearsAndServesAgain(t, s)
  const auth = s.h.readAuth() as { usageStats: Record<string, Record<string, unknown>> }
  t.notOk(auth.usageStats['anthropic:default'].modelCooldowns, 'the file holds no cooldown')
})

t.test('clear-cooldown clears a cooldown set by a running gateway (redis store)', async (t) => {
  const { url, prefix } = await redisForTest(t)
  const s = await setup(t, { store: 'redis', redis: { url, prefix } })
  await rateLimit(s)
  const p = await waitForState(s, 'cooldown')
  t.ok(p, 'models status reads the cooldown from Redis')
  const status = await s.h.json(['models', 'status', '--json'])
  t.match(status.store, { kind: 'redis', health: 'ready' })
  await clearsAndServesAgain(t, s)
})

t.test('clear-cooldown also lifts a billing disable and works with no gateway running', async (t) => {
  const h = await cliHome(t)
  h.writeConfig({ agents: { defaults: { model: { primary: OPUS } } } })
  const now = Date.now()
  h.writeAuth({
    version: 1,
    profiles: {
      'anthropic:default': { type: 'api_key', provider: 'anthropic', key: ANTHROPIC_KEY },
      'anthropic:work': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-workMMMMMMMMMMMMMMMMMM' },
    },
    usageStats: {
      'anthropic:default': { errorCount: 2, disabledUntil: now + 5 * 3_600_000, disabledReason: 'billing', failureCounts: { billing: 2 }, lastUsed: now - 60_000 },
      'anthropic:work': { errorCount: 1, cooldownUntil: now + 300_000, cooldownReason: 'timeout', failureCounts: { timeout: 1 } },
    },
  })
  const before = await h.cli(['models', 'status'])
  t.match(before.stdout, /anthropic:default\s+api_key\s+file\s+disabled (4h59m|5h00m) \(billing\)\s+-\s+1m0\ds ago\s+2/)
  t.match(before.stdout, /anthropic:work\s+api_key\s+file\s+cooldown (4m\d\ds|5m00s) \(timeout\)/)
  const one = await h.cli(['models', 'auth', 'clear-cooldown', '--provider', 'anthropic', '--profile-id', 'anthropic:work'])
  t.equal(one.code, 0, one.stderr)
  t.equal(one.stdout, 'Cooldown cleared: anthropic:work\n')
  let stats = (h.readAuth() as { usageStats: Record<string, Record<string, unknown>> }).usageStats
  t.same(stats['anthropic:work'], { errorCount: 0 })
  t.equal(stats['anthropic:default'].disabledReason, 'billing', 'other profiles are untouched')
  const all = await h.cli(['models', 'auth', 'clear-cooldown', '--provider', 'anthropic'])
  t.equal(all.code, 0)
  stats = (h.readAuth() as { usageStats: Record<string, Record<string, unknown>> }).usageStats
  t.same(stats['anthropic:default'], { errorCount: 0, lastUsed: now - 60_000 }, 'disable, counts and reason are gone; lastUsed stays')
  const wrong = await h.cli(['models', 'auth', 'clear-cooldown', '--provider', 'anthropic', '--profile-id', 'openai:default'])
  t.equal(wrong.code, 2)
  const none = await h.cli(['models', 'auth', 'clear-cooldown', '--provider', 'deepseek'])
  t.equal(none.code, 1)
})
