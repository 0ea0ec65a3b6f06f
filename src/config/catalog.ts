// The model catalog: built-in + implicit providers merged with `models.providers` (docs/configuration.md).
import { ConfigError } from '../core/errors.ts'
import { IMPLEMENTED_API_FAMILIES } from './api-families.ts'
import { discoverAws, regionOfBedrockUrl } from './aws-discovery.ts'
import { BUILTIN_PROVIDERS, bedrockProvider, DEFAULT_BEDROCK_REGION, hasBedrockEnv, type ProviderSpec } from './builtin-providers.ts'
import type { Env } from './paths.ts'
import type { ApiFamily, ModelDefinitionConfig, ProviderConfig, RotorConfig } from './schema.ts'
import type { Catalog, ModelDef, ProviderAuth, ProviderDef } from './types.ts'

export const DEFAULT_CONTEXT_WINDOW = 200000
export const DEFAULT_MAX_TOKENS = 8192

const PROVIDER_ID = /^[a-z0-9-]+$/

/** ProviderDef plus the env var its configured `apiKey` came from (models.json stores the name). */
export interface CatalogProviderDef extends ProviderDef {
  readonly apiKeyEnv?: string
}

export interface BuildCatalogOptions {
  /** Providers discovered outside the config (credential files); merged like built-ins. */
  readonly implicit?: readonly ProviderSpec[]
  /** provider id → VAR when `models.providers.<id>.apiKey` was exactly `${VAR}`. */
  readonly apiKeyEnvRefs?: ReadonlyMap<string, string>
}

/** Working form: a spec plus the provider-level extras only config can set. */
interface Draft extends ProviderSpec {
  readonly apiKey?: string
}

/** Model fields from `over` win; unset ones keep `base`'s. */
function mergeModel (base: ModelDefinitionConfig, over: ModelDefinitionConfig): ModelDefinitionConfig {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) if (v !== undefined) out[k] = v
  return out as ModelDefinitionConfig
}

/** Union by id; `over`'s models come first and win field by field (Clawdbot order). */
function unionModels (base: readonly ModelDefinitionConfig[], over: readonly ModelDefinitionConfig[]): ModelDefinitionConfig[] {
  const byId = new Map(base.map((m) => [m.id, m]))
  const out: ModelDefinitionConfig[] = []
  const seen = new Set<string>()
  for (const m of over) {
    const b = byId.get(m.id)
    out.push(b === undefined ? m : mergeModel(b, m))
    seen.add(m.id)
  }
  for (const m of base) if (!seen.has(m.id)) out.push(m)
  return out
}

function mergeSpec (base: Draft, over: ProviderSpec): Draft {
  const set = Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined))
  return {
    ...base,
    ...set,
    headers: { ...base.headers, ...over.headers },
    oauth: base.oauth === undefined && over.oauth === undefined ? undefined : { ...base.oauth, ...over.oauth },
    models: unionModels(base.models, over.models),
  }
}

function checkModelIds (id: string, models: readonly ModelDefinitionConfig[]): void {
  const seen = new Set<string>()
  models.forEach((m, i) => {
    if (seen.has(m.id)) throw new ConfigError(`models.providers.${id}.models[${i}].id "${m.id}" is listed twice`)
    seen.add(m.id)
  })
}

/**
 * Applies one `models.providers.<id>` entry. `template` is the built-in/implicit provider of
 * that id (connection fields), `base` what the catalog already has for it (merge mode).
 */
/**
 * `ollama/llama3.2` listed under `models.providers.ollama` is the model `llama3.2`: the ref
 * form is accepted as an id (the Clawdbot guide writes it so). Not for OpenRouter, whose own
 * ids carry a vendor prefix (`openrouter/auto` is one of its models).
 */
function ownId (provider: string, model: ModelDefinitionConfig): ModelDefinitionConfig {
  const prefix = `${provider}/`
  if (provider === 'openrouter' || !model.id.startsWith(prefix) || model.id.length === prefix.length) return model
  return { ...model, id: model.id.slice(prefix.length) }
}

