// Refresh across replicas through Redis: each "replica" here has its own credentials file copy,
// its own Redis connection and coordinator, as separate hosts would.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { createRedisCoordinator, type RedisCoordinator } from '../../../src/auth/oauth/redis-coordinator.ts'
import { startFakeTokenEndpoint, type FakeTokenEndpoint } from '../../helpers/fake-token-endpoint.ts'
import { freePort, redisForTest, testClient, type Teardownable } from '../../helpers/redis.ts'
import { agentFilePath, captureLog, expiredOAuth, HOUR, oauthCatalog, proc, tempHome, writeProfiles, type Proc } from './fixtures.ts'

interface Replica extends Proc { readonly home: string, readonly coordinator: RedisCoordinator }

function replicas (t: Teardownable, n: number, opts: { url: string, prefix: string, ep: FakeTokenEndpoint, profiles: Record<string, unknown>, lockTtlMs?: number, log?: ReturnType<typeof captureLog>['log'] }): Replica[] {
  const catalog = oauthCatalog(opts.ep.tokenUrl, opts.ep.copilotUrl)
  return Array.from({ length: n }, () => {
    const home = tempHome('rotor-replica-')
    writeProfiles(home, opts.profiles)
    const coordinator = createRedisCoordinator({ url: opts.url, prefix: opts.prefix, lockTtlMs: opts.lockTtlMs, log: opts.log })
    t.teardown(() => coordinator.close())
    return { ...proc({ home, catalog, coordinator, env: { HOME: home } }), home, coordinator }
  })
}

function storedRefresh (home: string, id: string): string {
  return (JSON.parse(readFileSync(agentFilePath(home), 'utf8')) as { profiles: Record<string, { refresh: string }> }).profiles[id].refresh
}

t.test('three replicas with copies of one expired credential refresh it exactly once', async (t) => {
  const { url, prefix } = await redisForTest(t)
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  ep.setLatency(100)
  const rs = replicas(t, 3, { url, prefix, ep, profiles: { 'fake:me': expiredOAuth('fake', ep.seed()) } })
  const results = await Promise.all(Array.from({ length: 90 }, (_, i) => {
    const r = rs[i % 3]
    return r.resolver.resolve('default', r.profile('fake:me'))
  }))
  t.equal(ep.calls, 1, 'one call to the token endpoint')
  t.equal(ep.rejected, 0)
  t.ok(results.every((r) => r.kind === 'ok' && ep.isCurrent(r.secret)), 'all 90 got the current token')

  const c = testClient(url)
  await c.connect()
  t.teardown(() => c.disconnect())
  const rec = await c.hgetall(rs[0].coordinator.keys.record('tok', 'fake:me'))
  t.equal(rec.gen, '1')
  t.equal(rec.access, ep.latest().access)
  t.equal(await c.exists(`${prefix}{cred:fake:me}:lock`), 0, 'the lock is released')
  t.equal(rs[0].coordinator.keys.record('tok', 'fake:me'), `${prefix}{cred:fake:me}:tok`)
  for (const r of rs) t.equal(storedRefresh(r.home, 'fake:me'), ep.latest().refresh, 'every replica\'s file holds the new refresh token')
})

t.test('a replica whose file copy is stale uses the newer Redis record instead of refreshing', async (t) => {
  const { url, prefix } = await redisForTest(t)
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const [a, b] = replicas(t, 2, { url, prefix, ep, profiles: { 'fake:me': expiredOAuth('fake', ep.seed()) } })
  const first = await a.resolver.resolve('default', a.profile('fake:me'))
  t.equal(first.kind, 'ok')
  // Later, b needs the token: its own file still holds the spent refresh token.
  const second = await b.resolver.resolve('default', b.profile('fake:me'))
  t.equal(second.kind === 'ok' ? second.secret : 'x', first.kind === 'ok' ? first.secret : 'y')
  t.equal(ep.calls, 1)
})

t.test('a 401 on one replica refreshes once; the other replicas adopt the new token on their own 401', async (t) => {
  const { url, prefix } = await redisForTest(t)
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const pair = ep.seed()
  const rs = replicas(t, 3, { url, prefix, ep, profiles: { 'fake:me': expiredOAuth('fake', pair, Date.now() + HOUR) } })
  const results = await Promise.all(rs.flatMap((r) => Array.from({ length: 10 }, () => r.resolver.resolve('default', r.profile('fake:me'), { force: true, rejected: pair.access }))))
  t.equal(ep.calls, 1)
  t.ok(results.every((r) => r.kind === 'ok' && r.secret === ep.latest().access))
})

