// Real Redis topologies for tests and the bench, from Debian's redis-server and redis-cli (no
// containers): a Cluster of 3 masters with a replica each, and a Sentinel group (a master, a
// replica, 3 sentinels). Every node listens on 127.0.0.1 on free ports and runs with an ACL
// user (the default user is off), so ACL is exercised too. Nothing persists; a topology's
// files live in one temp dir, removed with it. Every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { freePort } from './ports.ts'

const run = promisify(execFile)

export const ACL_USER = 'rotor'
export const ACL_PASSWORD = 'topology-s3cret-pw'
const ACL = ['--user', 'default', 'off', '--user', ACL_USER, 'on', `>${ACL_PASSWORD}`, '~*', '&*', '+@all',
  '--masteruser', ACL_USER, '--masterauth', ACL_PASSWORD,
  // A master otherwise waits 5 s for more replicas before it starts a (diskless) sync.
  '--repl-diskless-sync-delay', '0']
/** Bound of each startup step; generous, as the machine may be busy with other tests. */
const START_MS = 45_000

/** redis-server and redis-cli are on PATH. */
export async function redisToolsPresent (): Promise<boolean> {
  try {
    await run('redis-server', ['--version'])
    await run('redis-cli', ['--version'])
    return true
  } catch {
    return false
  }
}

/** Ports that speak TLS only, with the CA that signed their certificate. */
const tlsCa = new Map<number, Buffer>()

/** A client for assertions and fault injection: no retries, no offline queue; TLS where the node wants it. */
export function nodeClient (port: number, auth = true): Redis {
  const ca = tlsCa.get(port)
  const c = new Redis({
    host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 1000, commandTimeout: 2000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null,
    ...(auth ? { username: ACL_USER, password: ACL_PASSWORD } : {}),
    ...(ca !== undefined ? { tls: { ca } } : {}),
  })
  c.on('error', () => {})
  return c
}

/** One command on one node; undefined when it does not answer. */
export async function ask (port: number, auth: boolean, ...args: string[]): Promise<unknown> {
  const c = nodeClient(port, auth)
  try {
    await c.connect()
    return await c.call(args[0], ...args.slice(1))
  } catch {
    return undefined
  } finally {
    c.disconnect()
  }
}

async function until (cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

interface Proc { readonly port: number, readonly child: ChildProcess, readonly output: string[] }

function startProc (args: readonly string[], port: number): Proc {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const output: string[] = []
  const keep = (b: Buffer): void => { output.push(b.toString()); if (output.length > 50) output.shift() }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  child.on('error', () => {})
  return { port, child, output }
}

async function killProc (p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  const gone = new Promise<void>((resolve) => p.child.once('exit', () => resolve()))
  p.child.kill('SIGKILL')
  await gone
}

/** A group of redis-server processes in one temp dir, killed together (also on process exit). */
class Group {
  readonly dir = mkdtempSync(join(tmpdir(), 'rotor-topology-'))
  readonly procs: Proc[] = []
  private readonly onExit = (): void => { for (const p of this.procs) p.child.kill('SIGKILL') }
  constructor () { process.once('exit', this.onExit) }
  add (args: readonly string[], port: number): Proc {
    const p = startProc(args, port)
    this.procs.push(p)
    return p
  }

  async answering (p: Proc, auth = true): Promise<void> {
    await until(async () => {
      if (p.child.exitCode !== null) throw new Error(`redis-server on ${p.port} exited: ${p.output.join('').slice(-500)}`)
      return (await ask(p.port, auth, 'PING')) === 'PONG'
    }, START_MS, `redis-server on ${p.port} answers`)
  }

  /** A self-signed certificate for 127.0.0.1 (its own CA), and redis-server's TLS arguments for it. */
  async tls (): Promise<{ caFile: string, args: string[] }> {
    const cert = join(this.dir, 'tls-cert.pem')
    const key = join(this.dir, 'tls-key.pem')
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { timeout: START_MS })
    this.caFile = cert
    return { caFile: cert, args: ['--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no'] }
  }

  caFile: string | undefined
  private readonly tlsPorts: number[] = []
  /** `port` speaks TLS only (nodeClient then connects with the CA). */
  tlsOnly (port: number): void {
    if (this.caFile === undefined) throw new Error('no certificate yet')
    tlsCa.set(port, readFileSync(this.caFile))
    this.tlsPorts.push(port)
  }

  async stop (): Promise<void> {
    for (const port of this.tlsPorts) tlsCa.delete(port)
    process.off('exit', this.onExit)
    await Promise.all(this.procs.map(killProc))
    rmSync(this.dir, { recursive: true, force: true })
  }
}

