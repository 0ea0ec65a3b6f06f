// The credential resolver with the host-local coordinator: when OAuth tokens refresh, how the
// new ones are stored, and that concurrent callers — in one process or several sharing the
// credentials file — cause one refresh.
import t from 'tap'
import { readFileSync, statSync } from 'node:fs'
import { startFakeTokenEndpoint, unsignedJwt } from '../../helpers/fake-token-endpoint.ts'
import { deadPort } from '../../helpers/fake-upstream.ts'
import { createSecretRegistry } from '../../../src/auth/secret-registry.ts'
import { agentFilePath, captureLog, expiredOAuth, HOUR, MIN, oauthCatalog, proc, tempHome, writeProfiles } from './fixtures.ts'

t.test('a valid OAuth token is used as stored, without a call to the token endpoint', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const pair = ep.seed()
  const home = tempHome()
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', pair, Date.now() + HOUR) })
  const p = proc({ home, catalog: oauthCatalog(ep.tokenUrl) })
  const got = await p.resolver.resolve('default', p.profile('fake:me'))
  t.strictSame(got, { kind: 'ok', secret: pair.access })
  t.equal(ep.calls, 0)
})

t.test('a token expiring within 5 minutes is refreshed and the new pair stored atomically with mode 0600', async (t) => {
  const ep = await startFakeTokenEndpoint({ expiresIn: 7200 })
  t.teardown(() => ep.close())
  const pair = ep.seed()
  const home = tempHome()
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', pair, Date.now() + 4 * MIN, { email: 'me@example.com' }) })
  const { log, logged } = captureLog()
  const p = proc({ home, catalog: oauthCatalog(ep.tokenUrl), log })
  const before = Date.now()
  const got = await p.resolver.resolve('default', p.profile('fake:me'))
  const next = ep.latest()
  t.equal(got.kind, 'ok')
  t.equal(got.kind === 'ok' ? got.secret : '', next.access)
  t.equal(ep.refreshes, 1)
  t.strictSame(ep.grants[0], { grant_type: 'refresh_token', refresh_token: pair.refresh, client_id: 'fake-client' })
  const path = agentFilePath(home)
  const stored = (JSON.parse(readFileSync(path, 'utf8')) as { profiles: Record<string, { access: string, refresh: string, expires: number, email: string }> }).profiles['fake:me']
  t.equal(stored.access, next.access)
  t.equal(stored.refresh, next.refresh, 'the rotated refresh token is kept')
  t.ok(stored.expires >= before + 7200_000 && stored.expires <= Date.now() + 7200_000, 'expires = now + expires_in')
  t.equal(stored.email, 'me@example.com', 'other fields are kept')
  t.equal(statSync(path).mode & 0o777, 0o600)
  t.equal(logged.count('OAuth token refreshed'), 1)
  t.notMatch(logged.lines.join('\n'), next.access, 'no token in the logs')
  t.notMatch(logged.lines.join('\n'), next.refresh)
})

t.test('the resolver registers the tokens it sends to the endpoint and the ones it gets back, for scrubbing', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const pair = ep.seed()
  const home = tempHome()
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', pair) })
  const secrets = createSecretRegistry()
  const p = proc({ home, catalog: oauthCatalog(ep.tokenUrl), secrets })
  t.equal((await p.resolver.resolve('default', p.profile('fake:me'))).kind, 'ok')
  const next = ep.latest()
  for (const [name, token] of Object.entries({ 'old access': pair.access, 'old refresh': pair.refresh, 'new access': next.access, 'new refresh': next.refresh })) {
    t.notOk(secrets.scrub(`echo ${token}`).includes(token), `${name} is scrubbed`)
  }
})

t.test('100 concurrent requests on an expired profile in one process cause one refresh', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  ep.setLatency(50)
  const home = tempHome()
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', ep.seed()) })
  const p = proc({ home, catalog: oauthCatalog(ep.tokenUrl) })
  const results = await Promise.all(Array.from({ length: 100 }, () => p.resolver.resolve('default', p.profile('fake:me'))))
  t.equal(ep.calls, 1)
  t.ok(results.every((r) => r.kind === 'ok' && r.secret === ep.latest().access), 'all got the new token')
})

t.test('processes sharing one credentials file refresh once: the file lock and a fresh re-read', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  ep.setLatency(100)
  const home = tempHome()
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', ep.seed()) })
  const catalog = oauthCatalog(ep.tokenUrl)
  // Each has its own CredentialsFile (own read cache), as separate processes do.
  const procs = [proc({ home, catalog }), proc({ home, catalog }), proc({ home, catalog })]
  const results = await Promise.all(Array.from({ length: 60 }, (_, i) => {
    const p = procs[i % procs.length]
    return p.resolver.resolve('default', p.profile('fake:me'))
  }))
  t.equal(ep.calls, 1, 'one call to the token endpoint')
  t.equal(ep.rejected, 0, 'no reuse of a rotated refresh token')
  t.ok(results.every((r) => r.kind === 'ok' && ep.isCurrent(r.secret)), 'every caller got the current token')
})

