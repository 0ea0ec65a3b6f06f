// Two Redis faults that must not change what rotor counts or forgets, against a private
// redis-server: a stall (SIGSTOP: the connection stays up, commands time out on the client
// but run on resume, and every resync attempt re-sends its batch) must count each failure
// once; a Redis that comes back empty (restart without persistence, FLUSHALL) must get the
// replicas' cooldowns back, not silently lose them.
import t from 'tap'
import type { UsageStats, FailureInput } from '../../../src/core/types.ts'
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../../../src/state/redis-store.ts'
import { startRedisServer, testClient, uniquePrefix, type RedisServer, type Teardownable } from '../../helpers/redis.ts'
import { until } from '../../helpers/wait.ts'
import { policy, testClock, type TestClock } from '../contract.ts'

const MIN = 60_000
const IDS = ['p:a', 'p:b', 'p:c', 'p:d']

async function open (t: Teardownable, opts: RedisStoreOptions): Promise<RedisStore> {
  const store = await createRedisStore({ connectWaitMs: 2000, ...opts })
  t.teardown(() => store.close())
  return store
}

async function server (t: Teardownable): Promise<RedisServer> {
  const s = await startRedisServer()
  t.teardown(() => s.stop())
  return s
}

function fail (clock: TestClock, over: Partial<FailureInput> = {}): FailureInput {
  return { provider: 'prov', model: 'm1', reason: 'rate_limit', scope: 'model', now: clock.now, policy, ...over }
}

/** EVAL/EVALSHA calls the server has run so far (INFO commandstats). */
async function scriptCalls (url: string): Promise<number> {
  const c = testClient(url)
  await c.connect()
  try {
    const info = await c.info('commandstats')
    let n = 0
    for (const m of info.matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+)/gm)) n += Number(m[1])
    return n
  } finally {
    c.disconnect()
  }
}

async function flushAll (url: string): Promise<void> {
  const c = testClient(url)
  await c.connect()
  try { await c.flushall() } finally { c.disconnect() }
}

/** Cooldowns of every kind, recorded while Redis is up; returns the replica's view of them. */
async function coolEverything (t: Teardownable & { equal: (a: unknown, b: unknown) => void }, store: RedisStore, clock: TestClock): Promise<Map<string, UsageStats>> {
  await store.recordFailure('default', 'p:a', fail(clock, { scope: 'profile', reason: 'timeout' }))
  clock.advance(1000)
  await store.recordFailure('default', 'p:a', fail(clock, { scope: 'profile', reason: 'timeout' }))
  await store.recordFailure('default', 'p:b', fail(clock, { scope: 'disable', reason: 'billing' }))
  await store.recordFailure('default', 'p:c', fail(clock))
  await store.recordFailure('default', 'p:c', fail(clock, { model: 'm2' }))
  await store.recordSuccess('default', 'p:d', 'prov', 'm1', clock.now)
  await store.setSessionPin('default', 's1', 'p:d', 10 * MIN)
  const seen = await store.readStats('default', IDS)
  t.equal(seen.get('p:a')?.errorCount, 2)
  return seen
}

t.test('a failure during a Redis stall counts once, however often it reaches Redis', async (t) => {
  const redis = await server(t)
  const clock = testClock()
  const prefix = uniquePrefix()
  // No background probe: every resync attempt below is the test's own.
  const a = await open(t, { url: redis.url, prefix, clock, commandTimeoutMs: 150, probeIntervalMs: 3_600_000 })
  t.equal(a.health(), 'ready')
  // Running for a while: the agent's state (and its epoch) exists in Redis.
  await a.recordFailure('default', 'p:z', fail(clock))
  await a.readStats('default', ['p:a', 'p:m'])
  const callsBefore = await scriptCalls(redis.url)

  redis.pause()
  const first = fail(clock, { scope: 'profile', reason: 'timeout' })
  // Each times out on the client, stays queued in the socket, and runs when Redis resumes.
  await a.recordFailure('default', 'p:a', first)
  await a.recordFailure('default', 'p:m', fail(clock))
  t.equal(a.health(), 'degraded')
  t.equal((await a.readStats('default', ['p:a'])).get('p:a')?.errorCount, 1, 'recorded locally meanwhile')
  for (let i = 0; i < 4; i++) t.equal(await a.resync(), false, `resync attempt ${i + 1} during the stall times out`)
  redis.resume()
  await until(() => a.resync(), 10_000, 'a resync after the stall')
  t.equal(a.health(), 'ready')
  const sent = await scriptCalls(redis.url) - callsBefore
  // The first failure's own command, then both failures in each of the 4 batches sent during the stall.
  t.ok(sent >= 9, `the failures reached Redis in ${sent} script calls`)

  const b = await open(t, { url: redis.url, prefix, clock })
  const s = await b.readStats('default', ['p:a', 'p:m'])
  t.equal(s.get('p:a')?.errorCount, 1, 'one failure, counted once')
  t.strictSame(s.get('p:a')?.failureCounts, { timeout: 1 })
  t.equal(s.get('p:a')?.cooldownUntil, first.now + MIN, 'with the first cooldown (1 min)')
  t.equal(s.get('p:m')?.errorCount, 1)
  t.equal(s.get('p:m')?.modelCooldowns?.m1?.errorCount, 1, 'a model rate limit too')
  t.equal(s.get('p:m')?.modelCooldowns?.m1?.until, first.now + MIN)

  clock.advance(2 * MIN)
  const second = fail(clock, { scope: 'profile', reason: 'timeout' })
  const next = await a.recordFailure('default', 'p:a', second)
  t.equal(next.errorCount, 2)
  t.equal(next.cooldownUntil, second.now + 5 * MIN, 'the next real failure is the second: 5 min, not the 1 h cap')
})

