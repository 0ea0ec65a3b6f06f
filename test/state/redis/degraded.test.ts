// Degraded mode of the redis store: local serving while Redis is away, one log line per
// transition, and the resync that folds offline changes into what other replicas wrote.
import t from 'tap'
import { Writable } from 'node:stream'
import { applyFailure } from '../../../src/core/cooldown-policy.ts'
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../../../src/state/redis-store.ts'
import type { FailureInput } from '../../../src/core/types.ts'
import { createLogger } from '../../../src/telemetry/logger.ts'
import { freePort, startCuttableProxy, startRedisServer, uniquePrefix, type Teardownable } from '../../helpers/redis.ts'
import { policy, testClock, type TestClock } from '../contract.ts'

const MIN = 60_000

interface Logged { readonly lines: string[], count (msg: string): number, text (): string }

function capture (): { log: ReturnType<typeof createLogger>, logged: Logged } {
  const lines: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)); cb() } })
  return {
    log: createLogger('debug', sink),
    logged: {
      lines,
      count: (msg) => lines.filter((l) => (JSON.parse(l) as { msg?: string }).msg === msg).length,
      text: () => lines.join('\n'),
    },
  }
}

async function open (t: Teardownable, opts: RedisStoreOptions): Promise<RedisStore> {
  const store = await createRedisStore({ probeIntervalMs: 100, connectWaitMs: 1000, ...opts })
  t.teardown(() => store.close())
  return store
}

function fail (clock: TestClock, over: Partial<FailureInput> = {}): FailureInput {
  return { provider: 'prov', model: 'm1', reason: 'rate_limit', scope: 'model', now: clock.now, policy, ...over }
}

async function timed<T> (p: Promise<T>): Promise<{ value: T, ms: number }> {
  const start = performance.now()
  const value = await p
  return { value, ms: performance.now() - start }
}

t.test('without Redis at startup the store serves from local state, degraded, and logs it once', async (t) => {
  const { log, logged } = capture()
  const clock = testClock()
  const store = await open(t, { url: `redis://127.0.0.1:${await freePort()}`, prefix: uniquePrefix(), clock, log })
  t.equal(store.health(), 'degraded')
  const input = fail(clock)
  const got = await timed(store.recordFailure('default', 'p:a', input))
  t.strictSame(got.value, applyFailure({}, input))
  t.ok(got.ms < 100, `answered locally at once (${got.ms.toFixed(1)} ms)`)
  t.strictSame((await store.readStats('default', ['p:a'])).get('p:a'), got.value)
  const a = await store.nextCursor('default', 'prov')
  t.equal(await store.nextCursor('default', 'prov'), a + 1, 'a local cursor keeps counting')
  await store.setSessionPin('default', 's', 'p:a', 60_000)
  t.equal(await store.getSessionPin('default', 's'), 'p:a')
  await store.recordSuccess('default', 'p:b', 'prov', 'm1', clock.now)
  t.strictSame(await store.lastGood('default'), { prov: 'p:b' })
  for (let i = 0; i < 20; i++) await store.readStats('default', ['p:a'])
  t.equal(logged.count('state store degraded'), 1, 'one line, not one per call')
  t.equal(logged.count('state store ready'), 0)
})

