// Fault test: the Redis the replicas share is killed (-9) in the middle of a bounded load and
// restarted on the same port. No client request fails, /readyz and the metric say degraded
// and then ready, and the cooldown recorded while Redis was down is in Redis afterwards.
import t from 'tap'
import { createKeys } from '../../src/state/redis/keys.ts'
import { completion, errorJson, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { dumpKeys, startRedisServer, uniquePrefix } from '../helpers/redis.ts'
import { clusterConfig, clusterProfiles, startReplicas, type Replica } from '../helpers/replicas.ts'

const IDS = ['fake:a', 'fake:b']
const TOTAL = 2000
const LOAD_MS = 3000
const CONCURRENCY = 16
const KILL_AT_MS = 800
const RESTART_AT_MS = 1800

interface Seen { statuses: string[], degradedMetric: boolean }

async function metricValue (r: Replica): Promise<number | undefined> {
  const text = await (await fetch(`${r.url}/metrics`)).text()
  const m = /^rotor_state_store_degraded (\d+)/m.exec(text)
  return m === null ? undefined : Number(m[1])
}

/** Polls /readyz of one replica until stopped, recording every change of status. */
function watchReadiness (r: Replica, signal: AbortSignal): { seen: Seen, done: Promise<void> } {
  const seen: Seen = { statuses: [], degradedMetric: false }
  const done = (async () => {
    while (!signal.aborted) {
      const { status } = await r.readyz()
      if (seen.statuses.at(-1) !== status) seen.statuses.push(status)
      if (status === 'degraded' && !seen.degradedMetric) seen.degradedMetric = (await metricValue(r)) === 1
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  return { seen, done }
}

async function untilReady (r: Replica, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if ((await r.readyz()).status === 'ready') return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

t.test('killing Redis under load: no failed request, degraded then ready, and the outage state lands in Redis', async (t) => {
  const server = await startRedisServer()
  t.teardown(() => server.stop())
  const prefix = uniquePrefix()
  const profiles = clusterProfiles(IDS)
  let down = false
  const up = await startFakeUpstream((req) => profiles.idOfKey(req.headers.authorization) === 'fake:a' && down
    ? errorJson(429, 'Rate limit reached', 'rate_limit_exceeded')
    : { body: completion('ok') })
  t.teardown(() => up.close())
  const replicas = await startReplicas(t, 2, { config: clusterConfig(`${up.url}/v1`, prefix, IDS), authProfiles: profiles.file, redisUrl: server.url })
  for (const r of replicas) t.equal((await r.readyz()).status, 'ready')

  const stopWatching = new AbortController()
  const watchers = replicas.map((r) => watchReadiness(r, stopWatching.signal))
  let killedAt = 0
  let limitedDuringOutage = 0
  const chaos = (async () => {
    await new Promise((resolve) => setTimeout(resolve, KILL_AT_MS))
    await server.kill()
    killedAt = Date.now()
    down = true
    const from = up.requests.length
    await new Promise((resolve) => setTimeout(resolve, RESTART_AT_MS - KILL_AT_MS))
    down = false
    limitedDuringOutage = up.requests.slice(from).filter((r) => profiles.idOfKey(r.headers.authorization) === 'fake:a').length
    await server.restart()
  })()

  // Paced load: request i starts no earlier than i × LOAD_MS / TOTAL, at most CONCURRENCY at once.
  const t0 = Date.now()
  let next = 0
  const failures: string[] = []
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < TOTAL) {
      const i = next++
      const wait = t0 + (i * LOAD_MS) / TOTAL - Date.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      try {
        const res = await replicas[i % replicas.length].chat()
        const body = await res.text()
        if (res.status !== 200) failures.push(`${res.status} ${body.slice(0, 200)}`)
      } catch (err) {
        failures.push(String(err))
      }
    }
  }))
  const loadMs = Date.now() - t0
  await chaos
  for (const r of replicas) t.ok(await untilReady(r, 15_000), `replica ${r.index} is ready again`)
  stopWatching.abort()
  await Promise.all(watchers.map((w) => w.done))

  // A request stuck on Redis fails (the client's error) or never ends (the test's timeout);
  // how long the load takes depends on the machine's load, so it is reported, not asserted.
  t.strictSame(failures, [], `0 of ${TOTAL} client requests failed (load took ${loadMs} ms)`)
  for (const [i, r] of replicas.entries()) {
    const { statuses, degradedMetric } = watchers[i].seen
    t.strictSame(statuses.slice(0, 1), ['ready'], `replica ${r.index} started ready`)
    t.ok(statuses.includes('degraded'), `replica ${r.index} reported degraded in /readyz (${statuses.join(' → ')})`)
    t.ok(degradedMetric, `replica ${r.index} set rotor_state_store_degraded to 1`)
    t.equal(await metricValue(r), 0, 'and back to 0')
    t.equal(r.logged('state store degraded'), 1, `replica ${r.index} logged the outage once`)
    t.equal(r.logged('state store ready'), 2, `replica ${r.index} logged startup and the return`)
  }

  t.ok(limitedDuringOutage >= 1, `${limitedDuringOutage} rate limits were met while Redis was down`)
  const keys = createKeys(prefix)
  const a = (await dumpKeys(server.url, prefix)).get(keys.stats('default', 'fake:a')) as Record<string, string> | undefined
  t.ok(a !== undefined, 'fake:a has an entry in Redis after the restart')
  t.ok(Number(a?.['m:m1:until']) > killedAt, 'with the cooldown recorded during the outage')
  t.equal(Number(a?.['m:m1:n']), limitedDuringOutage, 'counting each rate limit once across both replicas')
  t.equal(Number(a?.errorCount), limitedDuringOutage)
})
