// Device-code logins (Qwen Portal with PKCE, GitHub for Copilot) against a loopback IdP, with
// an instant sleep that records the poll intervals the flow honoured.
import t, { type Test } from 'tap'
import { loginGitHubCopilot, loginQwenPortal } from '../../../src/auth/login/device-code.ts'
import { s256, ScriptedIO, startFakeIdp, type FakeIdp, type IdpReply, type IdpRequest } from './helpers.ts'

const NOW = 1767225600_000

async function idp (t: Test, routes: Record<string, (req: IdpRequest) => IdpReply>): Promise<FakeIdp> {
  const server = await startFakeIdp(routes)
  t.teardown(() => server.close())
  return server
}

/** A clock that moves only when the flow sleeps; records each wait. */
function fakeTime (): { now: () => number, sleep: (ms: number) => Promise<void>, waits: number[] } {
  let now = NOW
  const waits: number[] = []
  return { now: () => now, sleep: async (ms) => { waits.push(ms); now += ms }, waits }
}

t.test('Qwen: device code with PKCE, pending and slow_down honoured, and the resource_url kept on the credential', async (t) => {
  let challenge = ''
  let polls = 0
  const server = await idp(t, {
    'POST /api/v1/oauth2/device/code': (req) => {
      const f = req.fields
      if (f.client_id !== 'f0304373b74a44d2b584a3fb70ca9e56' || f.scope !== 'openid profile email model.completion' || f.code_challenge_method !== 'S256') {
        return { status: 400, body: { error: 'invalid_request' } }
      }
      challenge = f.code_challenge
      return { body: { device_code: 'dc-qwen-1', user_code: 'ABCD-1234', verification_uri: 'https://chat.qwen.ai/authorize', verification_uri_complete: 'https://chat.qwen.ai/authorize?user_code=ABCD-1234&client=qwen-code', expires_in: 600, interval: 2 } }
    },
    'POST /api/v1/oauth2/token': (req) => {
      const f = req.fields
      if (f.grant_type !== 'urn:ietf:params:oauth:grant-type:device_code' || f.device_code !== 'dc-qwen-1') return { status: 400, body: { error: 'invalid_grant' } }
      polls++
      if (polls === 1) return { status: 400, body: { error: 'authorization_pending', error_description: 'waiting' } }
      if (polls === 2) return { status: 429, body: { error: 'slow_down' } }
      if (s256(f.code_verifier ?? '') !== challenge) return { status: 400, body: { error: 'invalid_grant', error_description: 'PKCE' } }
      return { body: { access_token: 'qwen-access-1', refresh_token: 'qwen-refresh-1', token_type: 'Bearer', expires_in: 21600, resource_url: 'portal.qwen.ai' } }
    },
  })
  const io = new ScriptedIO()
  const time = fakeTime()
  const result = await loginQwenPortal({
    io, now: time.now, sleep: time.sleep,
    endpoints: { deviceCodeUrl: `${server.url}/api/v1/oauth2/device/code`, tokenUrl: `${server.url}/api/v1/oauth2/token` },
  })
  t.same(time.waits, [2000, 2000, 7000], 'the interval, again after pending, +5 s after slow_down')
  t.same(result, {
    profileId: 'qwen-portal:default',
    credential: { type: 'oauth', provider: 'qwen-portal', access: 'qwen-access-1', refresh: 'qwen-refresh-1', expires: NOW + 11000 + 21600e3, resourceUrl: 'portal.qwen.ai' },
  })
  t.same(io.opened, ['https://chat.qwen.ai/authorize?user_code=ABCD-1234&client=qwen-code'])
  t.ok(io.printed.some((l) => l.includes('ABCD-1234') && l.includes('https://chat.qwen.ai/authorize')))
})

