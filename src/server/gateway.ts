// Starts a gateway: config → state store → runtime → HTTP. The composition root for `rotor serve`.
import type { FastifyInstance } from 'fastify'
import { loadConfig } from '../config/load.ts'
import { createConfigReloader } from '../config/watch.ts'
import { writeAgentModelsJson, writeModelsJson } from '../config/models-json.ts'
import type { LoadedConfig } from '../config/types.ts'
import { createStateStore } from '../state/create-store.ts'
import type { StateStore } from '../state/types.ts'
import { createAdapterRegistry } from '../providers/registry.ts'
import { createLogger, type Logger } from '../telemetry/logger.ts'
import { createMetrics, type ProfileGaugeRow } from '../telemetry/metrics.ts'
import { displayState, profileState } from '../routing/profile-view.ts'
import type { Clock } from '../core/types.ts'
import { ConfigError } from '../core/errors.ts'
import { buildApp } from './app.ts'
import { isLoopbackHost } from './client-auth.ts'
import { createCredentialsDirectory } from './credentials-directory.ts'
import { buildRuntime, type Runtime } from './runtime.ts'
import { createCredentialResolver } from '../auth/credential-resolver.ts'
import { isKeylessProfile } from '../auth/profiles.ts'
import { createFileCoordinator } from '../auth/oauth/file-coordinator.ts'
import { createRedisCoordinator } from '../auth/oauth/redis-coordinator.ts'
import { connectRedis } from '../state/redis/connection.ts'
import { configSecrets, createSecretRegistry } from '../auth/secret-registry.ts'
import type { DestinationStream } from 'pino'

/** How long an OAuth refresh waits for a Sentinel or Cluster failover before the host-local lock. */
const FAILOVER_GRACE_MS = 15_000

export interface GatewayOptions {
  readonly cliPath?: string
  readonly env?: NodeJS.ProcessEnv
  readonly home?: string
  readonly overrides?: { host?: string, port?: number }
  readonly now?: Clock
  readonly logDestination?: DestinationStream
  /** Watch the config file and listen for SIGHUP (the CLI turns both on). */
  readonly watch?: boolean
}

export interface Gateway {
  readonly app: FastifyInstance
  readonly store: StateStore
  readonly log: Logger
  readonly url: string
  readonly port: number
  runtime (): Runtime
  reload (): { ok: true } | { ok: false, error: string }
  close (): Promise<void>
}

/** Refuses a public address without client keys (docs/http-api.md). */
function checkExposure (config: LoadedConfig): void {
  const g = config.gateway
  if (g.clients.length === 0 && !g.authNone && !isLoopbackHost(g.host)) {
    throw new ConfigError(`Refusing to listen on ${g.host} without client keys: add gateway.clients or set gateway.auth: "none"`)
  }
}

