// Reads, substitutes, validates and resolves rotor.json into a LoadedConfig (docs/configuration.md).
import { existsSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import JSON5 from 'json5'
import YAML from 'yaml'
import { Compile } from 'typebox/compile'
import type { Validator } from 'typebox/compile'
import { ConfigError, MissingEnvVarError } from '../core/errors.ts'
import { buildCatalog } from './catalog.ts'
import { ignoredWarning, isClawdbotConfig, withoutClawdbotSettings } from './clawdbot-config.ts'
import { defaultAgentOf, orderKeyWarnings } from './agent-rules.ts'
import type { ProviderSpec } from './builtin-providers.ts'
import { envReferenceName, substituteEnv } from './env-substitute.ts'
import { findConfigPath, resolveHome, type Env } from './paths.ts'
import { resolveRedisTopology } from './redis-topology.ts'
import { RotorConfigSchema, type RotorConfig } from './schema.ts'
import { DEFAULT_AGENT, type AgentSettings, type ClientDef, type GatewaySettings, type LoadedConfig } from './types.ts'

/** The example shipped with the package; used when no config file exists. */
export const EXAMPLE_CONFIG_PATH = join(import.meta.dirname, '..', '..', 'config', 'rotor.example.json5')

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8808,
  bodyLimitBytes: 10485760,
  firstByteTimeoutMs: 60000,
  requestTimeoutMs: 600000,
  requestBodyTimeoutMs: 30000,
  idleTimeoutMs: 120000,
  upstreamConnections: 1024,
  redisUrl: 'redis://127.0.0.1:6379',
  redisPrefix: 'rotor:',
  billingBackoffHours: 5,
  billingMaxHours: 24,
  failureWindowHours: 24,
  sessionTtlMinutes: 60,
  logLevel: 'info',
} as const

/** Clawdbot's built-in aliases, applied only to a models-map entry that has no alias. */
export const DEFAULT_MODEL_ALIASES: Readonly<Record<string, string>> = {
  opus: 'anthropic/claude-opus-4-5',
  sonnet: 'anthropic/claude-sonnet-4-5',
  haiku: 'anthropic/claude-haiku-4-5',
  gpt: 'openai/gpt-5.2',
  'gpt-mini': 'openai/gpt-5-mini',
}

export interface LoadConfigOptions {
  readonly cliPath?: string | undefined
  readonly env: Env
  readonly home?: string | undefined
  /** CLI flags; win over env and file. */
  readonly overrides?: { readonly host?: string | undefined, readonly port?: number | undefined }
  /** Providers discovered from credential files (docs/configuration.md); explicit config wins over them. */
  readonly implicitProviders?: readonly ProviderSpec[]
}

const HOUR_MS = 3_600_000

let validator: Validator | undefined
function getValidator (): Validator {
  validator ??= Compile(RotorConfigSchema)
  return validator
}

function withCause (err: ConfigError, cause: unknown): ConfigError {
  err.cause = cause
  return err
}

function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Parses JSON5 or YAML (by extension); errors name the file and position, never the content. */
export function parseConfigText (text: string, file: string): unknown {
  const ext = extname(file).toLowerCase()
  if (ext === '.yaml' || ext === '.yml') {
    try {
      return YAML.parse(text) ?? {}
    } catch (err) {
      const pos = (err as { linePos?: { line: number, col: number }[] }).linePos?.[0]
      // The first line only: later lines quote the file, which may hold a secret.
      const reason = errorMessage(err).split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')
      const where = pos !== undefined ? ` at line ${pos.line}, column ${pos.col}` : ''
      throw new ConfigError(`Cannot parse config ${file}${where}: ${reason}`)
    }
  }
  try {
    return JSON5.parse(text)
  } catch (err) {
    const e = err as { lineNumber?: number, columnNumber?: number }
    const where = e.lineNumber !== undefined ? ` at line ${e.lineNumber}, column ${e.columnNumber ?? 0}` : ''
    const reason = errorMessage(err).replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '')
    throw new ConfigError(`Cannot parse config ${file}${where}: ${reason}`)
  }
}

interface SchemaIssue { keyword: string, instancePath: string, schemaPath: string, message: string, params: Record<string, unknown> }

/** The `anyOf` const values at a schema path like `#/properties/logging/properties/level/anyOf/0`. */
function anyOfConsts (schemaPath: string): unknown[] | undefined {
  const parts = schemaPath.replace(/^#\/?/, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (parts.length < 2 || parts[parts.length - 2] !== 'anyOf') return undefined
  let node: unknown = RotorConfigSchema
  for (const p of parts.slice(0, -2)) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[p]
  }
  const anyOf = (node as { anyOf?: unknown } | undefined)?.anyOf
  if (!Array.isArray(anyOf)) return undefined
  return anyOf.map((s: unknown) => (s as { const?: unknown }).const).filter((c) => c !== undefined)
}

