import t from 'tap'
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { openCredentialsFile, writeJsonAtomic, type CredentialsFile } from '../../src/auth/credentials-file.ts'
import type { AuthProfilesFile } from '../../src/auth/types.ts'
import { createMemoryStore, type MemoryStoreOptions } from '../../src/state/memory-store.ts'
import type { FailureInput, CooldownPolicy } from '../../src/core/types.ts'

const NOW = 1_800_000_000_000
const policy: CooldownPolicy = {
  billingBackoffMs: 5 * 3_600_000,
  billingBackoffMsByProvider: {},
  billingMaxMs: 24 * 3_600_000,
  failureWindowMs: 24 * 3_600_000
}

function failure (over: Partial<FailureInput> = {}): FailureInput {
  return { provider: 'anthropic', model: 'claude-opus-4-5', reason: 'timeout', scope: 'profile', now: NOW, policy, ...over }
}

function setup (t: { teardown: (fn: () => unknown) => void }, seed?: AuthProfilesFile, opts: Partial<MemoryStoreOptions> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'rotor-mem-'))
  const pathFor = (agent: string): string => join(home, 'agents', agent, 'agent', 'auth-profiles.json')
  if (seed !== undefined) {
    mkdirSync(dirname(pathFor('main')), { recursive: true })
    writeFileSync(pathFor('main'), JSON.stringify(seed, null, 2))
  }
  const files = new Map<string, CredentialsFile>()
  const errors: unknown[] = []
  const store = createMemoryStore({
    credentialsFor: agent => {
      const f = openCredentialsFile(pathFor(agent), { checkIntervalMs: 0 })
      files.set(agent, f)
      return f
    },
    onError: err => errors.push(err),
    ...opts
  })
  t.teardown(() => store.close())
  const disk = (agent = 'main'): AuthProfilesFile => JSON.parse(readFileSync(pathFor(agent), 'utf8')) as AuthProfilesFile
  return { store, pathFor, disk, errors, files }
}

const seedFile: AuthProfilesFile = {
  version: 1,
  profiles: {
    'anthropic:work': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-aaaaaaaaaaaaaaaa1a2b' },
    'anthropic:home': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-bbbbbbbbbbbbbbbb3c4d' }
  },
  order: { anthropic: ['anthropic:work', 'anthropic:home'] },
  lastGood: { anthropic: 'anthropic:home' },
  usageStats: { 'anthropic:home': { lastUsed: NOW - 5000, errorCount: 0 } }
}

t.test('stats and lastGood are seeded from the file on first use', async t => {
  const { store } = setup(t, seedFile)
  t.equal(store.kind, 'memory')
  t.equal(store.health(), 'ready')
  const stats = await store.readStats('main', ['anthropic:work', 'anthropic:home'])
  t.same([...stats.keys()], ['anthropic:home'], 'never-used profiles are missing')
  t.equal(stats.get('anthropic:home')?.lastUsed, NOW - 5000)
  t.same(await store.lastGood('main'), { anthropic: 'anthropic:home' })
})

t.test('recordFailure persists usageStats to the file after flush, keeping other fields', async t => {
  const { store, disk } = setup(t, seedFile, { persistDebounceMs: 60_000 })
  const s = await store.recordFailure('main', 'anthropic:work', failure())
  t.equal(s.errorCount, 1)
  t.equal(s.cooldownUntil, NOW + 60_000)
  t.equal(disk().usageStats?.['anthropic:work'], undefined, 'not written before the debounce or flush')
  await store.flush()
  const f = disk()
  t.equal(f.usageStats?.['anthropic:work']?.errorCount, 1)
  t.equal(f.usageStats?.['anthropic:work']?.cooldownUntil, NOW + 60_000)
  t.same(f.usageStats?.['anthropic:home'], { lastUsed: NOW - 5000, errorCount: 0 })
  t.same(f.profiles, seedFile.profiles)
  t.same(f.order, seedFile.order)
  t.same(f.lastGood, seedFile.lastGood)
})

t.test('the debounced persist happens on its own', async t => {
  const { store, files, disk } = setup(t, seedFile, { persistDebounceMs: 1 })
  await store.recordFailure('main', 'anthropic:work', failure())
  const file = files.get('main') as CredentialsFile
  // Wait for the write by watching the file's content, not by sleeping a fixed time.
  await new Promise<void>(resolve => {
    const check = (): void => { if (file.read().usageStats?.['anthropic:work'] !== undefined) resolve(); else setImmediate(check) }
    check()
  })
  t.equal(disk().usageStats?.['anthropic:work']?.errorCount, 1)
})

