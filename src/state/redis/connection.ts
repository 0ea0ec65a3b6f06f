// The ioredis clients of the redis store and the OAuth coordinator, for each topology of
// `state.redis` (docs/configuration.md): a standalone URL (ioredis Redis), a Redis Cluster
// (ioredis Cluster, seeded with the configured nodes, following MOVED/ASK and failovers) or a
// Sentinel group (ioredis Redis with `sentinels`, reconnecting to whichever replica Sentinel
// promotes). TLS (`rediss://`) and ACL users (`user:password@`) work for all three, through
// ioredis options only. Every client is tuned so Redis can never stall a request: no offline
// queue, one retry, short timeouts, reconnect forever in the background — and on a Cluster no
// waiting out a failover inside a command (the store serves degraded instead and resyncs).
import calculateSlot from 'cluster-key-slot'
import { Cluster, Redis, type ChainableCommander, type ClusterOptions, type RedisOptions } from 'ioredis'
import type { RedisTopology } from '../../config/types.ts'
import { defineScripts } from './scripts.ts'
import { StateUnavailableError } from '../../core/errors.ts'

/** A connection to any topology; both classes carry the same commands and the scripts. */
export type StateClient = Redis | Cluster

export interface ClientTuning {
  /** Per-command cap; default 300 ms. */
  readonly commandTimeoutMs?: number
  readonly connectTimeoutMs?: number
  /** CLIENT SETNAME on every connection (shows in CLIENT LIST of every node). */
  readonly connectionName?: string
  /** Reconnect delay after the n-th failed attempt (null: give up); default retryDelay(). */
  readonly retryStrategy?: (times: number) => number | null
  readonly autoPipelining?: boolean
  /** Connect on the first command instead of at once (doctor). */
  readonly lazyConnect?: boolean
}

export interface ConnectionOptions extends ClientTuning {
  readonly topology: RedisTopology
}

/** Reconnect delay: 100 ms doubling to a 2 s cap, plus up to 100 ms of jitter. */
export function retryDelay (times: number): number {
  return Math.min(50 * 2 ** Math.min(Math.max(times, 1), 6), 2000) + Math.floor(Math.random() * 100)
}

interface Access { host: string, port: number, username?: string, password?: string, tls: boolean }

/** Host, port, ACL user/password and TLS of one configured URL (checked at config load). */
export function accessOf (url: string, defaultPort: number): Access {
  const u = new URL(url)
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? defaultPort : Number(u.port),
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
    tls: u.protocol === 'rediss:',
  }
}

/** Options every data-node connection gets, whatever the topology. */
function connectionOptions (t: ClientTuning): RedisOptions {
  return {
    maxRetriesPerRequest: 1,
    connectTimeout: t.connectTimeoutMs ?? 1000,
    commandTimeout: t.commandTimeoutMs ?? 300,
    ...(t.connectionName !== undefined ? { connectionName: t.connectionName } : {}),
  }
}

/** A client for the topology, with no scripts defined (see createClient for the store's). */
export function connectRedis (topology: RedisTopology, t: ClientTuning = {}): StateClient {
  const retryStrategy = t.retryStrategy ?? retryDelay
  const lazyConnect = t.lazyConnect ?? false
  switch (topology.kind) {
    case 'url':
      return new Redis(topology.url, { ...connectionOptions(t), enableOfflineQueue: false, retryStrategy, enableAutoPipelining: t.autoPipelining ?? false, lazyConnect })
    case 'cluster': {
      const nodes = topology.nodes.map((n) => accessOf(n, 6379))
      const { username, password, tls } = nodes[0]
      const options: ClusterOptions = {
        enableOfflineQueue: false,
        enableAutoPipelining: t.autoPipelining ?? false,
        lazyConnect,
        clusterRetryStrategy: retryStrategy,
        // A command whose master is gone fails at once (the store turns degraded and resyncs
        // once the replica is promoted) instead of being retried for seconds inside the call.
        retryDelayOnFailover: 0,
        retryDelayOnClusterDown: 0,
        retryDelayOnTryAgain: 50,
        maxRedirections: 8,
        slotsRefreshTimeout: t.connectTimeoutMs ?? 1000,
        // Also picks up a promotion that no command has run into yet.
        slotsRefreshInterval: 2000,
        redisOptions: {
          ...connectionOptions(t),
          ...(username !== undefined ? { username } : {}),
          ...(password !== undefined ? { password } : {}),
          ...(tls ? { tls: {} } : {}),
        },
      }
      return new Cluster(nodes.map((n) => ({ host: n.host, port: n.port })), options)
    }
    case 'sentinel': {
      const sentinels = topology.sentinels.map((s) => accessOf(s, 26379))
      const { username, password, tls } = sentinels[0]
      return new Redis({
        ...connectionOptions(t),
        enableOfflineQueue: false,
        enableAutoPipelining: t.autoPipelining ?? false,
        lazyConnect,
        retryStrategy,
        sentinels: sentinels.map((s) => ({ host: s.host, port: s.port })),
        name: topology.name,
        ...(username !== undefined ? { sentinelUsername: username } : {}),
        ...(password !== undefined ? { sentinelPassword: password } : {}),
        ...(tls ? { sentinelTLS: {} } : {}),
        ...(topology.username !== undefined ? { username: topology.username } : {}),
        ...(topology.password !== undefined ? { password: topology.password } : {}),
        ...(topology.tls === true ? { tls: {}, enableTLSForSentinelMode: true } : {}),
        sentinelCommandTimeout: t.connectTimeoutMs ?? 1000,
        // Every sentinel down: ask again in the background, like any reconnect.
        sentinelRetryStrategy: retryStrategy,
        // Subscribes to +switch-master so a promotion is followed at once, not on the next error.
        failoverDetector: true,
      })
    }
  }
}

