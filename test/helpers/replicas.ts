// Gateway replicas as child processes (`node src/cli/main.ts serve --port 0`), each with its
// own ROTOR_HOME, sharing one Redis (a standalone URL, or any topology: topologies.ts). The
// bound port comes from the "rotor listening" line.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts')
const START_TIMEOUT_MS = 20_000

export interface Replica {
  readonly index: number
  readonly port: number
  readonly url: string
  readonly home: string
  /** stdout and stderr lines so far. */
  readonly lines: string[]
  chat (body?: unknown, headers?: Record<string, string>): Promise<Response>
  readyz (): Promise<{ status: string }>
  /** Lines whose JSON `msg` equals msg. */
  logged (msg: string): number
  stop (): Promise<void>
}

export interface ReplicaOptions {
  readonly config: unknown
  readonly authProfiles: unknown
  /** A standalone Redis (REDIS_URL), or `redis`. */
  readonly redisUrl?: string
  /** Any topology: its `state.redis` keys go into the config, its env into the environment. */
  readonly redis?: { readonly redisConfig: Record<string, unknown>, readonly env: Record<string, string> }
  readonly env?: Record<string, string>
}

export interface Teardownable { teardown (fn: () => unknown): void }

export const CHAT_BODY = { model: 'fake/m1', messages: [{ role: 'user', content: 'hi' }] }

/** `config` with the topology's keys merged into state.redis (the prefix stays). */
function withRedis (config: unknown, redisConfig: Record<string, unknown> | undefined): unknown {
  if (redisConfig === undefined || typeof config !== 'object' || config === null) return config
  const c = config as { state?: { redis?: Record<string, unknown> } }
  return { ...c, state: { store: 'redis', ...c.state, redis: { ...c.state?.redis, ...redisConfig } } }
}

function startOne (index: number, opts: ReplicaOptions): Promise<Replica> {
  const home = mkdtempSync(join(tmpdir(), `rotor-replica-${index}-`))
  writeFileSync(join(home, 'rotor.json'), JSON.stringify(withRedis(opts.config, opts.redis?.redisConfig), null, 2))
  const agentDir = join(home, 'agents', 'default', 'agent')
  mkdirSync(agentDir, { recursive: true })
  writeFileSync(join(agentDir, 'auth-profiles.json'), JSON.stringify(opts.authProfiles, null, 2), { mode: 0o600 })
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: home, ROTOR_HOME: home, ROTOR_STATE: 'redis',
    ...(opts.redisUrl !== undefined ? { REDIS_URL: opts.redisUrl } : {}), ...opts.redis?.env, ...opts.env,
  }
  const child: ChildProcess = spawn(process.execPath, [MAIN, 'serve', '--host', '127.0.0.1', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let watch: ((line: string) => void) | undefined
  const onLine = (l: string): void => { lines.push(l); watch?.(l) }
  if (child.stdout !== null) createInterface({ input: child.stdout }).on('line', onLine)
  if (child.stderr !== null) createInterface({ input: child.stderr }).on('line', onLine)

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await gone
      clearTimeout(timer)
    }
    rmSync(home, { recursive: true, force: true })
  }

  return new Promise<Replica>((resolve, reject) => {
    const timer = setTimeout(() => { void stop(); reject(new Error(`replica ${index} did not start:\n${lines.join('\n')}`)) }, START_TIMEOUT_MS)
    const onExit = (code: number | null): void => {
      clearTimeout(timer)
      reject(new Error(`replica ${index} exited with ${code}:\n${lines.join('\n')}`))
    }
    child.once('exit', onExit)
    watch = (line: string): void => {
      let j: { msg?: unknown, port?: unknown }
      try { j = JSON.parse(line) as typeof j } catch { return }
      if (j.msg !== 'rotor listening' || typeof j.port !== 'number') return
      clearTimeout(timer)
      child.off('exit', onExit)
      watch = undefined
      const port = j.port
      const url = `http://127.0.0.1:${port}`
      resolve({
        index, port, url, home, lines, stop,
        chat: (body = CHAT_BODY, headers = {}) => fetch(`${url}/v1/chat/completions`, {
          method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
        }),
        readyz: async () => await (await fetch(`${url}/readyz`)).json() as { status: string },
        logged: (msg) => lines.filter((l) => { try { return (JSON.parse(l) as { msg?: unknown }).msg === msg } catch { return false } }).length,
      })
    }
    for (const l of lines) watch?.(l)
  })
}

/** Starts n replicas in parallel; they are stopped (and their homes removed) when `t` ends. */
export async function startReplicas (t: Teardownable, n: number, opts: ReplicaOptions): Promise<Replica[]> {
  const started = await Promise.allSettled(Array.from({ length: n }, (_, i) => startOne(i + 1, opts)))
  const ok = started.flatMap((r) => r.status === 'fulfilled' ? [r.value] : [])
  t.teardown(() => Promise.all(ok.map((r) => r.stop())))
  const failed = started.find((r) => r.status === 'rejected')
  if (failed !== undefined) throw failed.reason
  return ok
}

/** A provider `fake` (model m1) at baseUrl, the given profiles in a fixed round-robin order. */
export function clusterConfig (baseUrl: string, prefix: string, profiles: readonly string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    logging: { level: 'info' },
    state: { store: 'redis', redis: { prefix } },
    models: { mode: 'replace', providers: { fake: { baseUrl, api: 'openai-completions', models: [{ id: 'm1' }] } } },
    agents: { defaults: { model: { primary: 'fake/m1' } } },
    auth: { strategy: 'round-robin', order: { fake: [...profiles] } },
    ...extra,
  }
}

/** auth-profiles.json with one api key per profile: `fake:a` → `sk-fake-key-a-000000`. */
export function clusterProfiles (ids: readonly string[]): { file: unknown, keyOf: (id: string) => string, idOfKey: (auth: string | undefined) => string | undefined } {
  const keyOf = (id: string): string => `sk-fake-key-${id.split(':')[1]}-000000`
  const byKey = new Map(ids.map((id) => [`Bearer ${keyOf(id)}`, id]))
  return {
    file: { version: 1, profiles: Object.fromEntries(ids.map((id) => [id, { type: 'api_key', provider: 'fake', key: keyOf(id) }])) },
    keyOf,
    idOfKey: (auth) => auth === undefined ? undefined : byKey.get(auth),
  }
}
