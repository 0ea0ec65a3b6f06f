// The Redis topologies the cross-replica tests run on: the shared standalone Redis, a local
// Cluster (3 masters, 3 replicas) and a local Sentinel group (redis-topology.ts). A test file
// starts each topology at most once, on first use, and stops it when the file ends; each test
// gets its own key prefix on it. ROTOR_TEST_TOPOLOGIES (comma-separated) narrows the list.
import tap from 'tap'
import { resolveRedisTopology } from '../../src/config/redis-topology.ts'
import type { RedisTopology } from '../../src/config/types.ts'
import { deleteKeys, sharedRedisUrl, uniquePrefix, type Teardownable } from './redis.ts'
import { redisToolsPresent, startRedisCluster, startRedisSentinel, type RedisClusterUnderTest, type RedisSentinelUnderTest } from './redis-topology.ts'

export type TopologyKind = 'standalone' | 'cluster' | 'sentinel'
export const TOPOLOGY_KINDS: readonly TopologyKind[] = ['standalone', 'cluster', 'sentinel']

export interface TestTopology {
  readonly kind: TopologyKind
  /** `state.redis` keys for a rotor config (prefix aside); {} for standalone, which goes by REDIS_URL. */
  readonly redisConfig: Record<string, unknown>
  /** Environment for a gateway process (REDIS_URL for standalone). */
  readonly env: Record<string, string>
  /** The same as a topology, for stores and clients in this process. */
  readonly topology: RedisTopology
  /** The local cluster or sentinel group (fault injection); undefined for standalone. */
  readonly cluster?: RedisClusterUnderTest
  readonly sentinel?: RedisSentinelUnderTest
}

/** The kinds to run: ROTOR_TEST_TOPOLOGIES, else all three. */
export function topologyKinds (): TopologyKind[] {
  const want = process.env.ROTOR_TEST_TOPOLOGIES?.split(',').map((s) => s.trim()).filter((s) => s !== '')
  return want === undefined || want.length === 0 ? [...TOPOLOGY_KINDS] : TOPOLOGY_KINDS.filter((k) => want.includes(k))
}

/** A reason to skip `kind` here (no redis-server/redis-cli), or false. */
export async function topologyUnavailable (kind: TopologyKind): Promise<string | false> {
  if (kind === 'standalone') return false
  return await redisToolsPresent() ? false : 'redis-server and redis-cli are not installed (.ci/run installs them)'
}

const started = new Map<TopologyKind, Promise<TestTopology>>()

async function start (kind: TopologyKind, failover: boolean): Promise<TestTopology> {
  switch (kind) {
    case 'standalone': {
      const url = await sharedRedisUrl()
      return { kind, redisConfig: {}, env: { REDIS_URL: url }, topology: { kind: 'url', url } }
    }
    case 'cluster': {
      const cluster = await startRedisCluster()
      tap.teardown(() => cluster.stop())
      return { kind, redisConfig: cluster.redisConfig, env: {}, topology: resolveRedisTopology(cluster.redisConfig, {}), cluster }
    }
    case 'sentinel': {
      const sentinel = await startRedisSentinel({ failover })
      tap.teardown(() => sentinel.stop())
      return { kind, redisConfig: sentinel.redisConfig, env: {}, topology: resolveRedisTopology(sentinel.redisConfig, {}), sentinel }
    }
  }
}

/**
 * The topology of `kind` for this test file, started on first use and stopped when the file
 * ends. `failover`: the test will kill a master (the sentinels must know each other first).
 */
export function topologyFor (kind: TopologyKind, opts: { failover?: boolean } = {}): Promise<TestTopology> {
  let p = started.get(kind)
  if (p === undefined) {
    p = start(kind, opts.failover === true)
    started.set(kind, p)
  }
  return p
}

/** Starts the local topologies of `kinds` side by side now (a test file's first line), so later tests find them up. */
export function startTopologies (kinds: readonly TopologyKind[], opts: { failover?: boolean } = {}): void {
  for (const kind of kinds) if (kind !== 'standalone') void topologyFor(kind, opts).catch(() => { /* reported by the test that uses it */ })
}

/** A fresh key prefix on the topology; its keys are deleted when `t` ends. */
export function prefixOn (t: Teardownable, topo: TestTopology): string {
  const prefix = uniquePrefix()
  t.teardown(() => deleteKeys(topo.topology, prefix).catch(() => 0))
  return prefix
}
