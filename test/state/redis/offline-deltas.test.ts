// What a replica records while Redis is away (redis/dirty.ts) and how the merge script folds
// it in: every failure is an event with an id, so a batch that reaches Redis twice counts once.
import t from 'tap'
import { Redis } from 'ioredis'
import { applyFailure } from '../../../src/core/cooldown-policy.ts'
import { createDirty, mergeArgs, type StatsDelta } from '../../../src/state/redis/dirty.ts'
import { decodeVersioned } from '../../../src/state/redis/codec.ts'
import { createKeys } from '../../../src/state/redis/keys.ts'
import { defineScripts } from '../../../src/state/redis/scripts.ts'
import type { UsageStats, FailureInput } from '../../../src/core/types.ts'
import { redisForTest } from '../../helpers/redis.ts'
import { policy, testClock, type TestClock } from '../contract.ts'

const MIN = 60_000
const DAY = 86_400_000

function fail (clock: TestClock, over: Partial<FailureInput> = {}): FailureInput {
  return { provider: 'prov', model: 'm1', reason: 'rate_limit', scope: 'model', now: clock.now, policy, ...over }
}

/** Records failures offline the way the store does: local policy first, then the delta. */
function recorder () {
  const dirty = createDirty()
  let stats: UsageStats = {}
  let n = 0
  return {
    dirty,
    failure (input: FailureInput): string {
      stats = applyFailure(stats, input)
      const id = `r.${++n}`
      dirty.failure('a', 'p', input, stats, id)
      return id
    },
    delta: (): StatsDelta => dirty.take().stats.get('a')?.get('p') as StatsDelta,
  }
}

t.test('each offline failure is one event with its id', async (t) => {
  const clock = testClock()
  const r = recorder()
  const a = r.failure(fail(clock, { scope: 'profile', reason: 'timeout' }))
  clock.advance(1000)
  const b = r.failure(fail(clock))
  const d = r.delta()
  t.strictSame(d.events.map((e) => [e.id, e.scope, e.profileWide, e.model]), [[a, 'profile', true, ''], [b, 'model', true, 'm1']])
  t.equal(d.cooldownUntil, clock.now - 1000 + MIN)
  t.equal(d.modelUntil.get('m1'), clock.now + MIN)
})

t.test('a window that reset locally stops counting the older events for the profile', async (t) => {
  const clock = testClock()
  const r = recorder()
  r.failure(fail(clock, { scope: 'profile', reason: 'timeout' }))
  clock.advance(policy.failureWindowMs + 1)
  const late = r.failure(fail(clock, { scope: 'profile', reason: 'timeout' }))
  t.strictSame(r.delta().events.map((e) => e.id), [late])
})

t.test('a success on one model keeps the other model\'s events for that model only', async (t) => {
  const clock = testClock()
  const r = recorder()
  const m2 = r.failure(fail(clock, { model: 'm2' }))
  r.failure(fail(clock, { model: 'm1' }))
  clock.advance(1000)
  r.dirty.cleared('a', 'p', clock.now, { model: 'm1' })
  const d = r.delta()
  t.strictSame(d.events.map((e) => [e.id, e.profileWide, e.model]), [[m2, false, 'm2']])
  t.strictSame([...d.modelUntil.keys()], ['m2'])
  t.equal(d.clearedAt, clock.now)
})

t.test('a batch put back after a failed push keeps each event once', async (t) => {
  const clock = testClock()
  const r = recorder()
  r.failure(fail(clock))
  const batch = r.dirty.take()
  clock.advance(1000)
  r.failure(fail(clock))
  r.dirty.restore(batch)
  r.dirty.restore(batch)
  t.strictSame(r.delta().events.map((e) => e.id), ['r.1', 'r.2'])
})

t.test('the merge script counts a re-sent batch once and does not revive a cooldown cleared since', async (t) => {
  const { url, prefix } = await redisForTest(t)
  const redis = new Redis(url, { lazyConnect: true })
  defineScripts(redis)
  await redis.connect()
  t.teardown(() => redis.disconnect())
  const keys = createKeys(prefix)
  const clock = testClock()
  const r = recorder()
  const first = fail(clock, { scope: 'profile', reason: 'timeout' })
  r.failure(first)
  r.failure(fail(clock, { model: 'm2' }))
  const args = mergeArgs(r.delta(), clock.now, 7 * DAY)
  const merge = async (): Promise<UsageStats | undefined> => decodeVersioned(
    await redis.mergeStats(keys.stats('a', 'p'), keys.version('a'), keys.epoch('a'), keys.events('a', 'p'), ...args)).stats

  const once = await merge()
  t.equal(once?.errorCount, 2)
  t.equal(once?.cooldownUntil, first.now + MIN)
  t.equal(once?.modelCooldowns?.m2?.errorCount, 1)
  t.strictSame(await merge(), once, 'the same batch again changes nothing')

  await redis.del(keys.stats('a', 'p'))
  const afterClear = await merge()
  t.equal(afterClear, undefined, 'an entry removed since (cleared, expired) is not re-created by a re-sent batch')
  t.equal(await redis.zcard(keys.events('a', 'p')), 2, 'two ids remembered')
})
