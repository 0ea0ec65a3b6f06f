// Retry-After on rotor's own 429/503 is the time until rotor will next try a candidate: never
// shorter than the cooldown it just recorded, never shorter than the upstream's hint — in
// seconds, as an HTTP date, as Anthropic's RFC 3339 reset headers or Codex's `resets_at`,
// all read against the gateway's clock.
import t, { type Test } from 'tap'
import { errorJson, startFakeUpstream, type Scripted } from '../helpers/fake-upstream.ts'
import { startTestGateway, testClock, type TestClock, type TestGateway } from '../helpers/gateway.ts'
import { encodeEvent, failedTranscript } from '../providers/responses/fake-codex.ts'

const KEY = 'sk-retry-after-test-0123456789'

/** A gateway whose only candidate is `p/m1` (family `api`) with one api-key profile, on `clock`. */
async function single (t: Test, api: string, clock: TestClock, answer: () => Scripted): Promise<TestGateway> {
  const up = await startFakeUpstream(answer)
  const gw = await startTestGateway({
    now: clock,
    config: {
      logging: { level: 'silent' },
      models: { mode: 'replace', providers: { p: { baseUrl: `${up.url}/v1`, api, models: [{ id: 'm1' }] } } },
      agents: { defaults: { model: { primary: 'p/m1' } } },
    },
    authProfiles: { version: 1, profiles: { 'p:a': { type: 'api_key', provider: 'p', key: KEY } } },
  })
  t.teardown(async () => { await gw.close(); await up.close() })
  return gw
}

async function cooldownUntil (gw: TestGateway): Promise<number | undefined> {
  const res = await gw.app.inject({ method: 'GET', url: '/admin/status' })
  const p = (res.json() as { profiles: Array<{ id: string, modelCooldowns: Record<string, { until: number }> }> }).profiles.find((x) => x.id === 'p:a')
  return p?.modelCooldowns.m1?.until
}

const ask = (gw: TestGateway, stream = false): Promise<Response> => gw.chat({ model: 'p/m1', stream, messages: [{ role: 'user', content: 'hi' }] })

t.test('an upstream Retry-After shorter than the cooldown: the 429 says the cooldown, so the client does not come back too early', async (t) => {
  const clock = testClock()
  const gw = await single(t, 'openai-completions', clock, () => ({ ...errorJson(429, 'Rate limit reached'), headers: { 'retry-after': '20' } }))
  const res = await ask(gw)
  t.equal(res.status, 429)
  t.equal(res.headers.get('retry-after'), '60', 'the first backoff step, not the upstream\'s 20 s')
  t.equal(await cooldownUntil(gw), clock.now + 60_000)
  t.match(((await res.json()) as { error: { message: string } }).error.message, /retry in 60s$/)
  clock.advance(59_000)
  const again = await ask(gw)
  t.equal(again.status, 429, 'one second before the cooldown ends rotor still refuses')
  t.equal(again.headers.get('retry-after'), '1')
})

t.test('an HTTP-date Retry-After is read against the gateway clock', async (t) => {
  const clock = testClock()
  const at = new Date(clock.now + 300_000).toUTCString()
  const gw = await single(t, 'openai-completions', clock, () => ({ ...errorJson(429, 'Rate limit reached'), headers: { 'retry-after': at } }))
  const res = await ask(gw)
  t.equal(res.headers.get('retry-after'), '300')
  t.equal(await cooldownUntil(gw), clock.now + 300_000)
})

t.test('Anthropic RFC 3339 rate-limit reset headers set the cooldown', async (t) => {
  const clock = testClock()
  const reset = new Date(clock.now + 240_000).toISOString()
  const gw = await single(t, 'anthropic-messages', clock, () => ({
    status: 429,
    headers: { 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': reset },
    body: { type: 'error', error: { type: 'rate_limit_error', message: 'Number of requests has exceeded your per-minute rate limit' } },
  }))
  const res = await ask(gw)
  t.equal(res.status, 429)
  t.equal(res.headers.get('retry-after'), '240')
  t.equal(await cooldownUntil(gw), clock.now + 240_000)
})

t.test('a Responses stream error with resets_at sets the cooldown', async (t) => {
  const clock = testClock()
  const resetsAt = Math.floor(clock.now / 1000) + 600
  const gw = await single(t, 'openai-responses', clock, () => ({ chunks: failedTranscript('rate_limit_exceeded', 'Rate limit reached', { resets_at: resetsAt }).map(encodeEvent) }))
  const res = await ask(gw, true)
  t.equal(res.status, 429)
  t.equal(res.headers.get('retry-after'), '600')
  t.equal(await cooldownUntil(gw), resetsAt * 1000)
})
