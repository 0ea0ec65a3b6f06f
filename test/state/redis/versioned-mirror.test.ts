// The steady state of the redis store: readStats answers from the local mirror after one GET
// of the agent's stats version, clean successes run no script and their lastUsed is written
// coalesced — while every change that routing reads still reaches every replica on its very
// next read. Commands are observed with MONITOR on the test's Redis.
import t from 'tap'
import { createHash } from 'node:crypto'
import { Redis } from 'ioredis'
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../../../src/state/redis-store.ts'
import { SCRIPTS } from '../../../src/state/redis/scripts.ts'
import type { FailureInput } from '../../../src/core/types.ts'
import { redisForTest, testClient, type Teardownable } from '../../helpers/redis.ts'
import { policy, testClock, type TestClock } from '../contract.ts'

const MIN = 60_000
const sha = (lua: string): string => createHash('sha1').update(lua).digest('hex')

interface Watch {
  /** Resolves once MONITOR has shown every command sent before this call. */
  settle (): Promise<void>
  /** Commands under the test's prefix since the last clear (script-internal ones included). */
  commands (): string[][]
  clear (): void
  /** EVAL/EVALSHA calls of one script since the last clear. */
  scriptCalls (lua: string): number
}

async function watch (t: Teardownable, url: string, prefix: string): Promise<Watch> {
  const conn = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 })
  conn.on('error', () => {})
  await conn.connect()
  const monitor = await conn.monitor()
  const marker = testClient(url)
  await marker.connect()
  t.teardown(() => {
    monitor.disconnect()
    conn.disconnect()
    marker.disconnect()
  })
  let seen: string[][] = []
  const waiting = new Map<string, () => void>()
  monitor.on('monitor', (_time: string, args: string[]) => {
    const mark = args[0]?.toLowerCase() === 'echo' ? waiting.get(args[1] ?? '') : undefined
    if (mark !== undefined) mark()
    else seen.push(args)
  })
  let n = 0
  const touches = (args: string[]): boolean => args.some((a) => a.startsWith(prefix))
  return {
    async settle () {
      const m = `${prefix}settle:${n++}`
      const done = new Promise<void>((resolve) => waiting.set(m, resolve))
      await marker.echo(m)
      await done
    },
    commands: () => seen.filter(touches),
    clear () { seen = [] },
    scriptCalls (lua) {
      const id = sha(lua)
      // MONITOR prints newlines escaped; ioredis sends EVAL the first time on a connection.
      const body = (a: string[]): string => (a[1] ?? '').replace(/\\n/g, '\n')
      return seen.filter((a) => (a[0]?.toLowerCase() === 'evalsha' && a[1] === id) || (a[0]?.toLowerCase() === 'eval' && body(a) === lua)).length
    },
  }
}

async function open (t: Teardownable, opts: RedisStoreOptions): Promise<RedisStore> {
  const store = await createRedisStore(opts)
  t.teardown(() => store.close())
  return store
}

function fail (clock: TestClock, over: Partial<FailureInput> = {}): FailureInput {
  return { provider: 'prov', model: 'm1', reason: 'rate_limit', scope: 'model', now: clock.now, policy, ...over }
}

async function pair (t: Teardownable, over: Partial<RedisStoreOptions> = {}): Promise<{ a: RedisStore, b: RedisStore, clock: TestClock, url: string, prefix: string }> {
  const { url, prefix } = await redisForTest(t)
  const clock = testClock()
  const a = await open(t, { url, prefix, clock, ...over })
  const b = await open(t, { url, prefix, clock, ...over })
  return { a, b, clock, url, prefix }
}

