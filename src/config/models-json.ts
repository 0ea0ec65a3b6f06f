// `$ROTOR_HOME/models.json` (Clawdbot's `{providers}` format), and each agent's
// `<agentDir>/models.json` in the stricter form Clawdbot's own per-agent file has. Neither
// holds a secret: an `apiKey` entry is an env var name; provider and model headers are left
// out since they may carry credentials.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { isAgentId } from '../core/agent-id.ts'
import type { CatalogProviderDef } from './catalog.ts'
import type { ApiFamily, ProviderConfig, RotorConfig } from './schema.ts'
import type { Catalog, ModelDef, ProviderDef } from './types.ts'
import { agentDir, modelsJsonPath } from './paths.ts'

function modelEntry (m: ModelDef): Record<string, unknown> {
  return {
    id: m.id,
    name: m.name,
    api: m.api,
    reasoning: m.reasoning,
    input: [...m.input],
    cost: { ...m.cost },
    contextWindow: m.contextWindow,
    maxTokens: m.maxTokens,
  }
}

/** The env var name to record as `apiKey`, or undefined when the key is not from the environment. */
function apiKeyName (p: ProviderDef): string | undefined {
  const fromConfig = (p as CatalogProviderDef).apiKeyEnv
  if (p.apiKey !== undefined) return fromConfig // a literal key in config: never written
  if (p.auth === 'none' || p.auth === 'oauth') return undefined
  return p.envVars[0] ?? p.envTokenVars[0]
}

/** The file's content for a catalog, stable key order, pretty-printed with a trailing newline. */
export function renderModelsJson (catalog: Catalog): string {
  const providers: Record<string, unknown> = {}
  for (const [id, p] of catalog.providers) {
    const name = apiKeyName(p)
    providers[id] = {
      baseUrl: p.baseUrl,
      api: p.api,
      auth: p.auth,
      ...(p.region !== undefined ? { region: p.region } : {}),
      ...(name !== undefined ? { apiKey: name } : {}),
      models: [...p.models.values()].map(modelEntry),
    }
  }
  return JSON.stringify({ providers }, null, 2) + '\n'
}

/**
 * The API families the per-agent file may name: in both Clawdbot's ModelApi (its config schema,
 * src/config/zod-schema.core.ts) and the schema pi-coding-agent checks models.json with (which
 * lacks `github-copilot`); rotor's `google-gemini-cli` is in neither. A provider of another
 * family is left out of that file (Clawdbot lists no Copilot models in it either).
 */
const CLAWDBOT_APIS: ReadonlySet<ApiFamily> = new Set<ApiFamily>(['openai-completions', 'openai-responses', 'anthropic-messages', 'bedrock-converse-stream'])
const CLAWDBOT_AUTH = new Set(['api-key', 'aws-sdk', 'oauth', 'token'])

/**
 * pi-coding-agent refuses a provider that lists models without a non-empty `apiKey` (and then
 * the whole file): Clawdbot fills in an env var name, so does rotor — the provider's own, else
 * `<PROVIDER>_API_KEY`. Clawdbot resolves credentials from its auth profiles before this.
 */
function apiKeyPlaceholder (p: ProviderDef): string {
  const known = apiKeyName(p) ?? (p as CatalogProviderDef).apiKeyEnv
  if (known !== undefined) return known
  if (p.auth === 'aws-sdk') return 'AWS_PROFILE'
  return `${p.id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY`
}

function agentModelEntry (m: ModelDef, providerApi: ApiFamily): Record<string, unknown> {
  const { api, ...rest } = modelEntry(m)
  return api === providerApi ? rest : { ...rest, api }
}

/** Catalog ids of the models a provider's config lists (`ollama/llama3.2` under ollama is `llama3.2`). */
function listedIds (provider: string, cfg: ProviderConfig | undefined): Set<string> {
  const ids = new Set<string>()
  for (const m of cfg?.models ?? []) {
    ids.add(m.id)
    if (m.id.startsWith(`${provider}/`)) ids.add(m.id.slice(provider.length + 1))
  }
  return ids
}

/**
 * The providers Clawdbot would write from the same config — those `models.providers` defines
 * models for — as its per-agent models.json has them (ModelProviderConfig: strict, no
 * `auth: "none"`, no `region`, every model field filled in). A keyless provider (Ollama) has
 * no `auth`. Built-in providers without listed models are not written: pi-coding-agent takes a
 * provider with models as a replacement of its own list for it, so rotor's built-in catalog
 * would change what Clawdbot runs. Providers of a family Clawdbot cannot name are left out.
 */
export function renderAgentProviders (catalog: Catalog, explicit: Readonly<Record<string, ProviderConfig>> = {}): Record<string, unknown> {
  const providers: Record<string, unknown> = {}
  for (const [id, p] of catalog.providers) {
    if (!Object.hasOwn(explicit, id) || !CLAWDBOT_APIS.has(p.api)) continue
    const listed = listedIds(id, explicit[id])
    const models = [...p.models.values()].filter((m) => listed.has(m.id) && CLAWDBOT_APIS.has(m.api))
    if (models.length === 0) continue
    providers[id] = {
      baseUrl: p.baseUrl,
      apiKey: apiKeyPlaceholder(p),
      ...(CLAWDBOT_AUTH.has(p.auth) ? { auth: p.auth } : {}),
      api: p.api,
      models: models.map((m) => agentModelEntry(m, p.api)),
    }
  }
  return providers
}

/** Writes `text` to `file` atomically with mode 0600 unless it already holds it; true when written. */
function writeIfChanged (file: string, content: string): boolean {
  if (!existsSync(dirname(file))) mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  let current: string | undefined
  try {
    current = readFileSync(file, 'utf8')
  } catch {
    current = undefined
  }
  if (current === content) {
    chmodSync(file, 0o600)
    return false
  }
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' })
    renameSync(tmp, file)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
  return true
}

/**
 * Writes `$home/models.json` atomically (temp file + rename), mode 0600, creating home with 0700.
 * Returns false when the file already had this content (then only its mode is fixed).
 */
export function writeModelsJson (home: string, catalog: Catalog): boolean {
  return writeIfChanged(modelsJsonPath(home), renderModelsJson(catalog))
}

function readProviders (file: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'))
    const providers = (parsed as { providers?: unknown } | null)?.providers
    return typeof providers === 'object' && providers !== null && !Array.isArray(providers) ? providers as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

/** Agents that have a directory under `$home/agents` (they have, or had, credentials). */
function agentsOnDisk (home: string): string[] {
  try {
    return readdirSync(join(home, 'agents')).filter((id) => isAgentId(id) && existsSync(agentDir(home, id)))
  } catch {
    return []
  }
}

/**
 * Writes `<agentDir>/models.json` for every agent with a directory: the catalog in the form
 * Clawdbot's own per-agent file has, so a Clawdbot sharing the directory reads it. In `merge`
 * mode, as Clawdbot does, providers already in the file that rotor does not write are kept.
 * Returns the files written.
 */
export function writeAgentModelsJson (home: string, catalog: Catalog, models: RotorConfig['models'] = {}): string[] {
  const generated = renderAgentProviders(catalog, models?.providers)
  const mode = models?.mode ?? 'merge'
  const written: string[] = []
  for (const agent of agentsOnDisk(home)) {
    const file = join(agentDir(home, agent), 'models.json')
    const existing = mode === 'merge' ? readProviders(file) : undefined
    const content = JSON.stringify({ providers: { ...existing, ...generated } }, null, 2) + '\n'
    if (writeIfChanged(file, content)) written.push(file)
  }
  return written
}
