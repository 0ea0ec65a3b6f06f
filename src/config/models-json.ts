// `$ROTOR_HOME/models.json` (Clawdbot's `{providers}` format). Holds no secret: an `apiKey` entry
// is an env var name; provider and model headers are left out since they may carry credentials.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { CatalogProviderDef } from './catalog.ts'
import type { Catalog, ModelDef, ProviderDef } from './types.ts'
import { modelsJsonPath } from './paths.ts'

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
 * Writes `$home/models.json` atomically (temp file + rename), mode 0600, creating home with 0700.
 * Returns false when the file already had this content (then only its mode is fixed).
 */
export function writeModelsJson (home: string, catalog: Catalog): boolean {
  const file = modelsJsonPath(home)
  const content = renderModelsJson(catalog)
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
