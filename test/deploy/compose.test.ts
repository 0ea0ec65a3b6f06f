// The container deployment, checked without a Docker engine: compose.yaml, the Dockerfile,
// .dockerignore and the nginx config agree with each other and with the repository.
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import {
  ROOT, copies, dockerignoreKeeps, dockerignorePatterns, execForm, healthcheckCommand, interpolate, isObj, last,
  nginxDirective, nginxLocation, nginxSeconds, nginxUpstreams, obj, parseCompose, parseDockerfile, read, serviceEnv, serviceMounts,
  stageEnv, stages, strings,
} from './deploy-files.ts'
import type { Obj } from './deploy-files.ts'

const compose = parseCompose(read('compose.yaml'))
const services = obj(compose.services, 'services')
const rotorNames = Object.keys(services).filter((n) => /^rotor-\d+$/.test(n)).sort()
const dockerfile = parseDockerfile(read('Dockerfile'))
const allStages = stages(dockerfile)
const runtime = allStages[allStages.length - 1]
const START = ['node', 'src/cli/main.ts', 'serve']

function service(name: string): Obj {
  return obj(services[name], `services.${name}`)
}

function dependsOn(s: Obj): Record<string, string> {
  const d = s.depends_on
  if (Array.isArray(d)) return Object.fromEntries(strings(d, 'depends_on').map((n) => [n, 'service_started']))
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(isObj(d) ? d : {})) out[k] = isObj(v) && typeof v.condition === 'string' ? v.condition : 'service_started'
  return out
}

t.test('compose runs three rotor replicas on shared Redis state', async (t) => {
  t.same(rotorNames, ['rotor-1', 'rotor-2', 'rotor-3'])
  t.ok(isObj(services.redis), 'a redis service exists')
  for (const name of rotorNames) {
    const env = serviceEnv(service(name))
    t.equal(env.ROTOR_STATE, 'redis', `${name} uses the redis store`)
    const url = new URL(env.REDIS_URL ?? '')
    t.equal(url.protocol, 'redis:', `${name} REDIS_URL is a redis URL`)
    t.equal(url.hostname, 'redis', `${name} REDIS_URL points at the redis service`)
    t.equal(url.port === '' ? '6379' : url.port, '6379', `${name} REDIS_URL uses redis's port`)
    t.equal(env.ROTOR_HOST, '0.0.0.0', `${name} listens on every interface of its container`)
    t.equal(dependsOn(service(name)).redis, 'service_healthy', `${name} waits for a healthy redis`)
  }
})

t.test('redis has a healthcheck', async (t) => {
  const hc = obj(service('redis').healthcheck, 'redis.healthcheck')
  const test = strings(hc.test, 'redis.healthcheck.test')
  t.ok(test.includes('redis-cli') && test.includes('ping'), 'the healthcheck pings redis')
})

t.test('every replica mounts the same credentials volume and the config read-only', async (t) => {
  const volumes = obj(compose.volumes, 'volumes')
  const homes = new Set<string>()
  for (const name of rotorNames) {
    const env = serviceEnv(service(name))
    const mounts = serviceMounts(service(name))
    const home = mounts.find((m) => m.target === env.ROTOR_HOME)
    t.ok(home && !home.bind, `${name} has a named volume at ROTOR_HOME (${env.ROTOR_HOME})`)
    if (home) homes.add(home.source)
    const configPath = env.ROTOR_CONFIG ?? ''
    const config = mounts.find((m) => configPath.startsWith(`${m.target}/`) || configPath === m.target)
    t.ok(config?.bind && config.readOnly, `${name} mounts its config (${configPath}) read-only from the repository`)
  }
  t.equal(homes.size, 1, 'all replicas share one credentials volume')
  for (const h of homes) t.ok(h in volumes, `volume ${h} is declared`)
})

t.test('a load balancer fronts the replicas', async (t) => {
  const lb = service('lb')
  t.match(String(lb.image), /^nginx:/, 'the load balancer is nginx')
  const deps = dependsOn(lb)
  for (const name of rotorNames) t.equal(deps[name], 'service_healthy', `lb waits for a healthy ${name}`)
  const ports = strings(lb.ports, 'lb.ports').map((p) => interpolate(p, {}))
  t.ok(ports.some((p) => p.endsWith(':8808')), 'the load balancer publishes port 8808')
  const conf = serviceMounts(lb).find((m) => m.target === '/etc/nginx/nginx.conf')
  t.equal(conf?.source, './docker/nginx.conf', 'nginx runs docker/nginx.conf')
})