function applyExplicit (id: string, cfg: ProviderConfig, template: Draft | undefined, base: Draft | undefined): Draft {
  const explicitModels = (cfg.models ?? []).map((m) => ownId(id, m))
  checkModelIds(id, explicitModels)
  const start = base ?? template
  if (start === undefined && (cfg.baseUrl === undefined || cfg.baseUrl.trim() === '')) {
    throw new ConfigError(`models.providers.${id}.baseUrl is required: "${id}" is not a built-in provider`)
  }
  const headers = { ...start?.headers, ...cfg.headers }
  const oauth = start?.oauth === undefined && cfg.oauth === undefined ? undefined : { ...start?.oauth, ...pickOAuth(cfg.oauth) }
  // base set (merge): union with what is there; only a template (replace): explicit models, or the
  // template's when `models` is left out; new provider: explicit models.
  const models = base !== undefined
    ? unionModels(base.models, explicitModels)
    : cfg.models === undefined && template !== undefined ? template.models : explicitModels
  return {
    id,
    baseUrl: cfg.baseUrl ?? start?.baseUrl ?? '',
    api: cfg.api ?? start?.api ?? 'openai-completions',
    auth: cfg.auth ?? start?.auth ?? 'api-key',
    envVars: start?.envVars ?? [],
    envTokenVars: start?.envTokenVars ?? [],
    headers,
    oauth,
    apiKey: cfg.apiKey !== undefined && cfg.apiKey !== '' ? cfg.apiKey : undefined,
    region: cfg.region ?? start?.region,
    models,
  }
}

function pickOAuth (o: ProviderConfig['oauth']): { tokenUrl?: string, clientId?: string } {
  const out: { tokenUrl?: string, clientId?: string } = {}
  if (o?.tokenUrl !== undefined) out.tokenUrl = o.tokenUrl
  if (o?.clientId !== undefined) out.clientId = o.clientId
  return out
}

/**
 * Base URL rule: strip trailing slashes; for openai-completions and anthropic-messages a URL
 * with no path gets `/v1` (Ollama's `http://localhost:11434`), since adapters append only the endpoint.
 */
export function normalizeBaseUrl (raw: string, api: ApiFamily, where = 'baseUrl'): string {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    throw new ConfigError(`${where} must be an absolute http(s) URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${where} must be an absolute http(s) URL`)
  let out = raw.trim().replace(/\/+$/, '')
  if ((api === 'openai-completions' || api === 'anthropic-messages') && (url.pathname === '' || url.pathname === '/') && url.search === '') {
    out += '/v1'
  }
  return out
}

function toModelDef (m: ModelDefinitionConfig, providerApi: ApiFamily): ModelDef {
  const contextWindow = m.contextWindow ?? DEFAULT_CONTEXT_WINDOW
  return {
    id: m.id,
    name: m.name ?? m.id,
    api: m.api ?? providerApi,
    reasoning: m.reasoning ?? false,
    input: m.input ?? ['text'],
    cost: {
      input: m.cost?.input ?? 0,
      output: m.cost?.output ?? 0,
      cacheRead: m.cost?.cacheRead ?? 0,
      cacheWrite: m.cost?.cacheWrite ?? 0,
    },
    contextWindow,
    maxTokens: m.maxTokens ?? Math.min(DEFAULT_MAX_TOKENS, contextWindow),
    ...(m.headers !== undefined ? { headers: { ...m.headers } } : {}),
  }
}

/**
 * The catalog's definition of `id` under `provider`, else one with the catalog's defaults: for
 * providers that accept any model id (routing/plan.ts, OPEN_MODEL_PROVIDERS).
 */
export function modelDefFor (provider: ProviderDef, id: string): ModelDef {
  return provider.models.get(id) ?? toModelDef({ id }, provider.api)
}