/** The store's client: tuned for the request path, every script defined (redis/scripts.ts). */
export function createClient (opts: ConnectionOptions): StateClient {
  const client = connectRedis(opts.topology, { connectionName: 'rotor-state', autoPipelining: true, ...opts })
  defineScripts(client)
  return client
}

export function isCluster (client: StateClient): client is Cluster {
  return client instanceof Cluster
}

/**
 * PING, on a Cluster on every master: ioredis connects to a node on its first command, so this
 * opens (TLS handshake and AUTH included) every connection a request may need before the store
 * says it is ready, instead of inside a request's short command timeout.
 */
export async function pingAll (client: StateClient): Promise<void> {
  if (!isCluster(client)) {
    await client.ping()
    return
  }
  const masters = client.nodes('master')
  if (masters.length === 0) throw new Error('no Redis Cluster master known')
  await Promise.all(masters.map((n) => n.ping()))
}

/** One command of a grouped pipeline: `key` decides where it runs. */
export interface SlotCommand {
  readonly key: string
  readonly add: (pipe: ChainableCommander) => void
}

/**
 * Runs commands as pipelines and returns their replies in call order. A Cluster pipeline must
 * stay within one node, so there it is one pipeline per hash slot (all of one agent's or one
 * credential's keys share a slot), sent side by side; elsewhere one pipeline. Never throws:
 * a pipeline that failed as a whole gives its error as the reply of each of its commands.
 */
export async function execBySlot (client: StateClient, commands: readonly SlotCommand[]): Promise<Array<[Error | null, unknown]>> {
  const groups = new Map<number, number[]>()
  commands.forEach((c, i) => {
    const slot = isCluster(client) ? calculateSlot(c.key) : 0
    let g = groups.get(slot)
    if (g === undefined) {
      g = []
      groups.set(slot, g)
    }
    g.push(i)
  })
  const out: Array<[Error | null, unknown]> = new Array(commands.length)
  await Promise.all([...groups.values()].map(async (indexes) => {
    const pipe = client.pipeline()
    for (const i of indexes) commands[i].add(pipe)
    let res: Array<[Error | null, unknown]> | null
    let failure: Error = new Error('pipeline aborted')
    try {
      res = await pipe.exec()
    } catch (err) {
      res = null
      failure = err instanceof Error ? err : new Error(String(err))
    }
    indexes.forEach((i, j) => { out[i] = res?.[j] ?? [failure, null] })
  }))
  return out
}

/** Wraps any Redis/ioredis failure once; the message never carries one of `secrets` (passwords). */
export function unavailable (err: unknown, secrets: readonly string[]): StateUnavailableError {
  if (err instanceof StateUnavailableError) return err
  let message = err instanceof Error ? err.message : String(err)
  for (const s of secrets) if (s.length >= 3) message = message.split(s).join('***')
  const code = (err as { code?: unknown } | null)?.code
  return new StateUnavailableError(`redis: ${message}${typeof code === 'string' && !message.includes(code) ? ` (${code})` : ''}`)
}
