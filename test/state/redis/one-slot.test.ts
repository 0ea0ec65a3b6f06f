// Redis Cluster refuses a script or multi-key command whose keys span hash slots (CROSSSLOT).
// Two checks: every key builder puts all keys of one agent (one credential) in one slot, for
// any ids; and every command the store and the OAuth coordinator actually send — each of
// their scripts included, on every path (hot path, resync merge, re-seed, refresh) — has all
// its keys in one slot, as the server itself extracts them (COMMAND GETKEYS on what MONITOR saw).
import t from 'tap'
import { createHash } from 'node:crypto'
import calculateSlot from 'cluster-key-slot'
import fc from 'fast-check'
import { createRedisCoordinator } from '../../../src/auth/oauth/redis-coordinator.ts'
import { CREDENTIAL_SCRIPTS, credentialKeys } from '../../../src/auth/oauth/redis-credential-scripts.ts'
import type { RefreshTask, StoredToken } from '../../../src/auth/oauth/types.ts'
import { createKeys } from '../../../src/state/redis/keys.ts'
import { SCRIPTS } from '../../../src/state/redis/scripts.ts'
import { createRedisStore } from '../../../src/state/redis-store.ts'
import { startCuttableProxy, startRedisServer, testClient, uniquePrefix } from '../../helpers/redis.ts'
import { until } from '../../helpers/wait.ts'
import { policy } from '../contract.ts'

/** All `keys` in one hash slot. */
const oneSlot = (keys: readonly string[]): boolean => new Set(keys.map((k) => calculateSlot(k))).size === 1

const id = fc.string({ minLength: 1, maxLength: 24, unit: fc.constantFrom('a', 'b', '{', '}', '%', ':', '7', 'B', '*', ' ', 'é') })

t.test('every key builder puts the keys of one agent, or of one credential, in one hash slot', async (t) => {
  fc.assert(fc.property(fc.constantFrom('rotor:', '', 'x:y:'), id, id, id, id, (prefix, agent, profile, provider, session) => {
    const k = createKeys(prefix)
    const agentKeys = [k.stats(agent, profile), k.cursor(agent, provider), k.pin(agent, session), k.lastGood(agent), k.version(agent), k.epoch(agent), k.events(agent, profile)]
    const c = credentialKeys(prefix)
    const credKeys = (['tok', 'cop'] as const).flatMap((slot) => [c.record(slot, profile), c.lock(slot, profile), c.channel(slot, profile)])
    return oneSlot(agentKeys) && oneSlot(credKeys)
  }), { numRuns: 2000 })
  t.pass('2000 random agents, profiles, providers and sessions')
  const k = createKeys('rotor:')
  t.not(calculateSlot(k.stats('a', 'x')), calculateSlot(k.stats('b', 'x')), 'different agents spread over slots')
})

const sha = (lua: string): string => createHash('sha1').update(lua).digest('hex')
/** How MONITOR prints an argument (sdscatrepr without the quotes). */
const repr = (s: string): string => s.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c)

t.test('every command the store and the coordinator send keeps its keys in one slot, each script included', async (t) => {
  const server = await startRedisServer()
  t.teardown(() => server.stop())
  const proxy = await startCuttableProxy(server.port)
  t.teardown(() => proxy.close())
  const seen: string[][] = []
  const mon = await testClient(server.url).monitor()
  t.teardown(() => mon.disconnect())
  mon.on('monitor', (_time: string, args: string[]) => { seen.push(args) })

  const prefix = uniquePrefix()
  let now = Date.now()
  const store = await createRedisStore({ url: proxy.url, prefix, clock: () => now, probeIntervalMs: 100, usageFlushMs: 3_600_000 })
  t.teardown(() => store.close())
  const fail = (scope: 'model' | 'profile' | 'disable', reason: 'rate_limit' | 'timeout' | 'billing' = 'rate_limit') =>
    ({ provider: 'p', model: 'm', reason, scope, now, policy })
  // Hot path.
  await store.nextCursor('ag', 'p')
  await store.readStats('ag', ['p:a', 'p:b'])
  await store.readStats('ag', ['p:a', 'p:b'])
  await store.recordFailure('ag', 'p:a', fail('model'))
  await store.recordFailure('ag', 'p:b', fail('disable', 'billing'))
  await store.recordSuccess('ag', 'p:c', 'p', 'm', now)
  await store.recordSuccess('ag', 'p:c', 'p', 'm', now + 1)
  await store.flushUsage()
  now += 2 * 60_000
  await store.claimProbe('ag', 'p:a', 'm', now, 1000)
  await store.clearCooldown('ag', 'p:b')
  await store.setSessionPin('ag', 's', 'p:c', 60_000)
  await store.getSessionPin('ag', 's')
  await store.lastGood('ag')
  // Offline, then a resync that merges what was recorded meanwhile.
  proxy.cut()
  await store.waitForHealth('degraded', 5000)
  await store.recordFailure('ag', 'p:d', fail('profile', 'timeout'))
  proxy.heal()
  await store.waitForHealth('ready', 10_000)
  // Redis loses the agent's state: the next reply shows it, the mirror is seeded back.
  const admin = testClient(server.url)
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.flushall()
  await store.recordFailure('ag', 'p:e', fail('model'))
  await until(async () => (await admin.exists(store.keys.stats('ag', 'p:d'))) === 1, 10_000, 'the mirror is seeded back')

  // A refresh through the coordinator: acquire, commit, release.
  const coordinator = createRedisCoordinator({ url: server.url, prefix })
  t.teardown(() => coordinator.close())
  const token: StoredToken = { access: 'new-access', refresh: 'new-refresh', expires: Date.now() + 3_600_000, fields: {} }
  const task: RefreshTask = {
    slot: 'tok', agent: 'ag', profileId: 'p:oauth', provider: 'p', lockPath: undefined,
    local: () => undefined, usable: (x) => x.expires > Date.now() + 60_000,
    fetch: async () => token, persist: async () => {},
  }
  t.strictSame(await coordinator.run(task), token)

  const lock = credentialKeys(prefix).lock('tok', 'p:oauth')
  const isScript = (a: string[]): boolean => ['eval', 'evalsha'].includes(a[0]?.toLowerCase() ?? '')
  await until(() => seen.filter((a) => isScript(a) && a.includes(lock)).length >= 2, 5000, 'MONITOR saw the lock taken and released')
  // What MONITOR saw so far (it would also see the COMMAND GETKEYS calls below).
  mon.disconnect()
  const sent = seen.slice()
  const defs = [...Object.entries(SCRIPTS), ...Object.entries(CREDENTIAL_SCRIPTS)]
  // EVALSHA names the script by its SHA1, EVAL (first use on a connection) by its text.
  const scripts = new Map(defs.flatMap(([name, s]) => [[sha(s.lua), name], [repr(s.lua), name]]))
  const ran = new Set<string>()
  let checked = 0
  for (const args of sent) {
    const name = args[0]?.toLowerCase()
    if (name === 'monitor' || name === 'flushall') continue
    if (name === 'evalsha' || name === 'eval') ran.add(scripts.get(args[1]) ?? `unknown ${args[1].slice(0, 12)}`)
    let keys: string[] = []
    try {
      keys = await admin.call('COMMAND', 'GETKEYS', ...args) as string[]
    } catch { /* a command without keys */ }
    if (keys.length < 2) continue
    checked++
    t.ok(oneSlot(keys), `${name} ${keys.join(' ')}`)
  }
  t.ok(checked >= 10, `${checked} multi-key commands checked`)
  t.strictSame([...ran].sort(), defs.map(([name]) => name).sort(), 'every script ran at least once')
})
