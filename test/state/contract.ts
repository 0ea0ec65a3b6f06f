// The StateStore contract, run against any store factory (memory and redis run the same
// cases). Expected values come from the pure functions of cooldown-policy.ts, so a store
// passes only if it computes exactly what they compute — for redis, that the Lua scripts
// match the TypeScript math.
import type { Test } from 'tap'
import type { UsageStats, FailureInput, CooldownPolicy } from '../../src/core/types.ts'
import { applyFailure, applySuccess, claimProbe, clearCooldown } from '../../src/core/cooldown-policy.ts'
import type { StateStore } from '../../src/state/types.ts'

import { testClock, type TestClock } from '../helpers/clock.ts'

export { testClock, type TestClock }

export type StoreFactory = (t: Test, clock: () => number) => Promise<StateStore>

const MIN = 60_000
const HOUR = 3_600_000
const T0 = Date.UTC(2026, 0, 1)

export const policy: CooldownPolicy = {
  billingBackoffMs: 5 * HOUR,
  billingBackoffMsByProvider: { cheap: 30_000, slow: 2 * HOUR },
  billingMaxMs: 24 * HOUR,
  failureWindowMs: 24 * HOUR,
}

type Step = Omit<FailureInput, 'now' | 'policy' | 'provider'> & { provider?: string, advance?: number }

async function setup (t: Test, factory: StoreFactory): Promise<{ store: StateStore, clock: TestClock }> {
  const clock = testClock(T0)
  const store = await factory(t, clock)
  return { store, clock }
}

/** Applies the steps to the store and to the pure model, comparing after each. */
async function replay (t: Test, store: StateStore, clock: TestClock, agent: string, id: string, steps: readonly Step[], start: UsageStats = {}): Promise<UsageStats> {
  let expected = start
  for (const [i, s] of steps.entries()) {
    clock.advance(s.advance ?? 1000)
    const input: FailureInput = {
      provider: s.provider ?? 'prov', model: s.model, reason: s.reason, scope: s.scope, now: clock.now, policy,
      ...(s.retryAfterMs === undefined ? {} : { retryAfterMs: s.retryAfterMs }),
    }
    expected = applyFailure(expected, input)
    const got = await store.recordFailure(agent, id, input)
    t.strictSame(got, expected, `step ${i}: ${s.scope}/${s.reason}${s.retryAfterMs === undefined ? '' : ` hint ${s.retryAfterMs}`}`)
  }
  t.strictSame((await store.readStats(agent, [id])).get(id), expected, 'readStats returns the same entry')
  return expected
}