t.test('a cooldown cleared by an external edit of the file is seen by readStats', async t => {
  const { store, pathFor, disk } = setup(t, seedFile)
  await store.recordFailure('main', 'anthropic:work', failure())
  await store.recordFailure('main', 'anthropic:home', failure())
  await store.flush()
  t.equal((await store.readStats('main', ['anthropic:work'])).get('anthropic:work')?.errorCount, 1)
  // The CLI's clear-cooldown: rewrite the file with that profile's stats cleared.
  const edited = disk()
  edited.usageStats = { ...edited.usageStats, 'anthropic:work': { errorCount: 0 } }
  await writeJsonAtomic(pathFor('main'), edited)
  const stats = await store.readStats('main', ['anthropic:work', 'anthropic:home'])
  t.same(stats.get('anthropic:work'), { errorCount: 0 })
  t.equal(stats.get('anthropic:home')?.errorCount, 1, 'other profiles keep their state')
})

t.test('an external edit does not drop pending in-memory changes of other profiles', async t => {
  const { store, pathFor, disk } = setup(t, seedFile, { persistDebounceMs: 60_000 })
  await store.recordFailure('main', 'anthropic:work', failure())
  await store.flush()
  await store.recordFailure('main', 'anthropic:home', failure()) // pending, not on disk yet
  const edited = disk()
  delete edited.usageStats?.['anthropic:work']
  writeFileSync(pathFor('main'), JSON.stringify(edited)) // plain write, as an older CLI would
  const stats = await store.readStats('main', ['anthropic:work', 'anthropic:home'])
  t.equal(stats.get('anthropic:work'), undefined, 'the deleted entry is gone from memory')
  t.equal(stats.get('anthropic:home')?.errorCount, 1, 'the pending change survives')
  await store.flush()
  t.equal(disk().usageStats?.['anthropic:work'], undefined)
  t.equal(disk().usageStats?.['anthropic:home']?.errorCount, 1)
})

t.test('an external clear that lands before a pending write wins over it', async t => {
  const { store, pathFor, disk, files } = setup(t, seedFile, { persistDebounceMs: 60_000 })
  await store.recordFailure('main', 'anthropic:work', failure())
  await store.flush()
  await store.recordFailure('main', 'anthropic:work', failure({ now: NOW + 1 }))
  // The CLI clears through its own handle (locked update) before the gateway persists.
  const cli = openCredentialsFile(pathFor('main'))
  await cli.update(f => { (f.usageStats ??= {})['anthropic:work'] = { errorCount: 0 } })
  t.ok(files.get('main'))
  await store.flush()
  t.same(disk().usageStats?.['anthropic:work'], { errorCount: 0 })
  t.same((await store.readStats('main', ['anthropic:work'])).get('anthropic:work'), { errorCount: 0 })
})

t.test('200 concurrent recordFailure calls keep errorCount consistent', async t => {
  const { store, disk } = setup(t, seedFile)
  const results = await Promise.all(Array.from({ length: 200 }, () => store.recordFailure('main', 'anthropic:work', failure())))
  t.same(results.map(r => r.errorCount).sort((a, b) => (a ?? 0) - (b ?? 0)), Array.from({ length: 200 }, (_, i) => i + 1))
  t.equal((await store.readStats('main', ['anthropic:work'])).get('anthropic:work')?.errorCount, 200)
  await store.flush()
  t.equal(disk().usageStats?.['anthropic:work']?.errorCount, 200)
  t.equal(disk().usageStats?.['anthropic:work']?.failureCounts?.timeout, 200)
})

t.test('recordSuccess clears the profile and records lastGood in memory and on disk', async t => {
  const { store, disk } = setup(t, seedFile)
  await store.recordFailure('main', 'anthropic:work', failure({ reason: 'billing', scope: 'disable' }))
  await store.recordSuccess('main', 'anthropic:work', 'anthropic', 'claude-opus-4-5', NOW + 10)
  const s = (await store.readStats('main', ['anthropic:work'])).get('anthropic:work')
  t.equal(s?.errorCount, 0)
  t.equal(s?.disabledUntil, undefined)
  t.equal(s?.lastUsed, NOW + 10)
  t.same(await store.lastGood('main'), { anthropic: 'anthropic:work' })
  await store.flush()
  t.equal(disk().lastGood?.anthropic, 'anthropic:work')
  t.equal(disk().usageStats?.['anthropic:work']?.lastUsed, NOW + 10)
})

t.test('a success on a healthy profile is still written by flush', async t => {
  const { store, disk } = setup(t, seedFile, { persistDebounceMs: 60_000, idlePersistMs: 60_000 })
  await store.recordSuccess('main', 'anthropic:home', 'anthropic', 'm', NOW + 99)
  await store.flush()
  t.equal(disk().usageStats?.['anthropic:home']?.lastUsed, NOW + 99)
})

