import t from 'tap'
import { errorJson } from '../helpers/fake-upstream.ts'
import { scenario, HI, countBy } from '../helpers/scenario.ts'
import { testClock, type TestGateway } from '../helpers/gateway.ts'

interface StatusProfile { id: string, state: string, cooldownUntil: number | null, disabledUntil: number | null, errorCount: number, modelCooldowns: Record<string, { until: number }> }
async function profile (gw: TestGateway, id: string): Promise<StatusProfile | undefined> {
  const res = await gw.app.inject({ method: 'GET', url: '/admin/status' })
  return (res.json() as { profiles: StatusProfile[] }).profiles.find((p) => p.id === id)
}

t.test('a profile in cooldown is skipped until the cooldown runs out, then probed', async (t) => {
  const clock = testClock()
  let aFails = true
  const { gw, up } = await scenario(t, { now: clock, byKey: { a: () => aFails ? errorJson(500, 'boom') : { body: { choices: [{ message: { content: 'a back' } }] } } } })
  t.equal((await gw.chat({ model: 'fake/m1', ...HI })).headers.get('x-rotor-profile'), 'fake:b')
  t.equal(countBy(up, 'a'), 1)
  // Within the 1-minute cooldown: a is not even tried.
  clock.advance(30_000)
  t.equal((await gw.chat({ model: 'fake/m1', ...HI })).headers.get('x-rotor-profile'), 'fake:b')
  t.equal(countBy(up, 'a'), 1, 'no request reaches the cooling profile')
  // After expiry one live request probes a; its success clears the cooldown.
  clock.advance(31_000)
  aFails = false
  const res = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(res.headers.get('x-rotor-profile'), 'fake:a')
  t.equal(countBy(up, 'a'), 2)
  const a = await profile(gw, 'fake:a')
  t.equal(a?.state, 'ok')
  t.equal(a?.errorCount, 0)
})

t.test('a failed probe cools the profile again for longer (1 min, then 5 min)', async (t) => {
  const clock = testClock()
  const { gw } = await scenario(t, { now: clock, byKey: { a: () => errorJson(500, 'boom') } })
  await gw.chat({ model: 'fake/m1', ...HI })
  t.equal((await profile(gw, 'fake:a'))?.cooldownUntil, clock.now + 60_000)
  clock.advance(61_000)
  await gw.chat({ model: 'fake/m1', ...HI })
  t.equal((await profile(gw, 'fake:a'))?.cooldownUntil, clock.now + 300_000)
})

t.test('a 429 on one model leaves the same profile serving another model', async (t) => {
  const clock = testClock()
  const { gw, up } = await scenario(t, { now: clock, byKey: { a: (req) => req.body.model === 'm1' ? errorJson(429, 'Rate limit reached') : { body: { choices: [{ message: { content: 'a on m2' } }] } } } })
  t.equal((await gw.chat({ model: 'fake/m1', ...HI })).headers.get('x-rotor-profile'), 'fake:b')
  const res = await gw.chat({ model: 'fake/m2', ...HI })
  t.equal(res.headers.get('x-rotor-profile'), 'fake:a', 'a still serves m2')
  // And m1 still skips a.
  const before = countBy(up, 'a')
  t.equal((await gw.chat({ model: 'fake/m1', ...HI })).headers.get('x-rotor-profile'), 'fake:b')
  t.equal(countBy(up, 'a'), before)
})

t.test('a billing error disables the profile for 5 h, then 10 h after a failed probe', async (t) => {
  const clock = testClock()
  const { gw, up } = await scenario(t, { now: clock, byKey: { a: () => errorJson(402, 'Insufficient balance') } })
  await gw.chat({ model: 'fake/m1', ...HI })
  const first = await profile(gw, 'fake:a')
  t.equal(first?.state, 'disabled')
  t.equal(first?.disabledUntil, clock.now + 5 * 3600_000)
  clock.advance(4 * 3600_000)
  await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(countBy(up, 'a'), 1, 'still disabled after 4 h')
  clock.advance(3600_000 + 1000)
  await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(countBy(up, 'a'), 2, 'probed once the disable ran out')
  t.equal((await profile(gw, 'fake:a'))?.disabledUntil, clock.now + 10 * 3600_000)
})

t.test('every candidate rate-limited gives 429 with Retry-After, and so does the next request', async (t) => {
  const clock = testClock()
  const limited = () => ({ ...errorJson(429, 'Rate limit reached'), headers: { 'retry-after': '120' } })
  const { gw, up } = await scenario(t, { now: clock, byKey: { a: limited, b: limited, x: limited } })
  const res = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(res.status, 429)
  t.equal(res.headers.get('retry-after'), '120')
  t.equal(((await res.json()) as { error: { code: string } }).error.code, 'rate_limited')
  const calls = up.requests.length
  clock.advance(20_000)
  const again = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(again.status, 429)
  t.equal(again.headers.get('retry-after'), '100')
  t.equal(up.requests.length, calls, 'cooling candidates are not called')
})

t.test('clear-cooldown through the admin API brings a profile back at once', async (t) => {
  const clock = testClock()
  let aFails = true
  const { gw } = await scenario(t, { now: clock, byKey: { a: () => aFails ? errorJson(500, 'boom') : { body: { choices: [] } } } })
  await gw.chat({ model: 'fake/m1', ...HI })
  aFails = false
  const cleared = await gw.app.inject({ method: 'POST', url: '/admin/profiles/fake:a/clear-cooldown' })
  t.equal(cleared.statusCode, 200)
  t.equal((await gw.chat({ model: 'fake/m1', ...HI })).headers.get('x-rotor-profile'), 'fake:a')
})