const auth = `${ACL_USER}:${ACL_PASSWORD}@`

export interface ClusterNodeProc { readonly port: number, kill (): Promise<void> }

export interface RedisClusterUnderTest {
  readonly kind: 'cluster'
  /** `state.redis` of a rotor config (prefix aside). */
  readonly redisConfig: { cluster: { nodes: string[] } }
  readonly nodes: readonly ClusterNodeProc[]
  /** With `tls`: the CA file a client needs (NODE_EXTRA_CA_CERTS for a gateway process). */
  readonly caFile?: string
  /** The port of the master serving `key` now. */
  masterOf (key: string): Promise<number>
  /** SIGKILLs the master serving `key`; resolves when a replica serves its slot (or rejects after `ms`). */
  failover (key: string, ms?: number): Promise<{ killed: number, promoted: number, killedAt: number, servedAt: number }>
  stop (): Promise<void>
}

/** CLUSTER SLOTS of any answering node: [start, end, masterPort]. */
async function slotMap (ports: readonly number[]): Promise<Array<[number, number, number]>> {
  for (const port of ports) {
    const r = await ask(port, true, 'CLUSTER', 'SLOTS')
    if (Array.isArray(r)) return r.map((x) => { const a = x as unknown[]; return [Number(a[0]), Number(a[1]), Number((a[2] as unknown[])[1])] })
  }
  return []
}

/**
 * `start` again (fresh ports) when a node lost its port to another process between freePort()
 * and redis-server's bind — tests run side by side — at most 3 times.
 */
async function withFreshPorts<T> (start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start()
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('Address already in use')) throw err
    }
  }
}

interface ClusterOptions {
  masters?: number
  replicas?: number
  /** TLS only: clients, the cluster bus and replication (self-signed certificate, `caFile`). */
  tls?: boolean
}

export function startRedisCluster (opts: ClusterOptions = {}): Promise<RedisClusterUnderTest> {
  return withFreshPorts(() => startClusterOnce(opts))
}