t.test('clearCooldown and claimProbe go through the policy and persist', async t => {
  const { store, disk } = setup(t, seedFile)
  await store.recordFailure('main', 'anthropic:work', failure())
  t.equal(await store.claimProbe('main', 'anthropic:work', 'claude-opus-4-5', NOW + 1000, 5000), false, 'still cooling')
  t.equal(await store.claimProbe('main', 'anthropic:work', 'claude-opus-4-5', NOW + 60_000, 5000), true)
  t.equal(await store.claimProbe('main', 'anthropic:work', 'claude-opus-4-5', NOW + 60_001, 5000), false, 'only one claim')
  await store.clearCooldown('main', 'anthropic:work')
  await store.clearCooldown('main', 'anthropic:unknown')
  const s = (await store.readStats('main', ['anthropic:work', 'anthropic:unknown']))
  t.equal(s.get('anthropic:work')?.cooldownUntil, undefined)
  t.equal(s.get('anthropic:work')?.errorCount, 0)
  t.notOk(s.has('anthropic:unknown'))
  await store.flush()
  t.same(disk().usageStats?.['anthropic:work'], { lastFailureAt: NOW, errorCount: 0 })
})

t.test('cursors count per agent and provider from 1', async t => {
  const { store } = setup(t)
  t.equal(await store.nextCursor('main', 'anthropic'), 1)
  t.equal(await store.nextCursor('main', 'anthropic'), 2)
  t.equal(await store.nextCursor('main', 'openai'), 1)
  t.equal(await store.nextCursor('other', 'anthropic'), 1)
})

t.test('session pins expire on the injected clock', async t => {
  let now = NOW
  const { store } = setup(t, undefined, { clock: () => now })
  await store.setSessionPin('main', 's1', 'anthropic:work', 1000)
  t.equal(await store.getSessionPin('main', 's1'), 'anthropic:work')
  t.equal(await store.getSessionPin('other', 's1'), undefined, 'pins are per agent')
  now += 999
  t.equal(await store.getSessionPin('main', 's1'), 'anthropic:work')
  now += 1
  t.equal(await store.getSessionPin('main', 's1'), undefined)
  await store.setSessionPin('main', 's1', 'anthropic:home', 1000)
  t.equal(await store.getSessionPin('main', 's1'), 'anthropic:home')
})

t.test('a failed persist is reported and retried with the next change', async t => {
  const { store, pathFor, disk, errors } = setup(t, seedFile, { persistDebounceMs: 60_000 })
  await store.readStats('main', [])
  writeFileSync(pathFor('main'), '{ broken')
  await store.recordFailure('main', 'anthropic:work', failure())
  await t.rejects(store.flush())
  t.equal(readFileSync(pathFor('main'), 'utf8'), '{ broken', 'the corrupt file is not overwritten')
  t.ok(errors.length === 0 || errors.every(e => e instanceof Error))
  writeFileSync(pathFor('main'), JSON.stringify(seedFile))
  await store.recordFailure('main', 'anthropic:home', failure())
  await store.flush()
  t.equal(disk().usageStats?.['anthropic:work']?.errorCount, 1, 'the earlier change is written too')
  t.equal(disk().usageStats?.['anthropic:home']?.errorCount, 1)
})

t.test('a failed background persist is reported via onError', async t => {
  let reported: (err: unknown) => void = () => {}
  const seen = new Promise<unknown>(resolve => { reported = resolve })
  const { store, pathFor } = setup(t, seedFile, { persistDebounceMs: 1, onError: err => reported(err) })
  await store.readStats('main', [])
  writeFileSync(pathFor('main'), '{ broken')
  await store.recordFailure('main', 'anthropic:work', failure())
  // The persist timer is unref'd (it must not hold a process open); keep this one alive meanwhile.
  const keepAlive = setInterval(() => {}, 1000)
  const err = await seen
  clearInterval(keepAlive)
  t.match(String(err), /not valid JSON/)
  t.equal(readFileSync(pathFor('main'), 'utf8'), '{ broken')
})

t.test('a store on a missing file creates it on first persist', async t => {
  const { store, disk } = setup(t)
  await store.recordFailure('main', 'openai:env', failure({ provider: 'openai', scope: 'model', reason: 'rate_limit', model: 'gpt-5' }))
  await store.close()
  t.equal(disk().usageStats?.['openai:env']?.modelCooldowns?.['gpt-5']?.errorCount, 1)
  t.same(disk().profiles, {})
})
