// Key layout: everything under the prefix, one hash tag per agent, expiry on every key.
import t from 'tap'
import { ConfigError } from '../../../src/core/errors.ts'
import { createKeys, globEscape } from '../../../src/state/redis/keys.ts'
import { createRedisStore } from '../../../src/state/redis-store.ts'
import { policy } from '../contract.ts'
import { dumpKeys, redisForTest, testClient } from '../../helpers/redis.ts'

/** What Redis Cluster hashes: the text inside the first {…}, if non-empty. */
function hashTag (key: string): string {
  const open = key.indexOf('{')
  const close = key.indexOf('}', open + 1)
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key
}

t.test('every key of an agent carries the agent as its hash tag', async (t) => {
  const k = createKeys('rotor:')
  t.equal(k.stats('default', 'anthropic:work'), 'rotor:{default}:st:anthropic:work')
  t.equal(k.cursor('default', 'anthropic'), 'rotor:{default}:rr:anthropic')
  t.equal(k.pin('default', 'sess-{1}'), 'rotor:{default}:pin:sess-{1}')
  t.equal(k.lastGood('default'), 'rotor:{default}:lastgood')
  t.equal(k.version('default'), 'rotor:{default}:ver')
  t.equal(k.epoch('default'), 'rotor:{default}:epoch')
  t.equal(k.events('default', 'anthropic:work'), 'rotor:{default}:ev:anthropic:work')
  const keys = [k.stats('a', 'x'), k.cursor('a', 'p'), k.pin('a', '{evil}'), k.lastGood('a'), k.version('a'), k.epoch('a'), k.events('a', 'x')]
  t.strictSame(new Set(keys.map(hashTag)), new Set(['a']))
  t.equal(hashTag(k.stats('we{ir}d%', 'x')), 'we%7Bir%7Dd%25', 'braces in an agent name cannot break the tag')
  t.not(hashTag(k.stats('a%7Bb', 'x')), hashTag(k.stats('a{b', 'x')), 'and the escape is unambiguous')
})

t.test('a prefix with braces is refused and the scan pattern escapes glob characters', async (t) => {
  t.throws(() => createKeys('rotor{x}:'), ConfigError)
  t.equal(createKeys('a*b?[c]:').pattern(), 'a\\*b\\?\\[c\\]:*')
  t.equal(globEscape('plain:'), 'plain:')
})

t.test('in Redis every key lives under the prefix, in the agent slot, and expires', async (t) => {
  const { url, prefix } = await redisForTest(t)
  let now = Date.now()
  const store = await createRedisStore({ url, prefix, clock: () => now })
  t.teardown(() => store.close())
  await store.recordFailure('main', 'p:a', { provider: 'p', model: 'm', reason: 'rate_limit', scope: 'model', now, policy })
  await store.recordFailure('main', 'p:b', { provider: 'p', model: 'm', reason: 'billing', scope: 'disable', now, policy })
  await store.recordSuccess('main', 'p:c', 'p', 'm', now)
  await store.nextCursor('main', 'p')
  await store.setSessionPin('main', 's1', 'p:c', 60_000)
  now += 1
  const c = testClient(url)
  t.teardown(() => c.disconnect())
  await c.connect()
  const keys = [...(await dumpKeys(url, prefix)).keys()]
  // st ×3, ev ×2 (the failed profiles), rr, pin, lastgood, ver, epoch
  t.equal(keys.length, 10, keys.join(', '))
  for (const key of keys) {
    t.ok(key.startsWith(prefix), key)
    t.equal(hashTag(key), 'main', `${key} is in the agent's slot`)
    const ttl = await c.pttl(key)
    if (key.endsWith(':lastgood')) t.equal(ttl, -1, 'lastGood is kept (one field per provider)')
    else if (key.endsWith(':ver')) t.equal(ttl, -1, 'the stats version is kept (a re-created one would restart its count)')
    else if (key.endsWith(':epoch')) t.equal(ttl, -1, 'the epoch is kept (its loss means Redis lost the agent state)')
    else t.ok(ttl > 0, `${key} expires (${ttl} ms)`)
  }
  const disabled = await c.pttl(store.keys.stats('main', 'p:b'))
  t.ok(disabled > policy.failureWindowMs, 'a stats key outlives its failure window and deadline')
  const events = await c.pttl(store.keys.events('main', 'p:b'))
  // Read after the stats key's TTL: same deadline, so not more.
  t.ok(events > policy.failureWindowMs && events <= disabled, `its failure event ids expire with it (${events} ms)`)
  t.match(await c.hgetall(store.keys.stats('main', 'p:a')), { 'm:m:n': '1', errorCount: '1', 'fc:rate_limit': '1' }, 'flat fields, no JSON')
})
