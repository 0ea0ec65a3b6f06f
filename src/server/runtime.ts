// The immutable snapshot a request runs against. A reload builds a new one and swaps the
// reference; in-flight requests keep theirs.
import { Agent, type Dispatcher } from 'undici'
import type { LoadedConfig } from '../config/types.ts'
import type { AuthProfilesFile, Profile } from '../auth/types.ts'
import { resolveProfiles } from '../auth/profiles.ts'
import type { CredentialResolver } from '../auth/credential-resolver.ts'
import { configSecrets, credentialSecrets, type SecretRegistry } from '../auth/secret-registry.ts'
import type { AdapterRegistry } from '../providers/registry.ts'
import { createClientAuthenticator, type ClientAuthenticator } from './client-auth.ts'
import type { CredentialsDirectory } from './credentials-directory.ts'
import type { Logger } from '../telemetry/logger.ts'

export interface Runtime {
  readonly config: LoadedConfig
  readonly clients: ClientAuthenticator
  readonly adapters: AdapterRegistry
  readonly dispatcher: Dispatcher
  readonly credentials: CredentialsDirectory
  /** Secrets per attempt: OAuth refresh, Copilot exchange (kept across reloads). */
  readonly resolver: CredentialResolver
  /** Every secret the gateway holds, to scrub upstream texts with (kept across reloads). */
  readonly secrets: SecretRegistry
  /** The merged profile list of an agent (file + config + env), cached per file version. */
  profilesFor (agent: string): { readonly file: AuthProfilesFile, readonly profiles: readonly Profile[] }
}

export interface RuntimeDeps {
  readonly adapters: AdapterRegistry
  readonly credentials: CredentialsDirectory
  readonly env: NodeJS.ProcessEnv
  readonly log: Logger
  /**
   * The previous snapshot's connection pool: kept across a reload unless
   * gateway.upstreamConnections changed (then the caller closes the old one).
   */
  readonly dispatcher?: Dispatcher
  /** The gateway's resolver: one per gateway, kept across reloads. */
  readonly resolver: CredentialResolver
  /** The gateway's secret registry (the logger scrubs with it too). */
  readonly secrets: SecretRegistry
}

/** The pool size each dispatcher was built with, so a reload can tell whether to keep it. */
const poolSizes = new WeakMap<Dispatcher, number>()

/** The shared upstream pool: `connections` per origin (gateway.upstreamConnections). */
export function createDispatcher (connections: number): Dispatcher {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connections,
    pipelining: 1,
  })
  poolSizes.set(agent, connections)
  return agent
}

/** The previous snapshot's pool while its size still fits the config, else a new one. */
function dispatcherFor (config: LoadedConfig, previous: Dispatcher | undefined): Dispatcher {
  const size = config.gateway.upstreamConnections
  if (previous !== undefined && poolSizes.get(previous) === size) return previous
  return createDispatcher(size)
}

export function buildRuntime (config: LoadedConfig, deps: RuntimeDeps): Runtime {
  const cache = new WeakMap<AuthProfilesFile, readonly Profile[]>()
  const warned = new Set<string>()
  const secrets = deps.secrets
  secrets.add(...configSecrets(config))
  const warn = (msg: string): void => {
    if (warned.has(msg)) return
    warned.add(msg)
    deps.log.warn(msg)
  }
  return {
    config,
    clients: createClientAuthenticator(config.gateway.clients, config.defaultAgent),
    adapters: deps.adapters,
    dispatcher: dispatcherFor(config, deps.dispatcher),
    credentials: deps.credentials,
    resolver: deps.resolver,
    secrets,
    profilesFor (agent) {
      const file = deps.credentials.file(agent).read()
      let profiles = cache.get(file)
      if (profiles === undefined) {
        profiles = resolveProfiles({ file, catalog: config.catalog, declared: config.auth.declared, env: deps.env, warn })
        cache.set(file, profiles)
        // Once per file version: a login or a CLI import brings new secrets with it.
        for (const p of profiles) if (p.credential !== undefined) secrets.add(...credentialSecrets(p.credential))
      }
      return { file, profiles }
    },
  }
}
