// Starting the three kinds of server process the bench talks to.
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { portLine, spawnNode } from './child.ts'
import type { ChildHandle } from './child.ts'

export interface Started {
  child: ChildHandle
  port: number
}

const READY_MS = 20_000

export async function startFakeUpstreamChild(root: string): Promise<Started> {
  const child = spawnNode({ name: 'fake upstream', args: [join(root, 'bench/fake-upstream.ts')], cwd: root })
  const port = await child.waitFor(portLine, READY_MS)
  return { child, port }
}

export async function startBareProxyChild(root: string, upstreamPort: number): Promise<Started> {
  const child = spawnNode({
    name: 'bare proxy',
    args: [join(root, 'bench/bare-proxy.ts'), '--upstream', `http://127.0.0.1:${upstreamPort}`],
    cwd: root,
  })
  const port = await child.waitFor(portLine, READY_MS)
  return { child, port }
}

export function gatewayEntry(root: string): string | undefined {
  const p = join(root, 'src/cli/main.ts')
  return existsSync(p) ? p : undefined
}

/** A free loopback port (closed again before use; the race is acceptable for a bench). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/** Picks the port from rotor's pino line `{"msg":"rotor listening","port":N}`. */
export function listeningLine(line: string): number | undefined {
  if (!line.includes('rotor listening')) return undefined
  try {
    const v: unknown = JSON.parse(line)
    if (typeof v === 'object' && v !== null && (v as { msg?: unknown }).msg === 'rotor listening') {
      const port = (v as { port?: unknown }).port
      return typeof port === 'number' && port > 0 ? port : undefined
    }
  } catch { /* not pino JSON */ }
  return undefined
}

/** Polls /healthz until it answers 200 or `signal` aborts. */
async function healthy(port: number, signal: AbortSignal): Promise<number> {
  while (!signal.aborted) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.any([signal, AbortSignal.timeout(1000)]) })
      await res.arrayBuffer()
      if (res.status === 200) return port
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('aborted')
}

export interface RotorStartOptions {
  root: string
  home: string
  config: Record<string, unknown>
  /** The default agent's auth-profiles.json, when families need stored credentials. */
  authProfiles?: unknown
  state: 'memory' | 'redis'
  redisUrl?: string
  /** Extra environment for rotor (the families' own, e.g. AWS keys). */
  env?: Record<string, string>
}

/**
 * Starts `node src/cli/main.ts serve` in a temp ROTOR_HOME. The port is chosen here and
 * passed with --port, so readiness works whether or not the log level shows the
 * "rotor listening" line; that line's port wins when it appears.
 */
export async function startRotorChild(opts: RotorStartOptions): Promise<Started> {
  const entry = gatewayEntry(opts.root)
  if (entry === undefined) throw new Error('src/cli/main.ts does not exist yet')
  await mkdir(opts.home, { recursive: true })
  const configPath = join(opts.home, 'rotor.json')
  await writeFile(configPath, `${JSON.stringify(opts.config, null, 2)}\n`)
  if (opts.authProfiles !== undefined) {
    const agentDir = join(opts.home, 'agents', 'default', 'agent')
    await mkdir(agentDir, { recursive: true })
    await writeFile(join(agentDir, 'auth-profiles.json'), JSON.stringify(opts.authProfiles), { mode: 0o600 })
  }
  const port = await freePort()
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    // HOME isolated so implicit providers (~/.codex, ~/.claude, ~/.aws …) stay out of the run.
    HOME: opts.home,
    ROTOR_HOME: opts.home,
    ROTOR_STATE: opts.state,
    ...(opts.redisUrl !== undefined ? { REDIS_URL: opts.redisUrl } : {}),
    ...opts.env,
  }
  const child = spawnNode({
    name: `rotor (${opts.state})`,
    args: [entry, 'serve', '--config', configPath, '--host', '127.0.0.1', '--port', String(port)],
    cwd: opts.root,
    env,
  })
  const stopPolling = new AbortController()
  try {
    const bound = await Promise.race([
      child.waitFor(listeningLine, READY_MS),
      healthy(port, stopPolling.signal),
    ])
    return { child, port: bound }
  } catch (err) {
    await child.stop()
    throw err
  } finally {
    stopPolling.abort()
  }
}

function redisClient(url: string): Redis {
  return new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
}

export async function redisReachable(url: string): Promise<boolean> {
  const r = redisClient(url)
  r.on('error', () => { /* reported through the result */ })
  try {
    await r.connect()
    return (await r.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    r.disconnect()
  }
}

/** Removes the keys a redis row left under its own prefix (best effort, bounded by SCAN). */
export async function dropRedisPrefix(url: string, prefix: string): Promise<number> {
  const r = redisClient(url)
  r.on('error', () => { /* best effort */ })
  let removed = 0
  try {
    await r.connect()
    let cursor = '0'
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      if (keys.length > 0) removed += await r.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } catch { /* best effort */ } finally {
    r.disconnect()
  }
  return removed
}