export function stateStoreContract (t: Test, factory: StoreFactory): void {
  t.test('a profile never used has no stats, pin or lastGood', async (t) => {
    const { store } = await setup(t, factory)
    t.equal((await store.readStats('default', ['p:a', 'p:b'])).size, 0)
    t.strictSame(await store.lastGood('default'), {})
    t.equal(await store.getSessionPin('default', 's'), undefined)
    t.equal(store.health(), 'ready')
  })

  t.test('profile cooldowns grow 1, 5, 25, 60 min and the window resets the count', async (t) => {
    const { store, clock } = await setup(t, factory)
    await replay(t, store, clock, 'default', 'p:a', [
      { model: 'm1', reason: 'timeout', scope: 'profile' },
      { model: 'm1', reason: 'timeout', scope: 'profile' },
      { model: 'm1', reason: 'unknown', scope: 'profile' },
      { model: 'm1', reason: 'auth', scope: 'profile' },
      { model: 'm1', reason: 'timeout', scope: 'profile' },
      { model: 'm1', reason: 'timeout', scope: 'profile', advance: policy.failureWindowMs + 1 },
      { model: 'm1', reason: 'timeout', scope: 'profile', advance: policy.failureWindowMs },
    ])
  })

  t.test('a longer upstream hint wins and a deadline never shrinks', async (t) => {
    const { store, clock } = await setup(t, factory)
    await replay(t, store, clock, 'default', 'p:a', [
      { model: 'm1', reason: 'rate_limit', scope: 'profile', retryAfterMs: 2 * HOUR },
      { model: 'm1', reason: 'rate_limit', scope: 'profile', retryAfterMs: 10_000 },
      { model: 'm1', reason: 'rate_limit', scope: 'profile', retryAfterMs: 1234.5, advance: 3 * HOUR },
      { model: 'm1', reason: 'rate_limit', scope: 'profile', retryAfterMs: -5 },
      { model: 'm1', reason: 'rate_limit', scope: 'profile', retryAfterMs: Number.NaN },
      { model: 'm1', reason: 'rate_limit', scope: 'profile', retryAfterMs: 90 * MIN + 0.25 },
    ])
  })

  t.test('model cooldowns count per model and leave other models alone', async (t) => {
    const { store, clock } = await setup(t, factory)
    await replay(t, store, clock, 'default', 'p:a', [
      { model: 'm1', reason: 'rate_limit', scope: 'model' },
      { model: 'm1', reason: 'rate_limit', scope: 'model', retryAfterMs: 1500.5 },
      { model: 'vendor/m:2', reason: 'rate_limit', scope: 'model' },
      { model: 'm1', reason: 'rate_limit', scope: 'model', advance: 2 * HOUR },
      { model: 'm1', reason: 'rate_limit', scope: 'model' },
      { model: 'm1', reason: 'rate_limit', scope: 'model' },
      { model: 'vendor/m:2', reason: 'rate_limit', scope: 'model', advance: policy.failureWindowMs + 5 },
      { model: 'm1', reason: 'timeout', scope: 'profile' },
      { model: 'vendor/m:2', reason: 'rate_limit', scope: 'model', retryAfterMs: 3 * HOUR },
    ])
  })

  t.test('billing disables double from the base up to the cap, per-provider base and 1 min floor', async (t) => {
    const { store, clock } = await setup(t, factory)
    const steps: Step[] = []
    for (let i = 0; i < 6; i++) steps.push({ model: 'm1', reason: 'billing', scope: 'disable' })
    steps.push({ model: 'm1', reason: 'billing', scope: 'disable', retryAfterMs: 48 * HOUR })
    await replay(t, store, clock, 'default', 'p:a', steps)
    await replay(t, store, clock, 'default', 'p:b', [
      { provider: 'cheap', model: 'm1', reason: 'billing', scope: 'disable' },
      { provider: 'cheap', model: 'm1', reason: 'billing', scope: 'disable' },
      { provider: 'cheap', model: 'm1', reason: 'rate_limit', scope: 'disable' },
    ])
    await replay(t, store, clock, 'default', 'p:c', [
      { provider: 'slow', model: 'm1', reason: 'timeout', scope: 'disable' },
      { provider: 'slow', model: 'm1', reason: 'billing', scope: 'disable' },
      { provider: 'slow', model: 'm1', reason: 'billing', scope: 'disable' },
    ])
  })

  t.test('a success clears the profile and its model, keeps other models, sets lastUsed and lastGood', async (t) => {
    const { store, clock } = await setup(t, factory)
    const before = await replay(t, store, clock, 'default', 'p:a', [
      { model: 'm1', reason: 'rate_limit', scope: 'model' },
      { model: 'm2', reason: 'rate_limit', scope: 'model' },
      { model: 'm1', reason: 'timeout', scope: 'profile' },
      { model: 'm1', reason: 'billing', scope: 'disable' },
    ])
    clock.advance(5000)
    await store.recordSuccess('default', 'p:a', 'prov', 'm1', clock.now)
    t.strictSame((await store.readStats('default', ['p:a'])).get('p:a'), applySuccess(before, clock.now, 'm1'))
    t.strictSame(await store.lastGood('default'), { prov: 'p:a' })

    clock.advance(1000)
    await store.recordSuccess('default', 'p:b', 'prov', 'm1', clock.now)
    t.strictSame((await store.readStats('default', ['p:b'])).get('p:b'), applySuccess({}, clock.now, 'm1'), 'an unseen profile gets an entry')
    await store.recordSuccess('default', 'o:x', 'other', 'o1', clock.now)
    t.strictSame(await store.lastGood('default'), { prov: 'p:b', other: 'o:x' })
  })

  t.test('clear-cooldown lifts everything and creates no entry for an unseen profile', async (t) => {
    const { store, clock } = await setup(t, factory)
    await store.clearCooldown('default', 'p:none')
    t.equal((await store.readStats('default', ['p:none'])).size, 0)
    const before = await replay(t, store, clock, 'default', 'p:a', [
      { model: 'm1', reason: 'rate_limit', scope: 'model' },
      { model: 'm1', reason: 'billing', scope: 'disable' },
      { model: 'm2', reason: 'timeout', scope: 'profile' },
    ])
    await store.clearCooldown('default', 'p:a')
    t.strictSame((await store.readStats('default', ['p:a'])).get('p:a'), clearCooldown(before))
  })

  t.test('a profile-wide cooldown that ran out is probed by exactly one caller at a time', async (t) => {
    const { store, clock } = await setup(t, factory)
    t.equal(await store.claimProbe('default', 'p:a', 'm1', clock.now, 5000), false, 'nothing to probe on a healthy profile')
    let expected = await replay(t, store, clock, 'default', 'p:a', [{ model: 'm1', reason: 'timeout', scope: 'profile' }])
    t.equal(await store.claimProbe('default', 'p:a', 'm1', clock.now, 5000), false, 'not while cooling')
    clock.advance(MIN)
    const claims = await Promise.all(Array.from({ length: 10 }, () => store.claimProbe('default', 'p:a', 'm1', clock.now, 5000)))
    t.equal(claims.filter(Boolean).length, 1, 'one winner')
    expected = claimProbe(expected, 'm1', clock.now, 5000).stats
    t.strictSame((await store.readStats('default', ['p:a'])).get('p:a'), expected)
    clock.advance(4999)
    t.equal(await store.claimProbe('default', 'p:a', 'm2', clock.now, 5000), false, 'the claim covers every model')
    clock.advance(1)
    t.equal(await store.claimProbe('default', 'p:a', 'm1', clock.now, 0), true, 'claimable again once the claim ran out')
    expected = claimProbe(expected, 'm1', clock.now, 0).stats
    t.strictSame((await store.readStats('default', ['p:a'])).get('p:a'), expected, 'a zero ttl still claims for 1 ms')
    await replay(t, store, clock, 'default', 'p:a', [{ model: 'm1', reason: 'timeout', scope: 'profile', advance: 0 }], expected)
  })

  t.test('a model cooldown that ran out is probed on that model only', async (t) => {
    const { store, clock } = await setup(t, factory)
    let expected = await replay(t, store, clock, 'default', 'p:a', [{ model: 'm1', reason: 'rate_limit', scope: 'model' }])
    t.equal(await store.claimProbe('default', 'p:a', 'm2', clock.now, 5000), false, 'another model is simply available')
    clock.advance(MIN)
    const claims = await Promise.all(Array.from({ length: 8 }, () => store.claimProbe('default', 'p:a', 'm1', clock.now, 7000)))
    t.equal(claims.filter(Boolean).length, 1, 'one winner')
    expected = claimProbe(expected, 'm1', clock.now, 7000).stats
    t.strictSame((await store.readStats('default', ['p:a'])).get('p:a'), expected)
    await replay(t, store, clock, 'default', 'p:a', [{ model: 'm1', reason: 'rate_limit', scope: 'model', advance: 10 }], expected)
  })

  t.test('the cursor counts 1, 2, 3 per agent and provider', async (t) => {
    const { store } = await setup(t, factory)
    t.strictSame([await store.nextCursor('default', 'a'), await store.nextCursor('default', 'a'), await store.nextCursor('default', 'a')], [1, 2, 3])
    t.equal(await store.nextCursor('default', 'b'), 1)
    t.equal(await store.nextCursor('other', 'a'), 1)
    const many = await Promise.all(Array.from({ length: 50 }, () => store.nextCursor('default', 'c')))
    t.strictSame([...many].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i + 1), 'concurrent callers get distinct values')
  })

  t.test('session pins last until their ttl on the store clock', async (t) => {
    const { store, clock } = await setup(t, factory)
    await store.setSessionPin('default', 'sess-1', 'p:a', 10_000)
    t.equal(await store.getSessionPin('default', 'sess-1'), 'p:a')
    t.equal(await store.getSessionPin('other', 'sess-1'), undefined, 'pins are per agent')
    clock.advance(9999)
    t.equal(await store.getSessionPin('default', 'sess-1'), 'p:a')
    await store.setSessionPin('default', 'sess-1', 'p:b', 10_000)
    clock.advance(9999)
    t.equal(await store.getSessionPin('default', 'sess-1'), 'p:b', 'setting again moves the pin and restarts its ttl')
    clock.advance(1)
    t.equal(await store.getSessionPin('default', 'sess-1'), undefined, 'expired')
  })

  t.test('agents do not share stats', async (t) => {
    const { store, clock } = await setup(t, factory)
    await replay(t, store, clock, 'a1', 'p:a', [{ model: 'm1', reason: 'timeout', scope: 'profile' }])
    t.equal((await store.readStats('a2', ['p:a'])).size, 0)
  })

  t.test('concurrent failures on one profile lose no update', async (t) => {
    const { store, clock } = await setup(t, factory)
    const input: FailureInput = { provider: 'prov', model: 'm1', reason: 'rate_limit', scope: 'model', now: clock.now, policy }
    await Promise.all(Array.from({ length: 60 }, () => store.recordFailure('default', 'p:a', input)))
    let expected: UsageStats = {}
    for (let i = 0; i < 60; i++) expected = applyFailure(expected, input)
    t.strictSame((await store.readStats('default', ['p:a'])).get('p:a'), expected)
  })
}