t.test('a change recorded by another replica is read on the very next readStats', async (t) => {
  const { a, b, clock } = await pair(t)
  t.equal((await a.readStats('default', ['p:a', 'p:b'])).size, 0)
  t.equal((await a.readStats('default', ['p:a', 'p:b'])).size, 0, 'unchanged: still nothing')

  const cooled = await b.recordFailure('default', 'p:a', fail(clock))
  let seen = await a.readStats('default', ['p:a', 'p:b'])
  t.strictSame(seen.get('p:a'), cooled, 'the cooldown replica B recorded')
  t.equal(seen.get('p:a')?.modelCooldowns?.m1?.until, clock.now + MIN)

  clock.advance(1000)
  const disabled = await b.recordFailure('default', 'p:b', fail(clock, { scope: 'disable', reason: 'billing' }))
  t.strictSame((await a.readStats('default', ['p:b'])).get('p:b'), disabled, 'a billing disable too')

  await b.clearCooldown('default', 'p:a')
  seen = await a.readStats('default', ['p:a', 'p:b'])
  t.equal(seen.get('p:a')?.modelCooldowns, undefined, 'and a clear-cooldown through B')
  t.equal(seen.get('p:a')?.errorCount, 0)

  // A success on a profile A knows as cooling runs the script, which clears it for B at once.
  clock.advance(1000)
  await a.recordSuccess('default', 'p:b', 'prov', 'm1', clock.now)
  seen = await b.readStats('default', ['p:b'])
  t.equal(seen.get('p:b')?.disabledUntil, undefined, 'B sees the disable A cleared')
  t.equal(seen.get('p:b')?.errorCount, 0)

  t.equal(await a.claimProbe('default', 'p:b', 'm1', clock.now, 5000), false)
  await b.recordFailure('default', 'p:b', fail(clock, { scope: 'profile', reason: 'timeout' }))
  clock.advance(MIN)
  t.equal(await b.claimProbe('default', 'p:b', 'm1', clock.now, 5000), true, 'B claims the probe')
  t.equal((await a.readStats('default', ['p:b'])).get('p:b')?.probeUntil, clock.now + 5000, 'A sees the claim')
  t.equal(await a.claimProbe('default', 'p:b', 'm1', clock.now, 5000), false, 'and does not probe too')
})

t.test('repeated readStats of unchanged state sends one GET of the version and no HGETALL', async (t) => {
  const { a, b, clock, url, prefix } = await pair(t)
  await b.recordFailure('default', 'p:a', fail(clock))
  await b.recordSuccess('default', 'p:b', 'prov', 'm1', clock.now)
  const w = await watch(t, url, prefix)
  const first = await a.readStats('default', ['p:a', 'p:b', 'p:none'])
  await w.settle()
  t.equal(w.scriptCalls(SCRIPTS.readStats.lua), 1, 'the first read fetches the hashes, in one script')
  w.clear()

  for (let i = 0; i < 20; i++) t.strictSame(await a.readStats('default', ['p:a', 'p:b', 'p:none']), first)
  t.strictSame(await a.readStats('default', ['p:b']), new Map([['p:b', first.get('p:b')]]), 'a subset is known too')
  await w.settle()
  const cmds = w.commands()
  t.equal(cmds.filter((c) => c[0]?.toLowerCase() === 'hgetall').length, 0, 'no HGETALL')
  t.equal(w.scriptCalls(SCRIPTS.readStats.lua), 0, 'no read script')
  t.strictSame(cmds.map((c) => c[0]?.toLowerCase()), Array(21).fill('get'), 'only one GET per read')
  t.ok(cmds.every((c) => c[1] === a.keys.version('default')), 'of the agent\'s version key')

  // An unknown profile needs its hash; the replica's own change keeps its mirror fresh.
  w.clear()
  await a.readStats('default', ['p:a', 'p:c'])
  await a.recordFailure('default', 'p:c', fail(clock))
  const after = await a.readStats('default', ['p:a', 'p:c'])
  await w.settle()
  t.equal(w.scriptCalls(SCRIPTS.readStats.lua), 1, 'one read for the profile the mirror did not hold, none after its own failure')
  t.equal(after.get('p:c')?.modelCooldowns?.m1?.errorCount, 1)
})

t.test('the readStats calls of one event-loop turn share one GET of the version', async (t) => {
  const { a, b, clock, url, prefix } = await pair(t)
  await a.readStats('default', ['p:a'])
  await a.readStats('other', ['p:a'])
  const w = await watch(t, url, prefix)
  const reads = await Promise.all(Array.from({ length: 30 }, (_, i) => a.readStats(i % 3 === 0 ? 'other' : 'default', ['p:a'])))
  t.ok(reads.every((r) => r.size === 0))
  await w.settle()
  t.strictSame(w.commands().map((c) => c.join(' ')).sort(), [`get ${a.keys.version('default')}`, `get ${a.keys.version('other')}`], 'one GET per agent')

  // A read that starts after the batch was sent does not join it.
  await b.recordFailure('default', 'p:a', fail(clock))
  const after = await Promise.all(Array.from({ length: 5 }, () => a.readStats('default', ['p:a'])))
  t.ok(after.every((r) => r.get('p:a')?.modelCooldowns?.m1 !== undefined), 'every read of the next turn sees the change')
})

