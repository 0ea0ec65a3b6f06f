import t from 'tap'
import type { UsageStats, FailureInput } from '../../src/core/types.ts'
import { applyFailure, applySuccess, availability, claimProbe, clearCooldown } from '../../src/core/cooldown-policy.ts'
import { HOUR, MIN, NOW, POLICY } from '../routing/fixtures.ts'

const OPUS = 'claude-opus-4-5'
const SONNET = 'claude-sonnet-4-5'

function fail (stats: UsageStats, over: Partial<FailureInput> = {}): UsageStats {
  return applyFailure(stats, { provider: 'anthropic', model: OPUS, reason: 'timeout', scope: 'profile', now: NOW, policy: POLICY, ...over })
}

/** Applies `n` failures one minute apart so each lands inside the previous window. */
function failTimes (n: number, over: Partial<FailureInput> = {}): UsageStats {
  let s: UsageStats = {}
  for (let i = 0; i < n; i++) s = fail(s, { ...over, now: NOW + i * MIN })
  return s
}

t.test('profile cooldowns grow 1 min, 5 min, 25 min, then cap at 60 min', async t => {
  const expected = [1 * MIN, 5 * MIN, 25 * MIN, 60 * MIN, 60 * MIN, 60 * MIN]
  expected.forEach((ms, i) => {
    const s = failTimes(i + 1)
    const at = NOW + i * MIN
    t.equal(s.errorCount, i + 1, `errorCount after ${i + 1}`)
    t.equal(s.cooldownUntil, at + ms, `failure ${i + 1} → ${ms / MIN} min`)
    t.equal(s.lastFailureAt, at)
    t.equal(s.cooldownReason, 'timeout')
  })
})

t.test('counts reset when the previous failure is older than the failure window', async t => {
  const s1 = failTimes(3)
  const later = NOW + 2 * MIN + POLICY.failureWindowMs + 1
  const s2 = fail(s1, { now: later, reason: 'auth' })
  t.equal(s2.errorCount, 1)
  t.same(s2.failureCounts, { auth: 1 })
  t.equal(s2.cooldownUntil, later + MIN)
})

t.test('a failure exactly at the window edge still counts', async t => {
  const s1 = fail({})
  const s2 = fail(s1, { now: NOW + POLICY.failureWindowMs })
  t.equal(s2.errorCount, 2)
})

t.test('failureCounts are kept per reason', async t => {
  let s = fail({}, { reason: 'auth' })
  s = fail(s, { reason: 'timeout', now: NOW + 1 })
  s = fail(s, { reason: 'auth', now: NOW + 2 })
  t.same(s.failureCounts, { auth: 2, timeout: 1 })
})

t.test('billing disables for 5 h, 10 h, 20 h, then the 24 h cap', async t => {
  const expected = [5 * HOUR, 10 * HOUR, 20 * HOUR, 24 * HOUR, 24 * HOUR]
  let s: UsageStats = {}
  expected.forEach((ms, i) => {
    const at = NOW + i * MIN
    s = fail(s, { reason: 'billing', scope: 'disable', now: at })
    t.equal(s.disabledUntil! - at, ms, `billing ${i + 1} → ${ms / HOUR} h`)
    t.equal(s.disabledReason, 'billing')
    t.equal(s.cooldownUntil, undefined, 'billing does not set a cooldown')
  })
})

t.test('a per-provider billing backoff overrides the default, with a 1 min floor', async t => {
  const policy = { ...POLICY, billingBackoffMsByProvider: { venice: 1 * HOUR, tiny: 1000 } }
  const s1 = fail({}, { provider: 'venice', reason: 'billing', scope: 'disable', policy })
  t.equal(s1.disabledUntil, NOW + HOUR)
  const s2 = fail(s1, { provider: 'venice', reason: 'billing', scope: 'disable', policy, now: NOW + 1 })
  t.equal(s2.disabledUntil, NOW + 1 + 2 * HOUR)
  const s3 = fail({}, { provider: 'tiny', reason: 'billing', scope: 'disable', policy })
  t.equal(s3.disabledUntil, NOW + MIN)
})