async function startClusterOnce (opts: ClusterOptions): Promise<RedisClusterUnderTest> {
  const masters = opts.masters ?? 3
  const replicas = opts.replicas ?? 1
  const g = new Group()
  try {
    const count = masters * (1 + replicas)
    const ports: number[] = []
    // The cluster bus gets its own free port (port + 10000 may be taken or past 65535).
    for (let i = 0; i < count * 2; i++) ports.push(await freePort())
    const tls = opts.tls === true ? await g.tls() : undefined
    const listen = (port: number): string[] => tls === undefined
      ? ['--port', String(port)]
      : ['--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes', '--tls-replication', 'yes', ...tls.args]
    const procs = Array.from({ length: count }, (_, i) => {
      if (tls !== undefined) g.tlsOnly(ports[i])
      return g.add([
        ...listen(ports[i]), '--cluster-port', String(ports[count + i]), '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes', '--cluster-config-file', join(g.dir, `nodes-${ports[i]}.conf`),
        '--cluster-node-timeout', '1000', '--cluster-replica-validity-factor', '0',
        '--save', '', '--appendonly', 'no', '--dir', g.dir, ...ACL,
      ], ports[i])
    })
    await Promise.all(procs.map((p) => g.answering(p)))
    await run('redis-cli', [...(tls !== undefined ? ['--tls', '--cacert', tls.caFile] : []), '--user', ACL_USER, '--pass', ACL_PASSWORD, '--no-auth-warning', '--cluster', 'create',
      ...procs.map((p) => `127.0.0.1:${p.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: START_MS })
    const dataPorts = procs.map((p) => p.port)
    await until(async () => {
      for (const port of dataPorts) {
        const info = String(await ask(port, true, 'CLUSTER', 'INFO') ?? '')
        if (!info.includes('cluster_state:ok') || !info.includes(`cluster_known_nodes:${count}`)) return false
        const repl = String(await ask(port, true, 'INFO', 'replication') ?? '')
        if (repl.includes('role:slave') && !repl.includes('master_link_status:up')) return false
      }
      return true
    }, START_MS, 'the cluster is ok on every node and every replica is in sync')

    const live = (): number[] => procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null).map((p) => p.port)
    async function masterOf (key: string): Promise<number> {
      const slot = Number(await ask(live()[0], true, 'CLUSTER', 'KEYSLOT', key))
      const range = (await slotMap(live())).find(([a, b]) => slot >= a && slot <= b)
      if (range === undefined) throw new Error(`no master serves slot ${slot}`)
      return range[2]
    }
    return {
      kind: 'cluster',
      redisConfig: { cluster: { nodes: dataPorts.slice(0, 2).map((p) => `${tls !== undefined ? 'rediss' : 'redis'}://${auth}127.0.0.1:${p}`) } },
      ...(tls !== undefined ? { caFile: tls.caFile } : {}),
      nodes: procs.map((p) => ({ port: p.port, kill: () => killProc(p) })),
      masterOf,
      async failover (key, ms = 20_000) {
        const killed = await masterOf(key)
        const proc = procs.find((p) => p.port === killed)
        if (proc === undefined) throw new Error(`no process on ${killed}`)
        await killProc(proc)
        const killedAt = Date.now()
        let promoted = 0
        await until(async () => {
          const m = await masterOf(key).catch(() => killed)
          if (m === killed) return false
          const info = String(await ask(m, true, 'CLUSTER', 'INFO') ?? '')
          promoted = m
          return info.includes('cluster_state:ok')
        }, ms, `a replica of ${killed} is promoted`)
        return { killed, promoted, killedAt, servedAt: Date.now() }
      },
      stop: () => g.stop(),
    }
  } catch (err) {
    await g.stop()
    throw err
  }
}

export interface RedisSentinelUnderTest {
  readonly kind: 'sentinel'
  readonly name: string
  readonly redisConfig: { sentinel: { sentinels: string[], name: string, username: string, password: string } }
  /** Port of the master the sentinels name now. */
  master (): Promise<number>
  /** SIGKILLs the master; resolves once the sentinels name the replica and it accepts writes. */
  failover (ms?: number): Promise<{ killed: number, promoted: number, killedAt: number, servedAt: number }>
  stop (): Promise<void>
}

/**
 * `failover`: also wait until every sentinel knows the replica and the other sentinels (hello
 * messages, every 2 s), which a failover needs and plain use does not.
 */
export function startRedisSentinel (opts: { name?: string, failover?: boolean } = {}): Promise<RedisSentinelUnderTest> {
  return withFreshPorts(() => startSentinelOnce(opts))
}

async function startSentinelOnce (opts: { name?: string, failover?: boolean }): Promise<RedisSentinelUnderTest> {
  const name = opts.name ?? 'rotor-test'
  const g = new Group()
  try {
    const [mp, rp, ...sp] = await Promise.all(Array.from({ length: 5 }, () => freePort()))
    const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', g.dir, ...ACL]
    const master = g.add(['--port', String(mp), ...common], mp)
    await g.answering(master)
    const replica = g.add(['--port', String(rp), '--replicaof', '127.0.0.1', String(mp), ...common], rp)
    await g.answering(replica)
    await until(async () => String(await ask(rp, true, 'INFO', 'replication') ?? '').includes('master_link_status:up'), START_MS, 'the replica is in sync')
    const sentinels = sp.map((port) => {
      const conf = join(g.dir, `sentinel-${port}.conf`)
      writeFileSync(conf, [
        `port ${port}`, 'bind 127.0.0.1', `dir ${g.dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${mp} 2`,
        `sentinel auth-user ${name} ${ACL_USER}`, `sentinel auth-pass ${name} ${ACL_PASSWORD}`,
        `sentinel down-after-milliseconds ${name} 1000`, `sentinel failover-timeout ${name} 5000`, `sentinel parallel-syncs ${name} 1`, '',
      ].join('\n'))
      return g.add([conf, '--sentinel'], port)
    })
    await Promise.all(sentinels.map((s) => g.answering(s, false)))
    await until(async () => Array.isArray(await ask(sentinels[0].port, false, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)), START_MS, 'the sentinels name the master')
    // Sentinels find the replica and each other through hello messages (every 2 s).
    const discovered = (): Promise<void> => until(async () => {
      for (const s of sentinels) {
        const reps = await ask(s.port, false, 'SENTINEL', 'REPLICAS', name)
        const peers = await ask(s.port, false, 'SENTINEL', 'SENTINELS', name)
        if (!Array.isArray(reps) || reps.length < 1 || !Array.isArray(peers) || peers.length < sentinels.length - 1) return false
      }
      return true
    }, START_MS, 'every sentinel knows the replica and the other sentinels')
    if (opts.failover === true) await discovered()

    const masterPort = async (): Promise<number> => {
      const counts = new Map<number, number>()
      for (const s of sentinels) {
        const addr = await ask(s.port, false, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)
        if (Array.isArray(addr)) counts.set(Number(addr[1]), (counts.get(Number(addr[1])) ?? 0) + 1)
      }
      const [best] = [...counts].sort((a, b) => b[1] - a[1])
      if (best === undefined) throw new Error('no sentinel names a master')
      return best[0]
    }
    const byPort = new Map([[mp, master], [rp, replica]])
    return {
      kind: 'sentinel',
      name,
      redisConfig: { sentinel: { sentinels: sp.map((p) => `redis://127.0.0.1:${p}`), name, username: ACL_USER, password: ACL_PASSWORD } },
      master: masterPort,
      async failover (ms = 30_000) {
        await discovered()
        const killed = await masterPort()
        const proc = byPort.get(killed)
        if (proc === undefined) throw new Error(`no process on ${killed}`)
        await killProc(proc)
        const killedAt = Date.now()
        let promoted = 0
        await until(async () => {
          const m = await masterPort().catch(() => killed)
          if (m === killed) return false
          promoted = m
          const role = await ask(m, true, 'ROLE')
          return Array.isArray(role) && role[0] === 'master'
        }, ms, `a sentinel-promoted replica of ${killed}`)
        return { killed, promoted, killedAt, servedAt: Date.now() }
      },
      stop: () => g.stop(),
    }
  } catch (err) {
    await g.stop()
    throw err
  }
}

/** One TLS-only redis-server (ACL user as above): `url` is rediss://, `caFile` verifies it. */
export async function startRedisTls (): Promise<{ url: string, caFile: string, stop (): Promise<void> }> {
  return await withFreshPorts(async () => {
    const g = new Group()
    try {
      const port = await freePort()
      const tls = await g.tls()
      g.tlsOnly(port)
      const p = g.add(['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', g.dir, ...tls.args, ...ACL], port)
      await g.answering(p)
      return { url: `rediss://${auth}127.0.0.1:${port}`, caFile: tls.caFile, stop: () => g.stop() }
    } catch (err) {
      await g.stop()
      throw err
    }
  })
}
