// The Redis coordinator makes its lock and its commit durable on a replica (WAIT 1) before it
// calls the token endpoint and before it lets the lock go, on a private master + replica. What
// it does when that cannot be confirmed: a replica that does not answer in time, or a Redis
// user that may not run ROLE and WAIT (a common managed-Redis restriction) — the refresh goes
// on, once, and says so.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRedisCoordinator } from '../../../src/auth/oauth/redis-coordinator.ts'
import { startFakeTokenEndpoint } from '../../helpers/fake-token-endpoint.ts'
import { startRedisServer, testClient, uniquePrefix, type Teardownable } from '../../helpers/redis.ts'
import { until } from '../../helpers/wait.ts'
import { captureLog, expiredOAuth, oauthCatalog, proc, tempHome, writeProfiles } from './fixtures.ts'

const LOCK_UNCONFIRMED = 'no Redis replica acknowledged the OAuth refresh lock in time; refreshing anyway'
const COMMIT_UNCONFIRMED = 'no Redis replica acknowledged the refreshed OAuth token in time'

async function masterAndReplica (t: Teardownable, acl: readonly string[] = []): Promise<{ master: Awaited<ReturnType<typeof startRedisServer>>, replica: Awaited<ReturnType<typeof startRedisServer>> }> {
  // A replica writes the RDB of its first sync into its dir: a temp one, not the checkout.
  const dir = mkdtempSync(join(tmpdir(), 'rotor-replica-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const args = ['--dir', dir, '--repl-diskless-sync-delay', '0', ...acl]
  const master = await startRedisServer({ args })
  t.teardown(() => master.stop())
  const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port), ...args] })
  t.teardown(() => replica.stop())
  const c = testClient(replica.url)
  const m = testClient(master.url)
  await Promise.all([c.connect(), m.connect()])
  try {
    await until(async () => (await c.info('replication')).includes('master_link_status:up'), 10_000, 'the replica is in sync')
    // What the coordinator asks (ROLE) must name the replica too.
    await until(async () => { const role = await m.role(); return Array.isArray(role[2]) && role[2].length === 1 }, 10_000, 'the master lists its replica')
  } finally {
    c.disconnect()
    m.disconnect()
  }
  return { master, replica }
}

/** `replicaWaitMs`: how long WAIT may take; generous where the replica is healthy, so a busy machine changes nothing. */
async function refreshOnce (t: Test, url: string, replicaWaitMs = 5000): Promise<{ calls: number, lines: string[], record: string, prefix: string }> {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const { log, logged } = captureLog()
  const prefix = uniquePrefix()
  const coordinator = createRedisCoordinator({ url, prefix, log, replicaWaitMs, commandTimeoutMs: replicaWaitMs + 5000 })
  t.teardown(() => coordinator.close())
  const home = tempHome()
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', ep.seed()) })
  const p = proc({ home, catalog: oauthCatalog(ep.tokenUrl), coordinator, env: { HOME: home } })
  const got = await p.resolver.resolve('default', p.profile('fake:me'))
  t.equal(got.kind, 'ok')
  t.ok(got.kind === 'ok' && ep.isCurrent(got.secret), 'the new token')
  return { calls: ep.calls, lines: logged.lines, record: coordinator.keys.record('tok', 'fake:me'), prefix }
}

const said = (lines: readonly string[], msg: string): boolean => lines.some((l) => (JSON.parse(l) as { msg?: string }).msg === msg)

t.test('with a replica in sync, the commit is on the replica when the refresh returns, and nothing is unconfirmed', async (t) => {
  const { master, replica } = await masterAndReplica(t)
  const r = await refreshOnce(t, master.url)
  t.equal(r.calls, 1)
  t.notOk(said(r.lines, LOCK_UNCONFIRMED), 'the lock was acknowledged')
  t.notOk(said(r.lines, COMMIT_UNCONFIRMED), 'the commit was acknowledged')
  const c = testClient(replica.url)
  await c.connect()
  t.teardown(() => c.disconnect())
  t.equal(await c.hget(r.record, 'gen'), '1', 'the replica has the new generation')
})

t.test('a replica that does not acknowledge in time: the refresh goes on (once) and says so', async (t) => {
  const { master, replica } = await masterAndReplica(t)
  replica.pause()
  t.teardown(() => { try { replica.resume() } catch { /* stopped */ } })
  const r = await refreshOnce(t, master.url, 200)
  t.equal(r.calls, 1)
  t.ok(said(r.lines, LOCK_UNCONFIRMED), 'the unconfirmed lock is logged')
  t.ok(said(r.lines, COMMIT_UNCONFIRMED), 'and the unconfirmed commit')
})

t.test('a Redis user that may not run ROLE or WAIT still refreshes once', async (t) => {
  const acl = ['--user', 'limited', 'on', '>limited-pw', '~*', '&*', '+@all', '-@admin', '-wait']
  const { master } = await masterAndReplica(t, acl)
  const r = await refreshOnce(t, `redis://limited:limited-pw@127.0.0.1:${master.port}`)
  t.equal(r.calls, 1)
  t.ok(said(r.lines, LOCK_UNCONFIRMED), 'durability unconfirmed, said once for the lock')
  t.notOk(said(r.lines, 'redis unavailable for OAuth refresh; using the host-local file lock'), 'Redis still coordinates')
})