t.test('cut off from Redis, a replica keeps recording and its changes merge with what others wrote meanwhile', async (t) => {
  const server = await startRedisServer()
  t.teardown(() => server.stop())
  const proxy = await startCuttableProxy(server.port)
  t.teardown(() => proxy.close())
  const clock = testClock()
  const prefix = uniquePrefix()
  const { log, logged } = capture()
  const a = await open(t, { url: proxy.url, prefix, clock, log })
  const b = await open(t, { url: server.url, prefix, clock })
  t.equal(a.health(), 'ready')
  t.equal(logged.count('state store ready'), 1)

  // Known to both before the outage.
  await b.recordFailure('default', 'p:w', fail(clock, { scope: 'profile', reason: 'timeout' }))
  await b.recordFailure('default', 'p:y', fail(clock, { scope: 'profile', reason: 'timeout' }))
  await a.readStats('default', ['p:w', 'p:y'])
  await a.setSessionPin('default', 'old', 'p:a', 10 * MIN)

  proxy.cut()
  await a.waitForHealth('degraded', 5000)
  t.equal(logged.count('state store degraded'), 1, 'the transition is logged once')

  // While A is offline: A and B both write.
  clock.advance(1000)
  const slow = await timed(a.recordFailure('default', 'p:x', fail(clock)))
  t.ok(slow.ms < 400, `an offline write does not wait for Redis (${slow.ms.toFixed(1)} ms)`)
  clock.advance(1000)
  await a.recordFailure('default', 'p:x', fail(clock))
  const secondLocal = clock.now
  clock.advance(1000)
  await b.recordFailure('default', 'p:x', fail(clock))
  clock.advance(1000)
  await a.clearCooldown('default', 'p:y') // older than B's next failure on p:y: B's wins
  clock.advance(1000)
  await b.recordFailure('default', 'p:y', fail(clock, { scope: 'profile', reason: 'auth' }))
  clock.advance(1000)
  await b.recordFailure('default', 'p:z', fail(clock, { scope: 'profile', reason: 'timeout' }))
  clock.advance(1000)
  await a.clearCooldown('default', 'p:z') // never read by A, newer than B's failure: cleared
  await b.clearCooldown('default', 'p:w')
  await a.recordFailure('default', 'p:w', fail(clock)) // A's copy still has p:w's old cooldown: it must not come back
  await b.recordFailure('default', 'p:v', fail(clock, { model: 'm2' }))
  clock.advance(1000)
  await b.recordFailure('default', 'p:v', fail(clock, { model: 'm1' }))
  clock.advance(1000)
  await a.recordSuccess('default', 'p:v', 'prov', 'm1', clock.now) // clears m1, keeps m2
  await a.setSessionPin('default', 's1', 'p:a', 10 * MIN)
  await b.setSessionPin('default', 's1', 'p:b', 10 * MIN)
  await a.setSessionPin('default', 's2', 'p:a', 10 * MIN)
  for (let i = 0; i < 10; i++) await a.readStats('default', ['p:x'])
  t.equal(a.health(), 'degraded')
  t.equal(logged.count('state store degraded'), 1, 'still one line after many offline calls')

  proxy.heal()
  await a.waitForHealth('ready', 10_000)
  t.equal(logged.count('state store ready'), 2, 'the return is logged once')

  const s = await b.readStats('default', ['p:x', 'p:y', 'p:z', 'p:w', 'p:v'])
  const x = s.get('p:x')
  t.equal(x?.modelCooldowns?.m1?.errorCount, 3, 'offline increments are added to the remote count, none lost or doubled')
  t.equal(x?.errorCount, 3)
  t.strictSame(x?.failureCounts, { rate_limit: 3 })
  t.equal(x?.modelCooldowns?.m1?.until, secondLocal + 5 * MIN, 'the deadline is the later of both sides')
  t.equal(s.get('p:y')?.cooldownReason, 'auth', 'a remote failure newer than the local clear stays')
  t.ok((s.get('p:y')?.cooldownUntil ?? 0) > clock.now)
  t.equal(s.get('p:z')?.cooldownUntil, undefined, 'a local clear newer than the remote failure wins')
  t.equal(s.get('p:z')?.errorCount, 0)
  t.equal(s.get('p:w')?.cooldownUntil, undefined, 'a stale local copy does not resurrect a cleared cooldown')
  t.equal(s.get('p:w')?.errorCount, 1, 'only the offline failure counts after the remote clear')
  t.equal(s.get('p:w')?.modelCooldowns?.m1?.errorCount, 1)
  const v = s.get('p:v')
  t.equal(v?.modelCooldowns?.m1, undefined, 'the offline success cleared its model')
  t.equal(v?.modelCooldowns?.m2?.errorCount, 1, 'and kept the other model')
  t.equal(v?.lastUsed, clock.now, 'usage recorded offline is in Redis')
  t.strictSame(await b.lastGood('default'), { prov: 'p:v' })
  t.equal(await b.getSessionPin('default', 's1'), 'p:b', 'a pin set remotely meanwhile wins')
  t.equal(await b.getSessionPin('default', 's2'), 'p:a', 'a pin set offline is pushed')
  t.equal(await a.getSessionPin('default', 's1'), 'p:b', 'and the returning replica reads the shared pin')
  t.notMatch(logged.text(), /"level":50/, 'no error lines')
})

t.test('a Redis that is killed and restarted gets the state recorded while it was down', async (t) => {
  const server = await startRedisServer()
  t.teardown(() => server.stop())
  const clock = testClock()
  const prefix = uniquePrefix()
  const a = await open(t, { url: server.url, prefix, clock })
  await a.nextCursor('default', 'prov')
  await server.kill()
  await a.waitForHealth('degraded', 5000)
  const input = fail(clock, { scope: 'profile', reason: 'timeout', retryAfterMs: 10 * MIN })
  await a.recordFailure('default', 'p:a', input)
  await a.recordSuccess('default', 'p:b', 'prov', 'm1', clock.now)
  await server.restart()
  await a.waitForHealth('ready', 10_000)
  const b = await open(t, { url: server.url, prefix, clock })
  const s = await b.readStats('default', ['p:a', 'p:b'])
  t.strictSame(s.get('p:a'), applyFailure({}, input), 'the outage cooldown landed with its deadline')
  t.equal(s.get('p:b')?.lastUsed, clock.now)
  t.strictSame(await b.lastGood('default'), { prov: 'p:b' })
})

