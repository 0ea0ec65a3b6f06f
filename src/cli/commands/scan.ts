// `rotor models scan`: asks a provider which models it serves (OpenAI/OpenRouter `GET /models`,
// Anthropic `GET /v1/models`, Ollama `GET /api/tags`, Bedrock's control plane in scan-bedrock.ts) and can add chosen ones to the config.
import type { ModelDefinitionConfig } from '../../config/schema.ts'
import type { LoadedConfig, ProviderDef } from '../../config/types.ts'
import { resolveSecret } from '../../auth/profiles.ts'
import { agentOf, credentialsFile, requireConfig, type CliContext, type CommonOptions } from '../context.ts'
import { child, updateRawConfig } from '../config-file.ts'
import { notifyReload } from '../gateway-client.ts'
import { printJson, table } from '../output.ts'
import { agentProfiles, canServe } from '../profile-state.ts'
import { isRecord } from '../../core/json.ts'
import { scanBedrock } from './scan-bedrock.ts'
import { CliError, UsageError } from '../../core/errors.ts'

export interface ScanOptions extends CommonOptions {
  readonly provider?: string
  readonly add?: string
  readonly free?: boolean
}

export interface ScannedModel {
  readonly id: string
  readonly name: string
  readonly contextWindow?: number
  readonly maxTokens?: number
  readonly input?: ('text' | 'image')[]
  readonly reasoning?: boolean
  /** USD per 1M tokens. */
  readonly cost?: { input: number, output: number, cacheRead?: number, cacheWrite?: number }
  readonly configured: boolean
}

const TIMEOUT_MS = 15_000

const posInt = (v: unknown): number | undefined => typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined

/** OpenRouter prices are USD per token as strings: `"0.000003"` → 3 per 1M. Negative = variable. */
function perMillion (v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN
  if (!Number.isFinite(n) || n < 0) return undefined
  return Math.round(n * 1e6 * 1e6) / 1e6
}

function parseEntry (e: Record<string, unknown>, local: boolean): Omit<ScannedModel, 'configured'> | undefined {
  const id = [e.id, e.model, e.name].find((x): x is string => typeof x === 'string' && x !== '')
  if (id === undefined) return undefined
  const name = [e.name, e.display_name].find((x): x is string => typeof x === 'string' && x !== '') ?? id
  const top = isRecord(e.top_provider) ? e.top_provider : {}
  const arch = isRecord(e.architecture) ? e.architecture : {}
  const modalities = Array.isArray(arch.input_modalities) ? arch.input_modalities : undefined
  const params = Array.isArray(e.supported_parameters) ? e.supported_parameters : []
  const out: { -readonly [K in keyof Omit<ScannedModel, 'configured'>]: Omit<ScannedModel, 'configured'>[K] } = { id, name }
  const ctxLen = posInt(e.context_length) ?? posInt(top.context_length)
  if (ctxLen !== undefined) out.contextWindow = ctxLen
  const maxOut = posInt(top.max_completion_tokens)
  if (maxOut !== undefined) out.maxTokens = maxOut
  if (modalities !== undefined) out.input = modalities.includes('image') ? ['text', 'image'] : ['text']
  if (params.includes('reasoning') || params.includes('include_reasoning')) out.reasoning = true
  if (isRecord(e.pricing)) {
    const input = perMillion(e.pricing.prompt)
    const output = perMillion(e.pricing.completion)
    if (input !== undefined && output !== undefined) {
      const cacheRead = perMillion(e.pricing.input_cache_read)
      const cacheWrite = perMillion(e.pricing.input_cache_write)
      out.cost = { input, output, ...(cacheRead !== undefined ? { cacheRead } : {}), ...(cacheWrite !== undefined ? { cacheWrite } : {}) }
    }
  } else if (local) {
    out.cost = { input: 0, output: 0 }
  }
  return out
}

/** The list endpoint and headers for a provider; a usable profile's secret when it has one. */
function endpoint (ctx: CliContext, config: LoadedConfig, provider: ProviderDef, agent: string): { url: string, headers: Record<string, string>, local: boolean } {
  const headers: Record<string, string> = { accept: 'application/json', ...provider.headers }
  if (provider.id === 'ollama') {
    return { url: `${provider.baseUrl.replace(/\/v1$/, '')}/api/tags`, headers, local: true }
  }
  const now = ctx.now()
  const profile = agentProfiles(config, credentialsFile(ctx, agent).read(), ctx.env, now).find((p) => p.provider === provider.id && canServe(p, now))
  const secret = profile === undefined ? undefined : resolveSecret(profile, now)
  const key = secret !== undefined && 'secret' in secret ? secret.secret : undefined
  if (provider.api === 'anthropic-messages') {
    headers['anthropic-version'] = '2023-06-01'
    if (key !== undefined) {
      if (profile?.type === 'api_key') headers['x-api-key'] = key
      else {
        headers.authorization = `Bearer ${key}`
        headers['anthropic-beta'] = 'oauth-2025-04-20'
      }
    }
  } else if (key !== undefined) {
    headers.authorization = `Bearer ${key}`
  }
  return { url: `${provider.baseUrl}/models`, headers, local: provider.auth === 'none' }
}

