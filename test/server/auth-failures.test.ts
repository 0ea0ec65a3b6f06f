// A rejected credential is reported as one, not as a rate limit: SDKs would otherwise wait and
// retry for a minute to learn that a key is bad.
import t from 'tap'
import { errorJson } from '../helpers/fake-upstream.ts'
import { scenario, HI } from '../helpers/scenario.ts'
import { testClock } from '../helpers/gateway.ts'

interface ErrorBody { error: { code: string, message: string } }

t.test('every profile answering 401 is upstream_auth_failed, then profiles_unavailable with Retry-After while they cool', async (t) => {
  const clock = testClock()
  const rejected = () => errorJson(401, 'Incorrect API key provided', 'invalid_api_key')
  const { gw, up } = await scenario(t, { now: clock, byKey: { a: rejected, b: rejected, x: rejected } })

  const first = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(first.status, 502)
  t.equal(first.headers.get('retry-after'), null, 'waiting does not fix a key')
  const body = await first.json() as ErrorBody
  t.equal(body.error.code, 'upstream_auth_failed')
  t.match(body.error.message, /fake\/m1 via fake:a: HTTP 401: Incorrect API key provided \(auth\)/)
  t.match(body.error.message, /other\/o1 via other:x/)
  t.equal(up.requests.length, 3)

  clock.advance(10_000)
  const again = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(again.status, 503)
  t.equal(again.headers.get('retry-after'), '50', 'until the first auth cooldown (1 min) ends')
  const unavailable = await again.json() as ErrorBody
  t.equal(unavailable.error.code, 'profiles_unavailable')
  t.match(unavailable.error.message, 'fake/m1 via fake:a (auth until 2026-01-01T00:01:00.000Z)')
  t.match(unavailable.error.message, 'other/o1 via other:x (auth until 2026-01-01T00:01:00.000Z)')
  t.equal(up.requests.length, 3, 'cooling profiles are not called')
})

t.test('a 403 on every profile is upstream_auth_failed too', async (t) => {
  const forbidden = () => errorJson(403, 'This key may not use this model')
  const { gw } = await scenario(t, { byKey: { a: forbidden, b: forbidden, x: forbidden } })
  const res = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(res.status, 502)
  t.equal((await res.json() as ErrorBody).error.code, 'upstream_auth_failed')
})

t.test('a billing disable on every profile is profiles_unavailable with the time until the soonest comes back', async (t) => {
  const clock = testClock()
  const broke = () => errorJson(402, 'Insufficient balance')
  const { gw } = await scenario(t, { now: clock, byKey: { a: broke, b: broke, x: broke } })
  const first = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal((await first.json() as ErrorBody).error.code, 'upstream_error')
  const again = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(again.status, 503)
  t.equal(again.headers.get('retry-after'), String(5 * 3600))
  t.match((await again.json() as ErrorBody).error.message, /\(billing until 2026-01-01T05:00:00\.000Z\)/)
})