/** One readable line per instance path; the per-branch noise of anyOf is collapsed. */
export function formatSchemaErrors (issues: readonly SchemaIssue[]): string[] {
  const byPath = new Map<string, SchemaIssue[]>()
  for (const e of issues) {
    const list = byPath.get(e.instancePath) ?? []
    list.push(e)
    byPath.set(e.instancePath, list)
  }
  const lines: string[] = []
  const add = (line: string): void => { if (!lines.includes(line)) lines.push(line) }
  for (const [path, list] of byPath) {
    const shown = path === '' ? '/' : path
    const consts = list.filter((e) => e.keyword === 'const')
    if (consts.length > 0) {
      const values = anyOfConsts(consts[0].schemaPath) ?? consts.map((e) => e.params.allowedValue)
      add(`${shown} must be one of ${values.map(String).join(', ')}`)
      continue
    }
    const hasAnyOf = list.some((e) => e.keyword === 'anyOf')
    const deeper = [...byPath.keys()].some((p) => p.startsWith(path + '/'))
    const types: string[] = []
    for (const e of list) {
      if (e.keyword === 'anyOf') continue
      if (e.keyword === 'boolean' || e.keyword === 'additionalProperties') {
        const keys = e.keyword === 'additionalProperties' ? (e.params.additionalProperties as string[] | undefined) ?? [] : [undefined]
        for (const k of keys) add(`${k === undefined ? shown : `${path}/${k}`} is not a known key`)
        continue
      }
      // A branch of a failed anyOf whose deeper errors are reported already.
      if (hasAnyOf && deeper && e.schemaPath.includes('/anyOf/')) continue
      if (hasAnyOf && e.keyword === 'type' && typeof e.params.type === 'string') { types.push(e.params.type); continue }
      add(`${shown} ${e.message}`)
    }
    if (types.length > 0) add(`${shown} must be ${types.join(' or ')}`)
    else if (hasAnyOf && !deeper && list.every((e) => e.keyword === 'anyOf')) add(`${shown} must match one of the allowed forms`)
  }
  return lines
}

/** Throws a ConfigError listing every problem; returns the value typed. */
export function validateConfig (value: unknown, file: string): RotorConfig {
  const v = getValidator()
  if (v.Check(value)) return value as RotorConfig
  const issues = v.Errors(value) as unknown as SchemaIssue[]
  throw new ConfigError(`Invalid config ${file}: ${formatSchemaErrors(issues).join('; ')}`)
}

function parsePort (raw: string | number, source: string): number {
  const n = typeof raw === 'number' ? raw : Number(raw.trim())
  if (!Number.isInteger(n) || n < 0 || n > 65535 || (typeof raw === 'string' && raw.trim() === '')) {
    throw new ConfigError(`${source} must be an integer port 0-65535`)
  }
  return n
}

function nonEmpty (v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim()
}

function resolveGateway (raw: RotorConfig, env: Env, overrides: LoadConfigOptions['overrides'], defaultAgent: string = DEFAULT_AGENT): GatewaySettings {
  const g = raw.gateway ?? {}
  const envPort = nonEmpty(env.ROTOR_PORT)
  const clients: ClientDef[] = (g.clients ?? []).map((c) => ({ name: c.name, key: c.key, agent: c.agent ?? defaultAgent }))
  const seen = new Map<string, string>()
  for (const c of clients) {
    const other = seen.get(c.key)
    // Name the clients, never the key.
    if (other !== undefined) throw new ConfigError(`gateway.clients: clients "${other}" and "${c.name}" have the same key`)
    seen.set(c.key, c.name)
  }
  return {
    host: nonEmpty(overrides?.host) ?? nonEmpty(env.ROTOR_HOST) ?? g.host ?? DEFAULTS.host,
    port: overrides?.port !== undefined
      ? parsePort(overrides.port, '--port')
      : envPort !== undefined ? parsePort(envPort, 'ROTOR_PORT') : g.port ?? DEFAULTS.port,
    authNone: g.auth === 'none',
    clients,
    adminKey: g.adminKey,
    bodyLimitBytes: g.bodyLimitBytes ?? DEFAULTS.bodyLimitBytes,
    firstByteTimeoutMs: g.firstByteTimeoutMs ?? DEFAULTS.firstByteTimeoutMs,
    requestTimeoutMs: g.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    requestBodyTimeoutMs: g.requestBodyTimeoutMs ?? DEFAULTS.requestBodyTimeoutMs,
    idleTimeoutMs: g.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    upstreamConnections: g.upstreamConnections ?? DEFAULTS.upstreamConnections,
  }
}