t.test('a 401 forces one refresh per rejected token, however many requests saw it', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const pair = ep.seed()
  const home = tempHome()
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', pair, Date.now() + HOUR) })
  const p = proc({ home, catalog: oauthCatalog(ep.tokenUrl) })
  const forced = await Promise.all(Array.from({ length: 20 }, () => p.resolver.resolve('default', p.profile('fake:me'), { force: true, rejected: pair.access })))
  t.equal(ep.calls, 1)
  t.ok(forced.every((r) => r.kind === 'ok' && r.secret === ep.latest().access))
  // A late 401 for the old token: the current one is different, so no new refresh.
  const late = await p.resolver.resolve('default', p.profile('fake:me'), { force: true, rejected: pair.access })
  t.equal(late.kind === 'ok' ? late.secret : '', ep.latest().access)
  t.equal(ep.calls, 1)
})

t.test('a failing token endpoint gives the documented error with the reason and no token', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const pair = ep.seed()
  ep.failWith(500)
  const home = tempHome()
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', pair) })
  const p = proc({ home, catalog: oauthCatalog(ep.tokenUrl) })
  const got = await p.resolver.resolve('default', p.profile('fake:me'))
  t.match(got, { kind: 'failed', reason: 'auth', message: 'OAuth token refresh failed for fake: HTTP 500 server_error: token service unavailable' })
  t.notMatch(JSON.stringify(got), pair.refresh)
  t.equal((JSON.parse(readFileSync(agentFilePath(home), 'utf8')) as { profiles: Record<string, { refresh: string }> }).profiles['fake:me'].refresh, pair.refresh, 'the stored credential is untouched')
})

t.test('a token endpoint that does not answer fails with a transport reason', async (t) => {
  const home = tempHome()
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', { access: 'a-old', refresh: 'r-old' }) })
  const p = proc({ home, catalog: oauthCatalog(`http://127.0.0.1:${await deadPort()}/oauth/token`) })
  const got = await p.resolver.resolve('default', p.profile('fake:me'))
  t.equal(got.kind, 'failed')
  t.match(got.kind === 'failed' ? got.message : '', /^OAuth token refresh failed for fake: .*ECONNREFUSED/)
})

t.test('a reused refresh token reads as refresh_token_reused', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const pair = ep.seed()
  const home = tempHome()
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', pair) })
  const first = proc({ home, catalog: oauthCatalog(ep.tokenUrl) })
  t.equal((await first.resolver.resolve('default', first.profile('fake:me'))).kind, 'ok')
  // Someone restores the old copy (e.g. a backup): the old refresh token is spent.
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', pair) })
  const second = proc({ home, catalog: oauthCatalog(ep.tokenUrl) })
  const got = await second.resolver.resolve('default', second.profile('fake:me'))
  t.match(got, { kind: 'failed', message: /^OAuth token refresh failed for fake: HTTP 401 refresh_token_reused: Your refresh token has already been used/ })
})

t.test('token profiles never refresh; api keys and keyless providers pass through', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const home = tempHome()
  writeProfiles(home, {
    'anthropic:manual': { type: 'token', provider: 'anthropic', token: 'sk-ant-oat01-static', expires: Date.now() + HOUR },
    'anthropic:work': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-key' },
  })
  let now = Date.now()
  const p = proc({ home, catalog: oauthCatalog(ep.tokenUrl), now: () => now })
  t.strictSame(await p.resolver.resolve('default', p.profile('anthropic:manual')), { kind: 'ok', secret: 'sk-ant-oat01-static' })
  t.strictSame(await p.resolver.resolve('default', p.profile('anthropic:work')), { kind: 'ok', secret: 'sk-ant-api03-key' })
  const ollama = p.profile('ollama:none')
  t.strictSame(await p.resolver.resolve('default', ollama), { kind: 'ok', secret: '' })
  now += 2 * HOUR
  t.match(await p.resolver.resolve('default', p.profile('anthropic:manual')), { kind: 'failed', reason: 'auth', message: /expired/ })
  t.equal(ep.calls, 0)
  t.equal(p.resolver.refreshable(p.profile('anthropic:manual')), false)
})

t.test('Codex credentials carry the account id from the access token claim', async (t) => {
  const home = tempHome()
  const access = unsignedJwt({ exp: Math.floor(Date.now() / 1000) + 3600, 'https://api.openai.com/auth': { chatgpt_account_id: 'acct-123' } })
  writeProfiles(home, {
    'openai-codex:me': { type: 'oauth', provider: 'openai-codex', access, refresh: 'r', expires: Date.now() + HOUR },
    'openai-codex:stored': { type: 'oauth', provider: 'openai-codex', access, refresh: 'r', expires: Date.now() + HOUR, accountId: 'acct-stored' },
    'qwen-portal:me': { type: 'oauth', provider: 'qwen-portal', access: 'q', refresh: 'r', expires: Date.now() + HOUR, resourceUrl: 'portal.qwen.ai' },
  })
  const p = proc({ home, catalog: oauthCatalog('http://127.0.0.1:9/oauth/token') })
  t.strictSame(await p.resolver.resolve('default', p.profile('openai-codex:me')), { kind: 'ok', secret: access, extra: { accountId: 'acct-123' } })
  t.strictSame(await p.resolver.resolve('default', p.profile('openai-codex:stored')), { kind: 'ok', secret: access, extra: { accountId: 'acct-stored' } })
  t.strictSame(await p.resolver.resolve('default', p.profile('qwen-portal:me')), { kind: 'ok', secret: 'q', extra: { resourceUrl: 'portal.qwen.ai' } })
})
