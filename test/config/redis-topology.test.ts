// state.redis: one of url, cluster, sentinel; TLS and ACL from the URLs; passwords never in a
// message and masked wherever the topology is shown; the ioredis options each topology gets.
import t, { type Test } from 'tap'
import { Cluster, Redis } from 'ioredis'
import { configSecrets } from '../../src/auth/secret-registry.ts'
import { loadConfig } from '../../src/config/load.ts'
import { describeTopology, resolveRedisTopology, topologySecrets } from '../../src/config/redis-topology.ts'
import { connectRedis } from '../../src/state/redis/connection.ts'

const load = (t: Test, state: unknown, env: Record<string, string> = {}): ReturnType<typeof loadConfig> =>
  loadConfig({ env, home: t.testdir({ 'rotor.json': JSON.stringify({ state }) }) })

t.test('REDIS_URL sets url unless state.redis names a topology; config url wins', async (t) => {
  t.strictSame(load(t, { store: 'redis' }, { REDIS_URL: 'redis://env:1' }).state.redis, { kind: 'url', url: 'redis://env:1' })
  t.strictSame(load(t, { redis: { url: 'rediss://cfg:2' } }, { REDIS_URL: 'redis://env:1' }).state.redis, { kind: 'url', url: 'rediss://cfg:2' })
  t.strictSame(load(t, { redis: { cluster: { nodes: ['redis://h1:7000', ' redis://h2:7001 '] } } }, { REDIS_URL: 'redis://env:1' }).state.redis,
    { kind: 'cluster', nodes: ['redis://h1:7000', 'redis://h2:7001'] })
  t.strictSame(load(t, { redis: { sentinel: { sentinels: ['redis://s1:26379'], name: 'mymaster', username: 'rotor', password: 'pw-1', tls: true }, prefix: 'p:' } }).state,
    { store: 'memory', redis: { kind: 'sentinel', sentinels: ['redis://s1:26379'], name: 'mymaster', username: 'rotor', password: 'pw-1', tls: true }, prefix: 'p:' })
})

t.test('a config that names two topologies, a bad URL or nodes that disagree is refused without echoing a password', async (t) => {
  t.throws(() => load(t, { redis: { url: 'redis://a:1', cluster: { nodes: ['redis://b:2'] } } }), { message: 'state.redis: set one of url, cluster, sentinel (found url and cluster)' })
  t.throws(() => load(t, { redis: { cluster: { nodes: ['redis://b:2'] }, sentinel: { sentinels: ['redis://s:1'], name: 'm' } } }), { message: /found cluster and sentinel/ })
  const bad = [
    [{ url: 'http://u:s3cret-pw@h:1' }, /: state\.redis\.url must start with redis:\/\/ or rediss:\/\/ \(got http:\/\/\)$/],
    [{ cluster: { nodes: ['redis://u:s3cret-pw@h1:1', 'rediss://u:s3cret-pw@h2:2'] } }, /nodes\[1\] uses rediss:\/\/ but state\.redis\.cluster\.nodes\[0\] uses redis:\/\//],
    [{ cluster: { nodes: ['redis://u:s3cret-pw@h1:1', 'redis://u:other-pw@h2:2'] } }, /nodes\[1\] has other credentials than state\.redis\.cluster\.nodes\[0\]/],
    [{ cluster: { nodes: ['redis://u:s3cret-pw@h1:1/2'] } }, /Redis Cluster has only database 0/],
    [{ sentinel: { sentinels: ['not a url s3cret-pw'], name: 'm' } }, /: state\.redis\.sentinel\.sentinels\[0\] is not a URL/],
    [{ cluster: { nodes: [] } }, /cluster/],
  ] as const
  for (const [redis, message] of bad) {
    const err = t.throws(() => load(t, { redis })) as Error
    t.match(err.message, message)
    t.notMatch(err.message, 's3cret-pw', 'the password is not in the message')
  }
  t.throws(() => load(t, {}, { REDIS_URL: 'localhost:6379' }), { message: /REDIS_URL must start with redis:\/\/ or rediss:\/\// })
})

t.test('the topology is shown with passwords masked, and its passwords are secrets', async (t) => {
  const cluster = resolveRedisTopology({ cluster: { nodes: ['rediss://rotor:p%40ss-1@h1:7000', 'rediss://rotor:p%40ss-1@h2:7001'] } }, {})
  t.equal(describeTopology(cluster), 'cluster rediss://rotor:***@h1:7000, rediss://rotor:***@h2:7001')
  t.strictSame(topologySecrets(cluster), ['p%40ss-1', 'p@ss-1'])
  const sentinel = resolveRedisTopology({ sentinel: { sentinels: ['redis://:sentinel-pw@s1:26379'], name: 'm', password: 'master-pw' } }, {})
  t.equal(describeTopology(sentinel), 'sentinel "m" via redis://:***@s1:26379')
  t.strictSame(topologySecrets(sentinel).sort(), ['master-pw', 'sentinel-pw'])
  t.equal(describeTopology({ kind: 'url', url: 'redis://127.0.0.1:6379' }), 'redis://127.0.0.1:6379')
  const config = load(t, { redis: { sentinel: { sentinels: ['redis://:sentinel-pw@s1:26379'], name: 'm', password: 'master-pw' } } })
  t.ok(configSecrets(config).includes('master-pw') && configSecrets(config).includes('sentinel-pw'), 'the secret scrubber learns both')
})

t.test('each topology becomes the matching ioredis client, with TLS and ACL from the config', async (t) => {
  const cluster = connectRedis({ kind: 'cluster', nodes: ['rediss://rotor:p%40ss@h1:7000', 'rediss://rotor:p%40ss@[::1]:7001'] }, { lazyConnect: true })
  t.teardown(() => cluster.disconnect())
  t.ok(cluster instanceof Cluster)
  const c = cluster as Cluster
  t.strictSame((c as unknown as { startupNodes: unknown }).startupNodes, [{ host: 'h1', port: 7000 }, { host: '::1', port: 7001 }])
  t.match(c.options, { enableOfflineQueue: false, retryDelayOnFailover: 0, redisOptions: { username: 'rotor', password: 'p@ss', tls: {}, maxRetriesPerRequest: 1 } })

  const sentinel = connectRedis({ kind: 'sentinel', sentinels: ['rediss://watch:w-pw@s1', 'rediss://watch:w-pw@s2:26380'], name: 'mymaster', username: 'rotor', password: 'm-pw', tls: true }, { lazyConnect: true })
  t.teardown(() => sentinel.disconnect())
  t.ok(sentinel instanceof Redis)
  t.match((sentinel as Redis).options, {
    sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }], name: 'mymaster',
    sentinelUsername: 'watch', sentinelPassword: 'w-pw', sentinelTLS: {},
    username: 'rotor', password: 'm-pw', tls: {}, enableTLSForSentinelMode: true, enableOfflineQueue: false,
  })
  const plain = connectRedis({ kind: 'sentinel', sentinels: ['redis://s1:26379'], name: 'm' }, { lazyConnect: true }) as Redis
  t.teardown(() => plain.disconnect())
  t.equal(plain.options.tls, undefined, 'no TLS unless asked')
  t.equal(plain.options.sentinelPassword, undefined)

  const url = connectRedis({ kind: 'url', url: 'rediss://rotor:p%40ss@h:6380/2' }, { lazyConnect: true }) as Redis
  t.teardown(() => url.disconnect())
  t.match(url.options, { host: 'h', port: 6380, username: 'rotor', password: 'p@ss', db: 2, tls: true })
})
