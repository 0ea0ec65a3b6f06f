// 200 concurrent requests over three replicas and two profiles, the first always rate
// limited: every 429 is counted exactly once in one shared cooldown entry.
import t from 'tap'
import { cooldownMs } from '../../src/core/cooldown-policy.ts'
import { createKeys } from '../../src/state/redis/keys.ts'
import { completion, errorJson, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { dumpKeys, redisForTest } from '../helpers/redis.ts'
import { clusterConfig, clusterProfiles, startReplicas, type Replica } from '../helpers/replicas.ts'

const IDS = ['fake:a', 'fake:b']

interface StatusProfile { id: string, errorCount: number, failureCounts: Record<string, number>, modelCooldowns: Record<string, { until: number, errorCount: number }> }

async function statusOf (r: Replica, id: string): Promise<StatusProfile | undefined> {
  const body = await (await fetch(`${r.url}/admin/status`)).json() as { profiles: StatusProfile[] }
  return body.profiles.find((p) => p.id === id)
}

t.test('200 concurrent requests with one profile rate limited leave one consistent cooldown entry', async (t) => {
  const { url, prefix } = await redisForTest(t)
  const profiles = clusterProfiles(IDS)
  const up = await startFakeUpstream((req) => profiles.idOfKey(req.headers.authorization) === 'fake:a'
    ? errorJson(429, 'Rate limit reached', 'rate_limit_exceeded')
    : { body: completion('ok') })
  t.teardown(() => up.close())
  const replicas = await startReplicas(t, 3, { config: clusterConfig(`${up.url}/v1`, prefix, IDS), authProfiles: profiles.file, redisUrl: url })

  const started = Date.now()
  const statuses = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
    const res = await replicas[i % 3].chat()
    await res.arrayBuffer()
    return res.status
  }))
  const ended = Date.now()
  t.equal(statuses.filter((s) => s === 200).length, 200, 'every request was served (by fake:b)')
  const limited = up.requests.filter((r) => profiles.idOfKey(r.headers.authorization) === 'fake:a').length
  t.ok(limited >= 1, `${limited} requests met the rate limit`)

  const keys = createKeys(prefix)
  const all = await dumpKeys(url, prefix)
  const entry = all.get(keys.stats('default', 'fake:a')) as Record<string, string>
  t.equal(Number(entry.errorCount), limited, 'errorCount counts every 429 once')
  t.equal(Number(entry['fc:rate_limit']), limited, 'failureCounts too')
  t.equal(Number(entry['m:m1:n']), limited, 'and the model entry')
  t.strictSame(Object.keys(entry).filter((f) => f.startsWith('m:')).sort(), ['m:m1:at', 'm:m1:n', 'm:m1:until'], 'one model entry, complete')
  t.equal(entry.cooldownUntil, undefined, 'a rate limit cools the model, not the profile')
  const until = Number(entry['m:m1:until'])
  const cd = cooldownMs(limited)
  t.ok(until >= started + cd && until <= ended + cd, 'its deadline is a failure time plus the backoff of the final count')

  const views = await Promise.all(replicas.map((r) => statusOf(r, 'fake:a')))
  for (const v of views) {
    t.strictSame(v?.modelCooldowns, { m1: { until, errorCount: limited } }, 'every replica reports the same entry')
    t.equal(v?.errorCount, limited)
  }
  t.equal(Number((all.get(keys.stats('default', 'fake:b')) as Record<string, string>).errorCount), 0, 'fake:b is clean')
})