t.test('clean successes run no script and their lastUsed reaches Redis coalesced', async (t) => {
  const { a, b, clock, url, prefix } = await pair(t, { usageFlushMs: 60_000 })
  const c = testClient(url)
  t.teardown(() => c.disconnect())
  await c.connect()
  const key = a.keys.stats('default', 'p:a')
  await a.readStats('default', ['p:a'])
  await a.recordSuccess('default', 'p:a', 'prov', 'm1', clock.now)
  const primed = clock.now
  const version = await c.get(a.keys.version('default'))
  t.strictSame(await b.readStats('default', ['p:a']), new Map([['p:a', { errorCount: 0, lastUsed: primed }]]), 'the first success ran the script')

  const w = await watch(t, url, prefix)
  const N = 25
  for (let i = 0; i < N; i++) {
    clock.advance(1000)
    await a.recordSuccess('default', 'p:a', 'prov', 'm1', clock.now)
  }
  t.equal((await a.readStats('default', ['p:a'])).get('p:a')?.lastUsed, clock.now, 'this replica\'s mirror has the latest use')
  t.equal(await c.hget(key, 'lastUsed'), String(primed), 'Redis does not yet')
  await a.flushUsage()
  t.equal(await c.hget(key, 'lastUsed'), String(clock.now), 'after the flush Redis has the last now')
  await w.settle()
  t.equal(w.scriptCalls(SCRIPTS.recordSuccess.lua), 0, `the recordSuccess script ran 0 times for ${N} successes`)
  t.equal(w.scriptCalls(SCRIPTS.touchUsed.lua), 1, 'one coalesced write')
  t.equal(await c.get(a.keys.version('default')), version, 'lastUsed alone does not move the version')
  t.ok(await c.pttl(key) > 6 * 24 * 60 * MIN, 'the entry is kept alive like a success does')

  // A profile with something to clear still runs the script.
  await b.recordFailure('default', 'p:a', fail(clock))
  await a.readStats('default', ['p:a'])
  clock.advance(1000)
  w.clear()
  await a.recordSuccess('default', 'p:a', 'prov', 'm1', clock.now)
  await w.settle()
  t.equal(w.scriptCalls(SCRIPTS.recordSuccess.lua), 1, 'a success that clears a cooldown runs the script')
  t.equal((await b.readStats('default', ['p:a'])).get('p:a')?.modelCooldowns, undefined, 'and the other replica sees it cleared')

  // So does a success that moves lastGood to another profile.
  await a.readStats('default', ['p:b'])
  await a.recordSuccess('default', 'p:b', 'prov', 'm1', clock.now)
  await a.readStats('default', ['p:a'])
  w.clear()
  await a.recordSuccess('default', 'p:a', 'prov', 'm1', clock.now)
  await w.settle()
  t.equal(w.scriptCalls(SCRIPTS.recordSuccess.lua), 1, 'lastGood moving back runs the script')
  t.strictSame(await b.lastGood('default'), { prov: 'p:a' })
})

t.test('the coalesced lastUsed is flushed on its timer and on close', async (t) => {
  const { a, clock, url } = await pair(t, { usageFlushMs: 20 })
  const c = testClient(url)
  t.teardown(() => c.disconnect())
  await c.connect()
  const key = a.keys.stats('default', 'p:a')
  await a.readStats('default', ['p:a'])
  await a.recordSuccess('default', 'p:a', 'prov', 'm1', clock.now)
  clock.advance(5000)
  await a.recordSuccess('default', 'p:a', 'prov', 'm1', clock.now)
  const deadline = Date.now() + 5000
  while (await c.hget(key, 'lastUsed') !== String(clock.now) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(await c.hget(key, 'lastUsed'), String(clock.now), 'written by the timer')

  clock.advance(5000)
  await a.recordSuccess('default', 'p:a', 'prov', 'm1', clock.now)
  await a.close()
  t.equal(await c.hget(key, 'lastUsed'), String(clock.now), 'written on close')
})

t.test('a lost version key makes every replica read the hashes again', async (t) => {
  const { a, b, clock, url } = await pair(t)
  const c = testClient(url)
  t.teardown(() => c.disconnect())
  await c.connect()
  await b.recordFailure('default', 'p:a', fail(clock))
  const before = Number(await c.get(a.keys.version('default')))
  t.ok(before > 1_000_000_000_000, 'a new version key starts at the server time in µs')
  t.ok((await a.readStats('default', ['p:a'])).has('p:a'))
  // The version key lost on its own (the epoch stays, so this is not a loss of the agent's
  // state, which the replicas would re-seed: test/state/redis/stall-and-data-loss.test.ts).
  await c.del(a.keys.version('default'), a.keys.stats('default', 'p:a'))
  t.equal((await a.readStats('default', ['p:a'])).size, 0, 'the entry is gone for A too')
  await b.recordFailure('default', 'p:a', fail(clock, { scope: 'profile', reason: 'timeout' }))
  t.ok(Number(await c.get(a.keys.version('default'))) > before, 'the re-created version does not repeat an old value')
  t.equal((await a.readStats('default', ['p:a'])).get('p:a')?.errorCount, 1, 'and A reads the new entry')
})
