// Request `model` → model chain (docs/routing.md). Pure: agent settings and catalog in, plan out.
import type { AgentSettings, Catalog, ProviderDef } from '../config/types.ts'
import { InvalidRequestError, ModelNotFoundError } from '../core/errors.ts'
import { modelNameProblem, parseRef, profileProvider, splitPin } from './model-ref.ts'

/** One entry of the model chain for a request. */
export interface ChainEntry {
  readonly provider: string
  readonly model: string
  /** `provider/model`. */
  readonly ref: string
}

export interface RequestPlan {
  readonly chain: readonly ChainEntry[]
  /** `@profileId` pin: no rotation, no fallback. */
  readonly pinnedProfile: string | undefined
}

/**
 * Providers whose catalog is open-ended even with `models.strict`: OpenRouter lists hundreds
 * of `vendor/model[:variant]` ids and Ollama serves whatever was pulled locally. Without
 * `models.strict` every known provider takes a model id its catalog does not list (new models
 * ship weekly): it is sent as is, with default limits, and the upstream's own 404 moves the
 * request on to the next model.
 */
export const OPEN_MODEL_PROVIDERS: ReadonlySet<string> = new Set(['openrouter', 'ollama'])

// Alias chains (alias → alias → ref) longer than this are treated as a cycle.
const MAX_ALIAS_DEPTH = 8

type Resolution =
  | { readonly ok: true, readonly entry: ChainEntry }
  | { readonly ok: false, readonly message: string }

function entry (provider: string, model: string): ChainEntry {
  return { provider, model, ref: `${provider}/${model}` }
}

function notFound (name: string, detail?: string): Resolution {
  return { ok: false, message: detail === undefined ? `Model "${name}" not found` : `Model "${name}" not found: ${detail}` }
}

/** Exact id, else a unique case-insensitive match; undefined when neither. */
function findModel (provider: ProviderDef, model: string): string | undefined {
  if (provider.models.has(model)) return model
  const lower = model.toLowerCase()
  let found: string | undefined
  for (const id of provider.models.keys()) {
    if (id.toLowerCase() !== lower) continue
    if (found !== undefined) return undefined
    found = id
  }
  return found
}

function resolveBare (id: string, catalog: Catalog): Resolution {
  let matches: ChainEntry[] = []
  for (const p of catalog.providers.values()) if (p.models.has(id)) matches.push(entry(p.id, id))
  if (matches.length === 0) {
    const lower = id.toLowerCase()
    for (const p of catalog.providers.values()) {
      for (const m of p.models.keys()) if (m.toLowerCase() === lower) matches.push(entry(p.id, m))
    }
  }
  if (matches.length === 1) return { ok: true, entry: matches[0] }
  if (matches.length === 0) return notFound(id)
  matches = matches.sort((a, b) => a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0)
  return notFound(id, `ambiguous, use one of ${matches.map(m => m.ref).join(', ')}`)
}

function resolveRef (text: string, catalog: Catalog): Resolution {
  const parsed = parseRef(text)
  if (parsed === undefined) return notFound(text)
  const provider = catalog.providers.get(parsed.provider)
  if (provider === undefined) {
    // `anthropic/claude-sonnet-4-5` with no `anthropic` provider may still be a
    // vendor-prefixed id of another provider (e.g. OpenRouter's); only then is it accepted.
    const bare = resolveBare(text, catalog)
    return bare.ok ? bare : notFound(text, `unknown provider "${parsed.provider}"`)
  }
  const model = findModel(provider, parsed.model)
  if (model !== undefined) return { ok: true, entry: entry(provider.id, model) }
  if (OPEN_MODEL_PROVIDERS.has(provider.id) || catalog.strict !== true) return { ok: true, entry: entry(provider.id, parsed.model) }
  return notFound(text, `not in the catalog of ${provider.id} (models.strict is on)`)
}

function resolve (input: string, agent: AgentSettings, catalog: Catalog, depth: number): Resolution {
  const text = input.trim()
  if (depth > MAX_ALIAS_DEPTH) return notFound(text, 'alias cycle')
  if (text === '' || text.toLowerCase() === 'default') {
    if (agent.primary === undefined || agent.primary.trim() === '') return notFound('default', `agent "${agent.id}" has no primary model`)
    const r = resolve(agent.primary, agent, catalog, depth + 1)
    return r.ok ? r : notFound('default', `primary "${agent.primary}" does not resolve`)
  }
  // Aliases apply only to inputs without '/', which are always refs (Clawdbot rule).
  if (!text.includes('/')) {
    const target = agent.aliases.get(text.toLowerCase())
    if (target !== undefined) {
      const r = resolve(target, agent, catalog, depth + 1)
      return r.ok ? r : notFound(text, `alias of "${target}" which does not resolve`)
    }
    return resolveBare(text, catalog)
  }
  return resolveRef(text, catalog)
}

/**
 * Builds the chain for one request. Throws ModelNotFoundError for an unknown or ambiguous
 * requested model, InvalidRequestError for a name that is not usable (control characters,
 * lone surrogates, too long) or when a pinned profile belongs to another provider.
 * Fallbacks that do not resolve are skipped (config may name models a catalog lacks).
 */
export function buildPlan (requested: string | undefined, agent: AgentSettings, catalog: Catalog): RequestPlan {
  // Checked before anything else: such a name must never reach an upstream or a header.
  const problem = requested === undefined ? undefined : modelNameProblem(requested)
  if (problem !== undefined) throw new InvalidRequestError(problem, 'model')
  const { ref, profileId } = splitPin(requested ?? '')
  const first = resolve(ref, agent, catalog, 0)
  if (!first.ok) throw new ModelNotFoundError(first.message)

  if (profileId !== undefined) {
    const pinProvider = profileProvider(profileId)
    if (pinProvider !== first.entry.provider) {
      throw new InvalidRequestError(
        `Profile "${profileId}" belongs to provider ${pinProvider}, not ${first.entry.provider} (model ${first.entry.ref})`,
        'model'
      )
    }
    return { chain: [first.entry], pinnedProfile: profileId }
  }

  const chain: ChainEntry[] = [first.entry]
  for (const fallback of agent.fallbacks) {
    const r = resolve(fallback, agent, catalog, 0)
    if (r.ok && !chain.some(c => c.ref === r.entry.ref)) chain.push(r.entry)
  }
  return { chain, pinnedProfile: undefined }
}
