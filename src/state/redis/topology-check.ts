// `rotor doctor`'s look at the Redis topology (docs/operations.md): every node reachable, every
// master accepting rotor's Lua scripts (loaded with SCRIPT LOAD, as the gateway would on first
// use — a user without +@scripting fails here, not at the first request), every Cluster slot
// served, every sentinel agreeing on the master. One short-lived plain connection per node, no
// retries, each step bounded; addresses are shown without credentials.
import { Redis, type RedisOptions } from 'ioredis'
import { CREDENTIAL_SCRIPTS } from '../../auth/oauth/redis-credential-scripts.ts'
import { describeTopology, topologySecrets } from '../../config/redis-topology.ts'
import type { RedisTopology } from '../../config/types.ts'
import { accessOf, unavailable } from './connection.ts'
import { SCRIPTS } from './scripts.ts'

const SLOTS = 16384

export interface NodeReport {
  readonly address: string
  readonly role: 'master' | 'replica' | 'sentinel'
  readonly reachable: boolean
  /** Why it is not reachable (error code or message, no credentials). */
  readonly error?: string
  /** Masters: how many of rotor's scripts it accepted. */
  readonly scriptsLoaded?: number
}

export interface TopologyReport {
  readonly kind: RedisTopology['kind']
  /** The configured topology, passwords masked. */
  readonly target: string
  readonly nodes: NodeReport[]
  /** Scripts every master must accept. */
  readonly scripts: number
  /** Cluster: slots assigned to a master, and CLUSTER INFO's cluster_state. */
  slots?: { readonly covered: number, readonly state: string }
  /** Sentinel: the master the sentinels name. */
  master?: string
  readonly problems: Array<{ readonly message: string, readonly fix: string }>
}

const ALL_SCRIPTS: readonly string[] = [...Object.values(SCRIPTS), ...Object.values(CREDENTIAL_SCRIPTS)].map((s) => s.lua)

type Access = Pick<RedisOptions, 'username' | 'password' | 'tls'>

function accessOptions (url: string): Access {
  const a = accessOf(url, 6379)
  return { ...(a.username !== undefined ? { username: a.username } : {}), ...(a.password !== undefined ? { password: a.password } : {}), ...(a.tls ? { tls: {} } : {}) }
}

/** One plain connection, connected, or the reason it could not be (bounded by timeoutMs). */
async function open (host: string, port: number, access: Access, timeoutMs: number, secrets: readonly string[]): Promise<Redis | string> {
  const c = new Redis({ host, port, ...access, lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectionName: 'rotor-doctor' })
  let lastError: unknown
  c.on('error', (err: unknown) => { lastError = err })
  try {
    await c.connect()
    return c
  } catch (err) {
    c.disconnect()
    return reason(lastError ?? err, secrets)
  }
}

function reason (err: unknown, secrets: readonly string[]): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : unavailable(err, secrets).message.replace(/^redis: /, '')
}

/** SCRIPT LOAD of every script; how many were accepted, and the first refusal. */
async function loadScripts (c: Redis, secrets: readonly string[]): Promise<{ loaded: number, refused?: string }> {
  let loaded = 0
  for (const lua of ALL_SCRIPTS) {
    try {
      await c.script('LOAD', lua)
      loaded++
    } catch (err) {
      return { loaded, refused: reason(err, secrets) }
    }
  }
  return { loaded }
}

/** ROLE: this node's role and its replicas' addresses (when a master). */
async function roleOf (c: Redis): Promise<{ role: string, replicas: string[] }> {
  const r = await c.role()
  const replicas = r[0] === 'master' && Array.isArray(r[2])
    ? r[2].flatMap((x) => Array.isArray(x) ? [`${String(x[0])}:${String(x[1])}`] : [])
    : []
  return { role: String(r[0]), replicas }
}

function hostPort (address: string): [string, number] {
  const i = address.lastIndexOf(':')
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))]
}

interface Ctx { readonly timeoutMs: number, readonly secrets: readonly string[], readonly report: TopologyReport }

