// OAuth refresh seen through the gateway: expired tokens refreshed before use, a 401 answered by
// one forced refresh and a retry on the same profile, a failed refresh cooling the profile and
// failing over, and CLI credentials written back after a refresh.
import t, { type Test } from 'tap'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { completion, deadPort, startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream.ts'
import { startFakeTokenEndpoint, unsignedJwt, type FakeTokenEndpoint } from '../../helpers/fake-token-endpoint.ts'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.ts'
import { HOUR, MIN, tempHome } from './fixtures.ts'

const HI = { model: 'fake/m1', messages: [{ role: 'user', content: 'hi' }] }
const KEY = 'sk-fake-apikey-000000000000'

/** Accepts the endpoint's current access token (never `revoked`) and the api key; 401 otherwise. */
async function upstreamFor (t: Test, ep: FakeTokenEndpoint, revoked?: string): Promise<FakeUpstream> {
  const up = await startFakeUpstream((req) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '')
    if (token === KEY || (token !== revoked && (ep.isCurrent(token) || ep.isCurrentCopilot(token)))) return { body: completion('ok') }
    return { status: 401, body: { error: { message: 'invalid access token', type: 'authentication_error' } } }
  })
  t.teardown(() => up.close())
  return up
}

function config (baseUrl: string, tokenUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    logging: { level: 'debug' },
    models: { mode: 'replace', providers: { fake: { baseUrl, api: 'openai-completions', auth: 'oauth', oauth: { tokenUrl }, models: [{ id: 'm1' }] } } },
    agents: { defaults: { model: 'fake/m1' } },
    auth: { strategy: 'ordered', order: { fake: ['fake:oauth', 'fake:key'] } },
    ...extra,
  }
}

async function gateway (t: Test, opts: Parameters<typeof startTestGateway>[0]): Promise<TestGateway> {
  const gw = await startTestGateway(opts)
  t.teardown(() => gw.close())
  return gw
}

interface StatusProfile { id: string, state: string, cooldownReason: string | null, failureCounts: Record<string, number> }
async function status (gw: TestGateway, id: string): Promise<StatusProfile | undefined> {
  const res = await gw.app.inject({ method: 'GET', url: '/admin/status' })
  return (res.json() as { profiles: StatusProfile[] }).profiles.find((p) => p.id === id)
}

t.test('150 concurrent requests on an expired profile cause one refresh and all succeed', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  ep.setLatency(50)
  const seeded = ep.seed()
  const up = await upstreamFor(t, ep, seeded.access)
  const gw = await gateway(t, {
    config: config(`${up.url}/v1`, ep.tokenUrl),
    authProfiles: { version: 1, profiles: { 'fake:oauth': { type: 'oauth', provider: 'fake', access: seeded.access, refresh: seeded.refresh, expires: Date.now() - MIN } } },
  })
  const responses = await Promise.all(Array.from({ length: 150 }, () => gw.chat(HI)))
  t.strictSame(responses.map((r) => r.status).filter((s) => s !== 200), [], 'no failed request')
  t.equal(ep.calls, 1)
  t.ok(up.requests.every((r) => r.headers.authorization === `Bearer ${ep.latest().access}`), 'the expired token never reached the upstream')
})

t.test('a 401 from the upstream triggers one forced refresh and a retry on the same profile', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const seeded = ep.seed()
  // The provider revoked the stored access token although it has not expired yet.
  const up = await upstreamFor(t, ep, seeded.access)
  const gw = await gateway(t, {
    config: config(`${up.url}/v1`, ep.tokenUrl),
    authProfiles: {
      version: 1,
      profiles: {
        'fake:oauth': { type: 'oauth', provider: 'fake', access: seeded.access, refresh: seeded.refresh, expires: Date.now() + HOUR },
        'fake:key': { type: 'api_key', provider: 'fake', key: KEY },
      },
    },
  })
  const res = await gw.chat(HI)
  t.equal(res.status, 200, await res.text())
  t.equal(res.headers.get('x-rotor-profile'), 'fake:oauth', 'served by the same profile')
  t.equal(res.headers.get('x-rotor-attempts'), '2')
  t.equal(ep.refreshes, 1)
  t.strictSame(up.requests.map((r) => r.headers.authorization), [`Bearer ${seeded.access}`, `Bearer ${ep.latest().access}`])
  t.equal((await status(gw, 'fake:oauth'))?.state, 'ok', 'no cooldown for a token that refreshed')

  const more = await Promise.all(Array.from({ length: 20 }, () => gw.chat(HI)))
  t.ok(more.every((r) => r.status === 200 && r.headers.get('x-rotor-profile') === 'fake:oauth'))
  t.equal(ep.refreshes, 1, 'the new token is used from then on')
})

