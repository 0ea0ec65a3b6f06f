// Three gateway processes sharing one Redis — standalone, Cluster or Sentinel: a rate limit seen
// by one replica cools the profile for all of them, and clear-cooldown through any replica lifts
// it everywhere.
import t from 'tap'
import { completion, errorJson, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { clusterConfig, clusterProfiles, startReplicas, type Replica } from '../helpers/replicas.ts'
import { prefixOn, startTopologies, topologyFor, topologyKinds, topologyUnavailable } from '../helpers/topologies.ts'

const IDS = ['fake:a', 'fake:b', 'fake:c']

interface StatusProfile { id: string, modelCooldowns: Record<string, { until: number, errorCount: number }> }

async function statusOf (r: Replica, id: string): Promise<StatusProfile | undefined> {
  const res = await fetch(`${r.url}/admin/status`)
  const body = await res.json() as { profiles: StatusProfile[] }
  return body.profiles.find((p) => p.id === id)
}

startTopologies(topologyKinds())

for (const kind of topologyKinds()) t.test(`${kind}: a 429 on one replica cools the profile on every replica until clear-cooldown through another`, { skip: await topologyUnavailable(kind) }, async (t) => {
  const topo = await topologyFor(kind)
  const prefix = prefixOn(t, topo)
  const profiles = clusterProfiles(IDS)
  let limitA = true
  const up = await startFakeUpstream((req) => {
    const id = profiles.idOfKey(req.headers.authorization)
    if (id === 'fake:a' && limitA) return errorJson(429, 'Rate limit reached', 'rate_limit_exceeded')
    return { body: completion(`from ${id}`) }
  })
  t.teardown(() => up.close())
  const hitsOf = (id: string): number => up.requests.filter((r) => profiles.idOfKey(r.headers.authorization) === id).length
  const [r1, r2, r3] = await startReplicas(t, 3, { config: clusterConfig(`${up.url}/v1`, prefix, IDS), authProfiles: profiles.file, redis: topo })
  for (const r of [r1, r2, r3]) t.equal((await r.readyz()).status, 'ready', `replica ${r.index} is ready on redis`)

  // Replica 1: the shared cursor starts one of three requests at fake:a, which answers 429.
  for (let i = 0; i < 3; i++) {
    const res = await r1.chat()
    t.equal(res.status, 200, await res.text())
  }
  t.equal(hitsOf('fake:a'), 1, 'replica 1 met the rate limit once')

  const cooled = await statusOf(r3, 'fake:a')
  t.equal(cooled?.modelCooldowns.m1?.errorCount, 1, 'replica 3 sees the cooldown replica 1 recorded')
  t.ok((cooled?.modelCooldowns.m1?.until ?? 0) > Date.now() + 50_000, 'for about a minute')

  const before = hitsOf('fake:a')
  const others = hitsOf('fake:b') + hitsOf('fake:c')
  for (let i = 0; i < 30; i++) {
    const res = await (i % 2 === 0 ? r2 : r3).chat()
    t.equal(res.status, 200)
  }
  t.equal(hitsOf('fake:a'), before, 'no request of replicas 2 and 3 reached the cooling profile')
  t.equal(hitsOf('fake:b') + hitsOf('fake:c'), others + 30, 'the other two served all of them')

  limitA = false
  const cleared = await fetch(`${r2.url}/admin/profiles/fake:a/clear-cooldown`, { method: 'POST' })
  t.equal(cleared.status, 200, 'cleared through replica 2')
  t.strictSame((await statusOf(r1, 'fake:a'))?.modelCooldowns, {}, 'replica 1 sees it cleared')
  for (const r of [r3, r1]) {
    const from = hitsOf('fake:a')
    for (let i = 0; i < 3; i++) t.equal((await r.chat()).status, 200)
    t.equal(hitsOf('fake:a'), from + 1, `replica ${r.index} routes to fake:a again`)
  }
  for (const r of [r1, r2, r3]) t.equal(r.logged('state store degraded'), 0, `replica ${r.index} never degraded`)
})
