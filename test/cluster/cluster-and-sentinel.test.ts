// What only a Cluster or a Sentinel group can show, on local topologies (helpers/topologies.ts):
// scripts loaded per node, a resync spread over every master, the refresh PUBLISH across
// nodes, `rotor doctor` and GET /admin/status describing the topology without its password.
import t from 'tap'
import { Cluster } from 'ioredis'
import { createRedisCoordinator } from '../../src/auth/oauth/redis-coordinator.ts'
import type { RefreshTask, StoredToken } from '../../src/auth/oauth/types.ts'
import { createKeys } from '../../src/state/redis/keys.ts'
import { createRedisStore, type RedisStore } from '../../src/state/redis-store.ts'
import type { FailureInput } from '../../src/core/types.ts'
import { cliHome } from '../cli/cli-env.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { connectForTest, dumpKeys, type Teardownable } from '../helpers/redis.ts'
import { ACL_PASSWORD, ACL_USER, ask } from '../helpers/redis-topology.ts'
import { prefixOn, startTopologies, topologyFor, topologyKinds, topologyUnavailable, type TestTopology } from '../helpers/topologies.ts'
import { until } from '../helpers/wait.ts'
import { policy } from '../state/contract.ts'

const kinds = topologyKinds().filter((k) => k !== 'standalone')
startTopologies(kinds)
const onCluster = kinds.includes('cluster') ? await topologyUnavailable('cluster') : 'ROTOR_TEST_TOPOLOGIES leaves out cluster'
const onSentinel = kinds.includes('sentinel') ? await topologyUnavailable('sentinel') : 'ROTOR_TEST_TOPOLOGIES leaves out sentinel'

async function store (t: Teardownable, topo: TestTopology, prefix: string, extra: { commandTimeoutMs?: number } = {}): Promise<RedisStore> {
  const s = await createRedisStore({ topology: topo.topology, prefix, probeIntervalMs: 100, connectWaitMs: 5000, ...extra })
  t.teardown(() => s.close())
  return s
}

/** One agent id per master of the cluster (their keys' slots are served by different masters). */
async function agentPerMaster (topo: TestTopology, prefix: string): Promise<string[]> {
  const keys = createKeys(prefix)
  const byMaster = new Map<number, string>()
  for (let i = 0; i < 200 && byMaster.size < 3; i++) {
    const port = await topo.cluster!.masterOf(keys.version(`agent${i}`))
    if (!byMaster.has(port)) byMaster.set(port, `agent${i}`)
  }
  return [...byMaster.values()]
}

async function masterPorts (topo: TestTopology, agents: readonly string[], prefix: string): Promise<number[]> {
  return await Promise.all(agents.map((a) => topo.cluster!.masterOf(createKeys(prefix).version(a))))
}

const failure = (now: number): FailureInput => ({ provider: 'p', model: 'm', reason: 'rate_limit', scope: 'model', now, policy })

t.test('cluster: every script still runs after SCRIPT FLUSH on every master (loaded again per node)', { skip: onCluster }, async (t) => {
  const topo = await topologyFor('cluster')
  const prefix = prefixOn(t, topo)
  const agents = await agentPerMaster(topo, prefix)
  t.equal(agents.length, 3, `agents ${agents.join(', ')} live on 3 masters`)
  const s = await store(t, topo, prefix)
  for (const a of agents) {
    t.equal(await s.nextCursor(a, 'p'), 1)
    await s.recordFailure(a, 'p:a', failure(Date.now()))
  }
  const masters = await masterPorts(topo, agents, prefix)
  for (const port of masters) t.equal(await ask(port, true, 'SCRIPT', 'FLUSH'), 'OK', `scripts flushed on ${port}`)
  for (const a of agents) {
    t.equal(await s.nextCursor(a, 'p'), 2, `${a}: the cursor script ran again`)
    t.equal((await s.recordFailure(a, 'p:a', failure(Date.now()))).modelCooldowns?.m?.errorCount, 2, `${a}: the failure script ran again`)
  }
  t.equal(s.health(), 'ready', 'no command failed')
  for (const port of masters) t.match(String(await ask(port, true, 'INFO', 'errorstats')), /errorstat_NOSCRIPT:count=\d+/, `master ${port} answered NOSCRIPT, then ran the full script`)
})