export async function startGateway (opts: GatewayOptions = {}): Promise<Gateway> {
  const env = opts.env ?? process.env
  const now = opts.now ?? Date.now
  const load = (): LoadedConfig => loadConfig({ cliPath: opts.cliPath, env, home: opts.home, overrides: opts.overrides })
  const initial = load()
  checkExposure(initial)
  // One per gateway: every snapshot, profile list and refresh adds to it; every log line and
  // every upstream text that reaches a client is scrubbed with it.
  const secrets = createSecretRegistry()
  secrets.add(...configSecrets(initial))
  const log = createLogger(initial.logLevel, opts.logDestination, { scrub: secrets.scrub })
  for (const w of initial.warnings) log.warn(w)
  const credentials = createCredentialsDirectory(initial.home)
  const store: StateStore = await createStateStore(initial.state, {
    credentialsFor: (agent) => credentials.file(agent),
    clock: now,
    log,
    onError: (err) => { log.error({ err }, 'persisting usage stats failed') },
    // Read when a change is written, by then `runtime` is set: the current catalog decides.
    persists: (_agent, id) => !isKeylessProfile(runtime.config.catalog, id),
  })
  const adapters = createAdapterRegistry({ now })
  // One per gateway (caches, single-flight, its own Redis connection), across reloads.
  const resolver = createCredentialResolver({
    credentials: (agent) => credentials.file(agent),
    catalog: () => runtime.config.catalog,
    coordinator: initial.state.store === 'redis'
      ? createRedisCoordinator({
        client: connectRedis(initial.state.redis, { connectionName: 'rotor-oauth', commandTimeoutMs: 500 }),
        prefix: initial.state.prefix,
        log,
        // Sentinel and Cluster promote a replica within seconds: wait for it rather than refresh
        // under a host-local lock that other hosts do not see (docs/operations.md).
        failoverGraceMs: initial.state.redis.kind === 'url' ? 0 : FAILOVER_GRACE_MS,
      })
      : createFileCoordinator({ log }),
    env,
    now,
    log,
    secrets,
  })
  let runtime = buildRuntime(initial, { adapters, credentials, env, log, resolver, secrets })
  await resolver.syncExternal(initial.agents.keys())
  writeModelsJsonSafe(initial, log)

  const metrics = createMetrics()
  metrics.setCollectors({ profiles: () => profileRows(runtime, store, now), degraded: () => store.health() === 'degraded' })

  const reloader = createConfigReloader({
    load,
    path: initial.path,
    watch: opts.watch === true,
    onReload: (next) => {
      if (next.state.store !== runtime.config.state.store) log.warn('state.store changed; restart the gateway to switch stores')
      const previous = runtime.dispatcher
      runtime = buildRuntime(next, { adapters, credentials, env, log, dispatcher: previous, resolver, secrets })
      // A new pool size: the old pool finishes its in-flight requests, then closes.
      if (runtime.dispatcher !== previous) void previous.close().catch((err: unknown) => { log.warn({ err }, 'closing the old upstream pool failed') })
      void resolver.syncExternal(next.agents.keys())
      writeModelsJsonSafe(next, log)
      for (const w of next.warnings) log.warn(w)
      log.info({ path: next.path }, 'config reloaded')
    },
    onError: (err) => { log.error({ err }, 'config reload rejected; keeping the previous config') },
  })
  const reload = (): { ok: true } | { ok: false, error: string } => {
    const r = reloader.reload()
    return r.ok ? { ok: true } : { ok: false, error: r.error instanceof Error ? r.error.message : String(r.error) }
  }
  const onHup = (): void => { reload() }
  if (opts.watch === true) process.on('SIGHUP', onHup)

  const app = buildApp({ runtime: () => runtime, store, now, log, metrics, reload, bodyLimitBytes: initial.gateway.bodyLimitBytes, requestBodyTimeoutMs: initial.gateway.requestBodyTimeoutMs })
  const address = await app.listen({ host: initial.gateway.host, port: initial.gateway.port })
  const port = (app.server.address() as { port: number }).port
  let closing: Promise<void> | undefined
  log.info({ host: initial.gateway.host, port, config: initial.path ?? '(built-in example)', store: store.kind }, 'rotor listening')
  return {
    app, store, log, url: address, port,
    runtime: () => runtime,
    reload,
    close () {
      closing ??= (async () => {
        process.off('SIGHUP', onHup)
        reloader.close()
        await app.close()
        await store.close()
        await resolver.close()
        await runtime.dispatcher.destroy()
        log.flush()
      })()
      return closing
    },
  }
}

function writeModelsJsonSafe (config: LoadedConfig, log: Logger): void {
  try { writeModelsJson(config.home, config.catalog) } catch (err) { log.warn({ err }, 'could not write models.json') }
  try { writeAgentModelsJson(config.home, config.catalog, config.raw.models) } catch (err) { log.warn({ err }, 'could not write an agent\'s models.json') }
}

async function profileRows (runtime: Runtime, store: StateStore, now: Clock): Promise<ProfileGaugeRow[]> {
  const rows: ProfileGaugeRow[] = []
  for (const agent of runtime.config.agents.keys()) {
    const { profiles } = runtime.profilesFor(agent)
    if (profiles.length === 0) continue
    const stats = await store.readStats(agent, profiles.map((p) => p.id))
    const t = now()
    for (const p of profiles) {
      const view = profileState(p, stats.get(p.id), t)
      rows.push({ agent, provider: p.provider, profile: p.id, state: displayState(view) })
    }
  }
  return rows
}
