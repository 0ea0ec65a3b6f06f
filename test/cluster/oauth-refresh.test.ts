// Exactly-once OAuth refresh with real gateway processes: three replicas on one Redis
// (standalone, Cluster or Sentinel), and two memory-mode processes sharing one ROTOR_HOME. The token endpoint rotates refresh tokens and
// revokes the family on reuse, so a second refresh would break every later request.
import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { completion, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts'
import { startFakeTokenEndpoint, type FakeTokenEndpoint, type TokenPair } from '../helpers/fake-token-endpoint.ts'
import type { Teardownable } from '../helpers/redis.ts'
import { startReplicas, CHAT_BODY } from '../helpers/replicas.ts'
import { prefixOn, startTopologies, topologyFor, topologyKinds, topologyUnavailable } from '../helpers/topologies.ts'
import { spawnGateway } from '../helpers/spawn-gateway.ts'

const REQUESTS = 150

function oauthConfig (baseUrl: string, tokenUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    logging: { level: 'info' },
    models: { mode: 'replace', providers: { fake: { baseUrl, api: 'openai-completions', auth: 'oauth', oauth: { tokenUrl }, models: [{ id: 'm1' }] } } },
    agents: { defaults: { model: { primary: 'fake/m1' } } },
    ...extra,
  }
}

function expiredProfile (pair: TokenPair): unknown {
  return { version: 1, profiles: { 'fake:oauth': { type: 'oauth', provider: 'fake', access: pair.access, refresh: pair.refresh, expires: Date.now() - 60_000 } } }
}

/** Accepts only the endpoint's current access token, never the seeded (expired) one. */
async function strictUpstream (t: Teardownable, ep: FakeTokenEndpoint, seeded: TokenPair): Promise<FakeUpstream> {
  const up = await startFakeUpstream((req) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '')
    if (token !== seeded.access && ep.isCurrent(token)) return { body: completion('ok') }
    return { status: 401, body: { error: { message: 'invalid access token', type: 'authentication_error' } } }
  })
  t.teardown(() => up.close())
  return up
}

async function post (url: string): Promise<number> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CHAT_BODY) })
  await res.arrayBuffer()
  return res.status
}

startTopologies(topologyKinds())

for (const kind of topologyKinds()) t.test(`${kind}: 3 replicas on one Redis, ${REQUESTS} concurrent requests on an expired profile: exactly 1 refresh, 0 failures`, { skip: await topologyUnavailable(kind) }, async (t) => {
  const topo = await topologyFor(kind)
  const prefix = prefixOn(t, topo)
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  ep.setLatency(200)
  const seeded = ep.seed()
  const up = await strictUpstream(t, ep, seeded)
  const replicas = await startReplicas(t, 3, {
    config: oauthConfig(`${up.url}/v1`, ep.tokenUrl, { state: { store: 'redis', redis: { prefix } } }),
    authProfiles: expiredProfile(seeded),
    redis: topo,
  })
  for (const r of replicas) t.equal((await r.readyz()).status, 'ready', `replica ${r.index} is on redis`)

  const statuses = await Promise.all(Array.from({ length: REQUESTS }, (_, i) => post(replicas[i % replicas.length].url)))
  t.strictSame(statuses.filter((s) => s !== 200), [], 'no failed request')
  t.equal(ep.calls, 1, 'exactly one call to the token endpoint')
  t.equal(ep.rejected, 0, 'no refresh token was replayed')
  t.equal(up.requests.length, REQUESTS, 'every request reached the upstream once, with the new token')
  const refreshedBy = replicas.map((r) => r.logged('OAuth token refreshed'))
  t.equal(refreshedBy.reduce((a, b) => a + b, 0), 1, `one replica refreshed (${refreshedBy.join('/')})`)
})

t.test(`2 memory-mode processes sharing one ROTOR_HOME, ${REQUESTS} concurrent requests: exactly 1 refresh`, async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  ep.setLatency(200)
  const seeded = ep.seed()
  const up = await strictUpstream(t, ep, seeded)
  const home = mkdtempSync(join(tmpdir(), 'rotor-shared-home-'))
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  writeFileSync(join(home, 'rotor.json'), JSON.stringify(oauthConfig(`${up.url}/v1`, ep.tokenUrl)))
  const agentDir = join(home, 'agents', 'default', 'agent')
  mkdirSync(agentDir, { recursive: true })
  writeFileSync(join(agentDir, 'auth-profiles.json'), JSON.stringify(expiredProfile(seeded)), { mode: 0o600 })
  const env = { PATH: process.env.PATH, HOME: home, ROTOR_HOME: home }
  const procs = await Promise.all([0, 1].map(() => spawnGateway(['--host', '127.0.0.1', '--port', '0'], env)))
  t.teardown(() => Promise.all(procs.map((p) => p.stop())))

  const statuses = await Promise.all(Array.from({ length: REQUESTS }, (_, i) => post(procs[i % procs.length].url)))
  t.strictSame(statuses.filter((s) => s !== 200), [], 'no failed request')
  t.equal(ep.calls, 1, 'exactly one call to the token endpoint')
  t.equal(ep.rejected, 0)
  const refreshedBy = procs.map((p) => p.stdout.filter((l) => l.includes('"msg":"OAuth token refreshed"')).length)
  t.equal(refreshedBy.reduce((a, b) => a + b, 0), 1, `one process refreshed (${refreshedBy.join('/')})`)
})
