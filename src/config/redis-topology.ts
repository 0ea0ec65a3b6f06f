// `state.redis` → the Redis topology the redis store connects to: a standalone `url`, a
// `cluster` (its seed nodes) or a `sentinel` group (docs/configuration.md). Only checks and
// shapes here; the ioredis clients are made in src/state/redis/connection.ts. URLs carry
// passwords: messages name the config path, never the value, and describeTopology() masks them.
import { ConfigError } from '../core/errors.ts'
import type { RotorConfig } from './schema.ts'
import type { RedisTopology } from './types.ts'

type RawRedis = NonNullable<NonNullable<RotorConfig['state']>['redis']>

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

function nonEmpty (s: string | undefined): string | undefined {
  const v = s?.trim()
  return v === undefined || v === '' ? undefined : v
}

/** A parsed redis:// or rediss:// URL; the error names `path`, not the value (it may hold a password). */
export function parseRedisUrl (value: string, path: string): URL {
  let u: URL
  try {
    u = new URL(value)
  } catch {
    throw new ConfigError(`${path} is not a URL (expected redis://[user:password@]host:port or rediss://…)`)
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(`${path} must start with redis:// or rediss:// (got ${u.protocol}//)`)
  if (u.hostname === '') throw new ConfigError(`${path} has no host`)
  return u
}

/** Scheme and credentials are per client in ioredis (one TLS/ACL setting for all nodes): they must agree. */
function sameAccess (urls: readonly URL[], path: string): void {
  const first = urls[0]
  for (const [i, u] of urls.entries()) {
    if (u.protocol !== first.protocol) throw new ConfigError(`${path}[${i}] uses ${u.protocol}// but ${path}[0] uses ${first.protocol}//: all must use the same scheme`)
    if (u.username !== first.username || u.password !== first.password) throw new ConfigError(`${path}[${i}] has other credentials than ${path}[0]: all must use the same user and password`)
  }
}

/** The topology of `state.redis`; `REDIS_URL` sets `url` when none of the three is configured. */
export function resolveRedisTopology (raw: RawRedis | undefined, env: Readonly<Record<string, string | undefined>>): RedisTopology {
  const url = nonEmpty(raw?.url)
  const set = [url !== undefined ? 'url' : undefined, raw?.cluster !== undefined ? 'cluster' : undefined, raw?.sentinel !== undefined ? 'sentinel' : undefined]
    .filter((k) => k !== undefined)
  if (set.length > 1) throw new ConfigError(`state.redis: set one of url, cluster, sentinel (found ${set.join(' and ')})`)
  if (raw?.cluster !== undefined) {
    const nodes = raw.cluster.nodes.map((n) => n.trim())
    const parsed = nodes.map((n, i) => parseRedisUrl(n, `state.redis.cluster.nodes[${i}]`))
    sameAccess(parsed, 'state.redis.cluster.nodes')
    for (const [i, u] of parsed.entries()) {
      if (u.pathname !== '' && u.pathname !== '/' && u.pathname !== '/0') throw new ConfigError(`state.redis.cluster.nodes[${i}]: Redis Cluster has only database 0`)
    }
    return { kind: 'cluster', nodes }
  }
  if (raw?.sentinel !== undefined) {
    const s = raw.sentinel
    const sentinels = s.sentinels.map((n) => n.trim())
    sameAccess(sentinels.map((n, i) => parseRedisUrl(n, `state.redis.sentinel.sentinels[${i}]`)), 'state.redis.sentinel.sentinels')
    return {
      kind: 'sentinel',
      sentinels,
      name: s.name.trim(),
      ...(s.username !== undefined ? { username: s.username } : {}),
      ...(s.password !== undefined ? { password: s.password } : {}),
      ...(s.tls !== undefined ? { tls: s.tls } : {}),
    }
  }
  const chosen = url ?? nonEmpty(env.REDIS_URL) ?? DEFAULT_REDIS_URL
  parseRedisUrl(chosen, url !== undefined ? 'state.redis.url' : nonEmpty(env.REDIS_URL) !== undefined ? 'REDIS_URL' : 'the default Redis URL')
  return { kind: 'url', url: chosen }
}

/** Every URL of the topology (the standalone URL, the cluster's seed nodes, the sentinels). */
export function topologyUrls (t: RedisTopology): readonly string[] {
  switch (t.kind) {
    case 'url': return [t.url]
    case 'cluster': return t.nodes
    case 'sentinel': return t.sentinels
  }
}

/** The passwords the topology holds (as written and URL-decoded), for the secret scrubber. */
export function topologySecrets (t: RedisTopology): string[] {
  const out: string[] = []
  for (const url of topologyUrls(t)) {
    try {
      const password = new URL(url).password
      if (password !== '') out.push(password, decodeURIComponent(password))
    } catch {
      // Not a URL: nothing to take from it.
    }
  }
  if (t.kind === 'sentinel' && t.password !== undefined) out.push(t.password)
  return [...new Set(out)]
}

/** A URL safe to show: the password replaced by `***` (the user name stays). */
export function maskRedisUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(unparsable redis url)'
  }
}

/** The topology as operators write it, passwords masked: for logs, doctor and admin status. */
export function describeTopology (t: RedisTopology): string {
  switch (t.kind) {
    case 'url': return maskRedisUrl(t.url)
    case 'cluster': return `cluster ${t.nodes.map(maskRedisUrl).join(', ')}`
    case 'sentinel': return `sentinel "${t.name}" via ${t.sentinels.map(maskRedisUrl).join(', ')}`
  }
}