export async function scanProvider (ctx: CliContext, config: LoadedConfig, provider: ProviderDef, agent: string): Promise<ScannedModel[]> {
  if (provider.api === 'bedrock-converse-stream') return await scanBedrock(ctx, config, provider, agent)
  const { url, headers, local } = endpoint(ctx, config, provider, agent)
  let res: Response
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) })
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code
    throw new CliError(`Cannot reach ${url}: ${cause ?? (err instanceof Error ? err.message : String(err))}`)
  }
  if (!res.ok) throw new CliError(`${url} answered HTTP ${res.status}${res.status === 401 || res.status === 403 ? ' (check the provider credentials)' : ''}`)
  let body: unknown
  try { body = await res.json() } catch { throw new CliError(`${url} did not answer JSON`) }
  const list = isRecord(body) ? (Array.isArray(body.data) ? body.data : Array.isArray(body.models) ? body.models : undefined) : Array.isArray(body) ? body : undefined
  if (list === undefined) throw new CliError(`${url} answered no model list (expected "data" or "models")`)
  const out: ScannedModel[] = []
  for (const e of list) {
    if (!isRecord(e)) continue
    const m = parseEntry(e, local)
    if (m !== undefined) out.push({ ...m, configured: provider.models.has(m.id) })
  }
  return out.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

function definition (m: ScannedModel): ModelDefinitionConfig {
  return {
    id: m.id,
    name: m.name,
    ...(m.reasoning !== undefined ? { reasoning: m.reasoning } : {}),
    ...(m.input !== undefined ? { input: m.input } : {}),
    ...(m.cost !== undefined ? { cost: m.cost } : {}),
    ...(m.contextWindow !== undefined ? { contextWindow: m.contextWindow } : {}),
    ...(m.maxTokens !== undefined ? { maxTokens: m.maxTokens } : {}),
  }
}

const price = (n: number | undefined): string => n === undefined ? '-' : String(n)

export async function modelsScan (ctx: CliContext, o: ScanOptions): Promise<void> {
  const config = requireConfig(ctx)
  const agent = agentOf(o, ctx)
  const id = (o.provider ?? 'openrouter').trim().toLowerCase()
  const provider = config.catalog.providers.get(id)
  if (provider === undefined) throw new UsageError(`unknown provider "${id}" (known: ${[...config.catalog.providers.keys()].join(', ')})`)
  let models = await scanProvider(ctx, config, provider, agent)
  if (o.free === true) models = models.filter((m) => m.cost !== undefined && m.cost.input === 0 && m.cost.output === 0)

  const wanted = (o.add ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
  const chosen: ScannedModel[] = []
  for (const w of wanted) {
    const m = models.find((x) => x.id === w)
    if (m === undefined) throw new CliError(`${w} is not offered by ${id} (run rotor models scan --provider ${id})`)
    chosen.push(m)
  }
  const added: string[] = []
  if (chosen.length > 0) {
    const update = await updateRawConfig(ctx, (raw) => {
      const entry = child(child(child(raw, 'models'), 'providers'), id)
      const list = Array.isArray(entry.models) ? entry.models as unknown[] : []
      for (const m of chosen) {
        if (list.some((x) => isRecord(x) && x.id === m.id)) continue
        list.push(definition(m))
        added.push(m.id)
      }
      if (added.length === 0) return false
      entry.models = list
    })
    if (update.changed) await notifyReload(ctx, requireConfig(ctx))
  }

  if (o.json === true) {
    printJson(ctx.o, { provider: id, models, added })
    return
  }
  ctx.o.out(table(['ID', 'NAME', 'CONTEXT', '$IN/M', '$OUT/M', 'INPUT', 'CONFIGURED'], models.map((m) => [
    m.id, m.name, m.contextWindow === undefined ? '-' : String(m.contextWindow), price(m.cost?.input), price(m.cost?.output),
    (m.input ?? ['text']).join('+'), m.configured || added.includes(m.id) ? 'yes' : 'no',
  ])))
  ctx.o.out(`${models.length} model${models.length === 1 ? '' : 's'} from ${id}`)
  for (const a of added) ctx.o.out(`Added to config: ${id}/${a}`)
  for (const m of chosen) if (!added.includes(m.id)) ctx.o.out(`Already in config: ${id}/${m.id}`)
}