t.test('a refresh that outlives the lock: the late replica hits the rotated token, re-reads and uses the winner\'s record', async (t) => {
  const { url, prefix } = await redisForTest(t)
  // Without revocation, so both answers can be checked; a real provider would also revoke.
  const ep = await startFakeTokenEndpoint({ revokeOnReuse: false })
  t.teardown(() => ep.close())
  ep.setLatency(400)
  const [a, b] = replicas(t, 2, { url, prefix, ep, lockTtlMs: 150, profiles: { 'fake:me': expiredOAuth('fake', ep.seed()) } })
  const pa = a.resolver.resolve('default', a.profile('fake:me'))
  // b starts once a's lock has expired (a's call is still in flight).
  await new Promise((resolve) => setTimeout(resolve, 250))
  const pb = b.resolver.resolve('default', b.profile('fake:me'))
  const [ra, rb] = await Promise.all([pa, pb])
  t.equal(ep.calls, 2, 'the lock was lost, so two calls were made')
  t.equal(ep.refreshes, 1, 'only one succeeded')
  t.equal(ep.rejected, 1, 'the second met the rotated token')
  t.equal(ra.kind, 'ok')
  t.equal(rb.kind === 'ok' ? rb.secret : 'x', ra.kind === 'ok' ? ra.secret : 'y', 'the late replica recovered with the winner\'s token')
})

t.test('when the token endpoint is down, waiting replicas fail with the winner\'s reason instead of calling again', async (t) => {
  const { url, prefix } = await redisForTest(t)
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  ep.failWith(503)
  ep.setLatency(150)
  const rs = replicas(t, 3, { url, prefix, ep, profiles: { 'fake:me': expiredOAuth('fake', ep.seed()) } })
  const results = await Promise.all(rs.map((r) => r.resolver.resolve('default', r.profile('fake:me'))))
  t.equal(ep.calls, 1)
  for (const r of results) t.match(r, { kind: 'failed', reason: 'auth', message: 'OAuth token refresh failed for fake: HTTP 503 server_error: token service unavailable' })
})

t.test('without Redis the replica refreshes under the host-local file lock and says so once', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const { log, logged } = captureLog()
  const rs = replicas(t, 1, { url: `redis://127.0.0.1:${await freePort()}`, prefix: 'rotor-test-none:', ep, log, profiles: { 'fake:me': expiredOAuth('fake', ep.seed()) } })
  const got = await Promise.all(Array.from({ length: 5 }, () => rs[0].resolver.resolve('default', rs[0].profile('fake:me'))))
  t.ok(got.every((r) => r.kind === 'ok' && r.secret === ep.latest().access))
  t.equal(ep.calls, 1)
  t.equal(logged.count('redis unavailable for OAuth refresh; using the host-local file lock'), 1)
})

t.test('the Copilot token exchange is done once across replicas and cached until shortly before expiry', async (t) => {
  const { url, prefix } = await redisForTest(t)
  const ep = await startFakeTokenEndpoint({ copilotApi: 'http://127.0.0.1:1/copilot-api' })
  t.teardown(() => ep.close())
  ep.allowGithubToken('gho_testtoken1234567890')
  ep.setLatency(50)
  const rs = replicas(t, 3, { url, prefix, ep, profiles: { 'github-copilot:github': { type: 'token', provider: 'github-copilot', token: 'gho_testtoken1234567890' } } })
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) => {
    const r = rs[i % 3]
    return r.resolver.resolve('default', r.profile('github-copilot:github'))
  }))
  t.equal(ep.exchanges, 1)
  const first = results[0]
  t.ok(first.kind === 'ok' && ep.isCurrentCopilot(first.secret))
  t.ok(results.every((r) => r.kind === 'ok' && r.secret === (first.kind === 'ok' ? first.secret : '') && r.extra?.baseUrl === 'http://127.0.0.1:1/copilot-api'))
  t.ok(rs.every((r) => r.resolver.refreshable(r.profile('github-copilot:github'))))
  // Cached: no Redis round trip or exchange for later requests.
  await rs[1].resolver.resolve('default', rs[1].profile('github-copilot:github'))
  t.equal(ep.exchanges, 1)
  // A 401 for that Copilot token: one re-exchange.
  const again = await Promise.all(rs.map((r) => r.resolver.resolve('default', r.profile('github-copilot:github'), { force: true, rejected: first.kind === 'ok' ? first.secret : '' })))
  t.equal(ep.exchanges, 2)
  t.ok(again.every((r) => r.kind === 'ok' && r.secret !== (first.kind === 'ok' ? first.secret : '')))
})

t.test('a revoked GitHub token fails the exchange with the documented error', async (t) => {
  const { url, prefix } = await redisForTest(t)
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const [r] = replicas(t, 1, { url, prefix, ep, profiles: { 'github-copilot:github': { type: 'token', provider: 'github-copilot', token: 'gho_revoked000000000000' } } })
  const got = await r.resolver.resolve('default', r.profile('github-copilot:github'))
  t.match(got, { kind: 'failed', reason: 'auth', message: /^OAuth token refresh failed for github-copilot: token exchange HTTP 401: Bad credentials/ })
  t.notMatch(JSON.stringify(got), 'gho_revoked')
})