t.test('cluster: changes recorded while every master stalls are merged on all of them, each counted once', { skip: onCluster }, async (t) => {
  const topo = await topologyFor('cluster')
  const prefix = prefixOn(t, topo)
  const agents = await agentPerMaster(topo, prefix)
  const s = await store(t, topo, prefix, { commandTimeoutMs: 200 })
  for (const a of agents) await s.readStats(a, ['p:a'])
  // Writes (scripts included) wait on the server; the client times them out and goes local.
  for (const port of await masterPorts(topo, agents, prefix)) t.equal(await ask(port, true, 'CLIENT', 'PAUSE', '3000', 'WRITE'), 'OK')
  const at = Date.now()
  for (const a of agents) await s.recordFailure(a, 'p:a', failure(at))
  t.equal(s.health(), 'degraded', 'the stall degraded the store')
  await s.waitForHealth('ready', 15_000)
  const keys = createKeys(prefix)
  const all = await dumpKeys(topo.topology, prefix)
  for (const a of agents) {
    const entry = all.get(keys.stats(a, 'p:a')) as Record<string, string> | undefined
    t.equal(entry?.errorCount, '1', `${a}: the failure counted once (the stalled command ran late, the resync re-sent it)`)
    t.equal(entry?.['m:m:n'], '1')
  }
})

t.test('cluster: the PUBLISH of a refresh commit reaches a subscriber of the cluster', { skip: onCluster }, async (t) => {
  const topo = await topologyFor('cluster')
  const prefix = prefixOn(t, topo)
  const sub = await connectForTest(topo.topology)
  t.teardown(() => sub.disconnect())
  t.ok(sub instanceof Cluster)
  const coordinator = createRedisCoordinator({ client: await connectForTest(topo.topology), prefix })
  t.teardown(() => coordinator.close())
  const channel = coordinator.keys.channel('tok', 'fake:pubsub')
  const got: string[] = []
  sub.on('message', (ch: string, msg: string) => { if (ch === channel) got.push(msg) })
  await sub.subscribe(channel)
  const token: StoredToken = { access: 'a1', refresh: 'r1', expires: Date.now() + 3_600_000, fields: {} }
  const task: RefreshTask = {
    slot: 'tok', agent: 'default', profileId: 'fake:pubsub', provider: 'fake', lockPath: undefined,
    local: () => undefined, usable: (x) => x.expires > Date.now() + 60_000, fetch: async () => token, persist: async () => {},
  }
  t.strictSame(await coordinator.run(task), token)
  await until(() => got.length > 0, 5000, 'the commit message')
  t.strictSame(got, ['1'], 'the new generation was announced')
})

