// auth-profiles.json both ways with Clawdbot / OpenClaw: files written exactly as Clawdbot
// writes them are read by rotor with their meaning, and files rotor writes conform to a TypeBox
// transcription of Clawdbot's types (test/helpers/clawdbot-types.ts, from clawdbot/clawdbot
// v2026.1.24 src/agents/auth-profiles/types.ts) — after a 429, a billing disable, an order
// set and a refresh — and read the way Clawdbot reads them (test/helpers/clawdbot-store.ts).
import t from 'tap'
import fc from 'fast-check'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openCredentialsFile } from '../../src/auth/credentials-file.ts'
import { readUsageStats, writeUsageStats } from '../../src/auth/auth-profiles-format.ts'
import { resolveProfiles } from '../../src/auth/profiles.ts'
import { buildCatalog } from '../../src/config/catalog.ts'
import { applyFailure, applySuccess, availability, clearCooldown } from '../../src/core/cooldown-policy.ts'
import { profileState } from '../../src/routing/profile-view.ts'
import { stateText } from '../../src/cli/profile-state.ts'
import { createMemoryStore, type MemoryStore } from '../../src/state/memory-store.ts'
import type { FailureInput, UsageStats } from '../../src/core/types.ts'
import { AuthProfileStore, RotorWrittenStore, schemaProblems } from '../helpers/clawdbot-types.ts'
import { explicitOrder, isProfileInCooldown, markFailure, markUsed, saveStore } from '../helpers/clawdbot-store.ts'
import { completion, errorJson } from '../helpers/fake-upstream.ts'
import { scenario, HI, KEYS } from '../helpers/scenario.ts'
import { testClock } from '../helpers/gateway.ts'
import { startFakeTokenEndpoint } from '../helpers/fake-token-endpoint.ts'
import { agentFilePath, expiredOAuth, oauthCatalog, proc, tempHome, writeProfiles } from './oauth/fixtures.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const T = Date.UTC(2026, 0, 27, 12)
const OPUS = 'claude-opus-4-5'
const SONNET = 'claude-sonnet-4-5'
const catalog = buildCatalog(undefined, {})

function readRaw (path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
}

/** A store as Clawdbot 2026.1.24 leaves it after logins, two rate limits and a billing error. */
function clawdbotStore (): AuthProfileStore {
  const store: AuthProfileStore = {
    version: 1,
    profiles: {
      'anthropic:me@example.com': { type: 'oauth', provider: 'anthropic', access: 'sk-ant-oat01-ACCESS', refresh: 'sk-ant-ort01-REFRESH', expires: T + HOUR, email: 'me@example.com' },
      'anthropic:work': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-WORK' },
      'anthropic:manual': { type: 'token', provider: 'anthropic', token: 'sk-ant-oat01-MANUAL', expires: T + 365 * 24 * HOUR },
      'google-gemini-cli:me@example.com': { type: 'oauth', provider: 'google-gemini-cli', access: 'ya29.ACCESS', refresh: '1//REFRESH', expires: T + HOUR, projectId: 'proj-123', email: 'me@example.com' },
      'openai-codex:codex-cli': { type: 'oauth', provider: 'openai-codex', access: 'eyJ.ACCESS', refresh: 'rt-REFRESH', expires: T + HOUR, accountId: 'acct-9' },
    },
    order: { anthropic: ['anthropic:me@example.com', 'anthropic:work', 'anthropic:manual'] },
    lastGood: { anthropic: 'anthropic:work' },
    usageStats: {},
  }
  const stats = store.usageStats!
  stats['anthropic:me@example.com'] = markFailure(markFailure(markUsed({}, T - 30 * MIN), 'rate_limit', T - 2 * MIN), 'rate_limit', T - MIN)
  stats['anthropic:work'] = markFailure({}, 'billing', T - MIN)
  stats['anthropic:manual'] = markUsed({}, T - 5 * MIN)
  return store
}