t.test('every file compose.yaml references exists', async (t) => {
  const checked: string[] = []
  for (const [name, raw] of Object.entries(services)) {
    const s = obj(raw, `services.${name}`)
    if (s.build !== undefined) {
      const build = typeof s.build === 'string' ? { context: s.build } : obj(s.build, `${name}.build`)
      const context = join(ROOT, String(build.context ?? '.'))
      t.ok(existsSync(context) && statSync(context).isDirectory(), `${name} build context exists`)
      const file = join(context, String(build.dockerfile ?? 'Dockerfile'))
      t.ok(existsSync(file), `${name} Dockerfile exists`)
    }
    for (const m of serviceMounts(s)) {
      if (!m.bind) continue
      t.ok(existsSync(join(ROOT, m.source)), `${name} mount source ${m.source} exists`)
      checked.push(m.source)
    }
    const envFiles = Array.isArray(s.env_file) ? s.env_file : s.env_file === undefined ? [] : [s.env_file]
    for (const f of envFiles) {
      const entry = typeof f === 'string' ? { path: f, required: true } : obj(f, 'env_file')
      if (entry.required === false) continue
      // .env holds the keys, so it is not in the repository: README has it copied from the example.
      const path = entry.path === '.env' ? 'docker/.env.example' : String(entry.path)
      t.ok(existsSync(join(ROOT, path)), `${name} env_file ${String(entry.path)}: ${path} exists`)
    }
  }
  t.ok(checked.includes('./docker/nginx.conf') && checked.includes('./docker/config'), 'the docker/ files are among them')
  t.ok(existsSync(join(ROOT, 'docker/config/rotor.json5')), 'the mounted config dir holds rotor.json5')
  t.ok(existsSync(join(ROOT, 'docker/.env.example')), 'docker/.env.example documents the .env file')
})

t.test('compose refuses to start without the client and admin keys', async (t) => {
  const env = serviceEnv(service('rotor-1'))
  t.throws(() => interpolate(env.ROTOR_CLIENT_KEY ?? '', {}), /ROTOR_CLIENT_KEY/)
  t.throws(() => interpolate(env.ROTOR_ADMIN_KEY ?? '', {}), /ROTOR_ADMIN_KEY/)
  t.equal(interpolate(env.ROTOR_CLIENT_KEY ?? '', { ROTOR_CLIENT_KEY: 'k-1234567890' }), 'k-1234567890')
  const config = read('docker/config/rotor.json5')
  t.match(config, /key:\s*"\$\{ROTOR_CLIENT_KEY\}"/, 'the config takes the client key from the environment')
  t.match(config, /adminKey:\s*"\$\{ROTOR_ADMIN_KEY\}"/, 'the config takes the admin key from the environment')
})

t.test('the Dockerfile builds on Node 24 in stages and runs as a non-root user', async (t) => {
  t.ok(allStages.length >= 2, 'multi-stage')
  for (const s of allStages) t.match(s.from, /^node:24(\b|-|$)/, `stage ${s.name ?? ''} is FROM ${s.from}`)
  const user = last(runtime, 'USER')
  t.ok(user, 'the runtime stage sets USER')
  t.notOk(['root', '0', '0:0', 'root:root'].includes(user?.args ?? 'root'), `USER ${user?.args} is not root`)
  const install = runtime.instructions.concat(allStages.flatMap((s) => s.instructions)).filter((i) => i.keyword === 'RUN' && /npm (ci|install)/.test(i.args))
  t.ok(install.length > 0 && install.every((i) => /--omit=dev/.test(i.args)), 'dependencies are installed with --omit=dev')
})

t.test('the image starts the gateway like npm start and checks /healthz', async (t) => {
  const cmd = last(runtime, 'CMD')
  t.same(cmd && execForm(cmd.args), START, 'CMD is the start command')
  const pkg: unknown = JSON.parse(read('package.json'))
  const scripts = isObj(pkg) && isObj(pkg.scripts) ? pkg.scripts : {}
  t.equal(scripts.start, START.join(' '), 'npm start runs the same command')
  const hc = last(runtime, 'HEALTHCHECK')
  t.ok(hc, 'HEALTHCHECK is present')
  const probe = healthcheckCommand(hc?.args ?? '')
  t.equal(probe?.[0], 'node', 'the healthcheck uses node (no curl in slim images)')
  t.match(probe?.join(' ') ?? '', /\/healthz/, 'the healthcheck asks /healthz')
  const env = stageEnv(runtime)
  t.equal(env.ROTOR_HOST, '0.0.0.0', 'the image listens on every interface')
})

t.test('the image declares no VOLUME but prepares /data and /config for a named volume', async (t) => {
  t.strictSame(allStages.flatMap((s) => s.instructions).filter((i) => i.keyword === 'VOLUME'), [], 'no VOLUME: no anonymous volume is left behind by a run without -v')
  const env = stageEnv(runtime)
  const user = last(runtime, 'USER')?.args
  const prepare = runtime.instructions.find((i) => i.keyword === 'RUN' && /mkdir/.test(i.args) && /chown/.test(i.args))
  for (const dir of [env.ROTOR_HOME, env.ROTOR_CONFIG_DIR]) {
    t.match(prepare?.args ?? '', new RegExp(`mkdir -p[^&]*\\s${dir}(\\s|$)`), `${dir} is created`)
    t.match(prepare?.args ?? '', new RegExp(`chown ${user}:${user}[^&]*\\s${dir}(\\s|$)`), `${dir} belongs to ${user}, so a fresh named volume there is writable`)
  }
})

