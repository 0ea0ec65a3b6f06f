// rediss:// end to end, with an ACL user: a TLS-only standalone Redis and a TLS-only Cluster
// (bus and replication over TLS too), self-signed, trusted by the gateway processes through
// NODE_EXTRA_CA_CERTS. Two replicas share the state (a rate limit met by one is skipped by the
// other) and `rotor doctor` loads the scripts on every master over TLS.
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { cliHome } from '../cli/cli-env.ts'
import { completion, errorJson, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { ACL_PASSWORD, redisToolsPresent, startRedisCluster, startRedisTls } from '../helpers/redis-topology.ts'
import { clusterConfig, clusterProfiles, startReplicas } from '../helpers/replicas.ts'
import { uniquePrefix } from '../helpers/redis.ts'

const IDS = ['fake:a', 'fake:b']

async function openssl (): Promise<boolean> {
  try { await promisify(execFile)('openssl', ['version']); return true } catch { return false }
}
const skip = !await redisToolsPresent() ? 'redis-server/redis-cli not installed' : !await openssl() ? 'openssl not installed' : false

const topologies = [
  { name: 'standalone', start: async () => { const s = await startRedisTls(); return { redis: { url: s.url }, caFile: s.caFile, stop: s.stop } } },
  { name: 'cluster', start: async () => { const c = await startRedisCluster({ tls: true }); return { redis: c.redisConfig, caFile: c.caFile ?? '', stop: c.stop } } },
]

for (const topo of topologies) {
  t.test(`${topo.name} over TLS with an ACL user: replicas share state, doctor loads the scripts`, { skip }, async (t) => {
    const redis = await topo.start()
    t.teardown(() => redis.stop())
    const env = { NODE_EXTRA_CA_CERTS: redis.caFile }
    const prefix = uniquePrefix()
    const profiles = clusterProfiles(IDS)
    const up = await startFakeUpstream((req) => profiles.idOfKey(req.headers.authorization) === 'fake:a'
      ? errorJson(429, 'Rate limit reached', 'rate_limit_exceeded')
      : { body: completion('ok') })
    t.teardown(() => up.close())
    const [r1, r2] = await startReplicas(t, 2, { config: clusterConfig(`${up.url}/v1`, prefix, IDS), authProfiles: profiles.file, redis: { redisConfig: redis.redis, env } })
    for (const r of [r1, r2]) t.equal((await r.readyz()).status, 'ready', `replica ${r.index} reached Redis over TLS`)

    for (let i = 0; i < 2; i++) t.equal((await r1.chat()).status, 200)
    const limited = up.requests.filter((r) => profiles.idOfKey(r.headers.authorization) === 'fake:a').length
    t.equal(limited, 1, 'replica 1 met the rate limit once')
    for (let i = 0; i < 4; i++) t.equal((await r2.chat()).status, 200)
    t.equal(up.requests.filter((r) => profiles.idOfKey(r.headers.authorization) === 'fake:a').length, limited, 'replica 2 skipped the cooling profile: it read the cooldown over TLS')
    const status = await (await fetch(`${r2.url}/admin/status`)).text()
    t.notMatch(status, ACL_PASSWORD)
    t.match(JSON.parse(status), { store: { health: 'ready', topology: { kind: topo.name === 'cluster' ? 'cluster' : 'url', connection: 'ready', target: /^(cluster )?rediss:\/\/rotor:\*\*\*@/ } } })

    const h = await cliHome(t)
    h.writeConfig({ agents: { defaults: { model: { primary: 'anthropic/claude-opus-4-5' } } }, state: { store: 'redis', redis: redis.redis } })
    h.writeAuth({ version: 1, profiles: { 'anthropic:default': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-doctor-0000000000' } } })
    const r = await h.cli(['doctor', '--json'], undefined, env)
    const report = JSON.parse(r.stdout) as { ok: boolean, problems: unknown[], topology: { nodes: Array<{ role: string, scriptsLoaded?: number }> } }
    t.strictSame(report.problems, [], 'doctor: OK')
    const masters = report.topology.nodes.filter((n) => n.role === 'master')
    t.equal(masters.length, topo.name === 'cluster' ? 3 : 1)
    t.ok(masters.every((n) => n.scriptsLoaded === 12), 'every master took every script over TLS')
  })
}