t.test('a store Clawdbot wrote: rotor reads every profile, the order, and each block with its reason', async (t) => {
  const written = clawdbotStore()
  t.strictSame(schemaProblems(AuthProfileStore, written), [], 'the fixture is a Clawdbot store')
  const path = join(tempHome('rotor-clawdbot-read-'), 'auth-profiles.json')
  saveStore(path, written)
  const file = openCredentialsFile(path).read()

  const profiles = resolveProfiles({ file, catalog, declared: {}, env: {}, warn: () => {}, now: T })
  t.strictSame(profiles.filter((p) => p.source === 'file').map((p) => [p.id, p.type, p.usable]), [
    ['anthropic:me@example.com', 'oauth', true],
    ['anthropic:work', 'api_key', true],
    ['anthropic:manual', 'token', true],
    ['google-gemini-cli:me@example.com', 'oauth', true],
    ['openai-codex:codex-cli', 'oauth', true],
  ])
  t.equal(file.profiles['google-gemini-cli:me@example.com']?.projectId, 'proj-123')
  t.equal(file.profiles['openai-codex:codex-cli']?.accountId, 'acct-9')
  t.strictSame(file.order, written.order)
  t.strictSame(file.lastGood, written.lastGood)

  // Clawdbot's per-profile cooldown (two rate limits: 5 min) blocks every model of the profile, with its reason.
  const me = file.usageStats?.['anthropic:me@example.com']
  const meProfile = profiles.find((p) => p.id === 'anthropic:me@example.com')!
  t.strictSame(availability(me, OPUS, T), { state: 'cooling', until: T - MIN + 5 * MIN, reason: 'rate_limit' })
  t.strictSame(availability(me, SONNET, T), { state: 'cooling', until: T - MIN + 5 * MIN, reason: 'rate_limit' })
  t.equal(stateText(profileState(meProfile, me, T), T), 'cooldown 4m00s (rate_limit)', 'shown with its reason, not "(unknown)"')

  const work = file.usageStats?.['anthropic:work']
  t.strictSame(availability(work, OPUS, T), { state: 'cooling', until: T - MIN + 5 * HOUR, reason: 'billing' })
  t.match(stateText(profileState(profiles.find((p) => p.id === 'anthropic:work')!, work, T), T), /^disabled 4h59m.* \(billing\)$/)
  t.strictSame(availability(file.usageStats?.['anthropic:manual'], OPUS, T), { state: 'available' })
})

t.test('a store OpenClaw wrote: a model-scoped rate limit cools that model only, and new profile fields survive', async (t) => {
  const path = join(tempHome('rotor-openclaw-read-'), 'auth-profiles.json')
  const keyRef = { source: 'env', provider: 'default', id: 'OPENAI_API_KEY' }
  const raw = {
    version: 1,
    profiles: {
      'anthropic:me': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-ME', displayName: 'Me' },
      'openai:work': { type: 'api_key', provider: 'openai', keyRef, displayName: 'Work', metadata: { team: 'ml' } },
      'anthropic:overloaded': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-OV' },
    },
    usageStats: {
      // openclaw/openclaw src/agents/auth-profiles/usage.ts: rate_limit with a modelId sets cooldownModel.
      'anthropic:me': { errorCount: 1, failureCounts: { rate_limit: 1 }, lastFailureAt: T - MIN, cooldownUntil: T + 4 * MIN, cooldownReason: 'rate_limit', cooldownModel: OPUS },
      'anthropic:overloaded': { errorCount: 1, failureCounts: { overloaded: 1 }, lastFailureAt: T - MIN, cooldownUntil: T + 4 * MIN, cooldownReason: 'overloaded' },
    },
    authStateVersion: 2,
  }
  writeFileSync(path, JSON.stringify(raw, null, 2), { mode: 0o600 })
  const f = openCredentialsFile(path)
  const file = f.read()
  const me = file.usageStats?.['anthropic:me']
  t.strictSame(availability(me, OPUS, T), { state: 'cooling', until: T + 4 * MIN, reason: 'rate_limit' })
  t.strictSame(availability(me, SONNET, T), { state: 'available' }, 'another model of the profile is not blocked')
  t.equal(me?.cooldownUntil, undefined, 'held as rotor\'s per-model cooldown')
  t.strictSame(availability(file.usageStats?.['anthropic:overloaded'], SONNET, T), { state: 'cooling', until: T + 4 * MIN, reason: 'rate_limit' }, 'overloaded, without a model, blocks the profile as a rate limit')

  const profiles = resolveProfiles({ file, catalog, declared: {}, env: {}, warn: () => {}, now: T })
  t.equal(profiles.find((p) => p.id === 'openai:work')?.usable, false, 'a keyRef profile has no key rotor can send')

  // Any rewrite (here: an order set, as `rotor models auth order set` does) keeps what rotor does not know.
  await f.update((x) => { x.order = { anthropic: ['anthropic:me'] } })
  const after = readRaw(path)
  const profilesAfter = after.profiles as Record<string, unknown>
  t.strictSame(profilesAfter['openai:work'], raw.profiles['openai:work'], 'keyRef, displayName and metadata kept; no empty key added')
  t.strictSame(profilesAfter['anthropic:me'], raw.profiles['anthropic:me'])
  t.equal(after.authStateVersion, 2, 'an unknown top-level key is kept')
  const { modelCooldowns, ...openclawFields } = (after.usageStats as Record<string, Record<string, unknown>>)['anthropic:me']
  t.strictSame(openclawFields, raw.usageStats['anthropic:me'], 'the model-scoped cooldown is written back in OpenClaw\'s fields')
  t.strictSame(modelCooldowns, { [OPUS]: { until: T + 4 * MIN, errorCount: 1, lastFailureAt: T - MIN } }, 'and in rotor\'s')
})