t.test('GitHub: the device flow reads pending answers sent with status 200 and stores the GitHub token for Copilot', async (t) => {
  let polls = 0
  const server = await idp(t, {
    'POST /login/device/code': (req) => req.headers.accept === 'application/json' && req.fields.client_id === 'Iv1.b507a08c87ecfe98' && req.fields.scope === 'read:user'
      ? { body: { device_code: 'dc-gh-1', user_code: 'WXYZ-9876', verification_uri: 'https://github.com/login/device', expires_in: 900, interval: 5 } }
      : { status: 400, body: { error: 'bad request' } },
    'POST /login/oauth/access_token': (req) => {
      if (req.fields.grant_type !== 'urn:ietf:params:oauth:grant-type:device_code' || req.fields.device_code !== 'dc-gh-1') return { body: { error: 'bad_verification_code' } }
      polls++
      if (polls === 1) return { body: { error: 'authorization_pending', error_description: 'The authorization request is still pending.' } }
      if (polls === 2) return { body: { error: 'slow_down', interval: 10 } }
      return { body: { access_token: 'gho_loginTestToken0000000000000000000', token_type: 'bearer', scope: 'read:user' } }
    },
  })
  const io = new ScriptedIO()
  const time = fakeTime()
  const result = await loginGitHubCopilot({
    io, now: time.now, sleep: time.sleep,
    endpoints: { deviceCodeUrl: `${server.url}/login/device/code`, accessTokenUrl: `${server.url}/login/oauth/access_token` },
  })
  t.same(time.waits, [5000, 5000, 10000], 'slow_down with a new interval uses it')
  t.same(result, { profileId: 'github-copilot:github', credential: { type: 'token', provider: 'github-copilot', token: 'gho_loginTestToken0000000000000000000' } })
  t.same(io.opened, ['https://github.com/login/device'])
  t.ok(io.printed.some((l) => l.includes('WXYZ-9876')))
})

t.test('GitHub: a denied sign-in and an unknown error end the login with a clear message', async (t) => {
  const endpoints = (url: string): { deviceCodeUrl: string, accessTokenUrl: string } => ({ deviceCodeUrl: `${url}/device`, accessTokenUrl: `${url}/token` })
  const device = (): IdpReply => ({ body: { device_code: 'd', user_code: 'U', verification_uri: 'https://github.com/login/device', expires_in: 900, interval: 1 } })
  const denied = await idp(t, { 'POST /device': device, 'POST /token': () => ({ body: { error: 'access_denied' } }) })
  await t.rejects(loginGitHubCopilot({ io: new ScriptedIO(), sleep: async () => {}, endpoints: endpoints(denied.url) }), { name: 'LoginError', message: /denied/ })
  const broken = await idp(t, { 'POST /device': device, 'POST /token': () => ({ body: { error: 'incorrect_client_credentials', error_description: 'The client_id is not valid.' } }) })
  await t.rejects(loginGitHubCopilot({ io: new ScriptedIO(), sleep: async () => {}, endpoints: endpoints(broken.url) }), { message: /incorrect_client_credentials: The client_id is not valid/ })
})

t.test('a device code that expires while pending stops polling', async (t) => {
  const server = await idp(t, {
    'POST /device': () => ({ body: { device_code: 'd', user_code: 'U', verification_uri: 'https://x/device', expires_in: 12, interval: 5 } }),
    'POST /token': () => ({ status: 400, body: { error: 'authorization_pending' } }),
  })
  const time = fakeTime()
  await t.rejects(loginQwenPortal({ io: new ScriptedIO(), now: time.now, sleep: time.sleep, endpoints: { deviceCodeUrl: `${server.url}/device`, tokenUrl: `${server.url}/token` } }), { message: /expired/ })
  t.same(time.waits, [5000, 5000, 5000])
})

t.test('a device-code endpoint that refuses the client fails at once with its error', async (t) => {
  const server = await idp(t, { 'POST /device': () => ({ status: 401, body: { error: 'invalid_client', error_description: 'unknown client' } }) })
  await t.rejects(loginQwenPortal({ io: new ScriptedIO(), endpoints: { deviceCodeUrl: `${server.url}/device`, tokenUrl: `${server.url}/token` } }),
    { message: 'Qwen device authorization failed: HTTP 401 invalid_client: unknown client' })
})