t.test('a stalled Redis (commands time out on a live connection) degrades and recovers on its own', async (t) => {
  const server = await startRedisServer()
  t.teardown(() => server.stop())
  const clock = testClock()
  const { log, logged } = capture()
  const a = await open(t, { url: server.url, prefix: uniquePrefix(), clock, log, commandTimeoutMs: 150 })
  t.equal(a.health(), 'ready')
  // CLIENT PAUSE holds every other client's commands server-side for 1 s.
  const { Redis } = await import('ioredis')
  const raw = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 })
  t.teardown(() => raw.disconnect())
  await raw.connect()
  await raw.call('CLIENT', 'PAUSE', '1000', 'ALL')
  const r = await timed(a.readStats('default', ['p:a']))
  t.ok(r.ms < 1000, `the request did not wait for the pause (${r.ms.toFixed(0)} ms)`)
  t.equal(a.health(), 'degraded')
  await a.waitForHealth('ready', 10_000)
  t.equal(logged.count('state store degraded'), 1)
})

t.test('a success older than a failure already recorded does not clear it, online or offline', async (t) => {
  const server = await startRedisServer()
  t.teardown(() => server.stop())
  const proxy = await startCuttableProxy(server.port)
  t.teardown(() => proxy.close())
  const clock = testClock()
  const prefix = uniquePrefix()
  const a = await open(t, { url: proxy.url, prefix, clock })
  const b = await open(t, { url: server.url, prefix, clock })
  const late = clock.now
  clock.advance(1000)
  await b.recordFailure('default', 'p:a', fail(clock, { scope: 'profile', reason: 'timeout' }))
  await b.recordFailure('default', 'p:a', fail(clock, { model: 'm1' }))
  await a.recordSuccess('default', 'p:a', 'prov', 'm1', late)
  let s = (await b.readStats('default', ['p:a'])).get('p:a')
  t.equal(s?.errorCount, 2, 'online: the newer failures stay')
  t.ok((s?.cooldownUntil ?? 0) > clock.now)
  t.equal(s?.modelCooldowns?.m1?.errorCount, 1)
  t.equal(s?.lastUsed, late, 'and the success still counts as a use')

  proxy.cut()
  await a.waitForHealth('degraded', 5000)
  const before = clock.now
  clock.advance(1000)
  await a.recordFailure('default', 'p:b', fail(clock, { model: 'm1' }))
  await a.recordFailure('default', 'p:b', fail(clock, { scope: 'profile', reason: 'timeout' }))
  await a.recordSuccess('default', 'p:b', 'prov', 'm1', before)
  s = (await a.readStats('default', ['p:b'])).get('p:b')
  t.equal(s?.errorCount, 2, 'offline: the local entry keeps them')
  t.equal(s?.modelCooldowns?.m1?.errorCount, 1)
  proxy.heal()
  await a.waitForHealth('ready', 10_000)
  s = (await b.readStats('default', ['p:b'])).get('p:b')
  t.equal(s?.errorCount, 2, 'and so does the resync')
  t.equal(s?.modelCooldowns?.m1?.errorCount, 1)
  t.ok((s?.cooldownUntil ?? 0) > clock.now)
})

t.test('the Redis password never reaches the logs', async (t) => {
  const password = 'hunter2-Very-Secret'
  const server = await startRedisServer({ password })
  t.teardown(() => server.stop())
  const good = capture()
  const ok = await open(t, { url: server.url, prefix: uniquePrefix(), log: good.log })
  t.equal(ok.health(), 'ready')
  t.match(good.logged.text(), /\*\*\*/, 'the url is logged redacted')
  t.notMatch(good.logged.text(), password)

  const wrong = 'Wrong-Secret-42'
  const bad = capture()
  const no = await open(t, { url: `redis://:${wrong}@127.0.0.1:${server.port}`, prefix: uniquePrefix(), log: bad.log })
  await no.recordFailure('default', 'p:a', fail(testClock()))
  t.equal(no.health(), 'degraded')
  t.equal(bad.logged.count('state store degraded'), 1)
  t.notMatch(bad.logged.text(), wrong)
  t.notMatch(bad.logged.text(), password)
})