/** A master: reachable, ROLE, scripts; its replicas: reachable. */
async function checkMaster (ctx: Ctx, address: string, access: Access, replicasHint: readonly string[] = []): Promise<void> {
  const { report, timeoutMs, secrets } = ctx
  const [host, port] = hostPort(address)
  const c = await open(host, port, access, timeoutMs, secrets)
  if (typeof c === 'string') {
    report.nodes.push({ address, role: 'master', reachable: false, error: c })
    report.problems.push({ message: `Redis master ${address} does not answer (${c})`, fix: `start Redis at ${address}, or let the ${report.kind === 'cluster' ? 'cluster' : 'sentinels'} fail over to a replica` })
    for (const r of replicasHint) await checkReplica(ctx, r, access)
    return
  }
  try {
    // ROLE is an @admin command that managed Redis users often may not run: then unknown.
    const { role, replicas } = await roleOf(c).catch(() => ({ role: 'master', replicas: [] as string[] }))
    const scripts = await loadScripts(c, secrets)
    report.nodes.push({ address, role: 'master', reachable: true, scriptsLoaded: scripts.loaded })
    if (role !== 'master') report.problems.push({ message: `Redis at ${address} is a ${role}, not a master`, fix: 'wait for the failover to finish, or fix the topology' })
    if (scripts.refused !== undefined) {
      report.problems.push({ message: `Redis master ${address} refuses rotor's Lua scripts (${scripts.refused})`, fix: 'allow EVAL, EVALSHA and SCRIPT for rotor\'s Redis user (ACL +@scripting)' })
    }
    for (const r of new Set([...replicas, ...replicasHint])) await checkReplica(ctx, r, access)
  } catch (err) {
    report.nodes.push({ address, role: 'master', reachable: false, error: reason(err, secrets) })
    report.problems.push({ message: `Redis master ${address} failed a check (${reason(err, secrets)})`, fix: `check Redis at ${address}` })
  } finally {
    c.disconnect()
  }
}

async function checkReplica (ctx: Ctx, address: string, access: Access): Promise<void> {
  const [host, port] = hostPort(address)
  const c = await open(host, port, access, ctx.timeoutMs, ctx.secrets)
  if (typeof c === 'string') {
    ctx.report.nodes.push({ address, role: 'replica', reachable: false, error: c })
    ctx.report.problems.push({ message: `Redis replica ${address} does not answer (${c}): a failover of its master would lose data`, fix: `start Redis at ${address}` })
    return
  }
  c.disconnect()
  ctx.report.nodes.push({ address, role: 'replica', reachable: true })
}

async function checkCluster (ctx: Ctx, seeds: readonly string[]): Promise<void> {
  const access = accessOptions(seeds[0])
  const { report, timeoutMs, secrets } = ctx
  let slots: unknown
  let info = ''
  const seedErrors: string[] = []
  for (const seed of seeds) {
    const a = accessOf(seed, 6379)
    const c = await open(a.host, a.port, access, timeoutMs, secrets)
    if (typeof c === 'string') { seedErrors.push(c); continue }
    try {
      slots = await c.call('CLUSTER', 'SLOTS')
      info = String(await c.call('CLUSTER', 'INFO'))
      break
    } catch (err) {
      seedErrors.push(reason(err, secrets))
    } finally {
      c.disconnect()
    }
  }
  if (!Array.isArray(slots)) {
    report.problems.push({ message: `State store unreachable: no Redis Cluster node of ${report.target} answers (${[...new Set(seedErrors)].join(', ')})`, fix: 'start the cluster, check state.redis.cluster.nodes, or set state.store to memory' })
    return
  }
  // [start, end, [masterHost, masterPort, id], [replicaHost, replicaPort, id]…] per range
  const shards = new Map<string, Set<string>>()
  let covered = 0
  for (const range of slots) {
    if (!Array.isArray(range) || range.length < 3) continue
    covered += Number(range[1]) - Number(range[0]) + 1
    const [master, ...replicas] = range.slice(2).map((n: unknown) => Array.isArray(n) ? `${String(n[0])}:${String(n[1])}` : '?')
    const set = shards.get(master) ?? new Set<string>()
    for (const r of replicas) set.add(r)
    shards.set(master, set)
  }
  const state = /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown'
  report.slots = { covered, state }
  if (covered < SLOTS || state !== 'ok') {
    report.problems.push({ message: `Redis Cluster serves ${covered} of ${SLOTS} slots (cluster_state: ${state})`, fix: 'assign every slot to a live master (redis-cli --cluster check / fix)' })
  }
  for (const [master, replicas] of shards) await checkMaster(ctx, master, access, [...replicas])
}

