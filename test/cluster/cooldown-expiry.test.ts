// Cooldown expiry across replicas needs a clock the test controls, so these three gateways
// run in this process (startTestGateway with one injected clock) and share one Redis.
import t from 'tap'
import { completion, errorJson, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { startTestGateway, testClock, type TestGateway } from '../helpers/gateway.ts'
import { redisForTest } from '../helpers/redis.ts'
import { CHAT_BODY, clusterConfig, clusterProfiles } from '../helpers/replicas.ts'

const IDS = ['fake:a', 'fake:b', 'fake:c']
const MIN = 60_000

interface StatusProfile { id: string, errorCount: number, modelCooldowns: Record<string, { until: number, errorCount: number }> }

async function statusOf (gw: TestGateway, id: string): Promise<StatusProfile | undefined> {
  const body = await (await fetch(`${gw.url}/admin/status`)).json() as { profiles: StatusProfile[] }
  return body.profiles.find((p) => p.id === id)
}

t.test('a cooldown ends on every replica at its deadline: one probe, and a good probe clears it for all', async (t) => {
  const { url, prefix } = await redisForTest(t)
  const profiles = clusterProfiles(IDS)
  let limitA = true
  const up = await startFakeUpstream((req) => profiles.idOfKey(req.headers.authorization) === 'fake:a' && limitA
    ? errorJson(429, 'Rate limit reached', 'rate_limit_exceeded')
    : { body: completion('ok') })
  t.teardown(() => up.close())
  const hitsOf = (id: string): number => up.requests.filter((r) => profiles.idOfKey(r.headers.authorization) === id).length
  const clock = testClock()
  const gws: TestGateway[] = []
  for (let i = 0; i < 3; i++) {
    const gw = await startTestGateway({
      config: clusterConfig(`${up.url}/v1`, prefix, IDS, { logging: { level: 'warn' } }),
      authProfiles: profiles.file,
      env: { ROTOR_STATE: 'redis', REDIS_URL: url },
      now: clock,
    })
    t.teardown(() => gw.close())
    t.equal(gw.store.kind, 'redis')
    gws.push(gw)
  }
  const [g1, g2, g3] = gws
  const send = async (gw: TestGateway, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const res = await gw.chat(CHAT_BODY)
      t.equal(res.status, 200, await res.text())
    }
  }

  await send(g1, 3)
  t.equal(hitsOf('fake:a'), 1, 'replica 1 met the rate limit')
  const first = await statusOf(g3, 'fake:a')
  t.strictSame(first?.modelCooldowns, { m1: { until: clock.now + MIN, errorCount: 1 } }, 'replica 3 sees the 1 min cooldown')

  clock.advance(MIN - 1)
  await send(g2, 6)
  await send(g3, 6)
  t.equal(hitsOf('fake:a'), 1, 'until the deadline no replica reaches it')

  clock.advance(1)
  await send(g2, 3)
  t.equal(hitsOf('fake:a'), 2, 'at the deadline one request probes it (still limited)')
  const second = await statusOf(g1, 'fake:a')
  t.strictSame(second?.modelCooldowns, { m1: { until: clock.now + 5 * MIN, errorCount: 2 } }, 'the failed probe set the next, longer cooldown for all')
  await send(g3, 6)
  await send(g1, 6)
  t.equal(hitsOf('fake:a'), 2)

  limitA = false
  clock.advance(5 * MIN)
  await send(g3, 3)
  t.equal(hitsOf('fake:a'), 3, 'the next probe succeeds')
  for (const gw of gws) t.strictSame((await statusOf(gw, 'fake:a'))?.modelCooldowns, {}, 'and the cooldown is gone everywhere')
  const from = hitsOf('fake:a')
  await send(g1, 3)
  await send(g2, 3)
  t.equal(hitsOf('fake:a'), from + 2, 'both other replicas route to it again')
})