/** A provider or model `api` without an adapter is a load error naming both. */
function checkImplemented (d: Draft): void {
  const missing = (api: ApiFamily, where: string): ConfigError =>
    new ConfigError(`${where} "${api}" has no adapter in this rotor (implemented: ${[...IMPLEMENTED_API_FAMILIES].join(', ')})`)
  if (!IMPLEMENTED_API_FAMILIES.has(d.api)) throw missing(d.api, `models.providers.${d.id}.api`)
  d.models.forEach((m, i) => {
    if (m.api !== undefined && !IMPLEMENTED_API_FAMILIES.has(m.api)) throw missing(m.api, `models.providers.${d.id}.models[${i}].api`)
  })
}

/** Signing region of a Bedrock provider: configured, else its host's, else the AWS chain's, else us-east-1. */
function bedrockRegion (d: Draft, env: Env): string | undefined {
  if (d.api !== 'bedrock-converse-stream' && d.auth !== 'aws-sdk') return d.region
  return d.region ?? regionOfBedrockUrl(d.baseUrl) ?? discoverAws(env).region ?? DEFAULT_BEDROCK_REGION
}

function finish (d: Draft, apiKeyEnv: string | undefined, env: Env): CatalogProviderDef {
  checkImplemented(d)
  const auth: ProviderAuth = d.auth
  const region = bedrockRegion(d, env)
  return {
    id: d.id,
    baseUrl: normalizeBaseUrl(d.baseUrl, d.api, `models.providers.${d.id}.baseUrl`),
    api: d.api,
    auth,
    ...(region !== undefined ? { region } : {}),
    ...(d.apiKey !== undefined ? { apiKey: d.apiKey } : {}),
    ...(d.apiKey !== undefined && apiKeyEnv !== undefined ? { apiKeyEnv } : {}),
    headers: { ...d.headers },
    ...(d.oauth !== undefined ? { oauth: { ...d.oauth } } : {}),
    envVars: [...(d.envVars ?? [])],
    envTokenVars: [...(d.envTokenVars ?? [])],
    models: new Map(d.models.map((m) => [m.id, toModelDef(m, d.api)])),
  }
}

/**
 * Builds the catalog. `merge` (default): built-ins, implicit providers (Bedrock when AWS
 * credentials are found, see aws-discovery.ts, plus `opts.implicit`), then each explicit provider over them — fields override, models
 * union by id with explicit fields winning. `replace`: only the explicit providers; a built-in id
 * still supplies its connection fields (and its models when `models` is left out).
 */
export function buildCatalog (models: RotorConfig['models'] | undefined, env: Env, opts: BuildCatalogOptions = {}): Catalog {
  const mode = models?.mode ?? 'merge'
  const explicit = models?.providers ?? {}

  const templates = new Map<string, Draft>()
  for (const spec of BUILTIN_PROVIDERS) templates.set(spec.id, spec)
  templates.set('amazon-bedrock', bedrockProvider(env, explicit['amazon-bedrock']?.region))
  for (const spec of opts.implicit ?? []) {
    const t = templates.get(spec.id)
    templates.set(spec.id, t === undefined ? spec : mergeSpec(t, spec))
  }

  const drafts = new Map<string, Draft>()
  if (mode === 'merge') {
    for (const spec of BUILTIN_PROVIDERS) drafts.set(spec.id, templates.get(spec.id) ?? spec)
    if (hasBedrockEnv(env)) drafts.set('amazon-bedrock', templates.get('amazon-bedrock') ?? bedrockProvider(env))
    for (const spec of opts.implicit ?? []) drafts.set(spec.id, templates.get(spec.id) ?? spec)
  }

  for (const [id, cfg] of Object.entries(explicit)) {
    // The schema's Record pattern does not reject other keys, so check here.
    if (!PROVIDER_ID.test(id)) throw new ConfigError(`models.providers.${id}: provider ids must match [a-z0-9-]+`)
    drafts.set(id, applyExplicit(id, cfg, templates.get(id), drafts.get(id)))
  }

  const providers = new Map<string, ProviderDef>()
  for (const [id, d] of drafts) providers.set(id, finish(d, opts.apiKeyEnvRefs?.get(id), env))
  return models?.strict === true ? { providers, strict: true } : { providers }
}