t.test('files rotor writes conform to Clawdbot\'s types and block what Clawdbot must skip: after a 429, a billing disable and an order set', async (t) => {
  const clock = testClock(T)
  let answer: 'rate' | 'billing' = 'rate'
  const { gw } = await scenario(t, {
    now: clock,
    byKey: {
      // m1 is rate-limited on fake:a, m2 is not; then fake:a runs out of credit.
      a: (req) => answer === 'billing'
        ? errorJson(402, 'Your credit balance is too low')
        : req.body.model === 'm1' ? { ...errorJson(429, 'Rate limit reached'), headers: { 'retry-after': '30' } } : { body: completion('from a', 'm2') },
    },
  })
  const path = join(gw.home, 'agents', 'default', 'agent', 'auth-profiles.json')
  const flush = (): Promise<void> => (gw.store as MemoryStore).flush()
  const check = (when: string): AuthProfileStore => {
    const raw = readRaw(path)
    t.strictSame(schemaProblems(RotorWrittenStore, raw), [], `${when}: only Clawdbot's fields (and rotor's two documented ones), typed as Clawdbot types them`)
    t.strictSame(schemaProblems(AuthProfileStore, raw), [], `${when}: a valid Clawdbot AuthProfileStore`)
    return raw as unknown as AuthProfileStore
  }

  // A 429 on m1: rotor cools fake:a for m1 only, and says so in Clawdbot's fields too.
  t.equal((await gw.chat({ model: 'fake/m1', ...HI })).headers.get('x-rotor-profile'), 'fake:b')
  await flush()
  let store = check('after a 429')
  const a = store.usageStats?.['fake:a'] as Record<string, unknown> & { modelCooldowns: Record<string, { until: number }> }
  t.equal(a.cooldownUntil, a.modelCooldowns.m1.until)
  t.equal(a.cooldownUntil, T + MIN, 'the first step: 1 min, in ms')
  t.equal(a.cooldownReason, 'rate_limit')
  t.equal(a.cooldownModel, 'm1')
  t.ok(isProfileInCooldown(store, 'fake:a', clock.now), 'Clawdbot skips the profile rotor just rate-limited')
  // rotor reading its own file back keeps the cooldown per model: m2 is still served by fake:a.
  const again = createMemoryStore({ credentialsFor: () => openCredentialsFile(path) })
  const stats = (await again.readStats('default', ['fake:a'])).get('fake:a')
  t.equal(stats?.cooldownUntil, undefined)
  t.strictSame(availability(stats, 'm2', clock.now), { state: 'available' })
  t.equal(availability(stats, 'm1', clock.now).state, 'cooling')
  t.equal((await gw.chat({ model: 'fake/m2', ...HI })).headers.get('x-rotor-profile'), 'fake:a', 'the gateway serves m2 with fake:a meanwhile')

  // A billing error on m2 disables fake:a.
  answer = 'billing'
  clock.advance(2 * MIN)
  t.equal((await gw.chat({ model: 'fake/m2', ...HI })).headers.get('x-rotor-profile'), 'fake:b')
  await flush()
  store = check('after a billing disable')
  const billed = store.usageStats?.['fake:a']
  t.equal(billed?.disabledReason, 'billing')
  t.equal(billed?.disabledUntil, clock.now + 5 * HOUR)
  t.ok(isProfileInCooldown(store, 'fake:a', clock.now))

  // An order set through the admin API (what `rotor models auth order set` writes).
  const put = await gw.app.inject({ method: 'PUT', url: '/admin/order/fake', payload: { order: ['fake:b', 'fake:a'] } })
  t.equal(put.statusCode, 200)
  store = check('after an order set')
  t.strictSame(store.order, { fake: ['fake:b', 'fake:a'] })
  t.strictSame(explicitOrder(store, 'fake', clock.now), ['fake:b', 'fake:a'], 'Clawdbot reads the order, the disabled profile last')
  t.equal(store.profiles['fake:a']?.type === 'api_key' ? store.profiles['fake:a'].key : '', KEYS.a)
})