t.test('a billing max below the base is raised to the base', async t => {
  const policy = { ...POLICY, billingBackoffMs: 10 * HOUR, billingMaxMs: 1 * HOUR }
  const s = fail(fail({}, { reason: 'billing', scope: 'disable', policy }), { reason: 'billing', scope: 'disable', policy, now: NOW + 1 })
  t.equal(s.disabledUntil, NOW + 1 + 10 * HOUR)
})

t.test('a longer Retry-After wins, a shorter one loses', async t => {
  t.equal(fail({}, { retryAfterMs: 10 * MIN }).cooldownUntil, NOW + 10 * MIN)
  t.equal(fail({}, { retryAfterMs: 5000 }).cooldownUntil, NOW + MIN)
  const m = fail({}, { reason: 'rate_limit', scope: 'model', retryAfterMs: 2 * HOUR })
  t.equal(m.modelCooldowns?.[OPUS].until, NOW + 2 * HOUR)
  const m2 = fail({}, { reason: 'rate_limit', scope: 'model', retryAfterMs: 2000 })
  t.equal(m2.modelCooldowns?.[OPUS].until, NOW + MIN)
  const b = fail({}, { reason: 'billing', scope: 'disable', retryAfterMs: 30 * HOUR })
  t.equal(b.disabledUntil, NOW + 30 * HOUR)
})

t.test('a cooldown never shortens an existing later one', async t => {
  const s = fail({ cooldownUntil: NOW + 3 * HOUR })
  t.equal(s.cooldownUntil, NOW + 3 * HOUR)
})

t.test('a model-scope 429 leaves another model available on the same profile', async t => {
  const s = fail({}, { reason: 'rate_limit', scope: 'model', model: OPUS })
  t.equal(s.cooldownUntil, undefined, 'profile cooldown untouched')
  t.equal(s.errorCount, 1, 'the error still counts on the profile')
  t.same(s.failureCounts, { rate_limit: 1 })
  t.same(availability(s, OPUS, NOW + 1), { state: 'cooling', until: NOW + MIN, reason: 'rate_limit' })
  t.same(availability(s, SONNET, NOW + 1), { state: 'available' })
})

t.test('model cooldowns grow per model and reset outside the window', async t => {
  let s: UsageStats = {}
  for (let i = 0; i < 4; i++) s = fail(s, { reason: 'rate_limit', scope: 'model', now: NOW + i })
  t.equal(s.modelCooldowns?.[OPUS].errorCount, 4)
  t.equal(s.modelCooldowns?.[OPUS].until, NOW + 3 + HOUR)
  s = fail(s, { reason: 'rate_limit', scope: 'model', model: SONNET, now: NOW + 4 })
  t.equal(s.modelCooldowns?.[SONNET].until, NOW + 4 + MIN, 'sonnet starts at 1 min')
  const late = NOW + 3 + POLICY.failureWindowMs + 1
  s = fail(s, { reason: 'rate_limit', scope: 'model', now: late })
  t.same(s.modelCooldowns?.[OPUS], { until: late + MIN, errorCount: 1, lastFailureAt: late })
})

t.test('applyFailure returns a new object and leaves its input alone', async t => {
  const before: UsageStats = { errorCount: 1, failureCounts: { auth: 1 }, lastFailureAt: NOW - 1, modelCooldowns: {} }
  const copy = structuredClone(before)
  fail(before, { reason: 'auth' })
  fail(before, { reason: 'rate_limit', scope: 'model' })
  t.same(before, copy)
})