t.test('token endpoint down: the documented error, failover to the next profile, an auth cooldown in /admin/status', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const seeded = ep.seed()
  const up = await upstreamFor(t, ep)
  const gw = await gateway(t, {
    config: config(`${up.url}/v1`, `http://127.0.0.1:${await deadPort()}/oauth/token`),
    authProfiles: {
      version: 1,
      profiles: {
        'fake:oauth': { type: 'oauth', provider: 'fake', access: seeded.access, refresh: seeded.refresh, expires: Date.now() - MIN },
        'fake:key': { type: 'api_key', provider: 'fake', key: KEY },
      },
    },
  })
  const res = await gw.chat(HI)
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-profile'), 'fake:key')
  t.equal(res.headers.get('x-rotor-attempts'), '2')
  const s = await status(gw, 'fake:oauth')
  t.equal(s?.state, 'cooldown')
  t.equal(s?.cooldownReason, 'auth')
  t.strictSame(s?.failureCounts, { auth: 1 })
  t.ok(gw.logs.some((l) => l.includes('"msg":"OAuth token refresh failed"') && l.includes('"profile":"fake:oauth"') && l.includes('ECONNREFUSED')), 'the failure is logged with its reason')
  t.notOk(gw.logs.some((l) => l.includes(seeded.refresh)), 'without the refresh token')
  // While cooling, the profile is skipped without another refresh attempt.
  t.equal((await gw.chat(HI)).headers.get('x-rotor-attempts'), '1')
})

t.test('with no other profile a failed refresh is a 502 naming the refresh failure', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  ep.failWith(500)
  const seeded = ep.seed()
  const up = await upstreamFor(t, ep)
  const gw = await gateway(t, {
    config: config(`${up.url}/v1`, ep.tokenUrl),
    authProfiles: { version: 1, profiles: { 'fake:oauth': { type: 'oauth', provider: 'fake', access: seeded.access, refresh: seeded.refresh, expires: Date.now() - MIN } } },
  })
  const res = await gw.chat(HI)
  t.equal(res.status, 502)
  const body = await res.json() as { error: { message: string, code: string } }
  t.equal(body.error.code, 'upstream_error')
  t.match(body.error.message, 'fake/m1 via fake:oauth: OAuth token refresh failed for fake: HTTP 500 server_error: token service unavailable (auth)')
  t.equal(up.requests.length, 0)
})

t.test('a Codex login found in HOME is refreshed through the gateway and written back to auth.json', async (t) => {
  const ep = await startFakeTokenEndpoint({ jwtAccountId: 'acct-1' })
  t.teardown(() => ep.close())
  const seeded = ep.seed()
  const up = await upstreamFor(t, ep)
  const home = tempHome('rotor-gw-home-')
  const authPath = join(home, '.codex', 'auth.json')
  mkdirSync(join(home, '.codex'), { recursive: true })
  const expired = unsignedJwt({ exp: Math.floor(Date.now() / 1000) - 600, 'https://api.openai.com/auth': { chatgpt_account_id: 'acct-1' } })
  writeFileSync(authPath, JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: 'id', access_token: expired, refresh_token: seeded.refresh, account_id: 'acct-1' }, last_refresh: '2026-01-01T00:00:00Z' }), { mode: 0o600 })
  // The Codex provider pointed at the fake upstream, with a Chat Completions wire for the test.
  const gw = await gateway(t, {
    home,
    config: {
      models: { providers: { 'openai-codex': { baseUrl: `${up.url}/v1`, api: 'openai-completions', oauth: { tokenUrl: ep.tokenUrl } } } },
    },
  })
  const res = await gw.chat({ model: 'openai-codex/gpt-5.2', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(res.status, 200, await res.text())
  t.equal(res.headers.get('x-rotor-profile'), 'openai-codex:codex-cli')
  t.equal(ep.refreshes, 1)
  const auth = JSON.parse(readFileSync(authPath, 'utf8')) as { tokens: Record<string, string> }
  t.strictSame(auth.tokens, { id_token: 'id', access_token: ep.latest().access, refresh_token: ep.latest().refresh, account_id: 'acct-1' })
  t.equal(statSync(authPath).mode & 0o777, 0o600)
})

t.test('a GitHub token is exchanged for a Copilot token once and reused', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  ep.allowGithubToken('gho_envtoken000000000000')
  const up = await upstreamFor(t, ep)
  const gw = await gateway(t, {
    config: { models: { providers: { 'github-copilot': { baseUrl: `${up.url}/v1`, api: 'openai-completions', oauth: { tokenUrl: ep.copilotUrl } } } } },
    env: { GH_TOKEN: 'gho_envtoken000000000000' },
  })
  const responses = await Promise.all(Array.from({ length: 10 }, () => gw.chat({ model: 'github-copilot/gpt-4.1', messages: [{ role: 'user', content: 'hi' }] })))
  t.ok(responses.every((r) => r.status === 200 && r.headers.get('x-rotor-profile') === 'github-copilot:env'))
  t.equal(ep.exchanges, 1)
  t.ok(up.requests.every((r) => ep.isCurrentCopilot((r.headers.authorization ?? '').replace(/^Bearer /, ''))), 'the upstream saw the Copilot token, not the GitHub token')
})