t.test('after a refresh the OAuth profile is a Clawdbot OAuthCredential with an ms expiry', async (t) => {
  const ep = await startFakeTokenEndpoint({ expiresIn: 3600 })
  t.teardown(() => ep.close())
  const home = tempHome('rotor-clawdbot-refresh-')
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', ep.seed(), Date.now() - MIN, { email: 'me@example.com' }) })
  const p = proc({ home, catalog: oauthCatalog(ep.tokenUrl) })
  const r = await p.resolver.resolve('default', p.profile('fake:me'))
  t.equal(r.kind, 'ok')
  const raw = readRaw(agentFilePath(home))
  t.strictSame(schemaProblems(RotorWrittenStore, raw), [])
  const cred = (raw as unknown as AuthProfileStore).profiles['fake:me']
  t.equal(cred?.type, 'oauth')
  if (cred?.type === 'oauth') {
    t.equal(cred.access, ep.latest().access)
    t.equal(cred.refresh, ep.latest().refresh)
    t.ok(cred.expires > Date.now() + 55 * MIN && cred.expires <= Date.now() + HOUR, 'expires in ms, one hour out')
    t.equal(cred.email, 'me@example.com')
  }
})

t.test('what rotor writes of its usage stats, it reads back unchanged (key order included)', async (t) => {
  const policy = { billingBackoffMs: 5 * HOUR, billingBackoffMsByProvider: {}, billingMaxMs: 24 * HOUR, failureWindowMs: 24 * HOUR }
  const op = fc.oneof(
    fc.record({ kind: fc.constant('fail' as const), scope: fc.constantFrom('model', 'profile', 'disable') as fc.Arbitrary<FailureInput['scope']>, model: fc.constantFrom('m1', 'm2', 'm3'), dt: fc.integer({ min: 0, max: 2 * HOUR }), retry: fc.option(fc.integer({ min: 0, max: HOUR }), { nil: undefined }) }),
    fc.record({ kind: fc.constant('ok' as const), model: fc.option(fc.constantFrom('m1', 'm2'), { nil: undefined }), dt: fc.integer({ min: 0, max: HOUR }) }),
    fc.record({ kind: fc.constant('clear' as const) }),
  )
  fc.assert(fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
    let s: UsageStats = {}
    let now = T
    for (const o of ops) {
      if (o.kind === 'fail') {
        now += o.dt
        const reason = o.scope === 'model' ? 'rate_limit' : o.scope === 'disable' ? 'billing' : 'timeout'
        s = applyFailure(s, { provider: 'p', model: o.model, reason, scope: o.scope, now, retryAfterMs: o.retry, policy })
      } else if (o.kind === 'ok') {
        now += o.dt
        s = applySuccess(s, now, o.model)
      } else {
        s = clearCooldown(s)
      }
      const back = readUsageStats(JSON.parse(JSON.stringify(writeUsageStats(s))))
      if (JSON.stringify(back) !== JSON.stringify(s)) return false
    }
    return true
  }), { numRuns: 300 })
  t.pass('round trip holds for 300 random histories')
})

t.test('Clawdbot clearing the cooldown it sees also clears the model cooldown rotor mirrored into it', async (t) => {
  const rotorEntry: UsageStats = { errorCount: 1, lastFailureAt: T, failureCounts: { rate_limit: 1 }, modelCooldowns: { m1: { until: T + MIN, errorCount: 1, lastFailureAt: T } } }
  const onDisk = writeUsageStats(rotorEntry) as never
  // markAuthProfileUsed after a success on any model: cooldownUntil goes, the fields Clawdbot does not know stay.
  const afterClawdbot = markUsed(onDisk, T + 10_000)
  t.ok('modelCooldowns' in afterClawdbot && 'cooldownModel' in afterClawdbot, 'Clawdbot keeps rotor\'s fields')
  const read = readUsageStats(JSON.parse(JSON.stringify(afterClawdbot)))
  t.strictSame(availability(read, 'm1', T + 10_000), { state: 'available' })
  t.equal(read?.cooldownReason, undefined)
})