function resolveState (raw: RotorConfig, env: Env): LoadedConfig['state'] {
  const fromEnv = nonEmpty(env.ROTOR_STATE)
  if (fromEnv !== undefined && fromEnv !== 'memory' && fromEnv !== 'redis') {
    throw new ConfigError(`ROTOR_STATE must be "memory" or "redis", got "${fromEnv}"`)
  }
  return {
    store: fromEnv ?? raw.state?.store ?? 'memory',
    redis: resolveRedisTopology(raw.state?.redis, env),
    prefix: raw.state?.redis?.prefix ?? DEFAULTS.redisPrefix,
  }
}

type ModelSelection = NonNullable<NonNullable<RotorConfig['agents']>['defaults']>['model']
type ModelsMap = NonNullable<NonNullable<NonNullable<RotorConfig['agents']>['defaults']>['models']>
type AuthOrder = Readonly<Record<string, readonly string[]>>

interface Selection { primary: string | undefined, fallbacks: readonly string[] }

/** A string sets only the primary; an object's missing keys keep the inherited values. */
function applySelection (base: Selection, sel: ModelSelection): Selection {
  if (sel === undefined) return base
  if (typeof sel === 'string') return { primary: sel.trim(), fallbacks: base.fallbacks }
  return {
    primary: sel.primary !== undefined ? sel.primary.trim() : base.primary,
    fallbacks: sel.fallbacks !== undefined ? sel.fallbacks.map((f) => f.trim()) : base.fallbacks,
  }
}

/** lower-cased alias → ref. Agent entries replace defaults per ref and win alias clashes. */
function buildAliases (defaults: ModelsMap, agent: ModelsMap): Map<string, string> {
  const entries: [string, string | undefined][] = []
  for (const [ref, e] of Object.entries(defaults)) if (!(ref in agent)) entries.push([ref.trim(), e.alias])
  for (const [ref, e] of Object.entries(agent)) entries.push([ref.trim(), e.alias])
  const aliases = new Map<string, string>()
  for (const [ref, alias] of entries) if (alias !== undefined && alias.trim() !== '') aliases.set(alias.trim().toLowerCase(), ref)
  // Built-in aliases only for listed refs without an alias, and never over a name already taken.
  for (const [alias, target] of Object.entries(DEFAULT_MODEL_ALIASES)) {
    const entry = entries.find(([ref]) => ref === target)
    if (entry !== undefined && (entry[1] === undefined || entry[1].trim() === '') && !aliases.has(alias)) aliases.set(alias, target)
  }
  return aliases
}

function resolveAgents (raw: RotorConfig, clients: readonly ClientDef[], defaultAgent: string = DEFAULT_AGENT): Map<string, AgentSettings> {
  const defaults = raw.agents?.defaults ?? {}
  const globalOrder: AuthOrder = raw.auth?.order ?? {}
  const base = applySelection({ primary: undefined, fallbacks: [] }, defaults.model)
  const defaultModels = defaults.models ?? {}
  const agents = new Map<string, AgentSettings>()
  const make = (id: string, model: ModelSelection, models: ModelsMap, order: AuthOrder): AgentSettings => {
    const sel = applySelection(base, model)
    return { id, primary: sel.primary, fallbacks: sel.fallbacks, aliases: buildAliases(defaultModels, models), configOrder: { ...globalOrder, ...order } }
  }
  agents.set(DEFAULT_AGENT, make(DEFAULT_AGENT, undefined, {}, {}))
  const listed = new Set<string>()
  ;(raw.agents?.list ?? []).forEach((a, i) => {
    if (listed.has(a.id)) throw new ConfigError(`agents.list[${i}].id "${a.id}" is listed twice`)
    listed.add(a.id)
    agents.set(a.id, make(a.id, a.model, a.models ?? {}, a.auth?.order ?? {}))
  })
  // A client may name an agent that has only a credentials directory: it gets the defaults.
  for (const c of clients) if (!agents.has(c.agent)) agents.set(c.agent, make(c.agent, undefined, {}, {}))
  if (!agents.has(defaultAgent)) agents.set(defaultAgent, make(defaultAgent, undefined, {}, {}))
  return agents
}

/** `models.providers.<id>.apiKey` written exactly as `${VAR}`, before substitution. */
function apiKeyEnvRefs (parsed: unknown): Map<string, string> {
  const refs = new Map<string, string>()
  const providers = (parsed as { models?: { providers?: unknown } } | null)?.models?.providers
  if (providers === null || typeof providers !== 'object') return refs
  for (const [id, p] of Object.entries(providers)) {
    const name = envReferenceName((p as { apiKey?: unknown } | null)?.apiKey)
    if (name !== undefined) refs.set(id, name)
  }
  return refs
}