t.test('the Dockerfile needs no BuildKit frontend image', async (t) => {
  t.notMatch(read('Dockerfile'), /^#\s*syntax\s*=/im, 'no # syntax= line (it makes BuildKit fetch a frontend image)')
})

t.test('compose.yaml is also read by docker-compose 1.29 and podman-compose 1.0.3', async (t) => {
  // Both predate Compose 2.24: no top-level `name`, env_file only as paths.
  const allowedTop = new Set(['services', 'volumes', 'networks', 'configs', 'secrets'])
  for (const key of Object.keys(compose)) t.ok(allowedTop.has(key) || key.startsWith('x-'), `top-level ${key} is understood by all three`)
  for (const [name, raw] of Object.entries(services)) {
    const s = obj(raw, `services.${name}`)
    if (s.env_file === undefined) continue
    const files = Array.isArray(s.env_file) ? s.env_file : [s.env_file]
    t.ok(files.every((f) => typeof f === 'string'), `${name}: env_file lists paths (the long form crashes podman-compose 1.0.3)`)
  }
  t.match(read('docker/.env.example'), /^COMPOSE_PROJECT_NAME=rotor$/m, 'the project name comes from .env')
})

t.test('the Dockerfile copies only files that exist and that .dockerignore lets through', async (t) => {
  const patterns = dockerignorePatterns(read('.dockerignore'))
  let n = 0
  for (const stage of allStages) {
    for (const c of copies(stage)) {
      if (c.flags.some((f) => f.startsWith('--from='))) continue
      for (const src of c.sources) {
        n++
        t.ok(existsSync(join(ROOT, src)), `${src} exists`)
        t.ok(dockerignoreKeeps(patterns, src), `${src} is in the build context`)
      }
    }
  }
  t.ok(n >= 5, 'package files, bin, config, src and the entrypoint are copied')
  for (const secret of ['.env', 'node_modules/x', '.git/config', 'test/deploy/compose.test.ts', 'docker/config/rotor.json5']) {
    t.notOk(dockerignoreKeeps(patterns, secret), `${secret} stays out of the build context`)
  }
  const entry = last(runtime, 'ENTRYPOINT')
  const entryCmd = entry ? execForm(entry.args) : undefined
  const copied = copies(runtime).find((c) => c.sources.includes('docker/entrypoint.sh'))
  t.ok(copied && entryCmd && (copied.dest === entryCmd[0] || copied.dest.endsWith(`/${entryCmd[0]}`)), 'ENTRYPOINT is docker/entrypoint.sh')
  t.ok(copied?.dest.startsWith('/usr/local/bin/'), 'the entrypoint is on PATH for `docker compose exec`')
  t.match(read('docker/entrypoint.sh'), /^#!\/bin\/sh\n[\s\S]*set -eu[\s\S]*exec "\$@"/, 'the entrypoint is strict sh and execs the command')
})

t.test('nginx balances over the three replicas and streams unbuffered', async (t) => {
  const conf = read('docker/nginx.conf')
  const upstreams = nginxUpstreams(conf)
  const main = nginxLocation(conf, '/') ?? ''
  const passTo = nginxDirective(main, 'proxy_pass').map((p) => p.replace(/^https?:\/\//, '').replace(/\/.*$/, ''))
  t.equal(passTo.length, 1, 'location / passes to one upstream')
  const servers = upstreams.get(passTo[0]) ?? []
  const port = serviceEnv(service('rotor-1')).ROTOR_PORT
  t.same(servers.sort(), rotorNames.map((n) => `${n}:${port}`), 'the upstream lists rotor-1..3 on ROTOR_PORT')
  t.ok(nginxDirective(conf, 'keepalive').length > 0, 'upstream connections are kept alive')
  t.same(nginxDirective(conf, 'proxy_buffering'), ['off'], 'responses are not buffered (SSE)')
  t.same(nginxDirective(conf, 'proxy_http_version'), ['1.1'])
  const read_ = nginxDirective(main, 'proxy_read_timeout').map(nginxSeconds)
  t.ok(read_.length === 1 && read_[0] >= 600, 'the read timeout outlasts rotor\'s 600 s request timeout')
  const lbPorts = strings(service('lb').ports, 'lb.ports').map((p) => interpolate(p, {}).split(':').at(-1))
  t.ok(nginxDirective(conf, 'listen').some((l) => lbPorts.includes(l.split(/\s+/)[0])), 'nginx listens on the published port')
})

t.test('the Dockerfile builds with Docker\'s classic builder too', async (t) => {
  const flags = allStages.flatMap((s) => copies(s)).flatMap((c) => c.flags)
  t.strictSame(flags.filter((f) => /^--(chmod|link|parents|exclude)/.test(f)), [], 'no COPY flag that needs BuildKit')
  t.ok(runtime.instructions.some((i) => i.keyword === 'RUN' && /chmod 0?755 \/usr\/local\/bin\/rotor-entrypoint/.test(i.args)), 'the entrypoint is made executable by RUN')
})