t.test('availability reports cooling with the latest blocking time and its reason', async t => {
  const cases: Array<[string, UsageStats, ReturnType<typeof availability>]> = [
    ['never used', {}, { state: 'available' }],
    ['cooldown', { cooldownUntil: NOW + 5, cooldownReason: 'auth' }, { state: 'cooling', until: NOW + 5, reason: 'auth' }],
    ['legacy cooldown without reason', { cooldownUntil: NOW + 5 }, { state: 'cooling', until: NOW + 5, reason: 'rate_limit' }],
    ['disable wins the reason', { cooldownUntil: NOW + 9, cooldownReason: 'auth', disabledUntil: NOW + 5 }, { state: 'cooling', until: NOW + 9, reason: 'billing' }],
    ['model entry', { modelCooldowns: { [OPUS]: { until: NOW + 7, errorCount: 1, lastFailureAt: NOW } } }, { state: 'cooling', until: NOW + 7, reason: 'rate_limit' }],
    ['expired cooldown is half-open', { cooldownUntil: NOW - 1, cooldownReason: 'auth' }, { state: 'probe', until: NOW - 1, scope: 'profile', reason: 'auth' }],
    ['expired disable is half-open', { disabledUntil: NOW - 1 }, { state: 'probe', until: NOW - 1, scope: 'profile', reason: 'billing' }],
    ['expired model entry is half-open', { modelCooldowns: { [OPUS]: { until: NOW, errorCount: 1, lastFailureAt: NOW } } }, { state: 'probe', until: NOW, scope: 'model', reason: 'rate_limit' }],
    ['claimed probe cools until the claim ends', { cooldownUntil: NOW - 1, cooldownReason: 'timeout', probeUntil: NOW + 30 }, { state: 'cooling', until: NOW + 30, reason: 'timeout' }],
    ['an expired claim is half-open again', { cooldownUntil: NOW - 1, probeUntil: NOW - 1 }, { state: 'probe', until: NOW - 1, scope: 'profile', reason: 'rate_limit' }],
  ]
  for (const [name, stats, expected] of cases) t.same(availability(stats, OPUS, NOW), expected, name)
  t.same(availability(undefined, OPUS, NOW), { state: 'available' })
})

t.test('the half-open probe is claimed once', async t => {
  const stats = fail({})
  const after = NOW + MIN
  t.same(availability(stats, OPUS, after), { state: 'probe', until: after, scope: 'profile', reason: 'timeout' })
  const first = claimProbe(stats, OPUS, after, 30_000)
  t.equal(first.claimed, true)
  t.equal(first.stats.probeUntil, after + 30_000)
  const second = claimProbe(first.stats, SONNET, after + 1, 30_000)
  t.equal(second.claimed, false, 'a profile-wide probe covers every model')
  t.equal(second.stats, first.stats)
  t.equal(claimProbe(first.stats, OPUS, after + 30_001, 30_000).claimed, true, 'claim expires')
})

t.test('a model probe is claimed on the model entry', async t => {
  const stats = fail({}, { reason: 'rate_limit', scope: 'model' })
  const after = NOW + MIN
  const first = claimProbe(stats, OPUS, after, 1000)
  t.equal(first.claimed, true)
  t.equal(first.stats.modelCooldowns?.[OPUS].probeUntil, after + 1000)
  t.equal(first.stats.probeUntil, undefined)
  t.equal(claimProbe(first.stats, OPUS, after, 1000).claimed, false)
  t.same(availability(first.stats, SONNET, after), { state: 'available' })
})

t.test('nothing to probe means no claim', async t => {
  t.equal(claimProbe({}, OPUS, NOW, 1000).claimed, false)
  t.equal(claimProbe(fail({}), OPUS, NOW, 1000).claimed, false, 'still cooling')
})

t.test('a failed probe clears the claim and cools again with the next step', async t => {
  const s1 = fail({})
  const claimed = claimProbe(s1, OPUS, NOW + MIN, 30_000).stats
  const s2 = fail(claimed, { now: NOW + MIN + 10 })
  t.equal(s2.probeUntil, undefined)
  t.equal(s2.cooldownUntil, NOW + MIN + 10 + 5 * MIN)
})

t.test('success clears the profile everywhere and records lastUsed', async t => {
  let s = fail({}, { reason: 'billing', scope: 'disable' })
  s = fail(s, { reason: 'rate_limit', scope: 'model', now: NOW + 1 })
  s = fail(s, { reason: 'auth', now: NOW + 2 })
  s = { ...s, probeUntil: NOW + 5 }
  const ok = applySuccess(s, NOW + 10)
  t.same(ok, { lastUsed: NOW + 10, errorCount: 0, lastFailureAt: NOW + 2 })
  t.same(availability(ok, OPUS, NOW + 11), { state: 'available' })
})

t.test('clearCooldown lifts cooldown, disable and model cooldowns but keeps lastUsed', async t => {
  let s = fail({ lastUsed: 42 }, { reason: 'billing', scope: 'disable' })
  s = fail(s, { reason: 'rate_limit', scope: 'model', now: NOW + 1 })
  s = fail(s, { now: NOW + 2 })
  t.same(clearCooldown(s), { lastUsed: 42, errorCount: 0, lastFailureAt: NOW + 2 })
})