export interface ResolveContext {
  readonly path: string | undefined
  readonly home: string
  readonly env: Env
  readonly overrides?: LoadConfigOptions['overrides']
  readonly apiKeyEnvRefs?: ReadonlyMap<string, string>
  readonly implicitProviders?: readonly ProviderSpec[]
  /** A Clawdbot config loaded as is (default agent by Clawdbot's rule). */
  readonly clawdbot?: boolean
  /** Warnings of the steps before (Clawdbot settings left out). */
  readonly warnings?: readonly string[]
}

/** Turns a validated config into the resolved view. */
export function resolveConfig (raw: RotorConfig, ctx: ResolveContext): LoadedConfig {
  const warnings = [...ctx.warnings ?? []]
  const defaultAgent = defaultAgentOf(raw, ctx.clawdbot === true, warnings)
  const gateway = resolveGateway(raw, ctx.env, ctx.overrides, defaultAgent)
  const c = raw.auth?.cooldowns ?? {}
  const declared: Record<string, { provider: string, mode: 'api_key' | 'oauth' | 'token' }> = {}
  for (const [id, p] of Object.entries(raw.auth?.profiles ?? {})) declared[id] = { provider: p.provider, mode: p.mode }
  const catalog = buildCatalog(raw.models, ctx.env, { apiKeyEnvRefs: ctx.apiKeyEnvRefs, implicit: ctx.implicitProviders })
  const agents = resolveAgents(raw, gateway.clients, defaultAgent)
  warnings.push(...orderKeyWarnings(raw, catalog, agents))
  return {
    raw,
    path: ctx.path,
    home: ctx.home,
    gateway,
    state: resolveState(raw, ctx.env),
    catalog,
    agents,
    defaultAgent,
    warnings,
    auth: {
      declared,
      strategy: raw.auth?.strategy ?? 'round-robin',
      strategySet: raw.auth?.strategy !== undefined,
      cooldowns: {
        billingBackoffMs: (c.billingBackoffHours ?? DEFAULTS.billingBackoffHours) * HOUR_MS,
        billingBackoffMsByProvider: Object.fromEntries(Object.entries(c.billingBackoffHoursByProvider ?? {}).map(([p, h]) => [p, h * HOUR_MS])),
        billingMaxMs: (c.billingMaxHours ?? DEFAULTS.billingMaxHours) * HOUR_MS,
        failureWindowMs: (c.failureWindowHours ?? DEFAULTS.failureWindowHours) * HOUR_MS,
      },
      sessionTtlMs: (raw.auth?.sessionTtlMinutes ?? DEFAULTS.sessionTtlMinutes) * 60_000,
    },
    logLevel: raw.logging?.level ?? DEFAULTS.logLevel,
  }
}

/**
 * Loads the config: `--config`, `ROTOR_CONFIG`, `$home/rotor.{json,json5,yaml,yml}`, else the
 * packaged example. Every failure is a ConfigError naming the file.
 */
export function loadConfig (opts: LoadConfigOptions): LoadedConfig {
  const env = opts.env
  // Environment and flag problems first, so they are not reported as the file's.
  resolveState({}, env)
  resolveGateway({}, env, opts.overrides)
  const home = opts.home ?? resolveHome(env)
  const path = findConfigPath({ cliPath: opts.cliPath, env, home })
  const file = path ?? EXAMPLE_CONFIG_PATH
  if (!existsSync(file)) {
    const source = path === undefined ? 'packaged example' : nonEmpty(opts.cliPath) !== undefined ? '--config' : 'ROTOR_CONFIG'
    throw new ConfigError(`Config file not found: ${file} (from ${source})`)
  }
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`Cannot read config ${file}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`)
  }
  const parsed = parseConfigText(text, file)
  // Clawdbot-only settings go before substitution: a `${VAR}` in a part rotor ignores needs no VAR.
  const clawdbot = isClawdbotConfig(path, parsed)
  const { config: own, ignored } = withoutClawdbotSettings(parsed, clawdbot)
  const ignoredNote = ignoredWarning(file, ignored)
  let substituted: unknown
  try {
    substituted = substituteEnv(own, env)
  } catch (err) {
    if (err instanceof MissingEnvVarError) throw withCause(new ConfigError(`${err.message} (in ${file})`), err)
    throw err
  }
  const raw = validateConfig(substituted, file)
  try {
    return resolveConfig(raw, {
      path, home, env, overrides: opts.overrides, apiKeyEnvRefs: apiKeyEnvRefs(own), implicitProviders: opts.implicitProviders,
      clawdbot, warnings: ignoredNote === undefined ? [] : [ignoredNote],
    })
  } catch (err) {
    if (err instanceof ConfigError) throw withCause(new ConfigError(`Invalid config ${file}: ${err.message}`), err)
    throw err
  }
}
