// Resolved, immutable view of the config that the rest of rotor consumes.
import type { CooldownPolicy } from '../core/types.ts'
import type { ApiFamily, RotorConfig } from './schema.ts'

export type ProviderAuth = 'none' | 'api-key' | 'oauth' | 'token' | 'aws-sdk'

export interface ModelCost {
  readonly input: number
  readonly output: number
  readonly cacheRead: number
  readonly cacheWrite: number
}

/** One model of the catalog, defaults applied. */
export interface ModelDef {
  readonly id: string
  readonly name: string
  readonly api: ApiFamily
  readonly reasoning: boolean
  readonly input: readonly ('text' | 'image')[]
  readonly cost: ModelCost
  readonly contextWindow: number
  readonly maxTokens: number
  readonly headers?: Readonly<Record<string, string>>
}

export interface ProviderDef {
  readonly id: string
  readonly baseUrl: string
  readonly api: ApiFamily
  readonly auth: ProviderAuth
  /** Key from `models.providers.<id>.apiKey`; becomes profile `<id>:config`. */
  readonly apiKey?: string
  readonly headers: Readonly<Record<string, string>>
  readonly oauth?: Readonly<{ tokenUrl?: string, clientId?: string }>
  /** AWS signing region; set for every `bedrock-converse-stream` provider. */
  readonly region?: string
  /** Conventional env vars whose value becomes profile `<id>:env` (first set wins). */
  readonly envVars: readonly string[]
  /** Env var that holds a bearer token (`token` type) rather than an api key. */
  readonly envTokenVars: readonly string[]
  readonly models: ReadonlyMap<string, ModelDef>
}

export interface Catalog {
  readonly providers: ReadonlyMap<string, ProviderDef>
  /** `models.strict`: a model id the catalog does not list is not found, even for a known provider. */
  readonly strict?: boolean
}

export interface AgentSettings {
  readonly id: string
  /** `provider/model` ref or alias as written in config; undefined when none is set. */
  readonly primary: string | undefined
  readonly fallbacks: readonly string[]
  /** lower-cased alias → `provider/model` ref (agent entries win over defaults). */
  readonly aliases: ReadonlyMap<string, string>
  /** The agent's config `auth.order`, else the global `auth.order`: provider → profile ids. */
  readonly configOrder: Readonly<Record<string, readonly string[]>>
}

export interface ClientDef {
  readonly name: string
  readonly key: string
  readonly agent: string
}

export interface GatewaySettings {
  readonly host: string
  readonly port: number
  readonly authNone: boolean
  readonly clients: readonly ClientDef[]
  readonly adminKey: string | undefined
  readonly bodyLimitBytes: number
  /** Until the upstream's headers and first body byte. */
  readonly firstByteTimeoutMs: number
  /** Deadline for the whole response, stream included. */
  readonly requestTimeoutMs: number
  /** Time a client has to send its whole request (headers and body). */
  readonly requestBodyTimeoutMs: number
  /** Longest silence between upstream body chunks. */
  readonly idleTimeoutMs: number
  /** Connections per upstream origin in the shared pool. */
  readonly upstreamConnections: number
}

/**
 * Where the redis store connects (`state.redis`: exactly one of url, cluster, sentinel). URLs
 * are `redis://` or `rediss://` (TLS), with `user:password@` for ACL; they are secrets-bearing
 * and never logged as is (redis-topology.ts describeTopology masks them).
 */
export type RedisTopology =
  | { readonly kind: 'url', readonly url: string }
  | { readonly kind: 'cluster', readonly nodes: readonly string[] }
  | {
    readonly kind: 'sentinel'
    readonly sentinels: readonly string[]
    readonly name: string
    readonly username?: string
    readonly password?: string
    readonly tls?: boolean
  }

export interface LoadedConfig {
  readonly raw: RotorConfig
  /** File the config came from; undefined when built-in defaults are used. */
  readonly path: string | undefined
  readonly home: string
  readonly gateway: GatewaySettings
  readonly state: { readonly store: 'memory' | 'redis', readonly redis: RedisTopology, readonly prefix: string }
  readonly catalog: Catalog
  /** Always contains `default` and `defaultAgent`. */
  readonly agents: ReadonlyMap<string, AgentSettings>
  /**
   * The agent of clients without one (and of the CLI without --agent): the `agents.list` entry
   * marked `default: true`, else `default` — in a Clawdbot config, Clawdbot's rule (marked,
   * else the first listed, else `main`).
   */
  readonly defaultAgent: string
  /** Problems that do not stop the load (Clawdbot settings left out, suspicious keys); shown once per load. */
  readonly warnings: readonly string[]
  readonly auth: {
    readonly declared: Readonly<Record<string, { provider: string, mode: 'api_key' | 'oauth' | 'token' }>>
    /** `auth.strategy`, round-robin when unset (see strategySet). */
    readonly strategy: 'round-robin' | 'ordered'
    /** Whether `auth.strategy` was written: unset, an explicit order is a priority list (ordered). */
    readonly strategySet: boolean
    readonly cooldowns: CooldownPolicy
    readonly sessionTtlMs: number
  }
  readonly logLevel: string
}

export const DEFAULT_AGENT = 'default'