async function checkSentinel (ctx: Ctx, t: Extract<RedisTopology, { kind: 'sentinel' }>): Promise<void> {
  const { report, timeoutMs, secrets } = ctx
  const sentinelAccess = accessOptions(t.sentinels[0])
  const masters = new Set<string>()
  for (const url of t.sentinels) {
    const a = accessOf(url, 26379)
    const address = `${a.host}:${a.port}`
    const c = await open(a.host, a.port, sentinelAccess, timeoutMs, secrets)
    if (typeof c === 'string') {
      report.nodes.push({ address, role: 'sentinel', reachable: false, error: c })
      report.problems.push({ message: `Sentinel ${address} does not answer (${c})`, fix: `start the sentinel at ${address} or remove it from state.redis.sentinel.sentinels` })
      continue
    }
    try {
      report.nodes.push({ address, role: 'sentinel', reachable: true })
      const addr = await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', t.name)
      if (!Array.isArray(addr)) {
        report.problems.push({ message: `Sentinel ${address} does not monitor a master named "${t.name}"`, fix: 'check state.redis.sentinel.name (SENTINEL MASTERS lists the names)' })
        continue
      }
      masters.add(`${String(addr[0])}:${String(addr[1])}`)
      try {
        await c.call('SENTINEL', 'CKQUORUM', t.name)
      } catch (err) {
        report.problems.push({ message: `Sentinel ${address}: no failover possible for "${t.name}" (${reason(err, secrets)})`, fix: 'run enough sentinels to reach the quorum and the majority' })
      }
    } catch (err) {
      report.problems.push({ message: `Sentinel ${address} failed a check (${reason(err, secrets)})`, fix: `check the sentinel at ${address}` })
    } finally {
      c.disconnect()
    }
  }
  if (masters.size === 0) {
    if (!report.problems.some((p) => p.message.includes('does not monitor'))) {
      report.problems.push({ message: `State store unreachable: no sentinel of ${report.target} answers`, fix: 'start the sentinels, check state.redis.sentinel.sentinels, or set state.store to memory' })
    }
    return
  }
  if (masters.size > 1) report.problems.push({ message: `Sentinels disagree on the master of "${t.name}": ${[...masters].join(', ')}`, fix: 'wait for the failover to finish; if it persists, check the sentinels\' configuration' })
  const master = [...masters][0]
  report.master = master
  await checkMaster(ctx, master, { ...(t.username !== undefined ? { username: t.username } : {}), ...(t.password !== undefined ? { password: t.password } : {}), ...(t.tls === true ? { tls: {} } : {}) })
}

/** Checks the topology; never throws, never hangs past a few timeouts per node. */
export async function checkTopology (topology: RedisTopology, opts: { timeoutMs?: number } = {}): Promise<TopologyReport> {
  const report: TopologyReport = { kind: topology.kind, target: describeTopology(topology), nodes: [], scripts: ALL_SCRIPTS.length, problems: [] }
  const ctx: Ctx = { timeoutMs: opts.timeoutMs ?? 1000, secrets: topologySecrets(topology), report }
  switch (topology.kind) {
    case 'url': {
      const a = accessOf(topology.url, 6379)
      const address = `${a.host}:${a.port}`
      const c = await open(a.host, a.port, accessOptions(topology.url), ctx.timeoutMs, ctx.secrets)
      if (typeof c === 'string') {
        report.nodes.push({ address, role: 'master', reachable: false, error: c })
        report.problems.push({ message: `State store unreachable: Redis at ${report.target} does not answer (${c})`, fix: `start Redis at ${report.target} or set state.store to memory` })
        break
      }
      c.disconnect()
      await checkMaster(ctx, address, accessOptions(topology.url))
      break
    }
    case 'cluster': await checkCluster(ctx, topology.nodes); break
    case 'sentinel': await checkSentinel(ctx, topology); break
  }
  return report
}
