// Real Redis for tests: the shared one at REDIS_URL (default redis://127.0.0.1:6379) with a
// unique key prefix per test, removed in teardown; or a private redis-server on a free port
// (fault tests kill and restart it). When REDIS_URL is unreachable, one private server is
// started for the test file instead.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import type { RedisTopology } from '../../src/config/types.ts'
import { connectRedis, isCluster, type StateClient } from '../../src/state/redis/connection.ts'
import { globEscape } from '../../src/state/redis/keys.ts'

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

export interface Teardownable { teardown (fn: () => unknown): void }

export function uniquePrefix (): string {
  return `rotor-test-${randomBytes(6).toString('hex')}:`
}

/** A plain client for assertions (not the store's tuned one). */
export function testClient (url: string): Redis {
  return new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null })
}

export async function reachable (url: string): Promise<boolean> {
  const c = testClient(url)
  c.on('error', () => {})
  try {
    await c.connect()
    return (await c.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    c.disconnect()
  }
}

import { freePort } from './ports.ts'

export { freePort }

/** A Redis URL (standalone) or any topology of state.redis. */
export type RedisTarget = string | RedisTopology

/** A connected plain client for assertions: any topology, no retries, no offline queue. */
export async function connectForTest (target: RedisTarget): Promise<StateClient> {
  const c = connectRedis(typeof target === 'string' ? { kind: 'url', url: target } : target, { lazyConnect: true, retryStrategy: () => null, commandTimeoutMs: 2000, connectionName: 'rotor-test' })
  c.on('error', () => {})
  try {
    await c.connect()
  } catch (err) {
    c.disconnect()
    throw err
  }
  return c
}

/**
 * Every non-empty SCAN batch of keys under a prefix. SCAN walks one node: on a Cluster every
 * master is scanned (replicas hold copies of the same keys).
 */
async function * scanPrefix (c: StateClient, prefix: string): AsyncGenerator<string[]> {
  for (const node of isCluster(c) ? c.nodes('master') : [c]) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${globEscape(prefix)}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) yield keys
    } while (cursor !== '0')
  }
}

export async function deleteKeys (target: RedisTarget, prefix: string): Promise<number> {
  const c = await connectForTest(target)
  let n = 0
  try {
    // One DEL per key: on a Cluster the keys of a batch span slots.
    for await (const keys of scanPrefix(c, prefix)) n += (await Promise.all(keys.map((k) => c.del(k)))).reduce((a, b) => a + b, 0)
  } finally {
    c.disconnect()
  }
  return n
}

/** Every key under a prefix with its type and content, for assertions. */
export async function dumpKeys (target: RedisTarget, prefix: string): Promise<Map<string, unknown>> {
  const c = await connectForTest(target)
  const out = new Map<string, unknown>()
  try {
    for await (const keys of scanPrefix(c, prefix)) {
      for (const k of keys) {
        const type = await c.type(k)
        out.set(k, type === 'hash' ? await c.hgetall(k) : type === 'string' ? await c.get(k) : type)
      }
    }
  } finally {
    c.disconnect()
  }
  return out
}

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** kill -9 and wait for the exit. */
  kill (): Promise<void>
  /** Starts it again on the same port (after kill). */
  restart (): Promise<void>
  /** SIGSTOP: connections stay open, commands queue in the socket and run on resume(). */
  pause (): void
  /** SIGCONT after pause(). */
  resume (): void
  stop (): Promise<void>
}

/** `redis-server --port <free> --save '' --appendonly no`, ready when it answers PING. */
export async function startRedisServer (opts: { port?: number, args?: readonly string[], password?: string } = {}): Promise<RedisServer> {
  const port = opts.port ?? await freePort()
  const auth = opts.password === undefined ? '' : `:${encodeURIComponent(opts.password)}@`
  const url = `redis://${auth}127.0.0.1:${port}`
  let child: ChildProcess | undefined

  async function start (): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(opts.password === undefined ? [] : ['--requirepass', opts.password]), ...(opts.args ?? [])]
    const c = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = c
    const out: string[] = []
    c.stdout?.on('data', (b: Buffer) => { out.push(b.toString()) })
    c.stderr?.on('data', (b: Buffer) => { out.push(b.toString()) })
    const exited = new Promise<never>((_resolve, reject) => {
      c.once('error', reject)
      c.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out.join('').slice(-500)}`)))
    })
    exited.catch(() => {})
    const deadline = Date.now() + 10_000
    for (;;) {
      const ready = Promise.race([reachable(url), exited])
      if (await ready) return
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} not ready: ${out.join('').slice(-500)}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  async function kill (): Promise<void> {
    const c = child
    child = undefined
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()))
    c.kill('SIGKILL')
    await gone
  }

  function signal (sig: NodeJS.Signals): void {
    if (child === undefined || !child.kill(sig)) throw new Error(`redis-server on ${port}: ${sig} not delivered`)
  }

  await start()
  const onExit = (): void => { child?.kill('SIGKILL') }
  process.once('exit', onExit)
  return {
    port,
    url,
    kill,
    restart: start,
    pause: () => { signal('SIGSTOP') },
    resume: () => { signal('SIGCONT') },
    async stop () {
      process.off('exit', onExit)
      await kill()
    },
  }
}

let fallback: Promise<RedisServer> | undefined

/** The Redis URL tests share: REDIS_URL if it answers, else a private server for this process. */
export async function sharedRedisUrl (): Promise<string> {
  const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL
  if (await reachable(url)) return url
  fallback ??= startRedisServer()
  return (await fallback).url
}

/** The shared Redis plus a unique prefix whose keys are deleted when `t` ends. */
export async function redisForTest (t: Teardownable): Promise<{ url: string, prefix: string }> {
  const url = await sharedRedisUrl()
  const prefix = uniquePrefix()
  t.teardown(() => deleteKeys(url, prefix))
  return { url, prefix }
}

export interface CuttableProxy {
  readonly port: number
  readonly url: string
  /** Drops every connection and refuses new ones until heal(). */
  cut (): void
  heal (): void
  close (): Promise<void>
}

/** A TCP proxy to a Redis port that the test can cut, to take one client offline while others keep writing. */
export async function startCuttableProxy (target: number, auth = ''): Promise<CuttableProxy> {
  const sockets = new Set<import('node:net').Socket>()
  let open = true
  const { createConnection } = await import('node:net')
  const server = createServer((client) => {
    if (!open) { client.destroy(); return }
    const upstream = createConnection({ host: '127.0.0.1', port: target })
    sockets.add(client)
    sockets.add(upstream)
    const drop = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream) }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    cut () {
      open = false
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    heal () { open = true },
    async close () {
      open = false
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
