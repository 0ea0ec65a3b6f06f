import t from 'tap'
import { errorJson } from '../helpers/fake-upstream.ts'
import { scenario, HI } from '../helpers/scenario.ts'

t.test('/metrics counts requests, attempts and failovers by reason, latency, tokens and profile states', async (t) => {
  const { gw } = await scenario(t, { byKey: { a: () => errorJson(429, 'Rate limit reached') } })
  t.equal((await gw.chat({ model: 'fake/m1', ...HI })).status, 200)
  const res = await fetch(`${gw.url}/metrics`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type') ?? '', /text\/plain/)
  const text = await res.text()
  t.match(text, /rotor_requests_total\{model="fake\/m1",provider="fake",status="200"\} 1/)
  t.match(text, /rotor_attempts_total\{model="fake\/m1",outcome="rate_limit"\} 1/)
  t.match(text, /rotor_attempts_total\{model="fake\/m1",outcome="ok"\} 1/)
  t.match(text, /rotor_failovers_total\{reason="rate_limit"\} 1/)
  t.match(text, /rotor_upstream_ttfb_seconds_count\{model="fake\/m1"\} 1/)
  t.match(text, /rotor_tokens_total\{model="fake\/m1",kind="prompt"\} 10/)
  t.match(text, /rotor_profile_state\{agent="default",provider="fake",profile="fake:a",state="cooldown"\} 1/)
  t.match(text, /rotor_profile_state\{agent="default",provider="fake",profile="fake:b",state="ok"\} 1/)
  t.match(text, /rotor_state_store_degraded 0/)
})

t.test('the admin order API sets, reads and clears the explicit order, and routing follows it', async (t) => {
  const { gw } = await scenario(t, {})
  const put = await gw.app.inject({ method: 'PUT', url: '/admin/order/fake', payload: { order: ['fake:b', 'fake:a'] } })
  t.equal(put.statusCode, 200)
  t.same((put.json() as { explicit: string[] }).explicit, ['fake:b', 'fake:a'])
  t.equal((await gw.chat({ model: 'fake/m1', ...HI })).headers.get('x-rotor-profile'), 'fake:b')
  const got = await gw.app.inject({ method: 'GET', url: '/admin/order/fake' })
  t.same((got.json() as { effective: string[] }).effective, ['fake:b', 'fake:a'])
  const bad = await gw.app.inject({ method: 'PUT', url: '/admin/order/fake', payload: { order: ['other:x'] } })
  t.equal(bad.statusCode, 400)
  t.match((bad.json() as { error: { message: string } }).error.message, /is for other, not fake/)
  const del = await gw.app.inject({ method: 'DELETE', url: '/admin/order/fake' })
  t.equal(del.statusCode, 200)
  t.equal((del.json() as { default: boolean }).default, true)
  t.equal((await gw.chat({ model: 'fake/m1', ...HI })).headers.get('x-rotor-profile'), 'fake:a')
})

t.test('clear-cooldown of an unknown profile is a 404 in OpenAI shape', async (t) => {
  const { gw } = await scenario(t, {})
  const res = await gw.app.inject({ method: 'POST', url: '/admin/profiles/fake:nope/clear-cooldown' })
  t.equal(res.statusCode, 404)
  t.equal((res.json() as { error: { code: string } }).error.code, 'not_found')
})
