// The image's start command, run outside Docker: docker/entrypoint.sh with the Dockerfile's
// CMD, the image's ENV plus compose's environment, the container paths mapped to temp dirs
// and the repo's docker/config. Only the listen address differs (127.0.0.1 and port 0,
// since no container network exists here).
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { spawnSync } from 'node:child_process'
import t from 'tap'
import type { Test } from 'tap'
import { spawnCommand } from '../../bench/lib/child.ts'
import type { ChildHandle } from '../../bench/lib/child.ts'
import { freePort, listeningLine } from '../../bench/lib/targets.ts'
import {
  ROOT, copies, execForm, healthcheckCommand, interpolate, last, obj, parseCompose, parseDockerfile, read,
  serviceEnv, serviceMounts, stageEnv, stages,
} from './deploy-files.ts'

const GATEWAY = join(ROOT, 'src/cli/main.ts')
const REDIS_STORE = join(ROOT, 'src/state/redis-store.ts')
const CLIENT_KEY = 'smoke-client-key-0123456789'
const ADMIN_KEY = 'smoke-admin-key-0123456789'

const runtime = stages(parseDockerfile(read('Dockerfile'))).at(-1)
if (runtime === undefined) throw new Error('Dockerfile has no stage')
const compose = parseCompose(read('compose.yaml'))
const rotor1 = obj(obj(compose.services, 'services')['rotor-1'], 'services.rotor-1')

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

/** The command Docker would run: ENTRYPOINT (the copied docker/entrypoint.sh, via sh) + CMD. */
function containerCommand(): { command: string; args: string[] } {
  const entry = execForm(last(runtime!, 'ENTRYPOINT')?.args ?? '') ?? []
  const cmd = execForm(last(runtime!, 'CMD')?.args ?? '') ?? []
  const script = copies(runtime!).find((c) => c.dest === entry[0] || c.dest.endsWith(`/${entry[0]}`))?.sources[0]
  if (script === undefined) throw new Error(`ENTRYPOINT ${entry[0]} is not a copied file`)
  return { command: 'sh', args: [join(ROOT, script), ...entry.slice(1), ...cmd] }
}

/**
 * The container's environment with its paths mapped to the host: named volumes to temp
 * dirs, bind mounts to their repo paths. `node` on PATH is the Node 24 running the tests,
 * as it is the image's node.
 */
function containerEnv(tmp: string, overrides: Record<string, string>): NodeJS.ProcessEnv {
  const mounts = new Map<string, string>()
  for (const m of serviceMounts(rotor1)) mounts.set(m.target, m.bind ? join(ROOT, m.source) : join(tmp, 'volumes', m.source))
  const mapPath = (v: string): string => {
    for (const [target, host] of mounts) {
      if (v === target || v.startsWith(`${target}/`)) return host + v.slice(target.length)
    }
    return v
  }
  const vars = { ROTOR_CLIENT_KEY: CLIENT_KEY, ROTOR_ADMIN_KEY: ADMIN_KEY }
  const env: NodeJS.ProcessEnv = {
    PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter),
    HOME: join(tmp, 'home'),
  }
  for (const [k, v] of Object.entries(stageEnv(runtime!))) env[k] = mapPath(v)
  for (const [k, v] of Object.entries(serviceEnv(rotor1))) env[k] = mapPath(interpolate(v, vars))
  return { ...env, ROTOR_HOST: '127.0.0.1', ROTOR_PORT: '0', ...overrides }
}

async function startContainerLike(t: Test, overrides: Record<string, string>): Promise<number> {
  const tmp = await mkdtemp(join(tmpdir(), 'rotor-smoke-'))
  const { command, args } = containerCommand()
  const child = spawnCommand({ name: 'rotor (container command)', command, args, cwd: ROOT, env: containerEnv(tmp, overrides) })
  t.teardown(async () => {
    await child.stop()
    await rm(tmp, { recursive: true, force: true })
  })
  return child.waitFor(listeningLine, 20_000)
}

async function probes(t: Test, port: number): Promise<void> {
  const health = await fetch(`http://127.0.0.1:${port}/healthz`)
  await health.arrayBuffer()
  t.equal(health.status, 200, '/healthz answers 200')

  const [bin, ...hcArgs] = healthcheckCommand(last(runtime!, 'HEALTHCHECK')?.args ?? '') ?? []
  t.equal(bin, 'node', 'the HEALTHCHECK runs node')
  const hc = spawnSync(process.execPath, hcArgs, { env: { ...process.env, ROTOR_PORT: String(port) }, timeout: 10_000 })
  t.equal(hc.status, 0, 'the image HEALTHCHECK command passes')

  const anon = await fetch(`http://127.0.0.1:${port}/v1/models`)
  await anon.arrayBuffer()
  t.equal(anon.status, 401, 'the docker config requires a client key')
  const authed = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } })
  await authed.arrayBuffer()
  t.equal(authed.status, 200, 'the client key from the environment is accepted')
}

const noGateway = existsSync(GATEWAY) ? false : 'src/cli/main.ts does not exist yet'
const noRedis = noGateway
  || (existsSync(REDIS_STORE) ? false : 'the gateway has no redis store yet (src/state/redis-store.ts)')
  || (hasRedisServer() ? false : 'redis-server is not on PATH')

t.test('the container command serves /healthz with the docker config (memory store)', { skip: noGateway }, async (t) => {
  const port = await startContainerLike(t, { ROTOR_STATE: 'memory' })
  await probes(t, port)
})

t.test('the container command serves /healthz with the compose environment (redis store)', { skip: noRedis }, async (t) => {
  const redisPort = await freePort()
  const redis: ChildHandle = spawnCommand({
    name: 'redis-server', command: 'redis-server',
    args: ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  })
  t.teardown(() => redis.stop())
  await redis.waitFor((l) => (l.includes('Ready to accept connections') ? true : undefined), 10_000)
  t.equal(serviceEnv(rotor1).ROTOR_STATE, 'redis', 'compose runs the redis store')
  const port = await startContainerLike(t, { REDIS_URL: `redis://127.0.0.1:${redisPort}` })
  await probes(t, port)
})