t.test('offline, a success on one model keeps another model\'s rate limit, counted once', async (t) => {
  const redis = await server(t)
  const clock = testClock()
  const prefix = uniquePrefix()
  const a = await open(t, { url: redis.url, prefix, clock, commandTimeoutMs: 150, probeIntervalMs: 3_600_000 })
  redis.pause()
  await a.recordFailure('default', 'p:a', fail(clock, { model: 'm2' }))
  clock.advance(1000)
  await a.recordSuccess('default', 'p:a', 'prov', 'm1', clock.now)
  for (let i = 0; i < 2; i++) t.equal(await a.resync(), false)
  redis.resume()
  await until(() => a.resync(), 10_000, 'a resync after the stall')
  const b = await open(t, { url: redis.url, prefix, clock })
  const s = (await b.readStats('default', ['p:a'])).get('p:a')
  t.equal(s?.errorCount, 0, 'the success cleared the profile-wide count')
  t.equal(s?.modelCooldowns?.m2?.errorCount, 1, 'm2 keeps its rate limit, counted once')
  t.equal(s?.modelCooldowns?.m2?.until, clock.now - 1000 + MIN)
})

t.test('a Redis restarted empty gets every cooldown back from a replica that knew them', async (t) => {
  const redis = await server(t)
  const clock = testClock()
  const prefix = uniquePrefix()
  const a = await open(t, { url: redis.url, prefix, clock })
  const before = await coolEverything(t, a, clock)

  await redis.kill()
  await a.waitForHealth('degraded', 5000)
  await redis.restart()
  await a.waitForHealth('ready', 10_000)

  // A replica that starts now knows nothing but what Redis holds.
  const b = await open(t, { url: redis.url, prefix, clock })
  const after = await b.readStats('default', IDS)
  for (const id of IDS) t.strictSame(after.get(id), before.get(id), `${id} is back as it was`)
  t.strictSame(await b.lastGood('default'), { prov: 'p:d' })
  t.equal(await b.getSessionPin('default', 's1'), 'p:d', 'live session pins are back')
  t.strictSame(await a.readStats('default', IDS), before, 'the replica itself never lost them')
})

t.test('FLUSHALL on a live connection: the next read notices, keeps serving the cooldowns and re-seeds them', async (t) => {
  const redis = await server(t)
  const clock = testClock()
  const prefix = uniquePrefix()
  const a = await open(t, { url: redis.url, prefix, clock })
  const before = await coolEverything(t, a, clock)
  await flushAll(redis.url)

  t.strictSame(await a.readStats('default', IDS), before, 'served from the mirror, not lost')
  t.ok(await a.resync(), 'the re-seed went out')
  const b = await open(t, { url: redis.url, prefix, clock })
  const after = await b.readStats('default', IDS)
  for (const id of IDS) t.strictSame(after.get(id), before.get(id), `${id} is back in Redis`)

  clock.advance(2 * MIN)
  const third = fail(clock, { scope: 'profile', reason: 'timeout' })
  t.equal((await b.recordFailure('default', 'p:a', third)).cooldownUntil, third.now + 25 * MIN, 'and the next failure is the third of its window')
})

t.test('after a flush, a replica that never knew the old state writes first: the one that did still re-seeds', async (t) => {
  const redis = await server(t)
  const clock = testClock()
  const prefix = uniquePrefix()
  const a = await open(t, { url: redis.url, prefix, clock })
  const before = await coolEverything(t, a, clock)
  await flushAll(redis.url)

  // C starts after the flush: to C, an empty Redis is all there ever was.
  const c = await open(t, { url: redis.url, prefix, clock })
  await c.recordFailure('default', 'p:x', fail(clock, { scope: 'profile', reason: 'timeout' }))
  // A's next read sees a new epoch (C created it), not merely a newer version.
  t.strictSame((await a.readStats('default', IDS)).get('p:a'), before.get('p:a'))
  t.ok(await a.resync())
  const s = await c.readStats('default', ['p:a', 'p:x'])
  t.strictSame(s.get('p:a'), before.get('p:a'), 'A put p:a back')
  t.equal(s.get('p:x')?.errorCount, 1, 'C\'s own failure stays as it was')
})

t.test('a clear made right after the loss is not undone by the re-seed', async (t) => {
  const redis = await server(t)
  const clock = testClock()
  const prefix = uniquePrefix()
  const a = await open(t, { url: redis.url, prefix, clock })
  await coolEverything(t, a, clock)
  await flushAll(redis.url)
  // The clear's own reply is where A notices the loss.
  await a.clearCooldown('default', 'p:a')
  t.ok(await a.resync())
  const b = await open(t, { url: redis.url, prefix, clock })
  const s = await b.readStats('default', ['p:a', 'p:b'])
  t.equal(s.get('p:a')?.cooldownUntil, undefined, 'p:a stays cleared')
  t.equal(s.get('p:a')?.errorCount ?? 0, 0)
  t.ok((s.get('p:b')?.disabledUntil ?? 0) > clock.now, 'the other profiles are back')
  t.equal((await a.readStats('default', ['p:a'])).get('p:a')?.cooldownUntil, undefined, 'and A agrees')
})
