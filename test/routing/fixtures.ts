// Small catalog / agent / profile builders for the routing tests (not a test file itself).
import type { Profile, ProfileSource } from '../../src/auth/types.ts'
import type { AgentSettings, Catalog, ModelDef, ProviderDef } from '../../src/config/types.ts'
import type { CooldownPolicy } from '../../src/core/types.ts'

export const NOW = 1_767_225_600_000 // 2026-01-01T00:00:00Z
export const MIN = 60_000
export const HOUR = 3_600_000

function model (id: string): ModelDef {
  return {
    id, name: id, api: 'openai-completions', reasoning: false, input: ['text'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 128000, maxTokens: 8192,
  }
}

function provider (id: string, models: readonly string[]): ProviderDef {
  return {
    id, baseUrl: `http://127.0.0.1/${id}`, api: 'openai-completions', auth: 'api-key', headers: {},
    envVars: [], envTokenVars: [], models: new Map(models.map(m => [m, model(m)])),
  }
}

export function catalog (spec: Record<string, readonly string[]>): Catalog {
  return { providers: new Map(Object.entries(spec).map(([id, models]) => [id, provider(id, models)])) }
}

export const CATALOG = catalog({
  anthropic: ['claude-opus-4-5', 'claude-sonnet-4-5'],
  openai: ['gpt-5.2', 'gpt-5-mini', 'shared-model'],
  openrouter: ['anthropic/claude-sonnet-4-5', 'shared-model'],
  ollama: ['llama3.3'],
  deepseek: ['deepseek-chat'],
})

export function agent (over: Partial<AgentSettings> = {}): AgentSettings {
  return {
    id: 'default',
    primary: 'anthropic/claude-opus-4-5',
    fallbacks: [],
    aliases: new Map([['sonnet', 'anthropic/claude-sonnet-4-5'], ['opus', 'anthropic/claude-opus-4-5'], ['gpt', 'openai/gpt-5.2']]),
    configOrder: {},
    ...over,
  }
}

export function profile (id: string, type: Profile['type'], source: ProfileSource = 'file', usable = true): Profile {
  const provider = id.slice(0, id.indexOf(':'))
  return { id, provider, type, source, credential: undefined, usable }
}

export const POLICY: CooldownPolicy = {
  billingBackoffMs: 5 * HOUR,
  billingBackoffMsByProvider: {},
  billingMaxMs: 24 * HOUR,
  failureWindowMs: 24 * HOUR,
}
