// A master is killed (-9) while a refresh of an expired OAuth token is in flight at the token
// endpoint, and Sentinel or the Cluster promotes its replica. Three gateway processes keep
// answering every request (degraded while the store is away), the token endpoint sees one
// call with that refresh token — not a second one from a replica that found the lock gone —
// and every replica is ready again afterwards. (Load figures: bench/failover.ts.)
import t from 'tap'
import { credentialKeys } from '../../src/auth/oauth/redis-credential-scripts.ts'
import { completion, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { startFakeTokenEndpoint, type TokenPair } from '../helpers/fake-token-endpoint.ts'
import { startReplicas, CHAT_BODY, type Replica } from '../helpers/replicas.ts'
import { prefixOn, startTopologies, topologyFor, topologyKinds, topologyUnavailable, type TestTopology } from '../helpers/topologies.ts'
import { until } from '../helpers/wait.ts'

const kinds = topologyKinds().filter((k) => k !== 'standalone')
startTopologies(kinds, { failover: true })

function oauthConfig (baseUrl: string, tokenUrl: string, prefix: string): Record<string, unknown> {
  return {
    logging: { level: 'info' },
    state: { store: 'redis', redis: { prefix } },
    models: { mode: 'replace', providers: { fake: { baseUrl, api: 'openai-completions', auth: 'oauth', oauth: { tokenUrl }, models: [{ id: 'm1' }] } } },
    agents: { defaults: { model: { primary: 'fake/m1' } } },
  }
}

function expiredProfile (pair: TokenPair): unknown {
  return { version: 1, profiles: { 'fake:oauth': { type: 'oauth', provider: 'fake', access: pair.access, refresh: pair.refresh, expires: Date.now() - 60_000 } } }
}

async function post (r: Replica): Promise<string> {
  try {
    const res = await r.chat(CHAT_BODY)
    const body = await res.text()
    return res.status === 200 ? 'ok' : `${res.status} ${body.slice(0, 200)}`
  } catch (err) {
    return String(err)
  }
}

/** Kills the master that holds the credential's keys; resolves when a replica serves them. */
async function killCredentialMaster (topo: TestTopology, prefix: string): Promise<{ killed: number, promoted: number }> {
  if (topo.cluster !== undefined) return await topo.cluster.failover(credentialKeys(prefix).record('tok', 'fake:oauth'))
  return await topo.sentinel!.failover()
}

for (const kind of kinds) {
  t.test(`${kind}: the master dies while a refresh is in flight: 0 failed requests, 1 token call, replicas ready again`, { skip: await topologyUnavailable(kind) }, async (t) => {
    const topo = await topologyFor(kind, { failover: true })
    const prefix = prefixOn(t, topo)
    const ep = await startFakeTokenEndpoint()
    t.teardown(() => ep.close())
    // Long enough for the failover to happen while the endpoint holds the call.
    ep.setLatency(2500)
    const seeded = ep.seed()
    const up = await startFakeUpstream((req) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '')
      return token !== seeded.access && ep.isCurrent(token)
        ? { body: completion('ok') }
        : { status: 401, body: { error: { message: 'invalid access token', type: 'authentication_error' } } }
    })
    t.teardown(() => up.close())
    const replicas = await startReplicas(t, 3, { config: oauthConfig(`${up.url}/v1`, ep.tokenUrl, prefix), authProfiles: expiredProfile(seeded), redis: topo })
    for (const r of replicas) t.equal((await r.readyz()).status, 'ready', `replica ${r.index} is on redis`)

    // Every replica needs the token now; one of them reaches the endpoint.
    const first = Array.from({ length: 30 }, (_, i) => post(replicas[i % 3]))
    await until(() => ep.received >= 1, 10_000, 'a refresh reaches the token endpoint')
    const failover = killCredentialMaster(topo, prefix)
    // More requests on every replica while the master is gone and the call is in flight.
    const during: Array<Promise<string>> = []
    for (let i = 0; i < 30; i++) {
      during.push(post(replicas[i % 3]))
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const { killed, promoted } = await failover
    t.not(promoted, killed, `replica ${promoted} took over from ${killed}`)
    const after = await Promise.all(Array.from({ length: 30 }, (_, i) => post(replicas[i % 3])))
    const results = [...await Promise.all(first), ...await Promise.all(during), ...after]
    t.strictSame(results.filter((r) => r !== 'ok'), [], `all ${results.length} requests answered 200`)
    t.equal(ep.calls, 1, 'one call to the token endpoint')
    t.equal(ep.rejected, 0, 'no refresh token was used twice')
    t.equal(ep.refreshes, 1)
    for (const r of replicas) {
      await until(async () => (await r.readyz()).status === 'ready', 20_000, `replica ${r.index} is ready again`)
      t.pass(`replica ${r.index} is ready again`)
    }
  })
}
