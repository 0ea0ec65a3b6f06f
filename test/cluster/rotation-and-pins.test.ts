// Three gateway processes sharing one Redis — standalone, Cluster or Sentinel: one round-robin
// cursor for all of them, and a session pin set through one replica is honoured by the others.
import t from 'tap'
import { completion, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { createKeys } from '../../src/state/redis/keys.ts'
import { connectForTest } from '../helpers/redis.ts'
import { clusterConfig, clusterProfiles, startReplicas } from '../helpers/replicas.ts'
import { prefixOn, startTopologies, topologyFor, topologyKinds, topologyUnavailable } from '../helpers/topologies.ts'

const IDS = ['fake:a', 'fake:b', 'fake:c']

startTopologies(topologyKinds())

for (const kind of topologyKinds()) t.test(`${kind}: replicas share the cursor and the session pins`, { skip: await topologyUnavailable(kind) }, async (t) => {
  const topo = await topologyFor(kind)
  const prefix = prefixOn(t, topo)
  const profiles = clusterProfiles(IDS)
  const up = await startFakeUpstream((req) => ({ body: completion(`from ${profiles.idOfKey(req.headers.authorization)}`) }))
  t.teardown(() => up.close())
  const replicas = await startReplicas(t, 3, { config: clusterConfig(`${up.url}/v1`, prefix, IDS), authProfiles: profiles.file, redis: topo })

  t.test('300 requests spread over the 3 replicas land evenly on the 3 profiles', async (t) => {
    const from = up.requests.length
    let next = 0
    let failed = 0
    // 12 concurrent clients, each request to the next replica in turn.
    await Promise.all(Array.from({ length: 12 }, async () => {
      while (next < 300) {
        const i = next++
        const res = await replicas[i % 3].chat()
        if (res.status !== 200) failed++
        await res.arrayBuffer()
      }
    }))
    t.equal(failed, 0)
    const counts = new Map(IDS.map((id) => [id, 0]))
    for (const r of up.requests.slice(from)) {
      const id = profiles.idOfKey(r.headers.authorization) ?? '?'
      counts.set(id, (counts.get(id) ?? 0) + 1)
    }
    t.equal(up.requests.length - from, 300, 'one upstream call per request')
    for (const [id, n] of counts) t.ok(n >= 95 && n <= 105, `${id} served ${n} of 300 (100 ± 5 %)`)
  })

  t.test('a session pinned through one replica stays on its profile on every replica', async (t) => {
    const session = { 'x-rotor-session': 'conversation-42' }
    const first = await replicas[0].chat(undefined, session)
    t.equal(first.status, 200)
    const pinned = first.headers.get('x-rotor-profile')
    t.ok(pinned !== null && IDS.includes(pinned), `pinned to ${pinned}`)
    await first.arrayBuffer()
    // The gateway records the pin once the body is done, so wait (bounded) until it is shared.
    const c = await connectForTest(topo.topology)
    t.teardown(() => c.disconnect())
    const pinKey = createKeys(prefix).pin('default', session['x-rotor-session'])
    const deadline = Date.now() + 5000
    while ((await c.get(pinKey)) === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    t.match(await c.get(pinKey), new RegExp(`:${pinned}$`), 'the pin is in Redis')
    const seen: string[] = []
    for (let i = 0; i < 9; i++) {
      const res = await replicas[(i + 1) % 3].chat(undefined, session)
      t.equal(res.status, 200)
      seen.push(res.headers.get('x-rotor-profile') ?? '?')
    }
    t.strictSame(seen, Array(9).fill(pinned), 'every replica honoured the pin')
    const unpinned = new Set<string>()
    for (let i = 0; i < 3; i++) unpinned.add((await replicas[i].chat()).headers.get('x-rotor-profile') ?? '?')
    t.equal(unpinned.size, 3, 'requests without the session still rotate')
  })
})
