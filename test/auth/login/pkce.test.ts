// Authorization-code + PKCE logins (Anthropic, OpenAI Codex, Chutes) against a loopback IdP,
// with a scripted user and a fake browser; the stored credential is checked on disk.
import { readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { loginAnthropic, loginChutes, loginOpenAICodex, parsePastedCode } from '../../../src/auth/login/pkce.ts'
import { storeLoginResult } from '../../../src/auth/login/store.ts'
import { authorizeRoute, followAuthorize, jwt, s256, ScriptedIO, startFakeIdp, type FakeIdp, type Route } from './helpers.ts'

const NOW = 1767225600_000
type Issued = Map<string, { challenge: string, state: string, redirectUri: string, clientId: string, scope: string }>

/** Checks a code grant the way a real token endpoint does; returns the problem or undefined. */
function checkGrant (issued: Issued, f: Record<string, string>): string | undefined {
  const grant = issued.get(f.code)
  if (f.grant_type !== 'authorization_code') return 'grant_type'
  if (grant === undefined) return 'unknown code'
  if (f.client_id !== grant.clientId) return 'client_id'
  if (f.redirect_uri !== grant.redirectUri) return 'redirect_uri mismatch'
  if (s256(f.code_verifier ?? '') !== grant.challenge) return 'PKCE verification failed'
  issued.delete(f.code)
  return undefined
}

async function idp (t: Test, routes: Record<string, Route>): Promise<FakeIdp> {
  const server = await startFakeIdp(routes)
  t.teardown(() => server.close())
  return server
}

t.test('Anthropic: the user signs in on claude.ai, pastes code#state, and an oauth profile named by e-mail is stored', async (t) => {
  const issued: Issued = new Map()
  const server = await idp(t, {
    'GET /oauth/authorize': authorizeRoute(issued),
    'POST /v1/oauth/token': (req) => {
      const problem = checkGrant(issued, req.fields)
      if (problem !== undefined) return { status: 400, body: { error: 'invalid_grant', error_description: problem } }
      if (req.fields.state === undefined) return { status: 400, body: { error: 'invalid_request', error_description: 'state required' } }
      return { body: { access_token: 'sk-ant-oat01-login-access-1a2b', refresh_token: 'sk-ant-ort01-login-refresh-3c4d', expires_in: 28800, token_type: 'Bearer', account: { uuid: 'u1', email_address: 'me@example.com' } } }
    },
  })
  let pasted = ''
  const io = new ScriptedIO([() => pasted], async (url) => {
    const { location } = await followAuthorize(url)
    const back = new URL(location)
    // The Anthropic callback page shows `code#state` for the user to copy.
    pasted = `${back.searchParams.get('code') ?? ''}#${back.searchParams.get('state') ?? ''}`
  })
  const result = await loginAnthropic({ io, now: () => NOW, endpoints: { authorizeUrl: `${server.url}/oauth/authorize`, tokenUrl: `${server.url}/v1/oauth/token` } })
  t.same(result, {
    profileId: 'anthropic:me@example.com',
    credential: { type: 'oauth', provider: 'anthropic', access: 'sk-ant-oat01-login-access-1a2b', refresh: 'sk-ant-ort01-login-refresh-3c4d', expires: NOW + 28800e3, email: 'me@example.com' },
  })
  const authorize = new URL(io.opened[0])
  t.equal(authorize.searchParams.get('code'), 'true')
  t.equal(authorize.searchParams.get('client_id'), '9d1c250a-e61b-44d9-88ed-5944d1962f5e')
  t.equal(authorize.searchParams.get('redirect_uri'), 'https://console.anthropic.com/oauth/code/callback')
  t.equal(authorize.searchParams.get('scope'), 'org:create_api_key user:profile user:inference')
  t.ok(io.printed.includes(io.opened[0]), 'the URL is printed for machines without a browser')
  t.equal(server.requests.at(-1)?.headers['content-type'], 'application/json')

  const dir = t.testdir()
  const path = join(dir, 'agents', 'default', 'agent', 'auth-profiles.json')
  await storeLoginResult(path, result)
  const stored = JSON.parse(readFileSync(path, 'utf8'))
  t.same(stored.profiles['anthropic:me@example.com'], result.credential)
  t.equal(statSync(path).mode & 0o777, 0o600)
})

t.test('Anthropic: a pasted code from another attempt (state mismatch) is refused before any token request', async (t) => {
  const issued: Issued = new Map()
  const server = await idp(t, { 'GET /oauth/authorize': authorizeRoute(issued) })
  const io = new ScriptedIO(['some-code#not-our-state'])
  await t.rejects(loginAnthropic({ io, endpoints: { authorizeUrl: `${server.url}/oauth/authorize`, tokenUrl: `${server.url}/token` } }), { name: 'LoginError', message: /state mismatch/ })
  t.equal(server.requests.length, 0)
})

const codexRoutes = (issued: Issued, account = 'acc-77'): Record<string, Route> => ({
  'GET /oauth/authorize': authorizeRoute(issued),
  'POST /oauth/token': (req) => {
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return { status: 415, body: { error: 'form expected' } }
    const problem = checkGrant(issued, req.fields)
    if (problem !== undefined) return { status: 400, body: { error: 'invalid_grant', error_description: problem } }
    return {
      body: {
        access_token: jwt({ exp: NOW / 1000 + 864000, 'https://api.openai.com/auth': { chatgpt_account_id: account } }),
        id_token: jwt({ email: 'dev@example.com', 'https://api.openai.com/auth': { chatgpt_account_id: account } }),
        refresh_token: 'rt-codex-1',
        expires_in: 864000,
      },
    }
  },
})

t.test('Codex: the browser lands on the loopback callback, the prompt is withdrawn, and openai-codex:default keeps the account id', async (t) => {
  const issued: Issued = new Map()
  const server = await idp(t, codexRoutes(issued))
  let callbackStatus: number | undefined
  const io = new ScriptedIO(['wait'], async (url) => { callbackStatus = (await followAuthorize(url)).callbackStatus })
  const result = await loginOpenAICodex({
    io, now: () => NOW,
    endpoints: { authorizeUrl: `${server.url}/oauth/authorize`, tokenUrl: `${server.url}/oauth/token`, redirectUri: 'http://127.0.0.1:0/auth/callback' },
  })
  t.equal(callbackStatus, 200)
  t.ok(io.aborted, 'the paste prompt was withdrawn once the callback arrived')
  t.equal(result.profileId, 'openai-codex:default')
  t.match(result.credential, { type: 'oauth', provider: 'openai-codex', refresh: 'rt-codex-1', expires: NOW + 864000e3, accountId: 'acc-77', email: 'dev@example.com' })
  t.type((result.credential as { idToken?: unknown }).idToken, 'string')
  const q = new URL(io.opened[0]).searchParams
  t.equal(q.get('client_id'), 'app_EMoamEEZ73f0CkXaXp7hrann')
  t.equal(q.get('scope'), 'openid profile email offline_access')
  t.equal(q.get('id_token_add_organizations'), 'true')
  t.equal(q.get('codex_cli_simplified_flow'), 'true')
  t.equal(q.get('originator'), 'codex_cli_rs')
  t.match(q.get('redirect_uri'), /^http:\/\/127\.0\.0\.1:\d+\/auth\/callback$/)
  t.not(q.get('redirect_uri'), 'http://127.0.0.1:0/auth/callback')
})

t.test('Codex --manual: nothing listens, and the pasted redirect URL completes the login', async (t) => {
  const issued: Issued = new Map()
  const server = await idp(t, codexRoutes(issued, 'acc-manual'))
  let location = ''
  const io = new ScriptedIO([() => location], async (url) => {
    const res = await fetch(url, { redirect: 'manual' })
    location = res.headers.get('location') ?? ''
  })
  const result = await loginOpenAICodex({ io, manual: true, endpoints: { authorizeUrl: `${server.url}/oauth/authorize`, tokenUrl: `${server.url}/oauth/token` } })
  t.match(location, /^http:\/\/localhost:1455\/auth\/callback\?code=/)
  t.match(result.credential, { accountId: 'acc-manual' })
  t.equal(server.requests.at(-1)?.fields.redirect_uri, 'http://localhost:1455/auth/callback')
  t.equal(io.questions[0], 'Paste the redirect URL: ')
})

t.test('Codex: when the callback port is taken the flow falls back to pasting', async (t) => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
  const port = (blocker.address() as { port: number }).port
  const issued: Issued = new Map()
  const server = await idp(t, codexRoutes(issued))
  let location = ''
  const io = new ScriptedIO([() => location], async (url) => { location = (await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '' })
  const result = await loginOpenAICodex({ io, endpoints: { authorizeUrl: `${server.url}/oauth/authorize`, tokenUrl: `${server.url}/oauth/token`, redirectUri: `http://127.0.0.1:${port}/auth/callback` } })
  t.match(result.credential, { accountId: 'acc-77' })
  t.ok(io.printed.some((l) => l.includes('Nothing listens')))
})

t.test('Codex: a token endpoint error becomes a LoginError naming the OAuth error, never a token', async (t) => {
  const server = await idp(t, {
    'GET /oauth/authorize': authorizeRoute(new Map()),
    'POST /oauth/token': () => ({ status: 400, body: { error: 'invalid_grant', error_description: 'Authorization code expired' } }),
  })
  const io = new ScriptedIO(['wait'], async (url) => { await followAuthorize(url) })
  await t.rejects(loginOpenAICodex({ io, endpoints: { authorizeUrl: `${server.url}/oauth/authorize`, tokenUrl: `${server.url}/oauth/token`, redirectUri: 'http://127.0.0.1:0/auth/callback' } }),
    { name: 'LoginError', message: 'OpenAI token exchange failed: HTTP 400 invalid_grant: Authorization code expired' })
})

t.test('Chutes: the app client id and secret are used and kept for refresh; userinfo names the profile', async (t) => {
  const issued: Issued = new Map()
  const server = await idp(t, {
    'GET /idp/authorize': authorizeRoute(issued),
    'POST /idp/token': (req) => {
      if (req.fields.client_secret !== 'cs_secret_test') return { status: 401, body: { error: 'invalid_client' } }
      const problem = checkGrant(issued, req.fields)
      return problem !== undefined
        ? { status: 400, body: { error: 'invalid_grant', error_description: problem } }
        : { body: { access_token: 'chutes-access-xyz', refresh_token: 'chutes-refresh-xyz', expires_in: 3600 } }
    },
    'GET /idp/userinfo': (req) => req.headers.authorization === 'Bearer chutes-access-xyz'
      ? { body: { sub: 'user-1', username: 'alice', email: 'alice@example.com' } }
      : { status: 401, body: { error: 'invalid_token' } },
  })
  const io = new ScriptedIO(['wait'], async (url) => { await followAuthorize(url) })
  const result = await loginChutes({
    io, now: () => NOW,
    endpoints: {
      authorizeUrl: `${server.url}/idp/authorize`, tokenUrl: `${server.url}/idp/token`, userinfoUrl: `${server.url}/idp/userinfo`,
      clientId: 'cid_test', clientSecret: 'cs_secret_test', redirectUri: 'http://127.0.0.1:0/oauth-callback',
    },
  })
  t.same(result, {
    profileId: 'chutes:alice@example.com',
    credential: {
      type: 'oauth', provider: 'chutes', access: 'chutes-access-xyz', refresh: 'chutes-refresh-xyz', expires: NOW + 3600e3,
      clientId: 'cid_test', clientSecret: 'cs_secret_test', email: 'alice@example.com', username: 'alice',
    },
  })
  t.equal(new URL(io.opened[0]).searchParams.get('scope'), 'openid profile chutes:invoke')
})

t.test('Chutes without a client id explains where to set one', async (t) => {
  await t.rejects(loginChutes({ io: new ScriptedIO() }), { name: 'LoginError', message: /oauth\.clientId/ })
})

t.test('pasted input may be a redirect URL, code#state, a query string or a bare code', async (t) => {
  t.equal(parsePastedCode('http://localhost:1455/auth/callback?code=abc&state=s1', 's1'), 'abc')
  t.equal(parsePastedCode('abc#s1', 's1'), 'abc')
  t.equal(parsePastedCode('code=abc&state=s1', 's1'), 'abc')
  t.equal(parsePastedCode('  abc  ', 's1'), 'abc')
  t.throws(() => parsePastedCode('http://localhost/cb?error=access_denied&state=s1', 's1'), /access_denied/)
  t.throws(() => parsePastedCode('http://localhost/cb?state=s1', 's1'), /no authorization code/)
})