async function doctorJson (t: Teardownable & Parameters<typeof cliHome>[0], redis: Record<string, unknown>): Promise<{ ok: boolean, problems: Array<{ check: string, message: string }>, topology: Record<string, unknown> }> {
  const h = await cliHome(t)
  h.writeConfig({ agents: { defaults: { model: { primary: 'anthropic/claude-opus-4-5' } } }, state: { store: 'redis', redis } })
  h.writeAuth({ version: 1, profiles: { 'anthropic:default': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-doctor-0000000000' } } })
  const r = await h.cli(['doctor', '--json'])
  t.notMatch(r.stdout, ACL_PASSWORD, 'no password in the report')
  return JSON.parse(r.stdout) as { ok: boolean, problems: Array<{ check: string, message: string }>, topology: Record<string, unknown> }
}

t.test('cluster: doctor checks every node, the scripts on every master and the slot coverage', { skip: onCluster }, async (t) => {
  const topo = await topologyFor('cluster')
  const good = await doctorJson(t, topo.redisConfig)
  t.strictSame(good.problems, [], 'OK')
  t.match(good.topology, { kind: 'cluster', slots: { covered: 16384, state: 'ok' }, scripts: 12 })
  const nodes = good.topology.nodes as Array<{ role: string, reachable: boolean, scriptsLoaded?: number }>
  t.equal(nodes.filter((n) => n.role === 'master' && n.reachable && n.scriptsLoaded === 12).length, 3, '3 masters took all 12 scripts')
  t.equal(nodes.filter((n) => n.role === 'replica' && n.reachable).length, 3, '3 replicas answer')

  // A user that may not run scripts (a common managed-Redis default) is caught here.
  for (const n of topo.cluster!.nodes) await ask(n.port, true, 'ACL', 'SETUSER', 'noscript', 'on', '>noscript-pw', '~*', '&*', '+@all', '-@scripting')
  const nodesUrls = (topo.redisConfig as { cluster: { nodes: string[] } }).cluster.nodes.map((u) => u.replace(`${ACL_USER}:${ACL_PASSWORD}`, 'noscript:noscript-pw'))
  const bad = await doctorJson(t, { cluster: { nodes: nodesUrls } })
  t.equal(bad.ok, false)
  t.equal(bad.problems.filter((p) => p.check === 'state' && /refuses rotor's Lua scripts \(NOPERM/.test(p.message)).length, 3, 'each master is reported')
})

t.test('cluster: admin status shows the masters, replicas and slots the gateway sees, password masked', { skip: onCluster }, async (t) => {
  const topo = await topologyFor('cluster')
  const prefix = prefixOn(t, topo)
  const gw = await startTestGateway({ config: { logging: { level: 'warn' }, state: { store: 'redis', redis: { ...topo.redisConfig, prefix } } } })
  t.teardown(() => gw.close())
  const text = await (await fetch(`${gw.url}/admin/status`)).text()
  t.notMatch(text, ACL_PASSWORD)
  const store = (JSON.parse(text) as { store: { kind: string, health: string, topology: { kind: string, target: string, masters: string[], replicas: string[], slotsCovered: number } } }).store
  t.match(store, { kind: 'redis', health: 'ready', topology: { kind: 'cluster', connection: 'ready', slotsCovered: 16384 } })
  t.equal(store.topology.masters.length, 3)
  t.equal(store.topology.replicas.length, 3)
  t.match(store.topology.target, /^cluster redis:\/\/rotor:\*\*\*@127\.0\.0\.1:\d+, /)
})

t.test('sentinel: doctor asks every sentinel for the master, checks it and its replica; a wrong name is reported', { skip: onSentinel }, async (t) => {
  const topo = await topologyFor('sentinel')
  const good = await doctorJson(t, topo.redisConfig)
  t.strictSame(good.problems, [], 'OK')
  t.match(good.topology, { kind: 'sentinel', master: `127.0.0.1:${await topo.sentinel!.master()}` })
  const nodes = good.topology.nodes as Array<{ role: string, reachable: boolean, scriptsLoaded?: number }>
  t.strictSame(nodes.map((n) => [n.role, n.reachable]), [['sentinel', true], ['sentinel', true], ['sentinel', true], ['master', true], ['replica', true]])
  t.equal(nodes[3].scriptsLoaded, 12)
  const cfg = topo.redisConfig as { sentinel: Record<string, unknown> }
  const bad = await doctorJson(t, { sentinel: { ...cfg.sentinel, name: 'no-such-master' } })
  t.equal(bad.problems.filter((p) => p.message.includes('does not monitor a master named "no-such-master"')).length, 3)
})

t.test('sentinel: admin status names the master the gateway is connected to', { skip: onSentinel }, async (t) => {
  const topo = await topologyFor('sentinel')
  const prefix = prefixOn(t, topo)
  const gw = await startTestGateway({ config: { logging: { level: 'warn' }, state: { store: 'redis', redis: { ...topo.redisConfig, prefix } } } })
  t.teardown(() => gw.close())
  const text = await (await fetch(`${gw.url}/admin/status`)).text()
  t.notMatch(text, ACL_PASSWORD)
  t.match(JSON.parse(text), { store: { health: 'ready', topology: { kind: 'sentinel', connection: 'ready', connectedTo: `127.0.0.1:${await topo.sentinel!.master()}` } } })
})
